//! Unattended operation: what a lab needs to leave mtdata in cron for months.
//!
//! - [`facts`]: what a run found, taken from the reports the export and decode libraries return
//!   ([`facts::RunFacts`]).
//! - [`state`]: the alert decisions, pure and tested without a clock or a network: which problems are open
//!   after a run, when one becomes an alert (some only after a set time), de-duplication, reminders at most
//!   every `REPEAT_HOURS`, one recovery message when a problem clears ([`state::AlertState`], kept in
//!   `PATH/active_data/alerts.json`, written atomically).
//! - [`message`]: an alert as text for a person and as JSON for a program; no password, key, ciphertext
//!   or participant id ever goes into one ([`message::Redactor`] removes any that slipped into a message).
//! - [`send`]: e-mail over SMTP (STARTTLS or TLS) and a command hook (the text on stdin, the JSON in
//!   `MTDATA_ALERT`).
//! - [`doctor`]: the checks of a setup before a lab relies on it, one [`doctor::Check`] each.
//!
//! Like every mtdata library it never prints and reads no environment variable: the program resolves the
//! SMTP password and the applet passwords and passes them in.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use mtdata_core::config::AlertRules;
//! use mtdata_unattended::facts::{Command, RunFacts, StopKind};
//! use mtdata_unattended::state::{AlertState, Change};
//!
//! let rules = AlertRules::default();
//! let mut state = AlertState::default();
//! let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
//! let wrong_password = RunFacts::stopped(Command::Export, StopKind::Other, "the server refused the credentials");
//! state.observe(&wrong_password, &rules, t0);
//! let due = state.due(&rules, t0);
//! assert_eq!(due.len(), 1);
//! assert_eq!(due[0].change, Change::New);
//! state.mark_sent(&due, t0);
//! // The next run five minutes later finds the same problem: nothing new to send.
//! state.observe(&wrong_password, &rules, t0 + chrono::Duration::minutes(5));
//! assert!(state.due(&rules, t0 + chrono::Duration::minutes(5)).is_empty());
//! ```

pub mod doctor;
mod error;
pub mod facts;
pub mod message;
pub mod send;
pub mod state;

pub use error::{Error, Result};
