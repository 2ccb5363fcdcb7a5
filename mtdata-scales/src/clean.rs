//! Duplicate removal with an explicit policy on (participant, session, tag), and a report of
//! every row dropped.

use std::hash::{DefaultHasher, Hash, Hasher};

use polars::prelude::*;

use crate::codebook::ScaleDef;
use crate::error::{Error, Result};
use crate::frame::{find_column, idx, number_column, participant_column, row_dates, text_values};
use crate::score::item_values;

/// What to keep when several rows share (participant, session, tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// The earliest row by date (file order breaks ties and stands in for missing dates);
    /// the R34 cookbook's "only keep the first completed entry".
    First,
    /// The latest row by date (what the later R34 cleaning kept; MTData's `keep='last'`, but by
    /// date rather than file order).
    #[default]
    Last,
    /// Calm Thinking's rule: if the rows' answers are identical keep the latest; otherwise one
    /// row whose items are the mean of the unique answer rows (PNA as missing), other columns
    /// from the latest row.
    MeanOfUnique,
}

impl DuplicatePolicy {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "first" => Some(DuplicatePolicy::First),
            "last" => Some(DuplicatePolicy::Last),
            "mean-of-unique" | "mean_of_unique" | "mean" => Some(DuplicatePolicy::MeanOfUnique),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DuplicatePolicy::First => "first",
            DuplicatePolicy::Last => "last",
            DuplicatePolicy::MeanOfUnique => "mean-of-unique",
        }
    }
}

/// Options of [`clean`].
#[derive(Debug, Clone, Default)]
pub struct CleanOptions {
    pub policy: DuplicatePolicy,
    /// Participant id column; `None` picks the first of [`crate::PARTICIPANT_COLUMNS`].
    pub participant_column: Option<String>,
}

/// Why a row was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Identical to an earlier row in every column but `id`.
    ExactDuplicate,
    /// Same key, a later (policy `first`) or earlier (policy `last`) row was kept.
    SameKey,
    /// Same key, answers averaged into the kept row (policy `mean-of-unique`).
    MergedIntoMean,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::ExactDuplicate => "exact duplicate",
            DropReason::SameKey => "same key",
            DropReason::MergedIntoMean => "merged into mean",
        }
    }
}

/// One dropped row. Participant ids are deliberately absent (they are decrypted secrets);
/// rows are identified by position and the server's `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedRow {
    /// 0-based data row of the input.
    pub row: usize,
    pub id: Option<String>,
    pub session: Option<String>,
    pub tag: Option<String>,
    pub reason: DropReason,
    /// 0-based input row that was kept for this key.
    pub kept_row: usize,
}

/// What [`clean`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanReport {
    pub rows_in: usize,
    pub rows_out: usize,
    pub exact_duplicates: usize,
    /// Keys with more than one (non-exact-duplicate) row.
    pub duplicate_keys: usize,
    /// Keys whose rows were averaged (policy `mean-of-unique` with differing answers).
    pub merged_keys: usize,
    /// Duplicate keys where some row had no parseable date, so file order decided.
    pub undated_keys: usize,
    /// The key columns used: participant, then `session` and `tag` when present.
    pub key_columns: Vec<String>,
    pub dropped: Vec<DroppedRow>,
}

/// Result of [`clean`].
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// Kept rows in input order.
    pub data: DataFrame,
    pub report: CleanReport,
}

/// Key columns of a table: participant, then `session` and `tag` when present.
pub(crate) fn key_columns(
    df: &DataFrame,
    participant: Option<&str>,
    table: &str,
) -> Result<Vec<String>> {
    let mut keys = vec![participant_column(df, participant, table)?];
    keys.extend(find_column(df, "session"));
    keys.extend(find_column(df, "tag"));
    Ok(keys)
}

/// Row keys as small integers (one code per distinct value per key column), row-major.
pub(crate) struct RowKeys {
    pub width: usize,
    pub codes: Vec<u32>,
    /// Per key column, the text of each code.
    pub uniques: Vec<Vec<Option<String>>>,
}

impl RowKeys {
    pub fn key(&self, row: usize) -> &[u32] {
        &self.codes[row * self.width..(row + 1) * self.width]
    }

    pub fn text(&self, row: usize, column: usize) -> Option<String> {
        self.uniques[column][self.codes[row * self.width + column] as usize].clone()
    }
}

pub(crate) fn row_keys(df: &DataFrame, keys: &[String], table: &str) -> Result<RowKeys> {
    let width = keys.len();
    let mut codes = vec![0u32; df.height() * width];
    let mut uniques = Vec::with_capacity(width);
    for (k, name) in keys.iter().enumerate() {
        let col = df
            .column(name)
            .map_err(|e| Error::polars(table, e))?
            .cast(&DataType::String)
            .map_err(|e| Error::polars(table, e))?;
        let ca = col.str().map_err(|e| Error::polars(table, e))?;
        let mut ids: PlHashMap<Option<&str>, u32> = PlHashMap::default();
        let mut texts = Vec::new();
        for (row, v) in ca.iter().enumerate() {
            let next = ids.len() as u32;
            let id = *ids.entry(v).or_insert_with(|| {
                texts.push(v.map(str::to_owned));
                next
            });
            codes[row * width + k] = id;
        }
        uniques.push(texts);
    }
    Ok(RowKeys {
        width,
        codes,
        uniques,
    })
}

/// Drop exact duplicates, then apply `options.policy` to rows sharing (participant, session, tag).
///
/// `scale` is needed for `mean-of-unique` (to know which columns are answers); the other
/// policies accept `None`.
pub fn clean(df: &DataFrame, scale: Option<&ScaleDef>, options: &CleanOptions) -> Result<Cleaned> {
    let table = scale.map_or("table", |s| s.name.as_str());
    let keys = key_columns(df, options.participant_column.as_deref(), table)?;
    let id_col = find_column(df, "id");
    let ids = id_col
        .as_ref()
        .map(|c| text_values(df, c, table))
        .transpose()?;
    let id_of = |row: usize| ids.as_ref().and_then(|v| v[row].clone());
    let mut report = CleanReport {
        rows_in: df.height(),
        key_columns: keys.clone(),
        ..CleanReport::default()
    };

    // 1. Exact duplicates: every column except `id`.
    let others: Vec<String> = df
        .get_column_names()
        .into_iter()
        .map(|c| c.to_string())
        .filter(|c| Some(c) != id_col.as_ref())
        .collect();
    let text_columns: Vec<Column> = others
        .iter()
        .map(|c| {
            df.column(c)
                .and_then(|col| col.cast(&DataType::String))
                .map_err(|e| Error::polars(table, e))
        })
        .collect::<Result<_>>()?;
    let values: Vec<&StringChunked> = text_columns
        .iter()
        .map(|c| c.str().map_err(|e| Error::polars(table, e)))
        .collect::<Result<_>>()?;
    let mut hashes = vec![DefaultHasher::new(); df.height()];
    for ca in &values {
        for (h, v) in hashes.iter_mut().zip(ca.iter()) {
            v.hash(h);
        }
    }
    let mut seen: PlHashMap<u64, Vec<usize>> = PlHashMap::default();
    let mut alive = vec![true; df.height()];
    let row_keys = row_keys(df, &keys, table)?;
    let key_text = |row: usize, i: usize| row_keys.text(row, i);
    let session_idx = keys.iter().position(|k| k.eq_ignore_ascii_case("session"));
    let tag_idx = keys.iter().position(|k| k.eq_ignore_ascii_case("tag"));
    let dropped_row = |row: usize, kept: usize, reason| DroppedRow {
        row,
        id: id_of(row),
        session: session_idx.and_then(|i| key_text(row, i)),
        tag: tag_idx.and_then(|i| key_text(row, i)),
        reason,
        kept_row: kept,
    };
    for (row, h) in hashes.iter().enumerate() {
        let bucket = seen.entry(h.finish()).or_default();
        if let Some(&first) = bucket
            .iter()
            .find(|&&other| values.iter().all(|ca| ca.get(other) == ca.get(row)))
        {
            alive[row] = false;
            report.exact_duplicates += 1;
            report
                .dropped
                .push(dropped_row(row, first, DropReason::ExactDuplicate));
        } else {
            bucket.push(row);
        }
    }
    drop(hashes);

    // 2. Same key.
    let mut groups: PlHashMap<&[u32], Vec<usize>> = PlHashMap::default();
    let mut order: Vec<&[u32]> = Vec::new();
    for row in (0..df.height()).filter(|&r| alive[r]) {
        let key = row_keys.key(row);
        groups
            .entry(key)
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(row);
    }
    let dates = row_dates(df, table)?;
    let items = match (options.policy, scale) {
        (DuplicatePolicy::MeanOfUnique, Some(scale)) => Some(item_values(df, scale)?),
        (DuplicatePolicy::MeanOfUnique, None) => {
            return Err(Error::codebook(
                "clean",
                "the mean-of-unique policy needs the scale's codebook entry to know which columns are answers",
            ));
        }
        _ => None,
    };
    let mut kept: Vec<usize> = Vec::with_capacity(order.len());
    // kept row → averaged item values
    let mut merged: PlHashMap<usize, Vec<Option<f64>>> = PlHashMap::default();
    for key in &order {
        let rows = &groups[key];
        if rows.len() == 1 {
            kept.push(rows[0]);
            continue;
        }
        report.duplicate_keys += 1;
        let mut by_date = rows.clone();
        match &dates {
            Some(d) if rows.iter().all(|&r| d[r].is_some()) => {
                by_date.sort_by_key(|&r| (d[r], r));
            }
            _ => report.undated_keys += 1,
        }
        let keep = match options.policy {
            DuplicatePolicy::First => by_date[0],
            DuplicatePolicy::Last | DuplicatePolicy::MeanOfUnique => by_date[by_date.len() - 1],
        };
        let mut reason = DropReason::SameKey;
        if let Some(items) = &items {
            let mut unique: Vec<Vec<Option<f64>>> = Vec::new();
            for &r in rows {
                let answers: Vec<Option<f64>> =
                    items.columns.iter().map(|(_, _, v)| v[r]).collect();
                if !unique.contains(&answers) {
                    unique.push(answers);
                }
            }
            if unique.len() > 1 {
                report.merged_keys += 1;
                reason = DropReason::MergedIntoMean;
                let means = (0..items.columns.len())
                    .map(|c| {
                        let present: Vec<f64> = unique.iter().filter_map(|u| u[c]).collect();
                        (!present.is_empty())
                            .then(|| present.iter().sum::<f64>() / present.len() as f64)
                    })
                    .collect();
                merged.insert(keep, means);
            }
        }
        for &r in rows.iter().filter(|&&r| r != keep) {
            report.dropped.push(dropped_row(r, keep, reason));
        }
        kept.push(keep);
    }
    kept.sort_unstable();
    let mut data = df.take(&idx(&kept)).map_err(|e| Error::polars(table, e))?;
    if let Some(items) = &items {
        // Answer columns become numbers (PNA and invalid values missing) so means fit in.
        for (c, (col, _, values)) in items.columns.iter().enumerate() {
            let column: Vec<Option<f64>> = kept
                .iter()
                .map(|r| merged.get(r).map_or(values[*r], |m| m[c]))
                .collect();
            data.with_column(number_column(col, column))
                .map_err(|e| Error::polars(table, e))?;
        }
    }
    report.rows_out = data.height();
    report.dropped.sort_by_key(|d| d.row);
    Ok(Cleaned { data, report })
}

impl CleanReport {
    /// The dropped rows as a table (row, id, session, tag, reason, kept_row) for a report file.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let col = |name: &str, v: Vec<Option<String>>| Column::new(name.into(), v);
        let rows: Vec<u64> = self.dropped.iter().map(|d| d.row as u64).collect();
        let kept: Vec<u64> = self.dropped.iter().map(|d| d.kept_row as u64).collect();
        DataFrame::new_infer_height(vec![
            Column::new("row".into(), rows),
            col("id", self.dropped.iter().map(|d| d.id.clone()).collect()),
            col(
                "session",
                self.dropped.iter().map(|d| d.session.clone()).collect(),
            ),
            col("tag", self.dropped.iter().map(|d| d.tag.clone()).collect()),
            col(
                "reason",
                self.dropped
                    .iter()
                    .map(|d| Some(d.reason.as_str().to_owned()))
                    .collect(),
            ),
            Column::new("kept_row".into(), kept),
        ])
        .map_err(|e| Error::polars("clean report", e))
    }
}
