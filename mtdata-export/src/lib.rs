//! Crash-safe, incremental export of MindTrails study servers, and of MindLogger applets
//! ([`mindlogger::export_mindlogger`], `docs/mindlogger.md`).
//!
//! [`export_server`] lists a server's tables, downloads the chosen ones (only rows newer than the
//! marks in `benchMark.json` where the server can filter), writes each answer byte for byte to
//! `raw_data/<Table>_<stamp>.json` through a temporary file, fsync and atomic rename, reads it back,
//! and only then deletes the sensitive rows it holds from the server (with `DELETE_MODE`).
//! Timeouts, retries with backoff and a per-study lock make it safe to run from cron.
//!
//! This is the only mtdata crate that opens sockets.
//!
//! ```no_run
//! use mtdata_core::config::Config;
//! use mtdata_export::{ExportOptions, NoProgress, TableSelection, export_server};
//!
//! let config = Config::load("config/server.config".as_ref(), |_| None)?;
//! for server in config.select(".", true)? {
//!     let options = ExportOptions { tables: TableSelection::All, ..ExportOptions::default() };
//!     let report = export_server(server, &options, &mut NoProgress)?;
//!     for table in &report.tables {
//!         println!("{}: {} new rows, {} deleted", table.table, table.new_rows, table.deleted);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod client;
mod error;
mod export;
pub mod marks;
pub mod mindlogger;

pub use client::RetryPolicy;
pub use error::{Error, Result};
pub use export::{
    ExportOptions, NoProgress, Progress, ScheduleStatus, ServerReport, TableExportSummary,
    TableSelection, TableStatus, export_server, study_lock_is_free,
};
