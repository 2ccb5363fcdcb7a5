//! Vocabulary shared by every mtdata crate: the MTData-compatible configuration, the study folder
//! layout, raw backup file names and the one reader of their contents ([`raw_rows`]), table-name
//! validation, crash-safe owner-only file writes, the study lock ([`lock`]), server URLs ([`url`]),
//! server-supplied names shown escaped ([`names`]), spreadsheet-safe CSV cells ([`csv_cell`]), size
//! limits on what servers send ([`limits`]), the questionnaire catalogue ([`catalog`]: items, valid
//! values and PNA codes per study) and the MindLogger vocabulary ([`mindlogger`]: applet ids, run
//! files; `docs/mindlogger.md`).
//!
//! This crate is a leaf: it depends on no other mtdata crate, opens no sockets and reads no
//! environment variables (the CLI passes them in).
//!
//! ```
//! use mtdata_core::config::Config;
//!
//! let yaml = "
//! templeton:
//!   READY: True
//!   DELETE_MODE: False
//!   SERVER: 'https://mindtrails.example.org/templeton/api/'
//!   USER: admin@example.org
//!   PASS: not-a-real-password
//!   PRIVATE_FILE: keys/private_1.pem
//!   DATE_FORMAT: '%b_%d_%Y'
//!   TIME_FORMAT: '%H_%M_%S'
//!   PATH: /data/templeton/
//! ";
//! let config = Config::from_yaml_str(yaml, "server.config".as_ref(), |_| None).unwrap();
//! let servers = config.select(".", true).unwrap();
//! assert_eq!(servers[0].name, "templeton");
//! assert_eq!(servers[0].export_url("OA"), "https://mindtrails.example.org/templeton/api/export/OA");
//! // Secrets never show in debug output.
//! assert!(!format!("{:?}", servers[0]).contains("not-a-real-password"));
//! ```

pub mod catalog;
pub mod config;
pub mod csv_cell;
pub mod decoded;
pub mod error;
pub mod fsutil;
pub mod layout;
pub mod limits;
pub mod lock;
pub mod mindlogger;
pub mod names;
pub mod raw_rows;
pub mod schedule;
pub mod secret;
pub mod table;
pub mod url;

pub use error::{Error, Result};
pub use secret::Secret;
