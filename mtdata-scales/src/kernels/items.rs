//! Item columns: "prefer not to answer" codes and invalid answers made missing, recodes
//! applied. Integer answers read as numbers keep their values under a new validity, checked 64
//! cells at a time on all cores.

use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::bits::{for_each_word, pack_flags};
use crate::kernels::columns::{numeric_cells, parse_number};
use crate::kernels::table::all_whole;
use crate::rules::codebook::{ItemDef, ScaleDef, ValidValues};
use crate::rules::records::ProblemKind;

/// One numeric item column after cleaning: "prefer not to answer" and invalid cells missing,
/// recodes applied.
#[derive(Debug, Clone)]
pub struct ItemColumn {
    /// Column name in the table.
    pub column: String,
    /// Item name in the codebook.
    pub item: String,
    pub(crate) cells: Cells,
    /// No present value is larger than this in magnitude (from the item's valid values).
    pub(crate) bound: f64,
}

/// Whole numbers stay integers, anything else is floats. An integer column read as numbers is
/// kept as read, under a new validity, so a missing cell's slot may hold any number.
#[derive(Debug, Clone)]
pub(crate) enum Cells {
    Integers(PrimitiveArray<i64>),
    Numbers(PrimitiveArray<f64>),
}

impl ItemColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Integers(a) => a.len(),
            Cells::Numbers(a) => a.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cleaned value of `row` (`None` when missing). Panics if `row` is out of bounds.
    pub fn get(&self, row: usize) -> Option<f64> {
        match &self.cells {
            Cells::Integers(a) => a.is_valid(row).then(|| a.value(row) as f64),
            Cells::Numbers(a) => a.is_valid(row).then(|| a.value(row)),
        }
    }

    /// The cleaned values in row order.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.len()).map(|row| self.get(row))
    }

    /// The column as it goes into the scored table: integers when every value is whole.
    pub fn to_column(&self) -> Column {
        self.cells.clone().into_column(&self.column)
    }
}

/// Item `item` of `scale`, held in column `col` of `df`, cleaned; its invalid cells as
/// (row, text, why), in row order.
pub(crate) fn item_column(
    df: &DataFrame,
    col: &str,
    item: &ItemDef,
    scale: &ScaleDef,
) -> Result<(ItemColumn, Vec<InvalidCell>)> {
    let (cells, problems) = clean_item(df, col, item, scale)?;
    let bound = item
        .valid
        .bounds()
        .map_or(f64::INFINITY, |(min, max)| min.abs().max(max.abs()));
    let column = ItemColumn {
        column: col.to_owned(),
        item: item.name.clone(),
        cells,
        bound,
    };
    Ok((column, problems))
}

/// An invalid cell: its row, its text, and why it was left out.
pub(crate) type InvalidCell = (usize, String, ProblemKind);

/// One item column: PNA → missing, recode, validity check; and its invalid cells.
type CleanedItem = (Cells, Vec<InvalidCell>);

fn clean_item(df: &DataFrame, col: &str, item: &ItemDef, scale: &ScaleDef) -> Result<CleanedItem> {
    let table = scale.name.as_str();
    let column = df.column(col).map_err(|e| Error::polars(table, e))?;
    let bounds = match &item.valid {
        ValidValues::Range { min, max } if scale.recode.is_empty() => Some((*min, *max)),
        _ => None,
    };
    // The common case, integers read as numbers with a whole-number range and no recode, 64
    // cells at a time.
    if let (DataType::Int64, Some(range)) = (column.dtype(), bounds.and_then(IntegerRange::new))
        && let Some(pna) = whole_pna(&scale.pna)
    {
        let array = column
            .i64()
            .map_err(|e| Error::polars(table, e))?
            .rechunk()
            .downcast_as_array()
            .clone();
        let (valid, out_of_range) = check_integers(&array, &pna, range);
        let values = array.values();
        let problems = out_of_range
            .into_iter()
            .map(|row| (row, values[row].to_string(), ProblemKind::OutOfRange))
            .collect();
        return Ok((Cells::Integers(array.with_validity(Some(valid))), problems));
    }

    let mut problems = Vec::new();
    let mut check = |row: usize, v: f64| -> Option<f64> {
        if scale.pna.contains(&v) {
            return None;
        }
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
    let mut cleaned = CellBuilder::with_capacity(column.len());
    match column.dtype() {
        DataType::String => {
            let text = column.str().map_err(|e| Error::polars(table, e))?;
            let mut bad = Vec::new();
            for (row, cell) in text.iter().enumerate() {
                cleaned.push(match cell.map(parse_number) {
                    None | Some(Ok(None)) => None,
                    Some(Ok(Some(v))) => check(row, v),
                    Some(Err(())) => {
                        bad.push((row, cell.unwrap_or_default().to_owned()));
                        None
                    }
                });
            }
            problems.extend(
                bad.into_iter()
                    .map(|(row, text)| (row, text, ProblemKind::NotANumber)),
            );
        }
        DataType::Int64 => {
            let cells = column.i64().map_err(|e| Error::polars(table, e))?;
            for (row, cell) in cells.iter().enumerate() {
                cleaned.push(cell.and_then(|v| check(row, v as f64)));
            }
        }
        _ => {
            let cells = numeric_cells(column, table)?;
            for (row, cell) in cells.iter().enumerate() {
                cleaned.push(cell.filter(|v| !v.is_nan()).and_then(|v| check(row, v)));
            }
        }
    }
    problems.sort_by_key(|p| p.0);
    Ok((cleaned.finish(), problems))
}

/// The PNA codes as integers, when they all are (a fraction can never match an integer cell,
/// but the general path handles that case).
fn whole_pna(pna: &[f64]) -> Option<Vec<i64>> {
    pna.iter()
        .map(|&p| (p.fract() == 0.0 && p.abs() < 9.0e15).then_some(p as i64))
        .collect()
}

/// `min..=max` of whole numbers, checked as one unsigned comparison.
#[derive(Clone, Copy)]
struct IntegerRange {
    min: i64,
    span: u64,
}

impl IntegerRange {
    fn new((min, max): (f64, f64)) -> Option<Self> {
        let whole = |v: f64| v.fract() == 0.0 && v.abs() < 9.0e15;
        (whole(min) && whole(max) && min <= max).then(|| IntegerRange {
            min: min as i64,
            span: (max as i64).wrapping_sub(min as i64) as u64,
        })
    }

    fn contains(self, v: i64) -> bool {
        (v.wrapping_sub(self.min) as u64) <= self.span
    }
}

/// The validity of a range-checked integer item without recodes (present, not PNA, in the
/// range), and the rows of present non-PNA answers outside the range.
fn check_integers(
    array: &PrimitiveArray<i64>,
    pna: &[i64],
    range: IntegerRange,
) -> (Bitmap, Vec<usize>) {
    let is_pna = |v: i64| pna.contains(&v);
    if pna.iter().any(|&p| range.contains(p)) {
        // A PNA code inside the range (no built-in scale has one) is looked for in every cell.
        check_words(array, |v| range.contains(v) && !is_pna(v), is_pna)
    } else {
        // Otherwise a PNA code is never in range: the range alone decides which cells count.
        check_words(array, |v| range.contains(v), is_pna)
    }
}

/// The validity (present and `counts(v)`) of `array`, and the rows of present cells that do
/// not count and are not PNA (`is_pna(v)`): answers out of range.
fn check_words(
    array: &PrimitiveArray<i64>,
    counts: impl Fn(i64) -> bool + Sync,
    is_pna: impl Fn(i64) -> bool + Sync,
) -> (Bitmap, Vec<usize>) {
    // In parts on all cores; a multiple of 64 rows, so each part fills whole bytes.
    const PART: usize = 1 << 16;
    let values = array.values().as_slice();
    let mut valid = vec![0u8; values.len().div_ceil(8)];
    let out_of_range: Vec<Vec<usize>> = valid
        .par_chunks_mut(PART / 8)
        .enumerate()
        .map(|(part, valid)| {
            let start = part * PART;
            let values = &values[start..(start + PART).min(values.len())];
            let mut out_of_range = Vec::new();
            let mut bytes = valid.iter_mut();
            for_each_word(
                array.validity(),
                start,
                values.len(),
                |offset, present, n| {
                    let cells = &values[offset..offset + n];
                    // One byte per cell first (a loop the compiler vectorizes), then bits.
                    let mut flags = [0u8; 64];
                    for (flag, &v) in flags.iter_mut().zip(cells) {
                        *flag = u8::from(counts(v));
                    }
                    let word = pack_flags(&flags) & present;
                    for (byte, bits) in (&mut bytes).zip(word.to_le_bytes()) {
                        *byte = bits;
                    }
                    let mut rest = !word & present;
                    while rest != 0 {
                        let j = rest.trailing_zeros() as usize;
                        if !is_pna(cells[j]) {
                            out_of_range.push(start + offset + j);
                        }
                        rest &= rest - 1;
                    }
                },
            );
            out_of_range
        })
        .collect();
    (
        Bitmap::from_u8_vec(valid, values.len()),
        out_of_range.concat(),
    )
}

/// Cleaned cells collected one at a time (the paths with text, recodes or sets of values).
struct CellBuilder {
    values: Vec<f64>,
    valid: MutableBitmap,
}

impl CellBuilder {
    fn with_capacity(rows: usize) -> Self {
        CellBuilder {
            values: Vec::with_capacity(rows),
            valid: MutableBitmap::with_capacity(rows),
        }
    }

    fn push(&mut self, value: Option<f64>) {
        self.values.push(value.unwrap_or(0.0));
        self.valid.push(value.is_some());
    }

    /// Integers when every present value is whole (so `3` stays `3` in CSV), else floats.
    fn finish(self) -> Cells {
        let valid: Option<Bitmap> = self.valid.into();
        // Missing cells hold 0, which is whole.
        if all_whole(self.values.iter().copied()) {
            let values: Vec<i64> = self.values.iter().map(|&v| v as i64).collect();
            Cells::Integers(PrimitiveArray::new(
                ArrowDataType::Int64,
                values.into(),
                valid,
            ))
        } else {
            Cells::Numbers(PrimitiveArray::new(
                ArrowDataType::Float64,
                self.values.into(),
                valid,
            ))
        }
    }
}

/// A column of cleaned numbers, stored as integers when every value is whole.
/// (Used by `mean-of-unique` cleaning for the averaged answers.)
pub(crate) fn number_column(
    name: &str,
    values: impl ExactSizeIterator<Item = Option<f64>>,
) -> Column {
    let mut cells = CellBuilder::with_capacity(values.len());
    for value in values {
        cells.push(value);
    }
    cells.finish().into_column(name)
}

impl Cells {
    fn into_column(self, name: &str) -> Column {
        match self {
            Cells::Integers(a) => Int64Chunked::with_chunk(name.into(), a).into_column(),
            Cells::Numbers(a) => Float64Chunked::with_chunk(name.into(), a).into_column(),
        }
    }
}

/// A number as a CSV cell: `3`, not `3.0`.
pub(crate) fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}
