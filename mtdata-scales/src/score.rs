//! Scoring: PNA codes to missing, recodes, validation, then the rules of one variant.

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::Bitmap;
use rayon::prelude::*;

use crate::codebook::{ItemDef, Rule, ScaleDef, ScoreDef, ValidValues};
use crate::error::{Error, Result};
use crate::frame::{
    find_column, float_column, number_column, numeric_cells, parse_number, text_values,
};

/// Options of [`score`]; `Default` scores with the scale's default variant.
#[derive(Debug, Clone, Default)]
pub struct ScoreOptions {
    /// Scoring variant name (see [`ScaleDef::variant_names`]); `None` = the default.
    pub variant: Option<String>,
}

/// Why a cell was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not a number.
    NotANumber,
    /// A number outside the item's valid values (after recoding).
    OutOfRange,
    /// A number the scale's recode table has no entry for.
    NoRecode,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::NotANumber => "not a number",
            ProblemKind::OutOfRange => "out of range",
            ProblemKind::NoRecode => "no recode for value",
        }
    }
}

/// A cell that was set to missing because it was not a valid answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueProblem {
    /// 0-based data row (the CSV line is `row + 2`).
    pub row: usize,
    /// The row's `id` column, when present.
    pub id: Option<String>,
    pub column: String,
    pub value: String,
    pub kind: ProblemKind,
}

/// Which rule produced a score column.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRecord {
    pub scale: String,
    pub variant: String,
    pub score: String,
    /// [`Rule::kind`].
    pub rule: String,
    /// Full description: items, PNA codes, minimum answered, threshold.
    pub description: String,
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
    /// (column name in the table, item name in the codebook, values)
    pub columns: Vec<(String, String, Vec<Option<f64>>)>,
    pub problems: Vec<ValueProblem>,
}

impl ItemValues {
    /// Values of codebook item `name`.
    pub fn get(&self, name: &str) -> Option<&[Option<f64>]> {
        self.columns
            .iter()
            .find(|(_, item, _)| item.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v.as_slice())
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
    let cleaned: Vec<CleanedItem> = present
        .par_iter()
        .map(|(item, col)| clean_item(df, col, item, scale))
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
    for ((item, col), (values, bad)) in present.into_iter().zip(cleaned) {
        problems.extend(bad.into_iter().map(|(row, value, kind)| ValueProblem {
            row,
            id: ids.as_ref().and_then(|v| v[row].clone()),
            column: col.clone(),
            value,
            kind,
        }));
        columns.push((col, item.name.clone(), values));
    }
    Ok(ItemValues { columns, problems })
}

/// One item column: PNA → missing, recode, validity check; invalid cells as (row, text, why).
type CleanedItem = (Vec<Option<f64>>, Vec<(usize, String, ProblemKind)>);

fn clean_item(df: &DataFrame, col: &str, item: &ItemDef, scale: &ScaleDef) -> Result<CleanedItem> {
    let table = scale.name.as_str();
    let mut problems = Vec::new();
    let bounds = match &item.valid {
        ValidValues::Range { min, max } if scale.recode.is_empty() => Some((*min, *max)),
        _ => None,
    };
    let mut check = |row: usize, v: f64| -> Option<f64> {
        if scale.pna.contains(&v) {
            return None;
        }
        // The common case (a range, no recode) without the general path below.
        if let Some((min, max)) = bounds {
            if v >= min && v <= max {
                return Some(v);
            }
            problems.push((row, fmt_number(v), ProblemKind::OutOfRange));
            return None;
        }
        let recoded = if scale.recode.is_empty() {
            Some(v)
        } else {
            scale
                .recode
                .iter()
                .find(|(from, _)| *from == v)
                .map(|(_, to)| *to)
        };
        match recoded {
            None => {
                problems.push((row, fmt_number(v), ProblemKind::NoRecode));
                None
            }
            Some(r) if !item.valid.contains(r) => {
                problems.push((row, fmt_number(v), ProblemKind::OutOfRange));
                None
            }
            Some(r) => Some(r),
        }
    };
    let column = df.column(col).map_err(|e| Error::polars(table, e))?;
    let values = match column.dtype() {
        DataType::String => {
            let text = column.str().map_err(|e| Error::polars(table, e))?;
            let mut bad = Vec::new();
            let values = text
                .iter()
                .enumerate()
                .map(|(row, cell)| match cell.map(parse_number) {
                    None | Some(Ok(None)) => None,
                    Some(Ok(Some(v))) => check(row, v),
                    Some(Err(())) => {
                        bad.push((row, cell.unwrap_or_default().to_owned()));
                        None
                    }
                })
                .collect();
            problems.extend(
                bad.into_iter()
                    .map(|(row, text)| (row, text, ProblemKind::NotANumber)),
            );
            values
        }
        // Straight over the arrays (not the cell iterator): this loop is most of scoring.
        DataType::Int64 => {
            let cells = column.i64().map_err(|e| Error::polars(table, e))?;
            let mut values = Vec::with_capacity(cells.len());
            for array in cells.downcast_iter() {
                clean_array(array, |v| v as f64, &mut values, &mut check);
            }
            values
        }
        _ => {
            let cells = numeric_cells(column, table)?;
            let mut values = Vec::with_capacity(cells.len());
            for array in cells.downcast_iter() {
                clean_array(array, |v| v, &mut values, &mut check);
            }
            values
        }
    };
    problems.sort_by_key(|p| p.0);
    Ok((values, problems))
}

fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// Score `df` (one decoded table) with `scale` and the chosen variant.
///
/// "Prefer not to answer" codes become missing before any arithmetic; values outside the
/// item's valid values are reported in [`Scored::problems`] and treated as missing.
pub fn score(df: &DataFrame, scale: &ScaleDef, options: &ScoreOptions) -> Result<Scored> {
    let variant = scale.variant(options.variant.as_deref())?;
    let items = item_values(df, scale)?;
    let mut data = df.clone();
    for (col, _, values) in &items.columns {
        let column = match integers_with_gaps(df, col, values, scale) {
            Some(column) => column,
            None => number_column(col, values),
        };
        data.with_column(column)
            .map_err(|e| Error::polars(&scale.name, e))?;
    }
    let mut rules = Vec::new();
    if let Some(variant) = variant {
        let mut computed: Vec<(String, Vec<Option<f64>>)> = Vec::new();
        for def in &variant.scores {
            let values = compute(def, scale, &items, &computed, df.height())?;
            data.with_column(float_column(&def.name, &values))
                .map_err(|e| Error::polars(&scale.name, e))?;
            if let Some(t) = &def.threshold {
                let flags: Vec<Option<bool>> = values
                    .iter()
                    .map(|v| v.map(|x| t.op.holds(x, t.value)))
                    .collect();
                data.with_column(Column::new(t.column.as_str().into(), flags))
                    .map_err(|e| Error::polars(&scale.name, e))?;
            }
            rules.push(RuleRecord {
                scale: scale.name.clone(),
                variant: variant.name.clone(),
                score: def.name.clone(),
                rule: def.rule.kind().to_owned(),
                description: def.describe(scale),
            });
            computed.push((def.name.clone(), values));
        }
        let label = format!("{}:{}", scale.name, variant.name);
        data.with_column(Column::new_scalar(
            "scoring".into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(label.into())),
            df.height(),
        ))
        .map_err(|e| Error::polars(&scale.name, e))?;
    }
    Ok(Scored {
        data,
        rules,
        problems: items.problems,
    })
}

/// Append one array's cells, converted by `to_f64` and passed through `check` (row, value);
/// null and NaN cells are missing.
fn clean_array<T: polars_arrow::types::NativeType>(
    array: &PrimitiveArray<T>,
    to_f64: impl Fn(T) -> f64,
    values: &mut Vec<Option<f64>>,
    check: &mut impl FnMut(usize, f64) -> Option<f64>,
) {
    let offset = values.len();
    let raw = array.values().as_slice();
    let mut cell = |i: usize, v: T| {
        let x = to_f64(v);
        if x.is_nan() {
            None
        } else {
            check(offset + i, x)
        }
    };
    match array.validity() {
        None => values.extend(raw.iter().enumerate().map(|(i, &v)| cell(i, v))),
        Some(valid) => values.extend(
            raw.iter()
                .zip(valid.iter())
                .enumerate()
                .map(|(i, (&v, ok))| if ok { cell(i, v) } else { None }),
        ),
    }
}

/// The cleaned column of an integer item without copying its values: when nothing was
/// recoded, cleaning only blanks cells, so the input's values are kept under a new validity.
fn integers_with_gaps(
    df: &DataFrame,
    col: &str,
    values: &[Option<f64>],
    scale: &ScaleDef,
) -> Option<Column> {
    if !scale.recode.is_empty() {
        return None;
    }
    let input = df.column(col).ok()?.i64().ok()?;
    let kept: Bitmap = values.iter().map(Option::is_some).collect();
    let mut offset = 0;
    let chunks: Vec<PrimitiveArray<i64>> = input
        .downcast_iter()
        .map(|array| {
            let validity = kept.clone().sliced(offset, array.len());
            offset += array.len();
            array.clone().with_validity(Some(validity))
        })
        .collect();
    Some(Int64Chunked::from_chunk_iter(col.into(), chunks).into_column())
}

fn compute(
    def: &ScoreDef,
    scale: &ScaleDef,
    items: &ItemValues,
    computed: &[(String, Vec<Option<f64>>)],
    height: usize,
) -> Result<Vec<Option<f64>>> {
    let lookup = |names: &[String]| -> Result<Vec<&[Option<f64>]>> {
        names
            .iter()
            .map(|n| {
                items.get(n).ok_or_else(|| Error::MissingColumn {
                    table: scale.name.clone(),
                    column: n.clone(),
                    hint: format!(
                        "score {} needs it; check the table or the codebook",
                        def.name
                    ),
                })
            })
            .collect()
    };
    if def.rule == Rule::MeanOfScores {
        let parts: Vec<&[Option<f64>]> = def
            .items
            .iter()
            .filter_map(|n| {
                computed
                    .iter()
                    .find(|(c, _)| c == n)
                    .map(|(_, v)| v.as_slice())
            })
            .collect();
        return Ok((0..height)
            .map(|row| mean_of(parts.iter().map(|p| p[row]), def.min_answered).map(|(m, _)| m))
            .collect());
    }
    let cols = lookup(&def.items)?;
    let n_items = cols.len() as f64;
    let min = def.min_answered;
    let out = match &def.rule {
        Rule::Sum | Rule::SumMissingAsZero => {
            let (sums, counts) = sums_and_counts(&cols, height);
            finish(&sums, &counts, min, |sum, _| sum)
        }
        Rule::Mean => {
            let (sums, counts) = sums_and_counts(&cols, height);
            finish(&sums, &counts, min, |sum, n| sum / n)
        }
        Rule::ScaledMean { factor } => {
            let (sums, counts) = sums_and_counts(&cols, height);
            finish(&sums, &counts, min, |sum, n| sum / n * factor)
        }
        Rule::ProratedSum => {
            let (sums, counts) = sums_and_counts(&cols, height);
            finish(&sums, &counts, min, |sum, n| sum / n * n_items)
        }
        Rule::MedianImputedSum { factor } => {
            let medians: Vec<Option<f64>> = cols.iter().map(|c| median(c)).collect();
            (0..height)
                .map(|row| {
                    let answered = cols.iter().filter(|c| c[row].is_some()).count();
                    if answered < min {
                        return None;
                    }
                    let mut sum = 0.0;
                    for (c, m) in cols.iter().zip(&medians) {
                        sum += c[row].or(*m)?;
                    }
                    Some(sum * factor)
                })
                .collect()
        }
        Rule::Ratio { denominator } => {
            let den = lookup(denominator)?;
            (0..height)
                .map(|row| {
                    let (num, _) = mean_of(cols.iter().map(|c| c[row]), min)?;
                    let (d, _) = mean_of(den.iter().map(|c| c[row]), min)?;
                    // A zero denominator has no ratio: missing, never infinite.
                    (d != 0.0).then(|| num / d)
                })
                .collect()
        }
        Rule::MeanDifference { minus } => {
            let other = lookup(minus)?;
            (0..height)
                .map(|row| {
                    let (a, _) = mean_of(cols.iter().map(|c| c[row]), min)?;
                    let (b, _) = mean_of(other.iter().map(|c| c[row]), min)?;
                    Some(a - b)
                })
                .collect()
        }
        Rule::MeanOfScores => unreachable!("handled above"),
    };
    Ok(out)
}

/// Per row, the sum and the number of present values of `cols`, one column at a time (a
/// straight pass over each column instead of a row-by-row walk across them).
fn sums_and_counts(cols: &[&[Option<f64>]], height: usize) -> (Vec<f64>, Vec<u32>) {
    let mut sums = vec![0.0; height];
    let mut counts = vec![0u32; height];
    for col in cols {
        for ((sum, count), v) in sums.iter_mut().zip(counts.iter_mut()).zip(col.iter()) {
            if let Some(x) = v {
                *sum += x;
                *count += 1;
            }
        }
    }
    (sums, counts)
}

/// Rows with at least `min` (and at least one) answered items get `score(sum, answered)`.
fn finish(
    sums: &[f64],
    counts: &[u32],
    min: usize,
    score: impl Fn(f64, f64) -> f64,
) -> Vec<Option<f64>> {
    let min = min.max(1) as u32;
    sums.iter()
        .zip(counts)
        .map(|(&sum, &n)| (n >= min).then(|| score(sum, f64::from(n))))
        .collect()
}

/// Mean of the present values and how many there were; `None` if fewer than `min`.
fn mean_of(values: impl Iterator<Item = Option<f64>>, min: usize) -> Option<(f64, usize)> {
    let mut sum = 0.0;
    let mut n = 0usize;
    for v in values.flatten() {
        sum += v;
        n += 1;
    }
    (n >= min.max(1)).then(|| (sum / n as f64, n))
}

/// Median of the present values (R's `median(na.rm = TRUE)`: mean of the two middle values).
fn median(values: &[Option<f64>]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_needs_min_answered() {
        assert_eq!(
            mean_of([Some(1.0), None, Some(3.0)].into_iter(), 2),
            Some((2.0, 2))
        );
        assert_eq!(mean_of([Some(1.0), None].into_iter(), 2), None);
        assert_eq!(mean_of([None, None].into_iter(), 0), None);
    }

    #[test]
    fn median_of_even_count_is_the_middle_mean() {
        assert_eq!(
            median(&[Some(1.0), Some(4.0), None, Some(2.0), Some(3.0)]),
            Some(2.5)
        );
        assert_eq!(median(&[None]), None);
    }
}
