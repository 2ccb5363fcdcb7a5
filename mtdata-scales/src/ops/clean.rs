//! Duplicate removal with an explicit policy on (participant, session, tag), and a report of
//! every row dropped.

use mtdata_core::decoded::{CellStatus, status_column};
use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray, View};
use rayon::prelude::*;

use crate::codebook::ScaleDef;
use crate::error::{Error, Result};
use crate::frame::{find_column, idx, participant_column, row_date_lookup, text_column};
use crate::score::{item_values, number_column};

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
    /// Rows with an empty participant id: kept, never treated as duplicates of each other.
    pub rows_without_participant: usize,
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

/// Row keys as small integers: one code per distinct value per key column, dense and in order
/// of first appearance.
pub(crate) struct RowKeys {
    /// Per key column, the code of each row.
    pub codes: Vec<Vec<u32>>,
    /// Per key column, its cells (as text, failed decryptions missing).
    columns: Vec<StringChunked>,
    /// Per key column, the first row of each code.
    first_rows: Vec<Vec<u32>>,
}

impl RowKeys {
    pub fn width(&self) -> usize {
        self.codes.len()
    }

    pub fn rows(&self) -> usize {
        self.codes.first().map_or(0, Vec::len)
    }

    /// The code of `row` in key column `column`.
    pub fn code(&self, row: usize, column: usize) -> u32 {
        self.codes[column][row]
    }

    /// The first row of each code of key column `column`.
    pub fn first_rows(&self, column: usize) -> &[u32] {
        &self.first_rows[column]
    }

    pub fn text(&self, row: usize, column: usize) -> Option<String> {
        self.columns[column].get(row).map(str::to_owned)
    }

    /// How many distinct values key column `column` has (a missing cell counts as one).
    pub fn distinct(&self, column: usize) -> usize {
        self.first_rows[column].len()
    }

    /// The code of the missing cells of key column `column`, if it has any.
    pub fn missing_code(&self, column: usize) -> Option<u32> {
        let cells = &self.columns[column];
        if cells.null_count() == 0 {
            return None;
        }
        self.first_rows[column]
            .iter()
            .position(|&row| cells.get(row as usize).is_none())
            .map(|code| code as u32)
    }
}

pub(crate) fn row_keys(df: &DataFrame, keys: &[String], table: &str) -> Result<RowKeys> {
    let columns: Vec<StringChunked> = keys
        .iter()
        .map(|name| {
            let cells = text_column(df, name, table)?;
            Ok(without_failed_decryptions(df, name, cells, table)?
                .rechunk()
                .into_owned())
        })
        .collect::<Result<_>>()?;
    // The key columns are coded at the same time, each on its own core when there are several.
    let (codes, first_rows) = columns
        .par_iter()
        .map(|c| column_codes(c.downcast_as_array()))
        .unzip();
    Ok(RowKeys {
        codes,
        columns,
        first_rows,
    })
}

/// An encrypted id that did not decrypt is kept as sent by decode (its `<column>_status` says
/// `failed`): a ciphertext, which is nobody's id. Such cells count as no id here, as in reports.
fn without_failed_decryptions(
    df: &DataFrame,
    name: &str,
    values: StringChunked,
    table: &str,
) -> Result<StringChunked> {
    let Some(status) = find_column(df, &status_column(name)) else {
        return Ok(values);
    };
    let status = text_column(df, &status, table)?;
    let failed = Some(CellStatus::Failed.as_str());
    if !status.iter().any(|s| s == failed) {
        return Ok(values);
    }
    Ok(values
        .iter()
        .zip(status.iter())
        .map(|(v, s)| if s == failed { None } else { v })
        .collect::<StringChunked>()
        .with_name(name.into()))
}

/// Rows per part when a column is coded on several cores.
const PART: usize = 1 << 16;

/// A code per row (dense, in order of first appearance) and the first row of each code.
/// Large columns are split across the cores and the parts' codes merged.
fn column_codes(cells: &Utf8ViewArray) -> (Vec<u32>, Vec<u32>) {
    if let Some(coded) = integer_codes(cells) {
        return coded;
    }
    let mut codes = vec![0u32; cells.len()];
    let parts: Vec<Vec<u32>> = codes
        .par_chunks_mut(PART)
        .enumerate()
        .map(|(part, codes)| local_codes(cells, part * PART, codes))
        .collect();
    // Each part's codes are translated to codes of the whole column.
    let mut first_rows = Vec::new();
    let mut global: PlHashMap<Option<&str>, u32> = PlHashMap::default();
    let remaps: Vec<Vec<u32>> = parts
        .iter()
        .map(|part_first_rows| {
            part_first_rows
                .iter()
                .map(|&row| {
                    *global.entry(cells.get(row as usize)).or_insert_with(|| {
                        first_rows.push(row);
                        (first_rows.len() - 1) as u32
                    })
                })
                .collect()
        })
        .collect();
    codes
        .par_chunks_mut(PART)
        .zip(&remaps)
        .for_each(|(codes, remap)| codes.iter_mut().for_each(|c| *c = remap[*c as usize]));
    (codes, first_rows)
}

/// The number a short text cell holds, if it is a plain non-negative integer of at most 9
/// digits without leading zeros (such text is always held whole in its view). The first
/// eight digits are checked and converted eight at a time, in one 64-bit word.
fn plain_number(view: View) -> Option<u32> {
    let len = view.length as usize;
    if len == 0 || len > 9 {
        return None;
    }
    // The view in memory order: the length, then the text.
    let bytes = view.as_u128().to_ne_bytes();
    if bytes[4] == b'0' && len > 1 {
        return None;
    }
    let head = len.min(8);
    let mask = u64::MAX >> (64 - 8 * head);
    let word = u64::from_le_bytes([
        bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11],
    ]) & mask;
    // Every byte 0x30..=0x39: high nibble 3, and still 3 after adding 6.
    let high = 0xF0F0_F0F0_F0F0_F0F0 & mask;
    let zeros = 0x3030_3030_3030_3030 & mask;
    if word & high != zeros || (word + (0x0606_0606_0606_0606 & mask)) & high != zeros {
        return None;
    }
    // Digits as bytes, the first (most significant) in the lowest byte; shifted up so that
    // fewer than eight digits get leading zeros. Then pairs, fours and eights are combined.
    let mut d = (word - zeros) << (8 * (8 - head));
    d = d.wrapping_mul(10) + (d >> 8);
    d = ((d & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32))
        + ((d >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    let n = d as u32;
    if len == 9 {
        let last = bytes[12];
        return last
            .is_ascii_digit()
            .then(|| n * 10 + u32::from(last - b'0'));
    }
    Some(n)
}

/// Codes of the rows `start..start + codes.len()` of `cells` into `codes`, in order of first
/// appearance, and the first row of each code.
fn local_codes(cells: &Utf8ViewArray, start: usize, codes: &mut [u32]) -> Vec<u32> {
    // Text of up to 12 bytes is held whole in its 16-byte view (zero-padded): such cells are
    // looked up by their view, first in a small direct-mapped cache (a key column has few
    // distinct values, or long runs of one), then in a map; longer text by its text.
    const EMPTY: u32 = u32::MAX;
    let mut recent = [(0u128, EMPTY); 64];
    let mut by_view: PlHashMap<u128, u32> = PlHashMap::default();
    let mut by_text: PlHashMap<&str, u32> = PlHashMap::default();
    let mut missing = None;
    let mut first_rows = Vec::new();
    let views = cells.views();
    let validity = cells.validity();
    for (row, out) in (start..).zip(codes.iter_mut()) {
        let new_code = || {
            first_rows.push(row as u32);
            (first_rows.len() - 1) as u32
        };
        let code = if validity.is_some_and(|v| !v.get_bit(row)) {
            *missing.get_or_insert_with(new_code)
        } else {
            let view = views[row];
            let key = view.as_u128();
            let folded = (key as u64) ^ ((key >> 64) as u64);
            let slot = &mut recent[(folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize];
            if slot.1 != EMPTY && slot.0 == key {
                slot.1
            } else if view.length <= View::MAX_INLINE_SIZE {
                let code = match by_view.get(&key) {
                    Some(&code) => code,
                    None => {
                        let code = *by_text.entry(cells.value(row)).or_insert_with(new_code);
                        by_view.insert(key, code);
                        code
                    }
                };
                *slot = (key, code);
                code
            } else {
                *by_text.entry(cells.value(row)).or_insert_with(new_code)
            }
        };
        *out = code;
    }
    first_rows
}

/// [`column_codes`] for a column of plain non-negative integers without leading zeros (what
/// MindTrails participant ids are), through an array indexed by value instead of hashing the
/// text. `None` when a value is anything else or the values are too sparse for an array.
fn integer_codes(cells: &Utf8ViewArray) -> Option<(Vec<u32>, Vec<u32>)> {
    // u32::MAX stands for a missing cell.
    const NULL: u32 = u32::MAX;
    // A plain number has at most 9 digits, so it is held whole in its view: parsed from there.
    let views = cells.views();
    let validity = cells.validity();
    // Parsed on all cores; the first cell that is not a plain number ends the attempt.
    let mut codes = vec![0u32; cells.len()];
    let maxima: Vec<u32> = codes
        .par_chunks_mut(PART)
        .enumerate()
        .map(|(part, numbers)| {
            let mut max = 0;
            for (row, n) in (part * PART..).zip(numbers.iter_mut()) {
                *n = match validity.is_some_and(|v| !v.get_bit(row)) {
                    true => NULL,
                    false => plain_number(views[row])?,
                };
                if *n != NULL {
                    max = max.max(*n);
                }
            }
            Some(max)
        })
        .collect::<Option<_>>()?;
    let max = maxima.into_iter().max().unwrap_or(0) as usize;
    // An array of `max + 1` entries must stay small next to the column.
    if max > 4 * cells.len() + (1 << 20) {
        return None;
    }
    // Per part, its distinct numbers with their first rows, in order (on all cores); then the
    // parts in order give each number its code; then every row its number's code.
    let firsts: Vec<Vec<(u32, u32)>> = codes
        .par_chunks(PART)
        .enumerate()
        .map(|(part, numbers)| {
            let mut seen = vec![0u64; (max + 2).div_ceil(64)];
            let mut firsts = Vec::new();
            for (row, &n) in (part * PART..).zip(numbers) {
                // A missing cell is the number `max + 1` here.
                let i = if n == NULL { max + 1 } else { n as usize };
                let bit = 1u64 << (i % 64);
                if seen[i / 64] & bit == 0 {
                    seen[i / 64] |= bit;
                    firsts.push((n, row as u32));
                }
            }
            firsts
        })
        .collect();
    let mut code_of = vec![NULL; max + 1];
    let mut null_code = NULL;
    let mut first_rows = Vec::new();
    for (n, row) in firsts.into_iter().flatten() {
        let slot = if n == NULL {
            &mut null_code
        } else {
            &mut code_of[n as usize]
        };
        if *slot == NULL {
            *slot = first_rows.len() as u32;
            first_rows.push(row);
        }
    }
    codes.par_iter_mut().for_each(|n| {
        *n = if *n == NULL {
            null_code
        } else {
            code_of[*n as usize]
        };
    });
    Some((codes, first_rows))
}

/// Drop exact duplicates, then apply `options.policy` to rows sharing (participant, session, tag).
///
/// `scale` is needed for `mean-of-unique` (to know which columns are answers); the other
/// policies accept `None`.
pub fn clean(df: &DataFrame, scale: Option<&ScaleDef>, options: &CleanOptions) -> Result<Cleaned> {
    let table = scale.map_or("table", |s| s.name.as_str());
    let keys = key_columns(df, options.participant_column.as_deref(), table)?;
    let id_col = find_column(df, "id");
    // Ids, sessions, tags and dates are looked up only for the (few) rows with duplicates.
    let ids = id_col
        .as_ref()
        .map(|c| text_column(df, c, table))
        .transpose()?;
    let id_of = |row: usize| ids.as_ref()?.get(row).map(str::to_owned);
    let mut report = CleanReport {
        rows_in: df.height(),
        key_columns: keys.clone(),
        ..CleanReport::default()
    };
    let row_keys = row_keys(df, &keys, table)?;
    let session_idx = keys.iter().position(|k| k.eq_ignore_ascii_case("session"));
    let tag_idx = keys.iter().position(|k| k.eq_ignore_ascii_case("tag"));
    let dropped_row = |row: usize, kept: usize, reason| DroppedRow {
        row,
        id: id_of(row),
        session: session_idx.and_then(|i| row_keys.text(row, i)),
        tag: tag_idx.and_then(|i| row_keys.text(row, i)),
        reason,
        kept_row: kept,
    };

    // 1. Exact duplicates: every column except `id`. Rows are hashed column by column; rows
    // with equal hashes are compared cell by cell, so a hash collision never drops a row.
    let others: Vec<&Column> = df
        .columns()
        .iter()
        .filter(|c| Some(c.name().as_str()) != id_col.as_deref())
        .collect();
    let mut hashes: Vec<u64> = Vec::with_capacity(df.height());
    let hasher = PlSeedableRandomStateQuality::default();
    for (i, column) in others.iter().enumerate() {
        let hashed = if i == 0 {
            column.vec_hash(hasher.clone(), &mut hashes)
        } else {
            column.vec_hash_combine(hasher.clone(), &mut hashes)
        };
        hashed.map_err(|e| Error::polars(table, e))?;
    }
    if others.is_empty() {
        hashes = vec![0; df.height()];
    }
    let same_row = |a: usize, b: usize| {
        others
            .iter()
            .all(|c| matches!((c.get(a), c.get(b)), (Ok(x), Ok(y)) if x == y))
    };
    // hash → first row with it; rows whose hash was seen but differ go to `other_rows`.
    let mut first_of_hash: PlHashMap<u64, usize> = PlHashMap::default();
    let mut other_rows: PlHashMap<u64, Vec<usize>> = PlHashMap::default();
    let mut alive = vec![true; df.height()];
    for (row, &h) in hashes.iter().enumerate() {
        let first = *first_of_hash.entry(h).or_insert(row);
        if first == row {
            continue;
        }
        let candidates =
            std::iter::once(first).chain(other_rows.get(&h).into_iter().flatten().copied());
        let duplicate_of = candidates.into_iter().find(|&other| same_row(other, row));
        match duplicate_of {
            Some(kept) => {
                alive[row] = false;
                report.exact_duplicates += 1;
                report
                    .dropped
                    .push(dropped_row(row, kept, DropReason::ExactDuplicate));
            }
            None => other_rows.entry(h).or_default().push(row),
        }
    }
    drop(hashes);

    // 2. Same key: a group number per row (codes are dense, so most tables need no hashing),
    // then only the groups with more than one row are looked at.
    let mut group_of = key_groups(&row_keys);
    let mut n_groups = group_of.iter().copied().max().map_or(0, |m| m as usize + 1);
    // A row without a participant id is nobody's duplicate: each stays in a group of its own.
    if let Some(no_id) = row_keys.missing_code(0) {
        for (row, group) in group_of.iter_mut().enumerate() {
            if row_keys.code(row, 0) == no_id {
                *group = n_groups as u32;
                n_groups += 1;
                report.rows_without_participant += 1;
            }
        }
        tracing::warn!(
            table,
            rows = report.rows_without_participant,
            column = %keys[0],
            "rows without a participant id are kept and not compared as duplicates"
        );
    }
    let mut count = vec![0u32; n_groups];
    for (row, &g) in group_of.iter().enumerate() {
        if alive[row] {
            count[g as usize] += 1;
        }
    }
    let mut duplicate_groups: PlHashMap<u32, Vec<usize>> = PlHashMap::default();
    let mut group_order: Vec<u32> = Vec::new();
    let mut kept: Vec<usize> = Vec::with_capacity(df.height());
    for (row, &g) in group_of.iter().enumerate() {
        if !alive[row] {
            continue;
        }
        if count[g as usize] == 1 {
            kept.push(row);
        } else {
            duplicate_groups
                .entry(g)
                .or_insert_with(|| {
                    group_order.push(g);
                    Vec::new()
                })
                .push(row);
        }
    }
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
    let date_of = row_date_lookup(df, table)?;
    // kept row → averaged item values
    let mut merged: PlHashMap<usize, Vec<Option<f64>>> = PlHashMap::default();
    for g in &group_order {
        let rows = &duplicate_groups[g];
        report.duplicate_keys += 1;
        let mut by_date = rows.clone();
        let dates: Option<Vec<i64>> = date_of
            .as_ref()
            .and_then(|date_of| rows.iter().map(|&r| date_of(r)).collect());
        match dates {
            Some(d) => {
                let mut dated: Vec<(i64, usize)> =
                    d.into_iter().zip(rows.iter().copied()).collect();
                dated.sort_unstable();
                by_date = dated.into_iter().map(|(_, r)| r).collect();
            }
            None => report.undated_keys += 1,
        }
        let keep = match options.policy {
            DuplicatePolicy::First => by_date[0],
            DuplicatePolicy::Last | DuplicatePolicy::MeanOfUnique => by_date[by_date.len() - 1],
        };
        let mut reason = DropReason::SameKey;
        if let Some(items) = &items {
            let mut unique: Vec<Vec<Option<f64>>> = Vec::new();
            for &r in rows {
                let answers: Vec<Option<f64>> = items.columns.iter().map(|c| c.get(r)).collect();
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
    let mut data = if kept.len() == df.height() {
        df.clone()
    } else {
        df.take(&idx(&kept)).map_err(|e| Error::polars(table, e))?
    };
    if let Some(items) = &items {
        // Answer columns become numbers (PNA and invalid values missing) so means fit in.
        for (c, item) in items.columns.iter().enumerate() {
            let column = kept
                .iter()
                .map(|r| merged.get(r).map_or(item.get(*r), |m| m[c]));
            data.with_column(number_column(&item.column, column))
                .map_err(|e| Error::polars(table, e))?;
        }
    }
    report.rows_out = data.height();
    report.dropped.sort_by_key(|d| d.row);
    Ok(Cleaned { data, report })
}

/// A group number per row: rows with equal keys share it. Key codes are dense, so the
/// combined code indexes an array when the key space is small, else a hash map.
fn key_groups(keys: &RowKeys) -> Vec<u32> {
    let rows = keys.rows();
    let sizes: Vec<u64> = (0..keys.width())
        .map(|k| keys.distinct(k).max(1) as u64)
        .collect();
    let space = sizes.iter().try_fold(1u64, |a, &b| a.checked_mul(b));
    let combined = |row: usize| {
        sizes.iter().enumerate().fold(0u64, |acc, (k, &size)| {
            acc * size + u64::from(keys.code(row, k))
        })
    };
    match space {
        Some(space) if space <= (4 * rows as u64).max(1 << 16) => {
            let mut group_of_code = vec![u32::MAX; space as usize];
            let mut next = 0u32;
            (0..rows)
                .map(|row| {
                    let slot = &mut group_of_code[combined(row) as usize];
                    if *slot == u32::MAX {
                        *slot = next;
                        next += 1;
                    }
                    *slot
                })
                .collect()
        }
        // The combined code still fits in 64 bits: hashed.
        Some(_) => {
            let mut group_of_key: PlHashMap<u64, u32> = PlHashMap::default();
            (0..rows)
                .map(|row| {
                    let next = group_of_key.len() as u32;
                    *group_of_key.entry(combined(row)).or_insert(next)
                })
                .collect()
        }
        None => {
            let mut group_of_key: PlHashMap<Vec<u32>, u32> = PlHashMap::default();
            (0..rows)
                .map(|row| {
                    let next = group_of_key.len() as u32;
                    let key = (0..keys.width()).map(|k| keys.code(row, k)).collect();
                    *group_of_key.entry(key).or_insert(next)
                })
                .collect()
        }
    }
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

    /// Codes of `values`, and the text of each code.
    fn codes<T: AsRef<str>>(values: &[Option<T>]) -> (Vec<u32>, Vec<Option<String>>) {
        let text: Vec<Option<&str>> = values
            .iter()
            .map(|v| v.as_ref().map(AsRef::as_ref))
            .collect();
        let cells = StringChunked::new("k".into(), &text);
        let (codes, first_rows) = column_codes(cells.downcast_as_array());
        let texts = first_rows
            .iter()
            .map(|&row| values[row as usize].as_ref().map(|t| t.as_ref().to_owned()))
            .collect();
        (codes, texts)
    }

    fn is_integer(values: &[Option<&str>]) -> bool {
        integer_codes(StringChunked::new("k".into(), values).downcast_as_array()).is_some()
    }

    #[test]
    fn plain_numbers_are_read_from_their_views() {
        let read = |text: &str| plain_number(View::new_from_bytes(text.as_bytes(), 0, 0));
        let simple = |text: &str| -> Option<u32> {
            let b = text.as_bytes();
            let plain = matches!(b, [b'0'] | [b'1'..=b'9', ..])
                && b.len() <= 9
                && b.iter().all(u8::is_ascii_digit);
            plain.then(|| text.parse().unwrap())
        };
        let mut cases: Vec<String> = ["0", "7", "10", "007", "", "1a", "12345678", "123456789"]
            .iter()
            .chain(&[
                "999999999",
                "1234567890",
                "-1",
                "1 ",
                " 1",
                "1.0",
                "9/",
                ":0",
                "00",
            ])
            .map(|s| (*s).to_owned())
            .collect();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push(((x % 1_000_000_000) >> (x % 30)).to_string());
            // Some bytes just outside the digits ('/' and ':') in random places.
            let mut text = (x % 100_000_000).to_string().into_bytes();
            let at = (x >> 40) as usize % text.len();
            text[at] = if x & 1 == 0 { b'/' } else { b':' };
            cases.push(String::from_utf8(text).unwrap());
        }
        for case in &cases {
            assert_eq!(read(case), simple(case), "{case:?}");
        }
    }

    #[test]
    fn integer_ids_and_text_ids_get_the_same_codes() {
        let ints = [Some("10"), Some("2"), Some("10"), None, Some("0"), None];
        let (c, t) = codes(&ints);
        assert!(is_integer(&ints));
        assert_eq!(c, vec![0, 1, 0, 2, 3, 2]);
        assert_eq!(
            t,
            vec![Some("10".into()), Some("2".into()), None, Some("0".into())]
        );
        // A leading zero makes a different id: hashed as text, never merged with "7".
        let padded = [Some("7"), Some("007"), Some("7")];
        assert!(!is_integer(&padded));
        assert_eq!(codes(&padded).0, vec![0, 1, 0]);
        // Sparse ids (a huge value) also fall back to hashing, with the same answer.
        let sparse = [Some("999999999"), Some("1"), Some("999999999")];
        assert!(!is_integer(&sparse));
        assert_eq!(codes(&sparse).0, vec![0, 1, 0]);
    }

    #[test]
    fn large_columns_are_coded_in_parts_and_merged_in_first_appearance_order() {
        // Text ids (hashed) and plain numbers (the array path), both over several parts.
        for prefix in ["p", ""] {
            let values: Vec<Option<String>> = (0..200_000)
                .map(|i| (i % 97 != 0).then(|| format!("{prefix}{}", (i * 7919) % 1000)))
                .collect();
            let text: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
            assert_eq!(is_integer(&text), prefix.is_empty());
            let (c, t) = codes(&values);
            let mut seen: Vec<Option<String>> = Vec::new();
            for (v, code) in values.iter().zip(&c) {
                let expected = seen.iter().position(|s| s == v).unwrap_or_else(|| {
                    seen.push(v.clone());
                    seen.len() - 1
                });
                assert_eq!(*code as usize, expected);
            }
            assert_eq!(t, seen);
        }
    }

    #[test]
    fn key_groups_agree_between_the_array_and_the_hash_map() {
        let keys = |uniques: usize| RowKeys {
            codes: vec![vec![0, 2, 0, 2, 1], vec![1, 0, 1, 0, 1]],
            columns: Vec::new(),
            first_rows: vec![vec![0; uniques], vec![0; 2]],
        };
        // A small key space takes the array; a huge one (many unused codes) the hash map.
        assert_eq!(key_groups(&keys(3)), vec![0, 1, 0, 1, 2]);
        assert_eq!(key_groups(&keys(3_000_000)), vec![0, 1, 0, 1, 2]);
    }

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
}
