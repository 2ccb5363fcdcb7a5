//! Long to wide (one row per participant, columns `<Scale>_<var>_<session>[_<tag>]`) and back.

use std::cmp::Ordering;

use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::columns::idx;
use crate::kernels::keys::RowKeys;
use crate::kernels::scatter::Scatter;

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
    /// Participant id column; `None` reads each row's participant by the decoded-table rule
    /// (see [`crate::participant_ids`]).
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
/// The participant column holds each wide row's participant id as text (see
/// [`crate::participant_ids`]).
///
/// Keys must be unique: duplicates are an error, never averaged (run [`crate::clean`] first).
pub fn long_to_wide(df: &DataFrame, prefix: &str, options: &WideOptions) -> Result<Wide> {
    let keys = RowKeys::new(df, options.participant_column.as_deref(), prefix)?;
    let key_names = keys.names.clone();
    let participant = key_names[0].clone();
    let session_column = keys.session.map(|i| key_names[i].clone());
    let tag_column = keys.tag.map(|i| key_names[i].clone());
    let ids = keys.participants().clone();
    let plan = Scatter::new(keys, prefix)?;
    let order: Vec<String> = options
        .session_order
        .clone()
        .unwrap_or_else(|| SCHEDULE_ORDER.iter().map(|s| (*s).to_owned()).collect());
    let slot_keys = &plan.slot_keys;
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
        .filter(|c| !key_names.contains(c))
        .collect();
    let (columns, names) = wide_names(
        prefix,
        &participant,
        &value_names,
        slot_keys,
        &slot_order,
        tag_column.is_some(),
    )?;
    // Each variable is spread over its wide columns in one pass over the long rows; the
    // variables (and the participant column) are independent, so they go on all cores.
    let (ids, spread) = rayon::join(
        || ids.take(&idx(&plan.participant_rows)),
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
    let ids = ids.map_err(|e| Error::polars(prefix, e))?;
    let mut out = vec![ids.into_column()];
    for &slot in &slot_order {
        for (v, by_slot) in spread.iter_mut().enumerate() {
            let column = std::mem::take(&mut by_slot[slot]);
            out.push(column.with_name(names[v][slot].as_str().into()));
        }
    }
    let data =
        DataFrame::new(plan.participant_rows.len(), out).map_err(|e| Error::polars(prefix, e))?;
    Ok(Wide {
        data,
        participant_column: participant,
        session_column,
        tag_column,
        columns,
    })
}

/// The wide columns in order (slot by slot, variables in table order), and their names by
/// variable and slot; two equal names are an error.
fn wide_names(
    prefix: &str,
    participant: &str,
    value_names: &[String],
    slot_keys: &[(Option<String>, Option<String>)],
    slot_order: &[usize],
    tagged: bool,
) -> Result<(Vec<WideColumn>, Vec<Vec<String>>)> {
    let mut columns = Vec::new();
    let mut names_seen: PlHashMap<String, ()> = PlHashMap::default();
    names_seen.insert(participant.to_owned(), ());
    // names[variable][slot]
    let mut names: Vec<Vec<String>> = vec![vec![String::new(); slot_keys.len()]; value_names.len()];
    for &slot in slot_order {
        let (session, tag) = &slot_keys[slot];
        for (v, var) in value_names.iter().enumerate() {
            let mut name = format!("{prefix}_{var}_{}", session.as_deref().unwrap_or("NA"));
            if tagged {
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
    Ok((columns, names))
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
