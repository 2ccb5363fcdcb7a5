//! Long to wide (one row per participant, columns `<Scale>_<var>_<session>[_<tag>]`) and back.

use std::cmp::Ordering;
use std::sync::OnceLock;

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::clean::{key_columns, row_keys};
use crate::error::{Error, Result};
use crate::frame::{find_column, for_each_word, idx};

/// Session names in MindTrails schedule order (R34, Templeton, Calm Thinking/TET). Sessions
/// not listed come after these, alphabetically; a missing session comes first (screening).
pub const SCHEDULE_ORDER: &[&str] = &[
    "ELIGIBLE",
    "Eligibility",
    "preTest",
    "PRE",
    "SESSION1",
    "firstSession",
    "SESSION2",
    "secondSession",
    "SESSION3",
    "thirdSession",
    "SESSION4",
    "fourthSession",
    "SESSION5",
    "fifthSession",
    "SESSION6",
    "SESSION7",
    "SESSION8",
    "POST",
    "PostFollowUp",
    "PostFollowUp2",
    "COMPLETE",
];

/// Options of [`long_to_wide`].
#[derive(Debug, Clone, Default)]
pub struct WideOptions {
    /// Participant id column; `None` picks the first of [`crate::PARTICIPANT_COLUMNS`].
    pub participant_column: Option<String>,
    /// Session order; `None` uses [`SCHEDULE_ORDER`].
    pub session_order: Option<Vec<String>>,
}

/// One wide column: which long variable, session and tag it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WideColumn {
    pub name: String,
    pub variable: String,
    pub session: Option<String>,
    pub tag: Option<String>,
}

/// Result of [`long_to_wide`]: the table and the map from its columns back to long form.
#[derive(Debug, Clone)]
pub struct Wide {
    pub data: DataFrame,
    pub participant_column: String,
    /// Name of the long session column (`None` if the table had none).
    pub session_column: Option<String>,
    /// Name of the long tag column (`None` if the table had none).
    pub tag_column: Option<String>,
    /// Value columns in order.
    pub columns: Vec<WideColumn>,
}

fn session_rank(order: &[String], s: &Option<String>) -> (usize, usize, String) {
    match s {
        None => (0, 0, String::new()),
        Some(s) => match order.iter().position(|o| o.eq_ignore_ascii_case(s)) {
            Some(p) => (1, p, String::new()),
            None => (2, 0, s.clone()),
        },
    }
}

fn tag_rank(t: &Option<String>) -> (usize, String) {
    match t.as_deref() {
        None => (0, String::new()),
        Some(t) if t.eq_ignore_ascii_case("pre") => (1, String::new()),
        Some(t) if t.eq_ignore_ascii_case("post") => (2, String::new()),
        Some(t) => (3, t.to_owned()),
    }
}

/// Reshape a long table (one row per participant, session and tag) to one row per
/// participant. Every non-key column is kept, text included, as
/// `<prefix>_<column>_<session>` (`_<tag>` appended when the table has a `tag` column).
///
/// Keys must be unique: duplicates are an error, never averaged (run [`crate::clean`] first).
pub fn long_to_wide(df: &DataFrame, prefix: &str, options: &WideOptions) -> Result<Wide> {
    let keys = key_columns(df, options.participant_column.as_deref(), prefix)?;
    let participant = keys[0].clone();
    let session_column = find_column(df, "session");
    let tag_column = find_column(df, "tag");
    let mut rk = row_keys(df, &keys, prefix)?;
    let s_i = session_column.as_ref().map(|_| 1usize);
    let t_i = tag_column.as_ref().map(|_| keys.len() - 1);

    // Key codes are dense and in order of first appearance, so the participant's code is its
    // wide row, and (session code, tag code) indexes the slot table directly.
    let height = df.height();
    let n_tags = t_i.map_or(1, |i| rk.distinct(i));
    let n_slot_codes = s_i.map_or(1, |i| rk.distinct(i)).saturating_mul(n_tags);
    let tag_codes = t_i.map(|i| std::mem::take(&mut rk.codes[i]));
    // Per long row its slot, then (below) its target cell; the session codes' buffer is reused.
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
    drop(tag_codes);
    let slot_keys: Vec<(Option<String>, Option<String>)> = slot_rows
        .iter()
        .map(|&row| {
            let text = |i: Option<usize>| i.and_then(|i| rk.text(row, i));
            (text(s_i), text(t_i))
        })
        .collect();
    // Wide rows: one per participant, in order of first appearance, except that a row without
    // a participant id cannot be anyone's and gets a wide row of its own.
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
    // Where each long row's values go in a slot-major block of all wide cells of a variable:
    // `slot × wide rows + wide row`.
    let n_wide = participant_rows.len();
    let n_slots = slot_keys.len();
    let n_cells = n_wide.saturating_mul(n_slots);
    if n_cells > u32::MAX as usize {
        return Err(Error::TooWide {
            table: prefix.to_owned(),
            rows: n_wide,
            slots: n_slots,
        });
    }
    // In parts on all cores, each marking the cells it fills; the parts' marks are merged.
    const PART: usize = 1 << 18;
    let filled = targets
        .par_chunks_mut(PART)
        .zip(wide_row.par_chunks(PART))
        .map(|(targets, wide_row)| {
            let mut filled = vec![0u8; n_cells.div_ceil(8)];
            for (target, &p) in targets.iter_mut().zip(wide_row) {
                *target = *target * n_wide as u32 + p;
                set_bit(&mut filled, *target, true);
            }
            filled
        })
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x |= y);
            a
        })
        .unwrap_or_default();
    drop(wide_row);
    let filled = Bitmap::from_u8_vec(filled, n_cells);
    // Each row fills one cell: fewer filled cells than rows means rows with the same key.
    if filled.set_bits() != height {
        let mut sorted = targets.clone();
        sorted.sort_unstable();
        let groups = sorted
            .chunk_by(|a, b| a == b)
            .filter(|g| g.len() > 1)
            .count();
        return Err(Error::DuplicateKeys {
            table: prefix.to_owned(),
            groups,
        });
    }
    let order: Vec<String> = options
        .session_order
        .clone()
        .unwrap_or_else(|| SCHEDULE_ORDER.iter().map(|s| (*s).to_owned()).collect());
    let mut slot_order: Vec<usize> = (0..n_slots).collect();
    slot_order.sort_by(|&a, &b| {
        let (sa, ta) = &slot_keys[a];
        let (sb, tb) = &slot_keys[b];
        session_rank(&order, sa)
            .cmp(&session_rank(&order, sb))
            .then_with(|| tag_rank(ta).cmp(&tag_rank(tb)))
            .then(Ordering::Equal)
    });

    let value_names: Vec<String> = df
        .get_column_names()
        .into_iter()
        .map(|c| c.to_string())
        .filter(|c| !keys.contains(c))
        .collect();
    let mut columns = Vec::new();
    let mut names_seen: PlHashMap<String, ()> = PlHashMap::default();
    names_seen.insert(participant.clone(), ());
    // names[variable][slot]
    let mut names: Vec<Vec<String>> = vec![vec![String::new(); n_slots]; value_names.len()];
    for &slot in &slot_order {
        let (session, tag) = &slot_keys[slot];
        for (v, var) in value_names.iter().enumerate() {
            let mut name = format!("{prefix}_{var}_{}", session.as_deref().unwrap_or("NA"));
            if tag_column.is_some() {
                name.push('_');
                name.push_str(tag.as_deref().unwrap_or("NA"));
            }
            if names_seen.insert(name.clone(), ()).is_some() {
                return Err(Error::MissingColumn {
                    table: prefix.to_owned(),
                    column: name,
                    hint: "two variables or sessions give the same wide column name; rename one"
                        .into(),
                });
            }
            columns.push(WideColumn {
                name: name.clone(),
                variable: var.clone(),
                session: session.clone(),
                tag: tag.clone(),
            });
            names[v][slot] = name;
        }
    }
    let plan = Scatter {
        targets: &targets,
        filled: &filled,
        wide_rows: n_wide,
        slots: n_slots,
        rows: OnceLock::new(),
    };
    // Each variable is spread over its wide columns in one pass over the long rows; the
    // variables (and the participant column) are independent, so they go on all cores.
    let (ids, spread) = rayon::join(
        || {
            df.column(&participant)
                .and_then(|c| c.take(&idx(&participant_rows)))
                .map_err(|e| Error::polars(prefix, e))
        },
        || {
            value_names
                .par_iter()
                .map(|var| {
                    let source = df.column(var).map_err(|e| Error::polars(prefix, e))?;
                    plan.spread(source).map_err(|e| Error::polars(prefix, e))
                })
                .collect::<Result<Vec<Vec<Column>>>>()
        },
    );
    let mut spread = spread?;
    let mut out = vec![ids?];
    for &slot in &slot_order {
        for (v, by_slot) in spread.iter_mut().enumerate() {
            let column = std::mem::take(&mut by_slot[slot]);
            out.push(column.with_name(names[v][slot].as_str().into()));
        }
    }
    let data = DataFrame::new(n_wide, out).map_err(|e| Error::polars(prefix, e))?;
    Ok(Wide {
        data,
        participant_column: participant,
        session_column,
        tag_column,
        columns,
    })
}

/// Where the long rows' values go: `targets[row]` in a slot-major block of `slots` columns of
/// `wide_rows` cells; `filled` marks the cells some row fills.
struct Scatter<'a> {
    targets: &'a [u32],
    filled: &'a Bitmap,
    wide_rows: usize,
    slots: usize,
    /// Per slot, the long row of each wide row (for the variables gathered instead).
    rows: OnceLock<Vec<IdxCa>>,
}

impl Scatter<'_> {
    /// One wide column per slot (in slot order) of the long column `source`; cells no row
    /// fills are missing.
    fn spread(&self, source: &Column) -> PolarsResult<Vec<Column>> {
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

/// Set bit `i` of a bitmap held as bytes when `on` (no branch: nearly every call sets it).
fn set_bit(bytes: &mut [u8], i: u32, on: bool) {
    bytes[(i >> 3) as usize] |= u8::from(on) << (i & 7);
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

impl Wide {
    /// Back to long form: one row per participant and (session, tag) with any value present,
    /// columns participant, session, tag, then the variables in their original order.
    pub fn to_long(&self) -> Result<DataFrame> {
        let table = "wide";
        let mut slots: Vec<(Option<String>, Option<String>)> = Vec::new();
        for c in &self.columns {
            let key = (c.session.clone(), c.tag.clone());
            if !slots.contains(&key) {
                slots.push(key);
            }
        }
        let participant = self
            .data
            .column(&self.participant_column)
            .map_err(|e| Error::polars(table, e))?;
        let mut long: Option<DataFrame> = None;
        for (session, tag) in &slots {
            let mut cols = vec![participant.clone()];
            let n = self.data.height();
            if let Some(s) = &self.session_column {
                cols.push(Column::new(s.as_str().into(), vec![session.clone(); n]));
            }
            if let Some(t) = &self.tag_column {
                cols.push(Column::new(t.as_str().into(), vec![tag.clone(); n]));
            }
            let mut any = vec![false; n];
            for c in self
                .columns
                .iter()
                .filter(|c| &c.session == session && &c.tag == tag)
            {
                let col = self
                    .data
                    .column(&c.name)
                    .map_err(|e| Error::polars(table, e))?;
                let present = col.is_not_null();
                for (a, p) in any.iter_mut().zip(present.iter()) {
                    *a |= p.unwrap_or(false);
                }
                cols.push(col.clone().with_name(c.variable.as_str().into()));
            }
            let frame = DataFrame::new(n, cols).map_err(|e| Error::polars(table, e))?;
            let frame = frame
                .filter(&BooleanChunked::from_slice("any".into(), &any))
                .map_err(|e| Error::polars(table, e))?;
            long = Some(match long {
                None => frame,
                Some(l) => l.vstack(&frame).map_err(|e| Error::polars(table, e))?,
            });
        }
        Ok(long.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_follow_the_schedule() {
        let order: Vec<String> = SCHEDULE_ORDER.iter().map(|s| (*s).to_owned()).collect();
        let mut s = vec![
            Some("POST".to_owned()),
            Some("zzz".to_owned()),
            Some("SESSION1".to_owned()),
            None,
            Some("PRE".to_owned()),
        ];
        s.sort_by_key(|x| session_rank(&order, x));
        assert_eq!(
            s,
            vec![
                None,
                Some("PRE".into()),
                Some("SESSION1".into()),
                Some("POST".into()),
                Some("zzz".into())
            ]
        );
    }

    #[test]
    fn many_sessions_and_tags_take_the_sparse_slot_index() {
        // 300 sessions × 300 tags = 90,000 pairs, more than the dense table allows for 300 rows.
        let n = 300;
        let text =
            |prefix: &str| -> Vec<String> { (0..n).map(|i| format!("{prefix}{i}")).collect() };
        let df = DataFrame::new_infer_height(vec![
            Column::new("participant".into(), vec!["1"; n]),
            Column::new("session".into(), text("s")),
            Column::new("tag".into(), text("t")),
            Column::new("x".into(), (0..n as i64).collect::<Vec<_>>()),
        ])
        .unwrap();
        let wide = long_to_wide(&df, "T", &WideOptions::default()).unwrap();
        assert_eq!(wide.data.shape(), (1, n + 1));
        assert_eq!(wide.to_long().unwrap().height(), n);
    }

    #[test]
    fn rows_without_a_participant_id_get_wide_rows_of_their_own() {
        let df = DataFrame::new_infer_height(vec![
            Column::new("participant".into(), vec![Some("1"), None, Some("1"), None]),
            Column::new("session".into(), vec!["PRE", "PRE", "POST", "PRE"]),
            Column::new("x".into(), vec![1i64, 2, 3, 4]),
        ])
        .unwrap();
        let wide = long_to_wide(&df, "T", &WideOptions::default()).unwrap();
        assert_eq!(wide.data.height(), 3);
        assert_eq!(wide.to_long().unwrap().height(), 4);
    }
}
