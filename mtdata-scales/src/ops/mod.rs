//! The operations, DataFrame in, DataFrame out: [`clean`], [`score()`], [`long_to_wide`], and
//! [`prepare`] for all three. They apply the rules of [`crate::rules`] through the kernels of
//! [`crate::kernels`] and use polars only through its DataFrame API (never polars-arrow).

pub(crate) mod answers;
pub(crate) mod clean;
pub(crate) mod score;
pub(crate) mod wide;

use polars::prelude::DataFrame;

use crate::error::Result;
use crate::rules::codebook::ScaleDef;
use clean::{CleanOptions, Cleaned, clean};
use score::{ScoreOptions, Scored, score};
use wide::{Wide, WideOptions, long_to_wide};

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
/// The base of median imputation is taken from `df` as read, so the medians are those of
/// [`score()`] on `df`, whatever the duplicate policy.
pub fn prepare(df: &DataFrame, scale: &ScaleDef, options: &PrepareOptions) -> Result<Prepared> {
    let mut wide_options = options.wide.clone();
    if wide_options.participant_column.is_none() {
        wide_options.participant_column = options.clean.participant_column.clone();
    }
    let mut score_options = options.score.clone();
    if score_options.participant_column.is_none() {
        score_options.participant_column = options.clean.participant_column.clone();
    }
    if score_options.imputation_base.is_none()
        && answers::needs_imputation_base(scale, score_options.variant.as_deref())?
    {
        let participant = score_options.participant_column.as_deref();
        score_options.imputation_base = Some(answers::imputation_base(df, scale, participant)?);
    }
    let cleaned = clean(df, Some(scale), &options.clean)?;
    // The per-key counts stay in the cleaned table; the scored and wide tables leave them out.
    let to_score = cleaned.data.drop_many(clean::KEY_COUNT_COLUMNS);
    let scored = score(&to_score, scale, &score_options)?;
    let wide = long_to_wide(&scored.data, &scale.name, &wide_options)?;
    Ok(Prepared {
        cleaned,
        scored,
        wide,
    })
}
