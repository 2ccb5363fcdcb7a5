//! Scoring: PNA codes to missing, recodes, validation, then the rules of one variant.

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::columns::{find_column, text_values};
use crate::kernels::items::{ItemColumn, item_column};
use crate::kernels::scoring::score_column;
use crate::ops::answers::{
    answers_scale, boolean_items, imputation_base, needs_imputation_base, recoded_mark,
};
use crate::rules::codebook::{ItemDef, Rule, ScaleDef};
use crate::rules::records::{ImputationBase, RuleRecord, ValueProblem};

/// Options of [`score`]; `Default` scores with the scale's default variant.
#[derive(Debug, Clone, Default)]
pub struct ScoreOptions {
    /// Scoring variant name (see [`ScaleDef::variant_names`]); `None` = the default.
    pub variant: Option<String>,
    /// The participant column of the imputation base; `None` reads each row's participant by
    /// the decoded-table rule.
    pub participant_column: Option<String>,
    /// The base of median imputation; `None` takes it from the table scored
    /// ([`crate::imputation_base`]). [`crate::prepare`] sets it from the table as read, so the
    /// medians do not depend on the duplicate policy.
    pub imputation_base: Option<ImputationBase>,
}

/// Result of [`score`].
#[derive(Debug, Clone)]
pub struct Scored {
    /// The input with item columns cleaned (PNA and invalid values missing, recodes applied),
    /// one column per score and threshold, and a `scoring` column `<scale>:<variant>`.
    pub data: DataFrame,
    /// One record per score column.
    pub rules: Vec<RuleRecord>,
    /// Cells set to missing.
    pub problems: Vec<ValueProblem>,
}

/// Cleaned numeric item values of a table: PNA → missing, recode, validity check.
#[derive(Debug, Clone)]
pub struct ItemValues {
    /// One column per numeric item the table has, in codebook order.
    pub columns: Vec<ItemColumn>,
    pub problems: Vec<ValueProblem>,
}

impl ItemValues {
    /// Values of codebook item `name`.
    pub fn get(&self, name: &str) -> Option<&ItemColumn> {
        self.columns
            .iter()
            .find(|c| c.item.eq_ignore_ascii_case(name))
    }
}

/// Clean every numeric item of `scale` present in `df`. Items the scale defines but the table
/// lacks are skipped (scoring then reports them as missing columns).
pub fn item_values(df: &DataFrame, scale: &ScaleDef) -> Result<ItemValues> {
    let table = scale.name.as_str();
    let present: Vec<(&ItemDef, String)> = scale
        .items
        .iter()
        .filter(|i| i.valid.is_numeric())
        .filter_map(|item| match find_column(df, &item.name) {
            Some(col) => Some((item, col)),
            None => {
                tracing::debug!(scale = table, item = %item.name, "item column absent");
                None
            }
        })
        .collect();
    // Columns are independent: clean them on all cores.
    let cleaned: Vec<_> = present
        .par_iter()
        .map(|(item, col)| item_column(df, col, item, scale))
        .collect::<Result<_>>()?;
    let ids = if cleaned.iter().any(|(_, p)| !p.is_empty()) {
        // Row ids are looked up only when some cell is invalid.
        find_column(df, "id")
            .map(|c| text_values(df, &c, table))
            .transpose()?
    } else {
        None
    };
    let mut columns = Vec::with_capacity(present.len());
    let mut problems = Vec::new();
    for (column, bad) in cleaned {
        problems.extend(bad.into_iter().map(|(row, value, kind)| ValueProblem {
            row,
            id: ids.as_ref().and_then(|v| v[row].clone()),
            column: column.column.clone(),
            value,
            kind,
        }));
        columns.push(column);
    }
    Ok(ItemValues { columns, problems })
}

/// Score `df` (one decoded table) with `scale` and the chosen variant.
///
/// "Prefer not to answer" codes become missing before any arithmetic; values outside the
/// item's valid values are reported in [`Scored::problems`] and treated as missing. The scale's
/// recode is applied unless the table's `recoded` column says it was already (a cleaned or
/// scored table), and the scored table is marked so.
pub fn score(df: &DataFrame, scale: &ScaleDef, options: &ScoreOptions) -> Result<Scored> {
    let variant = scale.variant(options.variant.as_deref())?;
    let answers = answers_scale(df, scale)?;
    let mut items = item_values(df, &answers)?;
    let polars = |e| Error::polars(&scale.name, e);
    let mut data = df.clone();
    for item in &items.columns {
        data.with_column(item.to_column()).map_err(polars)?;
    }
    let (flags, flag_problems) = boolean_items(df, scale)?;
    for flag in flags {
        data.with_column(flag).map_err(polars)?;
    }
    items.problems.extend(flag_problems);
    items.problems.sort_by_key(|p| p.row);
    if let Some(label) = scale.recode_label() {
        data.with_column(recoded_mark(&label, df.height()))
            .map_err(polars)?;
    }
    let base =
        match (&options.imputation_base, variant) {
            (Some(base), _) => Some(base.clone()),
            (None, Some(v)) if needs_imputation_base(scale, Some(&v.name))? => Some(
                imputation_base(df, scale, options.participant_column.as_deref())?,
            ),
            _ => None,
        };
    let mut rules = Vec::new();
    if let Some(variant) = variant {
        let mut computed: Vec<Float64Chunked> = Vec::new();
        for def in &variant.scores {
            let imputed = matches!(def.rule, Rule::MedianImputedSum { .. });
            let base = base.as_ref().filter(|_| imputed);
            let values = score_column(def, scale, &items.columns, &computed, base, df.height())?;
            data.with_column(values.clone().into_column())
                .map_err(polars)?;
            if let Some(t) = &def.threshold {
                let flags: BooleanChunked = values
                    .iter()
                    .map(|v| v.map(|x| t.op.holds(x, t.value)))
                    .collect();
                data.with_column(flags.with_name(t.column.as_str().into()).into_column())
                    .map_err(polars)?;
            }
            rules.push(RuleRecord {
                scale: scale.name.clone(),
                variant: variant.name.clone(),
                score: def.name.clone(),
                rule: def.rule.kind().to_owned(),
                description: def.describe(scale),
                imputation: base.map(|b| b.for_items(&def.items)),
            });
            computed.push(values);
        }
        let label = format!("{}:{}", scale.name, variant.name);
        data.with_column(Column::new_scalar(
            "scoring".into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(label.into())),
            df.height(),
        ))
        .map_err(polars)?;
    }
    Ok(Scored {
        data,
        rules,
        problems: items.problems,
    })
}
