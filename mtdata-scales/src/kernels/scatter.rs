//! Long to wide in one pass: every long row gets its target cell in a slot-major block of all
//! wide cells of a variable (`slot × wide rows + wide row`), from the coded keys; numeric and
//! boolean variables are then spread into that block directly (values, and validity 64 rows at
//! a time), the rest gathered per slot.

use std::sync::OnceLock;

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::bits::{for_each_word, set_bit};
use crate::kernels::keys::RowKeys;

/// The (session, tag) of a slot: which wide columns it is.
pub(crate) type SlotKey = (Option<String>, Option<String>);

/// Where the long rows' values go: `targets[row]` in a slot-major block of `slots` columns of
/// `wide_rows` cells; `filled` marks the cells some row fills.
pub(crate) struct Scatter {
    /// The (session, tag) of each slot, in order of first appearance.
    pub slot_keys: Vec<SlotKey>,
    /// The long row that gives each wide row its participant: one wide row per participant, in
    /// order of first appearance, and one for each row without a participant id.
    pub participant_rows: Vec<usize>,
    targets: Vec<u32>,
    filled: Bitmap,
    wide_rows: usize,
    slots: usize,
    /// Per slot, the long row of each wide row (for the variables gathered instead).
    rows: OnceLock<Vec<IdxCa>>,
}

impl Scatter {
    /// Place every row of a long table with these keys; rows sharing a key are an error.
    pub fn new(mut rk: RowKeys, table: &str) -> Result<Self> {
        let height = rk.rows();
        let (mut targets, slot_keys) = slots(&mut rk);
        let (wide_row, participant_rows) = wide_rows(rk);
        let wide_rows = participant_rows.len();
        let slots = slot_keys.len();
        let n_cells = wide_rows.saturating_mul(slots);
        if n_cells > u32::MAX as usize {
            return Err(Error::TooWide {
                table: table.to_owned(),
                rows: wide_rows,
                slots,
            });
        }
        let filled = fill(&mut targets, &wide_row, wide_rows, n_cells);
        // Each row fills one cell: fewer filled cells than rows means rows with the same key.
        if filled.set_bits() != height {
            let mut sorted = targets.clone();
            sorted.sort_unstable();
            let groups = sorted
                .chunk_by(|a, b| a == b)
                .filter(|g| g.len() > 1)
                .count();
            return Err(Error::DuplicateKeys {
                table: table.to_owned(),
                groups,
            });
        }
        Ok(Scatter {
            slot_keys,
            participant_rows,
            targets,
            filled,
            wide_rows,
            slots,
            rows: OnceLock::new(),
        })
    }

    /// One wide column per slot (in slot order) of the long column `source`; cells no row
    /// fills are missing.
    pub fn spread(&self, source: &Column) -> PolarsResult<Vec<Column>> {
        let name = source.name().clone();
        if let Column::Scalar(scalar) = source {
            // A constant column (`scoring`) stays constant where every participant has the slot.
            if (0..self.slots).all(|slot| self.slot_is_full(slot)) {
                let value = scalar.scalar().clone();
                return Ok((0..self.slots)
                    .map(|_| Column::new_scalar(name.clone(), value.clone(), self.wide_rows))
                    .collect());
            }
        }
        let series = source.as_materialized_series().rechunk();
        let columns: Vec<Series> = match series.dtype() {
            DataType::Int64 => self.numbers(series.i64()?),
            DataType::Int32 => self.numbers(series.i32()?),
            DataType::Int16 => self.numbers(series.i16()?),
            DataType::Int8 => self.numbers(series.i8()?),
            DataType::UInt64 => self.numbers(series.u64()?),
            DataType::UInt32 => self.numbers(series.u32()?),
            DataType::UInt16 => self.numbers(series.u16()?),
            DataType::UInt8 => self.numbers(series.u8()?),
            DataType::Float64 => self.numbers(series.f64()?),
            DataType::Float32 => self.numbers(series.f32()?),
            DataType::Boolean => self.booleans(series.bool()?),
            // Text (a view array cannot be put together from moved views without unsafe code
            // or checking every string again), dates, categories and the rest: gathered.
            _ => return self.gathered(&series),
        };
        Ok(columns.into_iter().map(Column::from).collect())
    }

    fn slot_is_full(&self, slot: usize) -> bool {
        let cells = self
            .filled
            .clone()
            .sliced(slot * self.wide_rows, self.wide_rows);
        cells.unset_bits() == 0
    }

    /// Validity of the spread cells: set where a row with a present value lands.
    fn validity(&self, present: Option<&Bitmap>) -> Bitmap {
        match present.filter(|p| p.unset_bits() > 0) {
            None => self.filled.clone(),
            Some(present) => self.spread_bits(present),
        }
    }

    /// One bit per long row spread over the cells the rows fill, 64 rows at a time (cells no
    /// row fills are clear).
    fn spread_bits(&self, bits: &Bitmap) -> Bitmap {
        let cells = self.wide_rows * self.slots;
        let mut spread = vec![0u8; cells.div_ceil(8)];
        for_each_word(Some(bits), 0, bits.len(), |offset, word, n| {
            for (j, &target) in self.targets[offset..offset + n].iter().enumerate() {
                set_bit(&mut spread, target, (word >> j) & 1 == 1);
            }
        });
        Bitmap::from_u8_vec(spread, cells)
    }

    /// Cut the slot-major block into one array per slot (zero-copy slices of one buffer).
    fn per_slot<A: Array + Clone>(&self, block: A) -> Vec<A> {
        (0..self.slots)
            .map(|slot| {
                let mut part = block.clone();
                part.slice(slot * self.wide_rows, self.wide_rows);
                part
            })
            .collect()
    }

    fn numbers<T: PolarsNumericType>(&self, source: &ChunkedArray<T>) -> Vec<Series> {
        let array = source.downcast_as_array();
        let values = array.values().as_slice();
        let cells = self.wide_rows * self.slots;
        let mut block = vec![T::Native::default(); cells];
        for (&target, &value) in self.targets.iter().zip(values) {
            block[target as usize] = value;
        }
        let valid = self.validity(array.validity());
        let block = PrimitiveArray::new(array.dtype().clone(), block.into(), Some(valid));
        self.per_slot(block)
            .into_iter()
            .map(|a| ChunkedArray::<T>::with_chunk(source.name().clone(), a).into_series())
            .collect()
    }

    fn booleans(&self, source: &BooleanChunked) -> Vec<Series> {
        let array = source.downcast_as_array();
        let block = self.spread_bits(array.values());
        let valid = self.validity(array.validity());
        let block = BooleanArray::new(ArrowDataType::Boolean, block, Some(valid));
        self.per_slot(block)
            .into_iter()
            .map(|a| BooleanChunked::with_chunk(source.name().clone(), a).into_series())
            .collect()
    }

    /// The general path: per slot, gather the long row of each wide row (a null index where
    /// there is none). The slots are gathered on all cores.
    fn gathered(&self, source: &Series) -> PolarsResult<Vec<Column>> {
        self.rows
            .get_or_init(|| {
                const NONE: IdxSize = IdxSize::MAX;
                let mut rows = vec![vec![NONE; self.wide_rows]; self.slots];
                for (row, &target) in self.targets.iter().enumerate() {
                    let target = target as usize;
                    rows[target / self.wide_rows][target % self.wide_rows] = row as IdxSize;
                }
                rows.into_iter()
                    .enumerate()
                    .map(|(slot, rows)| {
                        if self.slot_is_full(slot) {
                            // An index without nulls takes polars' faster path.
                            IdxCa::from_vec("rows".into(), rows)
                        } else {
                            rows.iter().map(|&r| (r != NONE).then_some(r)).collect()
                        }
                    })
                    .collect()
            })
            .par_iter()
            .map(|index| source.take(index).map(Column::from))
            .collect()
    }
}

/// Per long row its slot (a (session, tag) pair, numbered in order of first appearance), and
/// the (session, tag) text of each slot. Key codes are dense and in order of first appearance,
/// so (session code, tag code) indexes the slot table directly.
fn slots(rk: &mut RowKeys) -> (Vec<u32>, Vec<SlotKey>) {
    let height = rk.rows();
    let (s_i, t_i) = (rk.session, rk.tag);
    let n_tags = t_i.map_or(1, |i| rk.distinct(i));
    let n_slot_codes = s_i.map_or(1, |i| rk.distinct(i)).saturating_mul(n_tags);
    let tag_codes = t_i.map(|i| std::mem::take(&mut rk.codes[i]));
    // The session codes' buffer is reused for the slots.
    let mut targets: Vec<u32> = match s_i {
        Some(i) => std::mem::take(&mut rk.codes[i]),
        None => vec![0; height],
    };
    let slot_rows: Vec<usize> = match &tag_codes {
        // Without tags a slot is a session, and session codes already are slot numbers.
        None => match s_i {
            Some(i) => rk.first_rows(i).iter().map(|&r| r as usize).collect(),
            None => vec![0; usize::from(height > 0)],
        },
        Some(tag_codes) => {
            // Sessions × tags is small in any real table; a hash map stands in if it is not.
            let mut slot_of_code = SlotIndex::new(n_slot_codes, height);
            let mut slot_rows = Vec::new();
            for (row, code) in targets.iter_mut().enumerate() {
                let pair = *code as usize * n_tags + tag_codes[row] as usize;
                let slot = slot_of_code.get_or_insert(pair, || {
                    slot_rows.push(row);
                    slot_rows.len() - 1
                });
                *code = slot as u32;
            }
            slot_rows
        }
    };
    let slot_keys = slot_rows
        .iter()
        .map(|&row| {
            let text = |i: Option<usize>| i.and_then(|i| rk.text(row, i));
            (text(s_i), text(t_i))
        })
        .collect();
    (targets, slot_keys)
}

/// Per long row its wide row, and the long row that gives each wide row its participant. The
/// participant's code is its wide row, except that a row without a participant id cannot be
/// anyone's and gets a wide row of its own.
fn wide_rows(mut rk: RowKeys) -> (Vec<u32>, Vec<usize>) {
    let mut participant_rows: Vec<usize> = rk.first_rows(0).iter().map(|&r| r as usize).collect();
    let no_id = rk.missing_code(0);
    let mut wide_row: Vec<u32> = std::mem::take(&mut rk.codes[0]);
    drop(rk);
    if let Some(no_id) = no_id {
        participant_rows.remove(no_id as usize);
        for (row, p) in wide_row.iter_mut().enumerate() {
            if *p == no_id {
                *p = participant_rows.len() as u32;
                participant_rows.push(row);
            } else if *p > no_id {
                *p -= 1;
            }
        }
    }
    (wide_row, participant_rows)
}

/// Turn each row's slot in `targets` into its cell (`slot × wide rows + wide row`), and mark
/// the cells filled. In parts on all cores, each marking the cells it fills; the parts' marks
/// are merged.
fn fill(targets: &mut [u32], wide_row: &[u32], wide_rows: usize, n_cells: usize) -> Bitmap {
    const PART: usize = 1 << 18;
    let filled = targets
        .par_chunks_mut(PART)
        .zip(wide_row.par_chunks(PART))
        .map(|(targets, wide_row)| {
            let mut filled = vec![0u8; n_cells.div_ceil(8)];
            for (target, &p) in targets.iter_mut().zip(wide_row) {
                *target = *target * wide_rows as u32 + p;
                set_bit(&mut filled, *target, true);
            }
            filled
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x |= y);
            a
        })
        .unwrap_or_default();
    Bitmap::from_u8_vec(filled, n_cells)
}

/// Slot number of each (session code, tag code) pair.
enum SlotIndex {
    Dense(Vec<usize>),
    Sparse(PlHashMap<usize, usize>),
}

impl SlotIndex {
    fn new(codes: usize, rows: usize) -> Self {
        if codes <= rows.saturating_mul(4).max(1 << 16) {
            SlotIndex::Dense(vec![usize::MAX; codes])
        } else {
            SlotIndex::Sparse(PlHashMap::default())
        }
    }

    fn get_or_insert(&mut self, code: usize, new: impl FnOnce() -> usize) -> usize {
        match self {
            SlotIndex::Dense(slots) => {
                if slots[code] == usize::MAX {
                    slots[code] = new();
                }
                slots[code]
            }
            SlotIndex::Sparse(slots) => *slots.entry(code).or_insert_with(new),
        }
    }
}
