//! Key coding: each key column's cells as dense small integers (from their views, on all
//! cores), rows grouped by key, and exact duplicate rows found by hashing.

use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray, View};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::columns::{find_column, text_column};
use crate::kernels::participant::participant_ids;

/// Row keys as small integers: one code per distinct value per key column, dense and in order
/// of first appearance. The key columns are the participant (by the decoded-table rule, see
/// [`participant_ids`]), then `session` and `tag` when the table has them.
pub(crate) struct RowKeys {
    /// The key columns' names: the participant column's, then `session` and `tag`.
    pub names: Vec<String>,
    /// Per key column, the code of each row.
    pub codes: Vec<Vec<u32>>,
    /// Per key column, its cells (as text; rows without a usable participant id missing).
    columns: Vec<StringChunked>,
    /// Per key column, the first row of each code.
    first_rows: Vec<Vec<u32>>,
    /// The index of the session key, if any.
    pub session: Option<usize>,
    /// The index of the tag key, if any.
    pub tag: Option<usize>,
}

impl RowKeys {
    /// Find and code the key columns of `df`; `participant` overrides the participant columns.
    pub fn new(df: &DataFrame, participant: Option<&str>, table: &str) -> Result<Self> {
        let ids = participant_ids(df, participant, table)?;
        let mut names = vec![ids.name().to_string()];
        let mut columns = vec![ids];
        let mut other = |key: &str| -> Result<Option<usize>> {
            let Some(name) = find_column(df, key) else {
                return Ok(None);
            };
            columns.push(text_column(df, &name, table)?.rechunk().into_owned());
            names.push(name);
            Ok(Some(names.len() - 1))
        };
        let session = other("session")?;
        let tag = other("tag")?;
        // The key columns are coded at the same time, each on its own core when there are several.
        let (codes, first_rows) = columns
            .par_iter()
            .map(|c| column_codes(c.downcast_as_array()))
            .unzip();
        Ok(RowKeys {
            names,
            codes,
            columns,
            first_rows,
            session,
            tag,
        })
    }

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

    /// The participant id of every row (missing where a row has none), under the participant
    /// column's name.
    pub fn participants(&self) -> &StringChunked {
        &self.columns[0]
    }

    /// A group number per row: rows with equal keys share it. Key codes are dense, so the
    /// combined code indexes an array when the key space is small, else a hash map.
    pub fn groups(&self) -> Vec<u32> {
        key_groups(self)
    }
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

/// Exact duplicates: each row equal to an earlier row in every column but `id_column`, with
/// that earlier row. Rows are hashed column by column; rows with equal hashes are compared cell
/// by cell, so a hash collision never drops a row.
pub(crate) fn exact_duplicates(
    df: &DataFrame,
    id_column: Option<&str>,
    table: &str,
) -> Result<Vec<(usize, usize)>> {
    let others: Vec<&Column> = df
        .columns()
        .iter()
        .filter(|c| Some(c.name().as_str()) != id_column)
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
    let mut duplicates = Vec::new();
    for (row, &h) in hashes.iter().enumerate() {
        let first = *first_of_hash.entry(h).or_insert(row);
        if first == row {
            continue;
        }
        let candidates =
            std::iter::once(first).chain(other_rows.get(&h).into_iter().flatten().copied());
        let duplicate_of = candidates.into_iter().find(|&other| same_row(other, row));
        match duplicate_of {
            Some(kept) => duplicates.push((row, kept)),
            None => other_rows.entry(h).or_default().push(row),
        }
    }
    Ok(duplicates)
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
            names: Vec::new(),
            codes: vec![vec![0, 2, 0, 2, 1], vec![1, 0, 1, 0, 1]],
            columns: Vec::new(),
            first_rows: vec![vec![0; uniques], vec![0; 2]],
            session: Some(1),
            tag: None,
        };
        // A small key space takes the array; a huge one (many unused codes) the hash map.
        assert_eq!(key_groups(&keys(3)), vec![0, 1, 0, 1, 2]);
        assert_eq!(key_groups(&keys(3_000_000)), vec![0, 1, 0, 1, 2]);
    }
}
