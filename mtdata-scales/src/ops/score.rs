//! Scoring: PNA codes to missing, recodes, validation, then the rules of one variant.

use polars::prelude::*;
use polars_arrow::array::{Array, PrimitiveArray};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::codebook::{ItemDef, Rule, ScaleDef, ScoreDef, ValidValues};
use crate::error::{Error, Result};
use crate::frame::{
    all_whole, find_column, for_each_word, numeric_cells, parse_number, text_values,
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

/// One numeric item column after cleaning: "prefer not to answer" and invalid cells missing,
/// recodes applied.
#[derive(Debug, Clone)]
pub struct ItemColumn {
    /// Column name in the table.
    pub column: String,
    /// Item name in the codebook.
    pub item: String,
    cells: Cells,
    /// No present value is larger than this in magnitude (from the item's valid values).
    bound: f64,
}

/// Whole numbers stay integers, anything else is floats. An integer column read as numbers is
/// kept as read, under a new validity, so a missing cell's slot may hold any number.
#[derive(Debug, Clone)]
enum Cells {
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

    /// Add rows `start..start + counts.len()` to `sums`, and count the present ones.
    fn add_to(&self, start: usize, block: &mut BlockSums) {
        let rows = start..start + block.counts.len();
        let counts = &mut block.counts;
        match (&self.cells, &mut block.sums) {
            (Cells::Integers(a), Sums::Whole(sums)) => {
                add_present(&a.values()[rows], a.validity(), start, sums, counts);
            }
            (Cells::Integers(a), Sums::Numbers(sums)) => {
                add_present(&a.values()[rows], a.validity(), start, sums, counts);
            }
            (Cells::Numbers(a), Sums::Numbers(sums)) => {
                add_present(&a.values()[rows], a.validity(), start, sums, counts);
            }
            (Cells::Numbers(_), Sums::Whole(_)) => {
                unreachable!("integer sums are chosen only when every item holds integers")
            }
        }
    }
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
    for ((item, col), (cells, bad)) in present.into_iter().zip(cleaned) {
        problems.extend(bad.into_iter().map(|(row, value, kind)| ValueProblem {
            row,
            id: ids.as_ref().and_then(|v| v[row].clone()),
            column: col.clone(),
            value,
            kind,
        }));
        let bound = item
            .valid
            .bounds()
            .map_or(f64::INFINITY, |(min, max)| min.abs().max(max.abs()));
        columns.push(ItemColumn {
            column: col,
            item: item.name.clone(),
            cells,
            bound,
        });
    }
    Ok(ItemValues { columns, problems })
}

/// One item column: PNA → missing, recode, validity check; invalid cells as (row, text, why).
type CleanedItem = (Cells, Vec<(usize, String, ProblemKind)>);

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

/// 64 flags (each 0 or 1) as the bits of a word, flag `j` in bit `j`: each 8 flags read as one
/// little-endian word and gathered into a byte by one multiplication.
fn pack_flags(flags: &[u8; 64]) -> u64 {
    let mut word = 0;
    for (k, eight) in flags.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes([
            eight[0], eight[1], eight[2], eight[3], eight[4], eight[5], eight[6], eight[7],
        ]);
        word |= (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    word
}

/// `sums[i] += values[i]` and `counts[i] += 1` for the present rows (`validity` starts at row
/// `start`; `values`, `sums` and `counts` at row `start`).
fn add_present<T: Copy + Cell, S: Sum<T>>(
    values: &[T],
    validity: Option<&Bitmap>,
    start: usize,
    sums: &mut [S],
    counts: &mut [u32],
) {
    for_each_word(validity, start, values.len(), |offset, word, n| {
        let rows = offset..offset + n;
        let cells = values[rows.clone()].iter();
        for (j, ((sum, count), &v)) in sums[rows.clone()]
            .iter_mut()
            .zip(&mut counts[rows])
            .zip(cells)
            .enumerate()
        {
            let present = (word >> j) & 1 == 1;
            sum.add_if(v, present);
            *count += u32::from(present);
        }
    });
}

/// A cell type of an item column.
trait Cell {
    fn to_f64(self) -> f64;
}

impl Cell for i64 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Cell for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

/// A running sum of cells of type `T`.
trait Sum<T> {
    fn add_if(&mut self, value: T, present: bool);
}

impl<T: Cell> Sum<T> for f64 {
    fn add_if(&mut self, value: T, present: bool) {
        *self += if present { value.to_f64() } else { 0.0 };
    }
}

impl Sum<i64> for i64 {
    fn add_if(&mut self, value: i64, present: bool) {
        // A mask, not a branch: a missing cell may hold any number (a PNA code, say).
        *self += value & i64::from(present).wrapping_neg();
    }
}

/// The sums of one block of rows. Integer items are summed as integers when their bounds
/// keep every sum exact (integer additions, converted to a float once per row); floats, or
/// integers without such bounds, as floats.
struct BlockSums {
    sums: Sums,
    counts: Vec<u32>,
}

enum Sums {
    Whole(Vec<i64>),
    Numbers(Vec<f64>),
}

impl BlockSums {
    fn new(rows: usize, whole: bool) -> Self {
        BlockSums {
            sums: if whole {
                Sums::Whole(vec![0; rows])
            } else {
                Sums::Numbers(vec![0.0; rows])
            },
            counts: vec![0; rows],
        }
    }

    fn sum(&self, row: usize) -> f64 {
        match &self.sums {
            Sums::Whole(sums) => sums[row] as f64,
            Sums::Numbers(sums) => sums[row],
        }
    }
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
    for item in &items.columns {
        data.with_column(item.to_column())
            .map_err(|e| Error::polars(&scale.name, e))?;
    }
    let mut rules = Vec::new();
    if let Some(variant) = variant {
        let mut computed: Vec<(String, PrimitiveArray<f64>)> = Vec::new();
        for def in &variant.scores {
            let values = compute(def, scale, &items, &computed, df.height())?;
            let column = Float64Chunked::with_chunk(def.name.as_str().into(), values.clone());
            data.with_column(column.into_column())
                .map_err(|e| Error::polars(&scale.name, e))?;
            if let Some(t) = &def.threshold {
                let flags: BooleanChunked = values
                    .iter()
                    .map(|v| v.map(|x| t.op.holds(*x, t.value)))
                    .collect();
                data.with_column(flags.with_name(t.column.as_str().into()).into_column())
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

fn compute(
    def: &ScoreDef,
    scale: &ScaleDef,
    items: &ItemValues,
    computed: &[(String, PrimitiveArray<f64>)],
    height: usize,
) -> Result<PrimitiveArray<f64>> {
    let lookup = |names: &[String]| -> Result<Vec<&ItemColumn>> {
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
    let per_row = |score: &(dyn Fn(usize) -> Option<f64> + Sync)| -> PrimitiveArray<f64> {
        let values: Vec<Option<f64>> = (0..height).into_par_iter().map(score).collect();
        values.into()
    };
    if def.rule == Rule::MeanOfScores {
        let parts: Vec<&PrimitiveArray<f64>> = def
            .items
            .iter()
            .filter_map(|n| computed.iter().find(|(c, _)| c == n).map(|(_, v)| v))
            .collect();
        return Ok(per_row(&|row| {
            mean_of(parts.iter().map(|p| p.get(row)), def.min_answered).map(|(m, _)| m)
        }));
    }
    let cols = lookup(&def.items)?;
    let n_items = cols.len() as f64;
    let min = def.min_answered;
    let out = match &def.rule {
        Rule::Sum | Rule::SumMissingAsZero => sum_rule(&cols, height, min, |sum, _| sum),
        Rule::Mean => sum_rule(&cols, height, min, |sum, n| sum / n),
        Rule::ScaledMean { factor } => sum_rule(&cols, height, min, |sum, n| sum / n * factor),
        Rule::ProratedSum => sum_rule(&cols, height, min, |sum, n| sum / n * n_items),
        Rule::MedianImputedSum { factor } => {
            let medians: Vec<Option<f64>> = cols.iter().map(|c| median(c)).collect();
            per_row(&|row| {
                let answered = cols.iter().filter(|c| c.get(row).is_some()).count();
                if answered < min {
                    return None;
                }
                let mut sum = 0.0;
                for (c, m) in cols.iter().zip(&medians) {
                    sum += c.get(row).or(*m)?;
                }
                Some(sum * factor)
            })
        }
        Rule::Ratio { denominator } => {
            let den = lookup(denominator)?;
            per_row(&|row| {
                let (num, _) = mean_of(cols.iter().map(|c| c.get(row)), min)?;
                let (d, _) = mean_of(den.iter().map(|c| c.get(row)), min)?;
                // A zero denominator has no ratio: missing, never infinite.
                (d != 0.0).then(|| num / d)
            })
        }
        Rule::MeanDifference { minus } => {
            let other = lookup(minus)?;
            per_row(&|row| {
                let (a, _) = mean_of(cols.iter().map(|c| c.get(row)), min)?;
                let (b, _) = mean_of(other.iter().map(|c| c.get(row)), min)?;
                Some(a - b)
            })
        }
        Rule::MeanOfScores => unreachable!("handled above"),
    };
    Ok(out)
}

/// Rows with at least `min` (and at least one) answered items of `cols` get
/// `score(sum, answered)`. Rows are taken in blocks, on all cores, and within a block one
/// column at a time, so the running sums stay in cache.
fn sum_rule(
    cols: &[&ItemColumn],
    height: usize,
    min: usize,
    score: impl Fn(f64, f64) -> f64 + Sync,
) -> PrimitiveArray<f64> {
    // A multiple of 64, so every block starts on a whole word of the validity bitmaps.
    const BLOCK: usize = 1 << 13;
    let min = min.max(1) as u32;
    // Integer sums stay exact as floats below 2^53, whatever the order of the additions.
    let whole = cols.iter().all(|c| matches!(c.cells, Cells::Integers(_)))
        && cols.iter().map(|c| c.bound).sum::<f64>() < 2f64.powi(53);
    let mut values = vec![0.0f64; height];
    let mut valid = vec![0u8; height.div_ceil(8)];
    values
        .par_chunks_mut(BLOCK)
        .zip(valid.par_chunks_mut(BLOCK / 8))
        .enumerate()
        .for_each(|(block, (values, valid))| {
            let mut sums = BlockSums::new(values.len(), whole);
            for col in cols {
                col.add_to(block * BLOCK, &mut sums);
            }
            for (i, (value, &n)) in values.iter_mut().zip(&sums.counts).enumerate() {
                let scored = n >= min;
                *value = if scored {
                    score(sums.sum(i), f64::from(n))
                } else {
                    0.0
                };
                valid[i / 8] |= u8::from(scored) << (i % 8);
            }
        });
    PrimitiveArray::new(
        ArrowDataType::Float64,
        values.into(),
        Some(Bitmap::from_u8_vec(valid, height)),
    )
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
fn median(values: &ItemColumn) -> Option<f64> {
    median_of(values.iter().flatten().collect())
}

fn median_of(mut v: Vec<f64>) -> Option<f64> {
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
    fn flags_pack_into_bits_in_order() {
        let mut flags = [0u8; 64];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for (j, flag) in flags.iter_mut().enumerate() {
                *flag = u8::from((x >> j) & 1 == 1);
            }
            assert_eq!(pack_flags(&flags), x);
        }
    }

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
        assert_eq!(median_of(vec![1.0, 4.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median_of(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median_of(Vec::new()), None);
    }
}
