//! How a table holds its answers, so a recode happens exactly once whatever the verb or the
//! duplicate policy: tables of a scale with a recode (R34 Credibility) leave cleaning recoded and
//! marked with a `recoded` column, which scoring reads; boolean items; and the base of median
//! imputation, taken from the table as read.

use std::borrow::Cow;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::columns::{find_column, idx, parse_number, text_column};
use crate::kernels::items::fmt_number;
use crate::kernels::scoring::median;
use crate::ops::clean::imputation_rows;
use crate::ops::score::item_values;
use crate::rules::codebook::{RECODED_COLUMN, Rule, ScaleDef, ValidValues};
use crate::rules::records::{ImputationBase, ProblemKind, ValueProblem};

/// The scale as `df`'s answers are to be read: without its recode when the table says (in its
/// `recoded` column) that the recode was applied already.
pub(crate) fn answers_scale<'a>(df: &DataFrame, scale: &'a ScaleDef) -> Result<Cow<'a, ScaleDef>> {
    let Some(label) = scale.recode_label() else {
        return Ok(Cow::Borrowed(scale));
    };
    let Some(column) = find_column(df, RECODED_COLUMN) else {
        return Ok(Cow::Borrowed(scale));
    };
    let marks = text_column(df, &column, &scale.name)?;
    if let Some(other) = marks.iter().flatten().find(|mark| *mark != label) {
        return Err(Error::RecodeMismatch {
            table: scale.name.clone(),
            found: other.to_owned(),
            expected: label,
        });
    }
    match marks.null_count() {
        0 => {}
        n if n == marks.len() => return Ok(Cow::Borrowed(scale)),
        _ => {
            return Err(Error::RecodeMismatch {
                table: scale.name.clone(),
                found: "an empty cell in some rows".into(),
                expected: label,
            });
        }
    }
    let mut plain = scale.clone();
    plain.recode.clear();
    Ok(Cow::Owned(plain))
}

/// `df` with the recode of `scale` applied to its answers, marked in a `recoded` column; the
/// stored numbers the recode has no entry for become missing and are returned as problems. PNA
/// codes and cells that are not numbers stay as they are (scoring leaves them out and reports
/// the latter). A table already marked, or a scale without a recode, is returned unchanged.
pub(crate) fn recode_answers(
    df: &DataFrame,
    scale: &ScaleDef,
) -> Result<(DataFrame, Vec<ValueProblem>)> {
    let (Some(label), false) = (scale.recode_label(), is_recoded(df, scale)?) else {
        return Ok((df.clone(), Vec::new()));
    };
    let table = scale.name.as_str();
    let polars = |e| Error::polars(table, e);
    let ids = find_column(df, "id")
        .map(|c| text_column(df, &c, table))
        .transpose()?;
    let mut data = df.clone();
    let mut problems = Vec::new();
    for item in scale.items.iter().filter(|i| i.valid.is_numeric()) {
        let Some(name) = find_column(df, &item.name) else {
            continue;
        };
        let column = df.column(&name).map_err(polars)?;
        let text = column.cast(&DataType::String).map_err(polars)?;
        let mut numbers_only = true;
        let mut cells: Vec<Option<String>> = Vec::with_capacity(df.height());
        for (row, cell) in text.str().map_err(polars)?.iter().enumerate() {
            let recoded = match cell.map(parse_number) {
                Some(Ok(Some(v))) if !scale.pna.contains(&v) => match scale.recode_value(v) {
                    Some(meaning) => Some(fmt_number(meaning)),
                    None => {
                        problems.push(ValueProblem {
                            row,
                            id: ids.as_ref().and_then(|i| i.get(row).map(str::to_owned)),
                            column: name.clone(),
                            value: fmt_number(v),
                            kind: ProblemKind::NoRecode,
                        });
                        None
                    }
                },
                Some(Err(())) => {
                    numbers_only = false;
                    cell.map(str::to_owned)
                }
                _ => cell.map(str::to_owned),
            };
            cells.push(recoded);
        }
        let recoded = Column::new(name.as_str().into(), cells);
        let recoded = if numbers_only && column.dtype().is_primitive_numeric() {
            recoded.cast(column.dtype()).map_err(polars)?
        } else {
            recoded
        };
        data.with_column(recoded).map_err(polars)?;
    }
    data.with_column(recoded_mark(&label, df.height()))
        .map_err(polars)?;
    problems.sort_by_key(|p| p.row);
    Ok((data, problems))
}

/// Whether `df` says its answers are recoded already.
fn is_recoded(df: &DataFrame, scale: &ScaleDef) -> Result<bool> {
    Ok(matches!(answers_scale(df, scale)?, Cow::Owned(_)))
}

/// The `recoded` column: the recode applied, on every row.
pub(crate) fn recoded_mark(label: &str, height: usize) -> Column {
    Column::new_scalar(
        RECODED_COLUMN.into(),
        Scalar::new(DataType::String, AnyValue::StringOwned(label.into())),
        height,
    )
}

/// The boolean items of `scale` that `df` has, checked: `true`/`false` (any case, or `1`/`0`)
/// kept as booleans, PNA codes and empty cells missing, anything else missing and reported.
pub(crate) fn boolean_items(
    df: &DataFrame,
    scale: &ScaleDef,
) -> Result<(Vec<Column>, Vec<ValueProblem>)> {
    let table = scale.name.as_str();
    let polars = |e| Error::polars(table, e);
    let mut columns = Vec::new();
    let mut bad: Vec<(usize, String, String)> = Vec::new();
    for item in &scale.items {
        if item.valid != ValidValues::Boolean {
            continue;
        }
        let Some(name) = find_column(df, &item.name) else {
            continue;
        };
        let column = df.column(&name).map_err(polars)?;
        if column.dtype() == &DataType::Boolean {
            columns.push(column.clone());
            continue;
        }
        let text = column.cast(&DataType::String).map_err(polars)?;
        let mut flags: Vec<Option<bool>> = Vec::with_capacity(df.height());
        for (row, cell) in text.str().map_err(polars)?.iter().enumerate() {
            let flag = cell.and_then(|c| {
                let flag = ValidValues::parse_boolean(c);
                let pna = matches!(parse_number(c), Ok(Some(v)) if scale.pna.contains(&v));
                if flag.is_none() && !pna && !c.trim().is_empty() {
                    bad.push((row, name.clone(), c.to_owned()));
                }
                flag
            });
            flags.push(flag);
        }
        columns.push(Column::new(name.as_str().into(), flags));
    }
    let ids = match bad.is_empty() {
        true => None,
        false => find_column(df, "id")
            .map(|c| text_column(df, &c, table))
            .transpose()?,
    };
    let problems = bad
        .into_iter()
        .map(|(row, column, value)| ValueProblem {
            row,
            id: ids.as_ref().and_then(|i| i.get(row).map(str::to_owned)),
            column,
            value,
            kind: ProblemKind::NotABoolean,
        })
        .collect();
    Ok((columns, problems))
}

/// Whether scoring `scale` with `variant` (`None`: the default) imputes medians.
pub(crate) fn needs_imputation_base(scale: &ScaleDef, variant: Option<&str>) -> Result<bool> {
    Ok(scale.variant(variant)?.is_some_and(|v| {
        v.scores
            .iter()
            .any(|s| matches!(s.rule, Rule::MedianImputedSum { .. }))
    }))
}

/// The base of median imputation of `df` (see [`ImputationBase`]): its rows cleaned as the R34
/// cleaning script had them, and each numeric item's median over them. `participant` names the
/// participant column (`None`: the decoded-table rule).
pub fn imputation_base(
    df: &DataFrame,
    scale: &ScaleDef,
    participant: Option<&str>,
) -> Result<ImputationBase> {
    let rows = imputation_rows(df, participant, &scale.name)?;
    let base = df
        .take(&idx(&rows))
        .map_err(|e| Error::polars(&scale.name, e))?;
    let answers = answers_scale(df, scale)?;
    let items = item_values(&base, &answers)?;
    let medians = scale
        .items
        .iter()
        .filter(|i| i.valid.is_numeric())
        .map(|i| (i.name.clone(), items.get(&i.name).and_then(median)))
        .collect();
    Ok(ImputationBase {
        rows: rows.len(),
        medians,
    })
}
