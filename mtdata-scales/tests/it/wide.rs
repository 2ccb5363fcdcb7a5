//! Long to wide against a cell-by-cell reference: every kind of variable (integers, floats,
//! booleans, text, binary, a constant column), missing values, sessions some participants lack,
//! tags, rows without a participant id, and duplicate keys.

use std::collections::{BTreeMap, HashMap};

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{Error, WideOptions, long_to_wide};
use proptest::prelude::*;

const SESSIONS: [&str; 4] = ["POST", "PRE", "SESSION1", "zz"];

/// One generated long row: participant (None = no id), session (4 = missing), tag, and values.
type Row = (
    Option<u8>,
    usize,
    Option<u8>,
    Option<i64>,
    Option<i16>,
    Option<bool>,
    Option<String>,
);

fn long_table(rows: &[Row], with_tag: bool, numeric_ids: bool) -> DataFrame {
    let n = rows.len();
    let participant: Vec<Option<String>> = rows
        .iter()
        .map(|r| {
            r.0.map(|p| {
                if numeric_ids {
                    p.to_string()
                } else {
                    format!("p{p}")
                }
            })
        })
        .collect();
    let session: Vec<Option<&str>> = rows.iter().map(|r| SESSIONS.get(r.1).copied()).collect();
    let tag: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.2.map(|t| ["pre", "post"][t as usize]))
        .collect();
    let int: Vec<Option<i64>> = rows.iter().map(|r| r.3).collect();
    let small: Vec<Option<i32>> = rows.iter().map(|r| r.4.map(i32::from)).collect();
    let real: Vec<Option<f64>> = rows
        .iter()
        .map(|r| r.4.map(|v| f64::from(v) / 4.0))
        .collect();
    let flag: Vec<Option<bool>> = rows.iter().map(|r| r.5).collect();
    let note: Vec<Option<String>> = rows.iter().map(|r| r.6.clone()).collect();
    let bytes: Vec<Option<Vec<u8>>> = note
        .iter()
        .map(|t| t.as_ref().map(|t| t.to_uppercase().into_bytes()))
        .collect();
    let mut columns = vec![
        Column::new("participant".into(), participant),
        Column::new("session".into(), session),
    ];
    if with_tag {
        columns.push(Column::new("tag".into(), tag));
    }
    columns.extend([
        Column::new("int".into(), int),
        Column::new("small".into(), small),
        Column::new("real".into(), real),
        Column::new("flag".into(), flag),
        Column::new("note".into(), note),
        Column::new("bytes".into(), bytes),
        Column::new_scalar(
            "constant".into(),
            Scalar::new(DataType::String, AnyValue::StringOwned("k".into())),
            n,
        ),
    ]);
    DataFrame::new(n, columns).unwrap()
}

/// A column's cells as text (how they are compared).
fn cells(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let text = df.column(name).unwrap().cast(&DataType::String).unwrap();
    text.str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

proptest! {
    #[test]
    fn long_to_wide_matches_a_cell_by_cell_reference(
        rows in proptest::collection::vec(
            (
                proptest::option::weighted(0.9, 0u8..12),
                0usize..5,
                proptest::option::of(0u8..2),
                proptest::option::of(-5i64..1000),
                proptest::option::of(-300i16..300),
                proptest::option::of(any::<bool>()),
                proptest::option::of("[a-z ]{0,14}"),
            ),
            0..90,
        ),
        with_tag in any::<bool>(),
        numeric_ids in any::<bool>(),
        keep_duplicates in proptest::bool::weighted(0.2),
    ) {
        // Most tables have unique keys (a row whose key came before is left out); some keep
        // their duplicates, which long-to-wide must refuse.
        let mut keys = std::collections::HashSet::new();
        let rows: Vec<Row> = rows
            .into_iter()
            .map(|mut r| {
                if !with_tag {
                    r.2 = None;
                }
                r
            })
            .filter(|r| keep_duplicates || r.0.is_none() || keys.insert((r.0, r.1, r.2)))
            .collect();
        let df = long_table(&rows, with_tag, numeric_ids);
        let participant = cells(&df, "participant");
        let session = cells(&df, "session");
        let tag = if with_tag { cells(&df, "tag") } else { vec![None; rows.len()] };

        // The reference: wide rows are the participants in order of first appearance, then
        // each row without an id on its own; a key with two rows is a duplicate.
        let mut wide_row_of_participant: HashMap<String, usize> = HashMap::new();
        let mut wide_ids: Vec<Option<String>> = Vec::new();
        let mut wide_row = Vec::new();
        for p in &participant {
            let w = match p {
                Some(p) => *wide_row_of_participant.entry(p.clone()).or_insert_with(|| {
                    wide_ids.push(Some(p.clone()));
                    wide_ids.len() - 1
                }),
                None => usize::MAX,
            };
            wide_row.push(w);
        }
        for (row, p) in participant.iter().enumerate() {
            if p.is_none() {
                wide_ids.push(None);
                wide_row[row] = wide_ids.len() - 1;
            }
        }
        let mut cell_rows: BTreeMap<(usize, Option<String>, Option<String>), Vec<usize>> =
            BTreeMap::new();
        for row in 0..rows.len() {
            cell_rows
                .entry((wide_row[row], session[row].clone(), tag[row].clone()))
                .or_default()
                .push(row);
        }
        let duplicate_keys = cell_rows.values().filter(|r| r.len() > 1).count();

        let result = long_to_wide(&df, "X", &WideOptions::default());
        if duplicate_keys > 0 {
            match result {
                Err(Error::DuplicateKeys { groups, .. }) => prop_assert_eq!(groups, duplicate_keys),
                other => prop_assert!(false, "expected duplicate keys, got {:?}", other.map(|w| w.data.shape())),
            }
            return Ok(());
        }
        let wide = result.unwrap();
        prop_assert_eq!(cells(&wide.data, "participant"), wide_ids.clone());
        let variables = ["int", "small", "real", "flag", "note", "bytes", "constant"];
        let mut slots: Vec<(Option<String>, Option<String>)> = cell_rows
            .keys()
            .map(|(_, s, t)| (s.clone(), t.clone()))
            .collect();
        slots.sort();
        slots.dedup();
        prop_assert_eq!(wide.data.width(), 1 + variables.len() * slots.len());
        for var in variables {
            let long_cells = cells(&df, var);
            for (s, t) in &slots {
                let mut name = format!("X_{var}_{}", s.as_deref().unwrap_or("NA"));
                if with_tag {
                    name = format!("{name}_{}", t.as_deref().unwrap_or("NA"));
                }
                let expected: Vec<Option<String>> = (0..wide_ids.len())
                    .map(|w| {
                        cell_rows
                            .get(&(w, s.clone(), t.clone()))
                            .and_then(|rows| long_cells[rows[0]].clone())
                    })
                    .collect();
                prop_assert_eq!(cells(&wide.data, &name), expected, "{}", name);
                // Types are kept: the wide column has the long column's type.
                prop_assert_eq!(
                    wide.data.column(&name).unwrap().dtype(),
                    df.column(var).unwrap().dtype()
                );
            }
        }
    }
}
