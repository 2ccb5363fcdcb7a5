//! Integrity reports for a MindTrails study folder, read from local files only (never the
//! network): the decoded tables of `active_data/` and the schedule sheet `active_data/study.json`.
//!
//! - [`ScaleReport`] (`mtdata report scale`): per task of the schedule, TaskLog completions
//!   against rows in the data, duplicates, and a missing rate that is never negative.
//! - [`ClientReport`] (`mtdata report client`): per participant, tasks done, tasks due by now and
//!   which ones are missing: not logged, or logged without a row in their table (the TaskLog slots
//!   matched to data rows as in the scale report); duplicates and last activity; admin and test
//!   accounts flagged or left out.
//! - [`StatusReport`] (`mtdata status`): per table, missing cells per column, participants,
//!   duplicates and values outside the [`ValidRanges`]'s ranges ("prefer not to answer" apart).
//! - [`HtmlReport`]: one self-contained HTML page with SVG charts.
//! - [`adherence::AdherenceReport`] (`mtdata report adherence`): for a MindLogger v1 study read as
//!   a Girder tree, per user and activity the scheduled occurrences completed on time, late, missed
//!   or pending, and completions that were not due, per day and overall ([`adherence::AdherenceHtml`]:
//!   its page with a users × days heatmap).
//!
//! ```
//! use mtdata_report::{ClientReport, ReportOptions, ScaleReport, StudyFolder};
//!
//! let root = tempfile::tempdir().unwrap();
//! let active = root.path().join("active_data");
//! std::fs::create_dir(&active).unwrap();
//! std::fs::write(active.join("study.json"), r#"[{"name":"Demo","sessions":[
//!     {"name":"preTest","tasks":[{"name":"OA"},{"name":"Recognition"}]},
//!     {"name":"COMPLETE","tasks":[]}]}]"#).unwrap();
//! std::fs::write(active.join("TaskLog.csv"), "\
//! id,sessionName,taskName,tag,dateCompleted_iso,participantId
//! 1,preTest,OA,,2024-01-01T10:00:00Z,7
//! 2,preTest,Recognition,,2024-01-01T10:05:00Z,7
//! 3,preTest,OA,,2024-01-02T09:00:00Z,8
//! ").unwrap();
//! std::fs::write(active.join("OA.csv"), "id,participantRSA,session,anxious_freq\n1,7,preTest,2\n").unwrap();
//! std::fs::write(active.join("Participant.csv"), "\
//! id,admin,study
//! 7,false,\"{\"\"currentSession\"\":{\"\"name\"\":\"\"COMPLETE\"\"}}\"
//! 8,false,\"{\"\"currentSession\"\":{\"\"name\"\":\"\"preTest\"\",\"\"currentTask\"\":{\"\"name\"\":\"\"Recognition\"\"}}}\"
//! ").unwrap();
//!
//! let mut options = ReportOptions::default();
//! options.table_map.insert("Recognition", "RR");
//! let study = StudyFolder::open(root.path(), options).unwrap();
//!
//! let scale = ScaleReport::build(&study).unwrap();
//! assert_eq!(scale.rows[0].task, "OA");
//! assert_eq!((scale.rows[0].tasklog_completions, scale.rows[0].missing), (2, 1));
//! assert_eq!(scale.rows[1].table, "RR");
//! assert!(!scale.rows[1].data_found);
//!
//! let client = ClientReport::build(&study).unwrap();
//! assert_eq!(client.rows[0].participant, "7");
//! assert_eq!((client.rows[0].completed, client.rows[0].expected), (2, 2));
//! // 8 logged OA, but OA.csv has no row for 8; RR.csv is absent, so Recognition is unknown.
//! assert_eq!(client.rows[1].missing, ["preTest/OA (no data)"]);
//! assert_eq!(client.rows[1].no_data, 1);
//! assert_eq!(client.unchecked_tasks, ["Recognition"]);
//! println!("{scale}");
//! ```
//!
//! # Cargo features
//!
//! - `polars` (off): `ScaleReport::to_dataframe` and `ClientReport::to_dataframe` for notebooks. Off by
//!   default so a report-only build does not compile polars.

pub mod adherence;
mod client;
mod error;
#[cfg(feature = "polars")]
mod frame;
mod html;
mod ranges;
mod scale;
mod status;
mod study;
mod tables;
mod text;

pub use client::{ClientReport, ClientRow, NO_DATA_SUFFIX};
pub use error::{Error, Result};
pub use html::HtmlReport;
pub use mtdata_core::csv_cell::CsvCells;
pub use mtdata_core::schedule::{
    COMPLETE_SESSION, SESSION_COMPLETE_TASK, Schedule, SessionInfo, Slot, StudyInfo, TaskInfo,
};
pub use ranges::{Check, ItemRange, UNFLAGGED_TABLES, ValidRanges};
pub use scale::{COMPLETION_ROWS, ScaleReport, ScaleRow};
pub use status::{
    ColumnStatus, DUPLICATE_KEY_COLUMNS, OutOfRange, StatusOptions, StatusReport, TableFailure,
    TableStatus,
};
pub use study::{CellState, ReportOptions, StudyFolder};
pub use tables::{DEFAULT_TABLE_MAP, TableMap};
pub use text::{TextOptions, TextTable, Tone};
