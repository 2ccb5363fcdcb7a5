//! Decode MindTrails raw JSON backups (MTData's and mtdata's) into one analysis-ready CSV per table.
//!
//! What it fixes compared with MTData's `decode`: exact table names (`DD` never picks up `DD_FU`), every
//! backup read in time order, several JSON arrays in one file, columns added by later files, each row once
//! (the latest copy of an id wins, conflicting copies are counted), lists as JSON text, dates also in ISO 8601,
//! `*RSA` columns decrypted with a status column, and the CSV replaced atomically (same bytes on every run).
//!
//! ```
//! use mtdata_decode::{DecodeOptions, RawFile, decode_table};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("OA_Mar_28_2017_14_05_33.json");
//! std::fs::write(&path, r#"[{"id":1,"participantRSA":"532","tags":["a","b"]}][{"id":1,"participantRSA":"532","tags":["a","b"]}]"#)?;
//! let table = decode_table("OA", &[RawFile::from_path(&path).unwrap()], None, &DecodeOptions::default());
//! assert_eq!(table.summary.rows, 1);
//! assert_eq!(table.summary.duplicates, 1);
//! assert_eq!(
//!     String::from_utf8(table.to_csv_bytes())?,
//!     "id,participantRSA,participantRSA_status,tags\n1,532,plain,\"[\"\"a\"\",\"\"b\"\"]\"\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! MindLogger applets are decoded by [`mindlogger`]: the admin panel's `responses.csv` with a status
//! column per answer, the activity journey and one wide table per activity.
//!
//! # Cargo features
//!
//! - `openssl` (off): decrypt through the system OpenSSL (see `mtdata-crypto`).

mod dates;
mod discover;
mod error;
pub mod girder;
pub mod mindlogger;
mod part;
mod render;
pub mod share;
mod store;
mod study;
mod summary;
mod table;

pub use dates::{parse_epoch_millis, parse_mtdata_date};
pub use discover::{RawFile, list_raw_files, sort_files};
pub use error::{Error, Result};
pub use study::{TableOutcome, decode_study, summary_path};
pub use summary::{FieldCounts, FileProblem, TableSummary};
pub use table::{DecodeOptions, DecodedTable, decode_table};
