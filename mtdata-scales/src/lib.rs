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

mod builtin;
mod clean;
mod codebook;
mod codebook_file;
mod error;
mod frame;
mod score;
mod wide;

/// The polars version the API uses, so notebooks need not pin their own.
pub use polars;

pub use clean::{
    CleanOptions, CleanReport, Cleaned, DropReason, DroppedRow, DuplicatePolicy, clean,
};
pub use codebook::{
    Codebook, Comparison, ItemDef, Rule, ScaleDef, ScoreDef, Study, Threshold, ValidValues, Variant,
};
pub use codebook_file::{load_codebook, parse_codebook_yaml, parse_scoresheet_csv};
pub use error::{Error, Result};
pub use frame::{
    OutputFormat, PARTICIPANT_COLUMNS, participant_column, read_csv_bytes, read_scale_csv_bytes,
    read_scale_table, read_table, table_bytes, write_table,
};
pub use score::{
    ItemValues, ProblemKind, RuleRecord, ScoreOptions, Scored, ValueProblem, item_values, score,
};
pub use wide::{SCHEDULE_ORDER, Wide, WideColumn, WideOptions, long_to_wide};

use polars::prelude::DataFrame;

/// Options of [`prepare`]: cleaning, scoring and reshaping in one go.
#[derive(Debug, Clone, Default)]
pub struct PrepareOptions {
    pub clean: CleanOptions,
    pub score: ScoreOptions,
    pub wide: WideOptions,
}

/// Result of [`prepare`].
#[derive(Debug, Clone)]
pub struct Prepared {
    pub cleaned: Cleaned,
    pub scored: Scored,
    pub wide: Wide,
}

/// MTData's `prepare`: [`clean`], then [`score()`], then [`long_to_wide`] (prefix = scale name).
pub fn prepare(df: &DataFrame, scale: &ScaleDef, options: &PrepareOptions) -> Result<Prepared> {
    let mut wide_options = options.wide.clone();
    if wide_options.participant_column.is_none() {
        wide_options.participant_column = options.clean.participant_column.clone();
    }
    let cleaned = clean(df, Some(scale), &options.clean)?;
    let scored = score(&cleaned.data, scale, &options.score)?;
    let wide = long_to_wide(&scored.data, &scale.name, &wide_options)?;
    Ok(Prepared {
        cleaned,
        scored,
        wide,
    })
}
