//! Questionnaire codebooks, scoring, duplicate cleaning and long-to-wide reshaping for
//! MindTrails data, as polars DataFrame in, DataFrame out (for the CLI and evcxr notebooks).
//!
//! - [`Codebook`]: per study ([`Study::R34`], [`Study::Templeton`], [`Study::CalmThinking`]) or
//!   from a lab's file ([`load_codebook`]); each [`ScaleDef`] lists items, valid values,
//!   "prefer not to answer" codes, recodes and named scoring [`Variant`]s.
//! - [`clean`]: exact duplicates, then one row per (participant, session, tag) by an explicit
//!   [`DuplicatePolicy`], with a [`CleanReport`] of every dropped row.
//! - [`score()`]: PNA codes to missing first, then the variant's rules; every score column has a
//!   [`RuleRecord`].
//! - [`long_to_wide`]: `<Scale>_<var>_<session>[_<tag>]`, sessions in schedule order, text kept,
//!   duplicates an error; [`Wide::to_long`] goes back.
//! - [`participant_ids`]: each row's participant by the decoded-table rule of
//!   `mtdata_core::decoded` (the first participant column with a usable id), which cleaning and
//!   long-to-wide key on.
//! - [`jobs`]: the verbs on a study's files (`mtdata clean|scores|long-to-wide|prepare`):
//!   codebook choice, input, schedule order, and the `processed_data/` outputs.
//!
//! ```
//! use mtdata_scales::{Codebook, Study, ScoreOptions, WideOptions, read_csv_bytes, score, long_to_wide};
//!
//! let csv = "id,participant,session,anxious_freq,anxious_sev,avoid,interfere,interfere_social\n\
//!            1,7,PRE,2,3,555,1,0\n\
//!            2,7,POST,1,1,1,0,0\n";
//! let df = read_csv_bytes(csv.as_bytes().to_vec(), "OA")?;
//! let r34 = Codebook::builtin(Study::R34);
//! let oa = r34.scale("OA")?;
//! let scored = score(&df, oa, &ScoreOptions::default())?; // R34 paper: sum, missing as 0
//! let totals: Vec<Option<f64>> = scored.data.column("oa_total").unwrap().f64().unwrap().iter().collect();
//! assert_eq!(totals, vec![Some(6.0), Some(3.0)]); // the 555 is not added
//! let wide = long_to_wide(&scored.data, "OA", &WideOptions::default())?;
//! assert!(wide.data.column("OA_oa_total_PRE").is_ok());
//! # Ok::<(), mtdata_scales::Error>(())
//! ```

//! # Layout: rules apart from kernels
//!
//! - `rules` (codebooks, built-in codebooks, codebook files, duplicate policies, rule and
//!   problem records): what a number means. Plain Rust data; no polars.
//! - `kernels` (validity bitmaps, views, key coding, the participant coalesce, item checks,
//!   block sums, the long-to-wide scatter, typed reading and writing): how polars stores a
//!   table. **The only modules that may use polars-arrow**, so a polars upgrade touches them
//!   (and at most the DataFrame calls of the operations).
//! - `ops` ([`clean`], [`score()`], [`long_to_wide`], [`prepare`]): the rules applied through the
//!   kernels, DataFrame in and out, through polars' DataFrame API only.
//! - [`jobs`]: files and folders, through the operations.
//!
//! A test (`tests/it/layout.rs`) keeps polars-arrow out of everything but `kernels` and polars
//! out of `rules`.

mod error;
pub mod jobs;
mod kernels;
mod ops;
mod rules;

/// The polars version the API uses, so notebooks need not pin their own.
pub use polars;

pub use error::{Error, Result};
pub use kernels::items::ItemColumn;
pub use kernels::participant::participant_ids;
pub use kernels::table::{
    OutputFormat, read_csv_bytes, read_scale_csv_bytes, read_scale_table, read_table, table_bytes,
    write_table,
};
pub use mtdata_core::decoded::PARTICIPANT_COLUMNS;
pub use ops::answers::imputation_base;
pub use ops::clean::{CleanOptions, CleanReport, Cleaned, KEY_COUNT_COLUMNS, clean};
pub use ops::score::{ItemValues, ScoreOptions, Scored, item_values, score};
pub use ops::wide::{SCHEDULE_ORDER, Wide, WideColumn, WideOptions, long_to_wide};
pub use ops::{PrepareOptions, Prepared, prepare};
pub use rules::codebook::{
    Codebook, Comparison, ItemDef, RECODED_COLUMN, Rule, ScaleDef, ScoreDef, Study, Threshold,
    ValidValues, Variant,
};
pub use rules::codebook_file::{load_codebook, parse_codebook_yaml, parse_scoresheet_csv};
pub use rules::duplicates::{DropReason, DroppedRow, DuplicatePolicy};
pub use rules::records::{ImputationBase, ProblemKind, RuleRecord, ValueProblem};
