//! The alert decisions and the state they keep between runs (`PATH/active_data/alerts.json`).
//!
//! A run's [`RunFacts`] open and clear problems ([`AlertState::observe`]); any run also checks how long ago
//! the last successful export was ([`AlertState::check_no_export`]). [`AlertState::due`] then says what to
//! send: a problem the first time it counts (some only after a set time: rows whose delete keeps failing, a
//! server that does not answer), a reminder of an ongoing one at most every `REPEAT_HOURS` (a decrypt
//! failure only when more fields fail than at the last alert), and one recovery message for a problem that
//! was alerted and cleared. The program sends them and calls [`AlertState::mark_sent`]; what could not be
//! sent stays due for the next run. Nothing here reads a clock: `now` is passed in.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use mtdata_core::config::AlertRules;
use mtdata_core::fsutil;
use mtdata_core::layout::StudyLayout;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::facts::{Command, RunFacts, RunOutcome, StopKind, TableFacts};

/// The kinds of problem an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A run stopped with an error (exit status 2). Subject: the command.
    RunStopped,
    /// A table (or applet) failed while the others went on. Subject: `<command> <table>`.
    TableFailed,
    /// Rows of a table could not be deleted for `DELETE_FAILED_MINUTES`. Subject: the table.
    DeletesFailing,
    /// Fields of a table do not decrypt. Subject: the table.
    DecryptFailed,
    /// The server has not answered for `UNREACHABLE_MINUTES`.
    ServerUnreachable,
    /// Deleteable rows on the server reached `BACKLOG_ROWS`.
    Backlog,
    /// No successful export for `NO_EXPORT_MINUTES`.
    NoExport,
}

impl ProblemKind {
    /// The name used in keys, the JSON and the state file.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::RunStopped => "run-stopped",
            ProblemKind::TableFailed => "table-failed",
            ProblemKind::DeletesFailing => "deletes-failing",
            ProblemKind::DecryptFailed => "decrypt-failed",
            ProblemKind::ServerUnreachable => "server-unreachable",
            ProblemKind::Backlog => "backlog",
            ProblemKind::NoExport => "no-export",
        }
    }

    /// What a person should do about it.
    pub fn advice(self) -> &'static str {
        match self {
            ProblemKind::RunStopped => {
                "read the error; `mtdata doctor SERVER` checks the setup (password, key, folders, lock) and says what to fix"
            }
            ProblemKind::TableFailed => {
                "the other tables went on and the next run tries this one again; if it keeps failing, the reason says what to do"
            }
            ProblemKind::DeletesFailing => {
                "nothing is lost: the rows are backed up and stay on the server until a delete succeeds; check that USER is an admin account and that the server accepts deletes"
            }
            ProblemKind::DecryptFailed => {
                "the fields are kept as ciphertext and marked failed in the CSV's _status column; check that PRIVATE_FILE is this server's key (`mtdata doctor SERVER` tries it)"
            }
            ProblemKind::ServerUnreachable => {
                "check that the server is up and that this machine reaches it (VPN, firewall, DNS); nothing is lost, the export catches up once it answers"
            }
            ProblemKind::Backlog => {
                "export with DELETE_MODE: True often enough (every five minutes from cron); at 900,000 rows the server stops taking submissions"
            }
            ProblemKind::NoExport => {
                "check that cron or the systemd timer still runs `mtdata export` on this machine, and look for a hung mtdata process holding the study folder"
            }
        }
    }

    /// Whether an ongoing problem is repeated after `REPEAT_HOURS` only when it grew (more fields fail).
    fn repeats_only_when_grown(self) -> bool {
        self == ProblemKind::DecryptFailed
    }
}

/// When a problem was last sent, and how large it was then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerted {
    pub at: DateTime<Utc>,
    pub magnitude: u64,
}

/// A problem, open or cleared but not yet reported as cleared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The command, `<command> <table>` or the table it is about; empty for the server as a whole.
    pub subject: String,
    /// What the run found, in the library's words (no secret, no row content).
    pub detail: String,
    /// When it was first seen in this episode.
    pub since: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Its size: rows, fields, minutes.
    pub magnitude: u64,
    pub alerted: Option<Alerted>,
    /// When it cleared, while its recovery message is still to be sent.
    pub cleared: Option<DateTime<Utc>>,
}

/// What an event tells about a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The problem counts for the first time.
    New,
    /// It goes on (at most every `REPEAT_HOURS`).
    Reminder,
    /// It cleared.
    Recovered,
}

/// One thing to tell about one problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub key: String,
    pub kind: ProblemKind,
    pub change: Change,
    pub subject: String,
    pub detail: String,
    pub since: DateTime<Utc>,
    /// When it cleared (recoveries).
    pub cleared: Option<DateTime<Utc>>,
    pub magnitude: u64,
}

/// The alert state of one study.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertState {
    /// The end of the last export run that went through.
    pub last_export: Option<DateTime<Utc>>,
    /// The last time the server answered.
    pub last_answer: Option<DateTime<Utc>>,
    /// Open problems, and cleared ones whose recovery is still to be sent, by key.
    pub problems: BTreeMap<String, Problem>,
}

fn key(kind: ProblemKind, subject: &str) -> String {
    if subject.is_empty() {
        kind.name().to_owned()
    } else {
        format!("{}:{subject}", kind.name())
    }
}

fn minutes(n: u64) -> Duration {
    Duration::minutes(i64::try_from(n).unwrap_or(i64::MAX / 60_000))
}

impl AlertState {
    /// Open a problem, or update one that is open (a cleared one whose recovery was not sent yet opens
    /// again, alerted as it was).
    fn open(
        &mut self,
        kind: ProblemKind,
        subject: &str,
        detail: String,
        magnitude: u64,
        now: DateTime<Utc>,
    ) {
        let problem = self
            .problems
            .entry(key(kind, subject))
            .or_insert_with(|| Problem {
                kind,
                subject: subject.to_owned(),
                detail: String::new(),
                since: now,
                last_seen: now,
                magnitude,
                alerted: None,
                cleared: None,
            });
        problem.detail = detail;
        problem.last_seen = now;
        problem.magnitude = magnitude;
        problem.cleared = None;
    }

    /// Clear a problem: one that was alerted waits for its recovery message, any other is forgotten.
    fn clear(&mut self, kind: ProblemKind, subject: &str, now: DateTime<Utc>) {
        let key = key(kind, subject);
        match self.problems.get_mut(&key) {
            Some(problem) if problem.alerted.is_some() => {
                problem.cleared.get_or_insert(now);
            }
            Some(_) => {
                self.problems.remove(&key);
            }
            None => {}
        }
    }

    /// Open and clear problems after one run of one server.
    pub fn observe(&mut self, facts: &RunFacts, rules: &AlertRules, now: DateTime<Utc>) {
        let command = facts.command;
        match &facts.outcome {
            RunOutcome::Stopped { kind, message } => match kind {
                StopKind::Unreachable => {
                    self.open(ProblemKind::ServerUnreachable, "", message.clone(), 0, now);
                }
                StopKind::Busy => {}
                StopKind::Other => {
                    self.open(
                        ProblemKind::RunStopped,
                        command.name(),
                        message.clone(),
                        0,
                        now,
                    );
                }
            },
            RunOutcome::Finished(found) => {
                self.clear(ProblemKind::RunStopped, command.name(), now);
                if command == Command::Export {
                    self.last_export = Some(now);
                    self.last_answer = Some(now);
                    self.clear(ProblemKind::ServerUnreachable, "", now);
                    self.clear(ProblemKind::NoExport, "", now);
                }
                for table in &found.tables {
                    self.observe_table(command, table, now);
                }
                if let Some(backlog) = found.backlog {
                    if backlog >= rules.backlog_rows {
                        let detail = format!(
                            "{backlog} rows of deleteable tables are on the server (alert at {}; the server stops taking submissions at 900000)",
                            rules.backlog_rows
                        );
                        self.open(ProblemKind::Backlog, "", detail, backlog, now);
                    } else if backlog < rules.backlog_rows.saturating_mul(9) / 10 {
                        // Below 90% of the threshold, so a backlog hovering at it does not flap.
                        self.clear(ProblemKind::Backlog, "", now);
                    }
                }
            }
        }
    }

    fn observe_table(&mut self, command: Command, table: &TableFacts, now: DateTime<Utc>) {
        let subject = format!("{} {}", command.name(), table.table);
        match &table.failure {
            Some(why) => self.open(ProblemKind::TableFailed, &subject, why.clone(), 1, now),
            None => self.clear(ProblemKind::TableFailed, &subject, now),
        }
        let (kind, count, what) = match command {
            Command::Export => (
                ProblemKind::DeletesFailing,
                table.delete_failed,
                "rows could not be deleted from the server (they are backed up and stay there; each run tries again)",
            ),
            Command::Decode => (
                ProblemKind::DecryptFailed,
                table.decrypt_failed,
                "encrypted fields do not decrypt",
            ),
        };
        if count > 0 {
            self.open(kind, &table.table, format!("{count} {what}"), count, now);
        } else if table.failure.is_none() {
            // A table that failed says nothing about its deletes or fields: leave them as they were.
            self.clear(kind, &table.table, now);
        }
    }

    /// Open or clear "no successful export" (any run does this, for every study with alerts).
    pub fn check_no_export(&mut self, rules: &AlertRules, now: DateTime<Utc>) {
        let Some(last) = self.last_export else {
            return; // never exported: `mtdata doctor` says so; there is nothing to measure from
        };
        let age = now - last;
        if age >= minutes(rules.no_export_minutes) {
            let detail = format!(
                "the last export that went through ended {} UTC",
                last.format("%Y-%m-%d %H:%M")
            );
            self.open(
                ProblemKind::NoExport,
                "",
                detail,
                age.num_minutes().max(0) as u64,
                now,
            );
        } else {
            self.clear(ProblemKind::NoExport, "", now);
        }
    }

    /// Whether an open problem counts yet (some only after a set time).
    fn counts(problem: &Problem, rules: &AlertRules, now: DateTime<Utc>) -> bool {
        let lasted = now - problem.since;
        match problem.kind {
            ProblemKind::DeletesFailing => lasted >= minutes(rules.delete_failed_minutes),
            ProblemKind::ServerUnreachable => lasted >= minutes(rules.unreachable_minutes),
            _ => true,
        }
    }

    /// What to send now: new problems, reminders that are due, recoveries.
    pub fn due(&self, rules: &AlertRules, now: DateTime<Utc>) -> Vec<Event> {
        let repeat =
            Duration::hours(i64::try_from(rules.repeat_hours).unwrap_or(i64::MAX / 3_600_000));
        let mut events = Vec::new();
        for (key, problem) in &self.problems {
            let change = if problem.cleared.is_some() {
                problem.alerted.map(|_| Change::Recovered)
            } else if !Self::counts(problem, rules, now) {
                None
            } else {
                match problem.alerted {
                    None => Some(Change::New),
                    Some(last) => {
                        let grown = problem.magnitude > last.magnitude
                            || !problem.kind.repeats_only_when_grown();
                        (grown && now - last.at >= repeat).then_some(Change::Reminder)
                    }
                }
            };
            if let Some(change) = change {
                events.push(Event {
                    key: key.clone(),
                    kind: problem.kind,
                    change,
                    subject: problem.subject.clone(),
                    detail: problem.detail.clone(),
                    since: problem.since,
                    cleared: problem.cleared,
                    magnitude: problem.magnitude,
                });
            }
        }
        events
    }

    /// Record that `events` were sent at `now`.
    pub fn mark_sent(&mut self, events: &[Event], now: DateTime<Utc>) {
        for event in events {
            match event.change {
                Change::Recovered => {
                    self.problems.remove(&event.key);
                }
                Change::New | Change::Reminder => {
                    if let Some(problem) = self.problems.get_mut(&event.key) {
                        problem.alerted = Some(Alerted {
                            at: now,
                            magnitude: problem.magnitude,
                        });
                    }
                }
            }
        }
    }
}

/// A study's alert state, held under its lock while a run decides and sends.
#[derive(Debug)]
pub struct LockedState {
    pub state: AlertState,
    path: PathBuf,
    _lock: File,
}

/// `PATH/active_data/alerts.json`.
pub fn state_path(layout: &StudyLayout) -> PathBuf {
    layout.active_data().join("alerts.json")
}

impl LockedState {
    /// Take the study's alert lock (waiting for another run that holds it: deciding and sending take
    /// seconds) and read the state. A damaged state is an error: the caller may start afresh with
    /// [`LockedState::replace_damaged`].
    pub fn open(layout: &StudyLayout) -> Result<Self> {
        fsutil::ensure_dir(&layout.active_data())?;
        let lock_path = layout.active_data().join(".alerts.lock");
        let lock = fsutil::private_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|e| mtdata_core::Error::Io {
                action: "cannot lock",
                path: lock_path,
                source: e,
            })?;
        let path = state_path(layout);
        let state = read(&path)?;
        Ok(LockedState {
            state,
            path,
            _lock: lock,
        })
    }

    /// Write the state atomically.
    pub fn save(&self) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(&self.state).map_err(|e| Error::State {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        json.push(b'\n');
        fsutil::write_atomic(&self.path, &json)?;
        Ok(())
    }
}

fn read(path: &Path) -> Result<AlertState> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::State {
            path: path.to_owned(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AlertState::default()),
        Err(e) => Err(mtdata_core::Error::Io {
            action: "cannot read",
            path: path.to_owned(),
            source: e,
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::facts::Findings;

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn export(tables: Vec<TableFacts>, backlog: u64) -> RunFacts {
        RunFacts {
            command: Command::Export,
            outcome: RunOutcome::Finished(Findings {
                tables,
                backlog: Some(backlog),
            }),
        }
    }

    fn table(name: &str) -> TableFacts {
        TableFacts {
            table: name.into(),
            ..TableFacts::default()
        }
    }

    /// Runs every five minutes from `from` to `to` (minutes), sending what is due; returns the events
    /// sent, with the minute.
    fn cron(
        state: &mut AlertState,
        rules: &AlertRules,
        facts: &RunFacts,
        range: std::ops::Range<i64>,
    ) -> Vec<(i64, Change, String)> {
        let mut sent = Vec::new();
        for minute in range.step_by(5) {
            state.observe(facts, rules, t(minute));
            state.check_no_export(rules, t(minute));
            let due = state.due(rules, t(minute));
            sent.extend(due.iter().map(|e| (minute, e.change, e.key.clone())));
            state.mark_sent(&due, t(minute));
        }
        sent
    }

    #[test]
    fn a_failed_table_alerts_once_reminds_after_repeat_hours_and_recovers_once() {
        let rules = AlertRules::default();
        let mut state = AlertState::default();
        let mut failing = table("RR");
        failing.failure = Some("the download broke off".into());
        let bad = export(vec![failing, table("OA")], 0);
        let sent = cron(&mut state, &rules, &bad, 0..(25 * 60));
        assert_eq!(
            sent,
            [
                (0, Change::New, "table-failed:export RR".to_owned()),
                (
                    24 * 60,
                    Change::Reminder,
                    "table-failed:export RR".to_owned()
                )
            ]
        );
        let good = export(vec![table("RR"), table("OA")], 0);
        let sent = cron(&mut state, &rules, &good, (25 * 60)..(26 * 60));
        assert_eq!(
            sent,
            [(
                25 * 60,
                Change::Recovered,
                "table-failed:export RR".to_owned()
            )]
        );
        assert!(state.problems.is_empty());
    }

    #[test]
    fn failing_deletes_and_an_unanswering_server_count_only_after_their_time() {
        let rules = AlertRules::default(); // deletes 60 minutes, server 30 minutes
        let mut state = AlertState::default();
        let mut leftover = table("RR");
        leftover.delete_failed = 3;
        // Deletes fail for 40 minutes, then succeed: no alert, no recovery.
        let sent = cron(
            &mut state,
            &rules,
            &export(vec![leftover.clone()], 3),
            0..40,
        );
        assert!(sent.is_empty(), "{sent:?}");
        let sent = cron(&mut state, &rules, &export(vec![table("RR")], 0), 40..45);
        assert!(sent.is_empty(), "{sent:?}");
        // They fail for longer: one alert at 60 minutes.
        let sent = cron(&mut state, &rules, &export(vec![leftover], 3), 45..200);
        assert_eq!(sent, [(105, Change::New, "deletes-failing:RR".to_owned())]);

        let down = RunFacts::stopped(Command::Export, StopKind::Unreachable, "cannot connect");
        let sent = cron(&mut state, &rules, &down, 200..300);
        assert_eq!(sent, [(230, Change::New, "server-unreachable".to_owned())]);
    }

    #[test]
    fn no_export_is_noticed_by_any_run_and_a_busy_study_is_not_an_error() {
        let rules = AlertRules::default(); // 120 minutes
        let mut state = AlertState::default();
        state.check_no_export(&rules, t(0));
        assert!(state.problems.is_empty(), "nothing to measure from yet");
        state.observe(&export(vec![], 0), &rules, t(0));
        let busy = RunFacts::stopped(
            Command::Export,
            StopKind::Busy,
            "another mtdata run is using it",
        );
        let sent = cron(&mut state, &rules, &busy, 5..200);
        assert_eq!(sent, [(120, Change::New, "no-export".to_owned())]);
        let sent = cron(&mut state, &rules, &export(vec![], 0), 200..205);
        assert_eq!(sent, [(200, Change::Recovered, "no-export".to_owned())]);
    }

    #[test]
    fn backlog_alerts_at_the_threshold_and_clears_below_ninety_percent() {
        let rules = AlertRules::default(); // 500000
        let mut state = AlertState::default();
        let sent = cron(&mut state, &rules, &export(vec![], 500_000), 0..5);
        assert_eq!(sent, [(0, Change::New, "backlog".to_owned())]);
        assert!(cron(&mut state, &rules, &export(vec![], 460_000), 5..60).is_empty());
        let sent = cron(&mut state, &rules, &export(vec![], 449_999), 60..65);
        assert_eq!(sent, [(60, Change::Recovered, "backlog".to_owned())]);
        // A small threshold clears too (90% of 5 rounds down to 4, not to 0).
        let small = AlertRules {
            backlog_rows: 5,
            ..AlertRules::default()
        };
        let mut state = AlertState::default();
        assert_eq!(
            cron(&mut state, &small, &export(vec![], 124), 0..5).len(),
            1
        );
        let sent = cron(&mut state, &small, &export(vec![], 0), 5..10);
        assert_eq!(sent, [(5, Change::Recovered, "backlog".to_owned())]);
    }

    #[test]
    fn decrypt_failures_repeat_only_when_more_fields_fail() {
        let rules = AlertRules::default();
        let mut state = AlertState::default();
        let decode = |failed| RunFacts {
            command: Command::Decode,
            outcome: RunOutcome::Finished(Findings {
                tables: vec![TableFacts {
                    table: "OA".into(),
                    decrypt_failed: failed,
                    ..TableFacts::default()
                }],
                backlog: None,
            }),
        };
        let sent = cron(&mut state, &rules, &decode(2), 0..(3 * 24 * 60));
        assert_eq!(sent, [(0, Change::New, "decrypt-failed:OA".to_owned())]);
        let sent = cron(
            &mut state,
            &rules,
            &decode(5),
            (3 * 24 * 60)..(3 * 24 * 60 + 5),
        );
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].1, Change::Reminder);
    }

    #[test]
    fn an_unsent_alert_stays_due_and_the_state_survives_a_restart() {
        let rules = AlertRules::default();
        let mut state = AlertState::default();
        let stop = RunFacts::stopped(
            Command::Export,
            StopKind::Other,
            "the server refused the credentials",
        );
        state.observe(&stop, &rules, t(0));
        assert_eq!(state.due(&rules, t(0)).len(), 1);
        // Sending failed: nothing marked; the next run sends it.
        state.observe(&stop, &rules, t(5));
        let due = state.due(&rules, t(5));
        assert_eq!(due.len(), 1);
        state.mark_sent(&due, t(5));

        let dir = tempfile::tempdir().unwrap();
        let layout = StudyLayout::new(dir.path());
        let mut locked = LockedState::open(&layout).unwrap();
        locked.state = state.clone();
        locked.save().unwrap();
        drop(locked);
        let again = LockedState::open(&layout).unwrap();
        assert_eq!(again.state, state);
        std::fs::write(state_path(&layout), b"{not json").ok();
        drop(again);
        let err = LockedState::open(&layout).unwrap_err().to_string();
        assert!(err.contains("alerts.json is damaged"), "{err}");
    }
}
