//! Score arithmetic over cleaned item columns: sums and means in blocks of rows on all cores
//! (integers summed as integers while exact), and the per-row rules (medians, ratios,
//! differences, means of scores).

use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::bits::for_each_word;
use crate::kernels::items::{Cells, ItemColumn};
use crate::rules::codebook::{Rule, ScaleDef, ScoreDef};
use crate::rules::records::ImputationBase;

impl ItemColumn {
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

/// The values of score `def` over the cleaned `items` of `scale` (`height` rows), named after the
/// score; `computed` holds the scores of the variant computed before it, `base` the medians of
/// a median-imputed score.
pub(crate) fn score_column(
    def: &ScoreDef,
    scale: &ScaleDef,
    items: &[ItemColumn],
    computed: &[Float64Chunked],
    base: Option<&ImputationBase>,
    height: usize,
) -> Result<Float64Chunked> {
    let values = compute(def, scale, items, computed, base, height)?;
    Ok(Float64Chunked::with_chunk(def.name.as_str().into(), values))
}

fn compute(
    def: &ScoreDef,
    scale: &ScaleDef,
    items: &[ItemColumn],
    computed: &[Float64Chunked],
    base: Option<&ImputationBase>,
    height: usize,
) -> Result<PrimitiveArray<f64>> {
    let lookup = |names: &[String]| -> Result<Vec<&ItemColumn>> {
        names
            .iter()
            .map(|n| {
                let item = items.iter().find(|c| c.item.eq_ignore_ascii_case(n));
                item.ok_or_else(|| Error::MissingColumn {
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
            .filter_map(|n| computed.iter().find(|c| c.name() == n.as_str()))
            .map(|c| c.downcast_as_array())
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
            // The base's medians; without one (never from the operations), the table's own.
            let medians: Vec<Option<f64>> = cols
                .iter()
                .map(|c| base.map_or_else(|| median(c), |b| b.median(&c.item)))
                .collect();
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
pub(crate) fn median(values: &ItemColumn) -> Option<f64> {
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
