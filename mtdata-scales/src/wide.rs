//! Long to wide (one row per participant, columns `<Scale>_<var>_<session>[_<tag>]`) and back.

use std::cmp::Ordering;

use polars::prelude::*;
use rayon::prelude::*;

use crate::clean::{key_columns, row_keys};
use crate::error::{Error, Result};
use crate::frame::{find_column, idx};

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
    let rk = row_keys(df, &keys, prefix)?;
    let s_i = session_column.as_ref().map(|_| 1usize);
    let t_i = tag_column.as_ref().map(|_| keys.len() - 1);
    let text = |row: usize, i: Option<usize>| i.and_then(|i| rk.text(row, i));

    // Key codes are dense and in order of first appearance, so the participant's code is its
    // wide row, and (session code, tag code) indexes the slot table directly.
    const NONE: usize = usize::MAX;
    let n_participants = rk.uniques[0].len();
    let n_tags = t_i.map_or(1, |i| rk.uniques[i].len());
    let n_slot_codes = s_i
        .map_or(1, |i| rk.uniques[i].len())
        .saturating_mul(n_tags);
    // Sessions × tags is small in any real table; a hash map stands in if it is not.
    let mut slot_of_code = SlotIndex::new(n_slot_codes, df.height());
    let mut participant_rows: Vec<usize> = vec![NONE; n_participants];
    let mut slot_keys: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut row_cell: Vec<(u32, u32)> = Vec::with_capacity(df.height());
    // A row without a participant id cannot be anyone's: it gets a wide row of its own.
    let no_id = rk.uniques[0].iter().position(Option::is_none);
    for row in 0..df.height() {
        let code = rk.key(row);
        let p = if Some(code[0] as usize) == no_id {
            participant_rows.push(NONE);
            participant_rows.len() - 1
        } else {
            code[0] as usize
        };
        if participant_rows[p] == NONE {
            participant_rows[p] = row;
        }
        let s_code = s_i.map_or(0, |i| code[i]) as usize;
        let t_code = t_i.map_or(0, |i| code[i]) as usize;
        let slot = slot_of_code.get_or_insert(s_code * n_tags + t_code, || {
            slot_keys.push((text(row, s_i), text(row, t_i)));
            slot_keys.len() - 1
        });
        row_cell.push((p as u32, slot as u32));
    }
    if no_id.is_some() {
        // The id-less code itself has no row: close the gap it leaves.
        let mut new_index = vec![u32::MAX; participant_rows.len()];
        let mut first_rows = Vec::with_capacity(participant_rows.len());
        for (p, &row) in participant_rows.iter().enumerate() {
            if row != NONE {
                new_index[p] = first_rows.len() as u32;
                first_rows.push(row);
            }
        }
        for (p, _) in &mut row_cell {
            *p = new_index[*p as usize];
        }
        participant_rows = first_rows;
    }
    // cell[p * slots + slot] = the long row, or `NONE`.
    let n_slots = slot_keys.len();
    let mut cell = vec![NONE; participant_rows.len() * n_slots];
    let mut duplicated: std::collections::HashSet<usize> = Default::default();
    for (row, &(p, slot)) in row_cell.iter().enumerate() {
        let at = p as usize * n_slots + slot as usize;
        if cell[at] != NONE {
            duplicated.insert(at);
        }
        cell[at] = row;
    }
    drop(row_cell);
    if !duplicated.is_empty() {
        return Err(Error::DuplicateKeys {
            table: prefix.to_owned(),
            groups: duplicated.len(),
        });
    }
    let order: Vec<String> = options
        .session_order
        .clone()
        .unwrap_or_else(|| SCHEDULE_ORDER.iter().map(|s| (*s).to_owned()).collect());
    let mut slot_order: Vec<usize> = (0..slot_keys.len()).collect();
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
    let mut out = vec![
        df.column(&participant)
            .map_err(|e| Error::polars(prefix, e))?
            .take(&idx(&participant_rows))
            .map_err(|e| Error::polars(prefix, e))?,
    ];
    let mut columns = Vec::new();
    let mut names_seen: PlHashMap<String, ()> = PlHashMap::default();
    names_seen.insert(participant.clone(), ());
    // Per slot, the long row of each participant; a null index takes a null (no data).
    let slot_rows: Vec<IdxCa> = slot_order
        .iter()
        .map(|&slot| {
            let rows = (0..participant_rows.len()).map(|p| cell[p * n_slots + slot]);
            if rows.clone().any(|row| row == NONE) {
                rows.map(|row| (row != NONE).then_some(row as IdxSize))
                    .collect()
            } else {
                // Everyone has this slot: an index without nulls takes the faster path.
                IdxCa::from_vec("rows".into(), rows.map(|row| row as IdxSize).collect())
            }
        })
        .collect();
    // (slot position, long column, wide name) of every wide column, in output order.
    let mut jobs: Vec<(usize, &str, String)> = Vec::new();
    for (position, &slot) in slot_order.iter().enumerate() {
        let (session, tag) = &slot_keys[slot];
        for var in &value_names {
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
            jobs.push((position, var.as_str(), name));
        }
    }
    // One chunk per column first: gathering from many chunks (a CSV read in parallel gives
    // one per batch) copies every string instead of its 16-byte view.
    let sources: PlHashMap<&str, Column> = value_names
        .par_iter()
        .map(|var| {
            df.column(var)
                .map(|c| (var.as_str(), c.rechunk()))
                .map_err(|e| Error::polars(prefix, e))
        })
        .collect::<Result<_>>()?;
    // The gathers are independent: run them on all cores.
    let gathered: Vec<Column> = jobs
        .par_iter()
        .map(|(position, var, name)| {
            sources[var]
                .take(&slot_rows[*position])
                .map(|c| c.with_name(name.as_str().into()))
                .map_err(|e| Error::polars(prefix, e))
        })
        .collect::<Result<_>>()?;
    out.extend(gathered);
    let data = DataFrame::new(participant_rows.len(), out).map_err(|e| Error::polars(prefix, e))?;
    Ok(Wide {
        data,
        participant_column: participant,
        session_column,
        tag_column,
        columns,
    })
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
