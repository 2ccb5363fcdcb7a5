//! Duplicate removal with an explicit policy on (participant, session, tag), and a report of
//! every row dropped.

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::columns::{DateOf, find_column, idx, row_date_lookup, text_column};
use crate::kernels::items::{fmt_number, number_column};
use crate::kernels::keys::{RowKeys, exact_duplicates};
use crate::ops::answers::{answers_scale, recode_answers};
use crate::ops::score::{ItemValues, item_values};
use crate::rules::codebook::ScaleDef;
use crate::rules::duplicates::{DropReason, DroppedRow, DuplicatePolicy};
use crate::rules::records::ValueProblem;

/// The per-key counts [`clean`] adds to every kept row: the key's rows in the input, and those
/// left after exact duplicates. The scored and wide tables of `prepare` leave them out.
pub const KEY_COUNT_COLUMNS: [&str; 2] = ["n_rows", "n_distinct_rows"];

/// Options of [`clean`].
#[derive(Debug, Clone, Default)]
pub struct CleanOptions {
    pub policy: DuplicatePolicy,
    /// Participant id column; `None` reads each row's participant by the decoded-table rule
    /// (see [`crate::participant_ids`]).
    pub participant_column: Option<String>,
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
    /// Rows with an empty participant id: kept, never treated as duplicates of each other.
    pub rows_without_participant: usize,
    /// The key columns used: participant, then `session` and `tag` when present.
    pub key_columns: Vec<String>,
    pub dropped: Vec<DroppedRow>,
    /// Answers the scale's recode has no entry for (made missing in the cleaned table), by
    /// input row.
    pub problems: Vec<ValueProblem>,
}

/// Result of [`clean`].
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// Kept rows in input order.
    pub data: DataFrame,
    pub report: CleanReport,
}

/// Drop exact duplicates, then apply `options.policy` to rows sharing (participant, session, tag).
///
/// `scale` is needed for `mean-of-unique` (to know which columns are answers); the other
/// policies accept `None`. With a scale that recodes its answers (R34 Credibility) the kept rows
/// hold the recoded answers under every policy, marked in a `recoded` column, so scoring the
/// cleaned table does not recode them again. Every kept row gets `n_rows` and
/// `n_distinct_rows`: how many rows its key had, and how many of them were not exact duplicates.
pub fn clean(df: &DataFrame, scale: Option<&ScaleDef>, options: &CleanOptions) -> Result<Cleaned> {
    let table = scale.map_or("table", |s| s.name.as_str());
    let keys = RowKeys::new(df, options.participant_column.as_deref(), table)?;
    let id_col = find_column(df, "id");
    // Ids, sessions, tags and dates are looked up only for the (few) rows with duplicates.
    let ids = id_col
        .as_ref()
        .map(|c| text_column(df, c, table))
        .transpose()?;
    let dropped_row = |row: usize, kept: usize, reason| DroppedRow {
        row,
        id: ids.as_ref().and_then(|ids| ids.get(row).map(str::to_owned)),
        session: keys.session.and_then(|i| keys.text(row, i)),
        tag: keys.tag.and_then(|i| keys.text(row, i)),
        reason,
        kept_row: kept,
    };
    let mut report = CleanReport {
        rows_in: df.height(),
        key_columns: keys.names.clone(),
        ..CleanReport::default()
    };

    // 1. Exact duplicates: every column except `id`.
    let mut alive = vec![true; df.height()];
    for (row, kept) in exact_duplicates(df, id_col.as_deref(), table)? {
        alive[row] = false;
        report.exact_duplicates += 1;
        report
            .dropped
            .push(dropped_row(row, kept, DropReason::ExactDuplicate));
    }

    // 2. Same key: one row of each group of rows that share a key, by the policy.
    let groups = same_key_groups(&keys, &alive, &mut report, table);
    let items = match (options.policy, scale) {
        (DuplicatePolicy::MeanOfUnique, Some(scale)) => {
            Some(item_values(df, &*answers_scale(df, scale)?)?)
        }
        (DuplicatePolicy::MeanOfUnique, None) => {
            return Err(Error::codebook(
                "clean",
                "the mean-of-unique policy needs the scale's codebook entry to know which columns are answers",
            ));
        }
        _ => None,
    };
    let date_of = match options.policy.uses_dates() {
        true => row_date_lookup(df, table)?,
        false => None,
    };
    let mut kept = groups.alone.clone();
    // kept row → averaged item values
    let mut merged: PlHashMap<usize, Vec<Option<f64>>> = PlHashMap::default();
    for rows in &groups.shared {
        let (keep, means) = resolve(rows, options.policy, items.as_ref(), &date_of, &mut report);
        let reason = match means {
            Some(_) => DropReason::MergedIntoMean,
            None => DropReason::SameKey,
        };
        for &r in rows.iter().filter(|&&r| r != keep) {
            report.dropped.push(dropped_row(r, keep, reason));
        }
        if let Some(means) = means {
            merged.insert(keep, means);
        }
        kept.push(keep);
    }
    kept.sort_unstable();
    // 3. The kept rows, answers recoded once (a scale with a recode), means merged in.
    let (source, problems) = match scale {
        Some(scale) => recode_answers(df, scale)?,
        None => (df.clone(), Vec::new()),
    };
    report.problems = problems;
    let mut data = kept_rows(&source, &kept, items.as_ref(), &merged, table)?;
    for column in groups.counts(&kept) {
        data.with_column(column)
            .map_err(|e| Error::polars(table, e))?;
    }
    report.rows_out = data.height();
    report.dropped.sort_by_key(|d| d.row);
    Ok(Cleaned { data, report })
}

/// The rows of `df` that the base of median imputation is taken from, in file order: exact
/// duplicates once, rows without a participant id left out, and of the rows sharing
/// (participant, session, tag) the latest by date (file order for ties), as the R34 cleaning
/// script kept them. `participant` names the participant column (`None`: the decoded-table rule).
pub(crate) fn imputation_rows(
    df: &DataFrame,
    participant: Option<&str>,
    table: &str,
) -> Result<Vec<usize>> {
    let keys = RowKeys::new(df, participant, table)?;
    let id_col = find_column(df, "id");
    let mut alive = vec![true; df.height()];
    for (row, _) in exact_duplicates(df, id_col.as_deref(), table)? {
        alive[row] = false;
    }
    let mut report = CleanReport::default();
    let groups = same_key_groups(&keys, &alive, &mut report, table);
    let date_of = row_date_lookup(df, table)?;
    let mut rows = groups.alone;
    for shared in &groups.shared {
        let (keep, _) = resolve(shared, DuplicatePolicy::Last, None, &date_of, &mut report);
        rows.push(keep);
    }
    if let Some(no_id) = keys.missing_code(0) {
        rows.retain(|&row| keys.code(row, 0) != no_id);
    }
    rows.sort_unstable();
    Ok(rows)
}

/// Rows by key: the rows still alive that are alone with their key, the groups of rows sharing
/// a key (in order of their first row), and per key its rows and distinct rows.
struct KeyGroups {
    alone: Vec<usize>,
    shared: Vec<Vec<usize>>,
    /// The key (group) of each input row.
    group_of: Vec<u32>,
    /// Per key: its rows in the input, and those left after exact duplicates.
    rows: Vec<u32>,
    distinct: Vec<u32>,
}

impl KeyGroups {
    /// `n_rows` and `n_distinct_rows` of the `kept` rows.
    fn counts(&self, kept: &[usize]) -> [Column; 2] {
        let of = |counts: &[u32]| -> Vec<u32> {
            kept.iter()
                .map(|&row| counts[self.group_of[row] as usize])
                .collect()
        };
        let [rows, distinct] = KEY_COUNT_COLUMNS;
        [
            Column::new(rows.into(), of(&self.rows)),
            Column::new(distinct.into(), of(&self.distinct)),
        ]
    }
}

/// The rows of each key (see [`KeyGroups`]). A row without a participant id is nobody's
/// duplicate.
fn same_key_groups(
    keys: &RowKeys,
    alive: &[bool],
    report: &mut CleanReport,
    table: &str,
) -> KeyGroups {
    // A group number per row (codes are dense, so most tables need no hashing), then only the
    // groups with more than one row are looked at.
    let mut group_of = keys.groups();
    let mut n_groups = group_of.iter().copied().max().map_or(0, |m| m as usize + 1);
    // A row without a participant id is nobody's duplicate: each stays in a group of its own.
    if let Some(no_id) = keys.missing_code(0) {
        for (row, group) in group_of.iter_mut().enumerate() {
            if keys.code(row, 0) == no_id {
                *group = n_groups as u32;
                n_groups += 1;
                report.rows_without_participant += 1;
            }
        }
        tracing::warn!(
            table,
            rows = report.rows_without_participant,
            column = %keys.names[0],
            "rows without a participant id are kept and not compared as duplicates"
        );
    }
    let mut rows = vec![0u32; n_groups];
    let mut distinct = vec![0u32; n_groups];
    for (row, &g) in group_of.iter().enumerate() {
        rows[g as usize] += 1;
        distinct[g as usize] += u32::from(alive[row]);
    }
    let mut slot_of_group: PlHashMap<u32, usize> = PlHashMap::default();
    let mut shared: Vec<Vec<usize>> = Vec::new();
    let mut alone: Vec<usize> = Vec::with_capacity(alive.len());
    for (row, &g) in group_of.iter().enumerate() {
        if !alive[row] {
            continue;
        }
        if distinct[g as usize] == 1 {
            alone.push(row);
        } else {
            let slot = *slot_of_group.entry(g).or_insert_with(|| {
                shared.push(Vec::new());
                shared.len() - 1
            });
            shared[slot].push(row);
        }
    }
    KeyGroups {
        alone,
        shared,
        group_of,
        rows,
        distinct,
    }
}

/// The row kept of a group of rows sharing a key (in file order), and for `mean-of-unique` with
/// differing answers, the averaged answers it gets.
fn resolve(
    rows: &[usize],
    policy: DuplicatePolicy,
    items: Option<&ItemValues>,
    date_of: &Option<DateOf>,
    report: &mut CleanReport,
) -> (usize, Option<Vec<Option<f64>>>) {
    report.duplicate_keys += 1;
    let by_date: Vec<usize> = if policy.uses_dates() {
        let dates: Option<Vec<i64>> = date_of
            .as_ref()
            .and_then(|date_of| rows.iter().map(|&r| date_of(r)).collect());
        match dates {
            Some(d) => {
                let mut dated: Vec<(i64, usize)> =
                    d.into_iter().zip(rows.iter().copied()).collect();
                dated.sort_unstable();
                dated.into_iter().map(|(_, r)| r).collect()
            }
            None => {
                report.undated_keys += 1;
                rows.to_vec()
            }
        }
    } else {
        rows.to_vec()
    };
    let keep = policy.keep(rows, &by_date);
    let Some(items) = items else {
        return (keep, None);
    };
    let mut unique: Vec<Vec<Option<f64>>> = Vec::new();
    for &r in rows {
        let answers: Vec<Option<f64>> = items.columns.iter().map(|c| c.get(r)).collect();
        if !unique.contains(&answers) {
            unique.push(answers);
        }
    }
    if unique.len() < 2 {
        return (keep, None);
    }
    report.merged_keys += 1;
    let means = (0..items.columns.len())
        .map(|c| {
            let present: Vec<f64> = unique.iter().filter_map(|u| u[c]).collect();
            (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
        })
        .collect();
    (keep, Some(means))
}

/// The `kept` rows of `df` (sorted); the rows that `merged` averaged get their means in the
/// answer columns (an item none of the unique rows answered keeps the kept row's cell).
fn kept_rows(
    df: &DataFrame,
    kept: &[usize],
    items: Option<&ItemValues>,
    merged: &PlHashMap<usize, Vec<Option<f64>>>,
    table: &str,
) -> Result<DataFrame> {
    let polars = |e| Error::polars(table, e);
    let mut data = if kept.len() == df.height() {
        df.clone()
    } else {
        df.take(&idx(kept)).map_err(polars)?
    };
    let Some(items) = items.filter(|_| !merged.is_empty()) else {
        return Ok(data);
    };
    // Output position → the means of that row.
    let means: Vec<(usize, &Vec<Option<f64>>)> = kept
        .iter()
        .enumerate()
        .filter_map(|(at, row)| merged.get(row).map(|m| (at, m)))
        .collect();
    for (c, item) in items.columns.iter().enumerate() {
        let column = data.column(&item.column).map_err(polars)?;
        let replaced = with_means(column, means.iter().map(|(at, m)| (*at, m[c])), table)?;
        data.with_column(replaced).map_err(polars)?;
    }
    Ok(data)
}

/// `column` with the cells at the given positions replaced by their means (`None`: left as is):
/// numbers stay numbers (integers while every value is whole), text stays text.
fn with_means(
    column: &Column,
    means: impl Iterator<Item = (usize, Option<f64>)>,
    table: &str,
) -> Result<Column> {
    let polars = |e| Error::polars(table, e);
    let name = column.name().clone();
    if column.dtype().is_primitive_numeric() {
        let mut values: Vec<Option<f64>> = column
            .cast(&DataType::Float64)
            .map_err(polars)?
            .f64()
            .map_err(polars)?
            .iter()
            .collect();
        for (at, mean) in means {
            if let Some(mean) = mean {
                values[at] = Some(mean);
            }
        }
        return Ok(number_column(name.as_str(), values.into_iter()));
    }
    let mut cells: Vec<Option<String>> = column
        .cast(&DataType::String)
        .map_err(polars)?
        .str()
        .map_err(polars)?
        .iter()
        .map(|c| c.map(str::to_owned))
        .collect();
    for (at, mean) in means {
        if let Some(mean) = mean {
            cells[at] = Some(fmt_number(mean));
        }
    }
    Ok(Column::new(name, cells))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_preferred_participant_column_is_passed_over() {
        // Decoded Templeton Demographics: `participant` from the column union, empty;
        // the ids are in `participantRSA`. One row has no id at all.
        let csv = "id,session,participantRSA,participant,income\n\
                   1,preTest,2,,low\n\
                   2,preTest,3,,high\n\
                   3,preTest,2,,lowest\n\
                   4,preTest,,,mid\n\
                   5,preTest,,,mid2\n";
        let df = crate::read_csv_bytes(csv.as_bytes().to_vec(), "Demographics").unwrap();
        let cleaned = clean(&df, None, &CleanOptions::default()).unwrap();
        let r = &cleaned.report;
        assert_eq!(r.key_columns[0], "participantRSA");
        assert_eq!(r.rows_out, 4, "{r:?}");
        assert_eq!(r.exact_duplicates, 0);
        assert_eq!(r.duplicate_keys, 1);
        assert_eq!(r.rows_without_participant, 2);
        assert_eq!(r.dropped.len(), 1);
        assert_eq!(r.dropped[0].id.as_deref(), Some("1"));
    }

    #[test]
    fn ids_that_did_not_decrypt_are_no_ids() {
        let csv = "id,session,participantRSA,participantRSA_status,x\n\
                   1,PRE,2,decrypted,a\n\
                   2,PRE,bm90IGFuIGlk,failed,b\n\
                   3,PRE,2,decrypted,c\n";
        let df = crate::read_csv_bytes(csv.as_bytes().to_vec(), "OA").unwrap();
        let cleaned = clean(&df, None, &CleanOptions::default()).unwrap();
        assert_eq!(cleaned.report.rows_without_participant, 1);
        assert_eq!(cleaned.report.duplicate_keys, 1);
        assert_eq!(cleaned.report.rows_out, 2);
    }

    #[test]
    fn a_participant_is_the_same_whichever_column_holds_the_id() {
        // Row 1's id is in the linked `participant`, row 2's in `participantRSA`: both are
        // participant 2 at preTest, so one is a duplicate of the other.
        let csv = "id,session,participant,participantRSA,participantRSA_status\n\
                   1,preTest,2,,empty\n\
                   2,preTest,,2,decrypted\n\
                   3,preTest,,3,decrypted\n";
        let df = crate::read_csv_bytes(csv.as_bytes().to_vec(), "Demographics").unwrap();
        let cleaned = clean(&df, None, &CleanOptions::default()).unwrap();
        let r = &cleaned.report;
        assert_eq!(r.key_columns[0], "participant");
        assert_eq!((r.duplicate_keys, r.rows_out), (1, 2), "{r:?}");
        assert_eq!(r.rows_without_participant, 0);
    }
}
