//! Properties of the rules that depend on other rows: every score is unchanged when the rows are
//! shuffled; rows a rule excludes (no participant id, exact duplicates, older rows of a key for
//! the imputation base) never change a score they should not; `scores` and `prepare` under every
//! duplicate policy impute the same DASS medians; and no recode is applied twice.

use std::collections::BTreeMap;

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{
    CleanOptions, Codebook, DuplicatePolicy, ImputationBase, OutputFormat, PrepareOptions,
    ScaleDef, ScoreOptions, Study, clean, prepare, read_scale_csv_bytes, score, table_bytes,
};
use proptest::prelude::*;

/// One generated row: participant (`None`: no id), session, minutes after the study start (the
/// date), and one choice per item (a valid answer, a PNA code, or empty).
type Row = (Option<u8>, u8, u32, Vec<u8>);

fn row_strategy(items: usize) -> impl Strategy<Value = Row> {
    (
        proptest::option::weighted(0.9, 0u8..4),
        0u8..2,
        0u32..10_000,
        proptest::collection::vec(0u8..8, items),
    )
}

/// Rows with distinct dates (so "latest" never ties), some repeated as exact duplicates.
fn rows_strategy(items: usize) -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(row_strategy(items), 1..24)
        .prop_flat_map(|rows| {
            let n = rows.len();
            (Just(rows), proptest::collection::vec(0..n, 0..4))
        })
        .prop_map(|(mut rows, copies)| {
            for (i, row) in rows.iter_mut().enumerate() {
                row.2 = row.2 % 1000 * 32 + i as u32;
            }
            for c in copies {
                rows.push(rows[c].clone());
            }
            rows
        })
}

/// The cell of item `item` for choice `c`: a stored code, a PNA code, or empty.
fn cell(scale: &ScaleDef, item: usize, c: u8) -> Option<String> {
    let (lo, hi) = scale.items[item].valid.bounds().expect("numeric item");
    match c {
        6 => None,
        7 if !scale.pna.is_empty() => Some(scale.pna[item % scale.pna.len()].to_string()),
        _ if !scale.recode.is_empty() => {
            Some(scale.recode[c as usize % scale.recode.len()].0.to_string())
        }
        _ => Some((lo + f64::from(c) % (hi - lo + 1.0)).to_string()),
    }
}

/// The decoded table of `rows` (`id` = row number).
fn frame(scale: &ScaleDef, rows: &[Row]) -> DataFrame {
    let text = |f: &dyn Fn(usize, &Row) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().enumerate().map(|(i, r)| f(i, r)).collect()
    };
    let mut columns = vec![
        Column::new("id".into(), text(&|i, _| Some(i.to_string()))),
        Column::new(
            "participant".into(),
            text(&|_, r| r.0.map(|p| format!("p{p}"))),
        ),
        Column::new(
            "session".into(),
            text(&|_, r| Some(["ELIGIBLE", "SESSION1"][r.1 as usize].to_owned())),
        ),
        Column::new(
            "date_iso".into(),
            text(&|_, r| {
                Some(format!(
                    "2020-01-{:02}T{:02}:{:02}:00Z",
                    1 + r.2 / 1440,
                    r.2 / 60 % 24,
                    r.2 % 60
                ))
            }),
        ),
    ];
    for (k, item) in scale.items.iter().enumerate() {
        let cells = text(&|_, r| cell(scale, k, r.3[k]));
        columns.push(Column::new(item.name.as_str().into(), cells));
    }
    DataFrame::new(rows.len(), columns).unwrap()
}

fn r34(name: &str) -> ScaleDef {
    Codebook::builtin(Study::R34).scale(name).unwrap().clone()
}

/// Every numeric column of a scored table by row id (numbers as f64, `None` missing).
fn by_id(df: &DataFrame) -> BTreeMap<String, Vec<(String, Option<f64>)>> {
    let ids = df.column("id").unwrap().cast(&DataType::String).unwrap();
    let numeric: Vec<String> = df
        .columns()
        .iter()
        .filter(|c| c.dtype().is_primitive_numeric())
        .map(|c| c.name().to_string())
        .filter(|n| !n.starts_with("n_"))
        .collect();
    let values: Vec<Vec<Option<f64>>> = numeric
        .iter()
        .map(|n| {
            let c = df.column(n).unwrap().cast(&DataType::Float64).unwrap();
            c.f64().unwrap().iter().collect()
        })
        .collect();
    let mut out = BTreeMap::new();
    for (row, id) in ids.str().unwrap().iter().enumerate() {
        let cells = numeric
            .iter()
            .zip(&values)
            .map(|(n, v)| (n.clone(), v[row]))
            .collect();
        out.insert(id.unwrap().to_owned(), cells);
    }
    out
}

fn medians(scored: &mtdata_scales::Scored) -> Vec<Option<ImputationBase>> {
    scored.rules.iter().map(|r| r.imputation.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn scores_do_not_depend_on_row_order(
        rows in rows_strategy(7),
        seed in any::<u64>(),
        scale in prop_oneof![Just("DASS21_AS"), Just("DASS21_DS"), Just("Credibility")],
    ) {
        let scale = r34(scale);
        let a = frame(&scale, &rows);
        // A permutation of the rows from the seed; each row keeps its id, so rows compare by id.
        let mut order: Vec<IdxSize> = (0..rows.len() as IdxSize).collect();
        let mut state = seed | 1;
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let b = a.take(&IdxCa::from_vec("i".into(), order)).unwrap();
        let sa = score(&a, &scale, &ScoreOptions::default()).unwrap();
        let sb = score(&b, &scale, &ScoreOptions::default()).unwrap();
        prop_assert_eq!(by_id(&sa.data), by_id(&sb.data));
        prop_assert_eq!(medians(&sa), medians(&sb));
    }

    #[test]
    fn rows_the_base_excludes_change_no_other_score(
        rows in rows_strategy(7),
        extra in row_strategy(7),
        kind in 0u8..3,
    ) {
        let scale = r34("DASS21_AS");
        let mut more = rows.clone();
        let added = match kind {
            // A row without a participant id.
            0 => (None, extra.1, extra.2, extra.3),
            // An exact duplicate of a row.
            1 => rows[extra.2 as usize % rows.len()].clone(),
            // A row older than every other of an existing (participant, session).
            _ => {
                let of = rows.iter().find(|r| r.0.is_some()).unwrap_or(&rows[0]).clone();
                (of.0, of.1, 0, extra.3)
            }
        };
        more.push(added);
        let a = score(&frame(&scale, &rows), &scale, &ScoreOptions::default()).unwrap();
        let b = score(&frame(&scale, &more), &scale, &ScoreOptions::default()).unwrap();
        let old_min_date = rows.iter().map(|r| r.2).min().unwrap();
        // Dates of generated rows start at their index (≥ 0); row 0 may share date 0 with the
        // added older row, so that case is only checked when no row has date 0.
        if kind < 2 || old_min_date > 0 {
            prop_assert_eq!(medians(&a), medians(&b));
            let (a, mut b) = (by_id(&a.data), by_id(&b.data));
            b.remove(&rows.len().to_string());
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn scores_and_prepare_impute_the_same_medians(rows in rows_strategy(7)) {
        for name in ["DASS21_AS", "DASS21_DS"] {
            let scale = r34(name);
            let df = frame(&scale, &rows);
            let scored = score(&df, &scale, &ScoreOptions::default()).unwrap();
            for policy in DuplicatePolicy::ALL {
                let options = PrepareOptions {
                    clean: CleanOptions { policy, ..CleanOptions::default() },
                    ..PrepareOptions::default()
                };
                let prepared = prepare(&df, &scale, &options).unwrap();
                prop_assert_eq!(medians(&scored), medians(&prepared.scored), "{} {}", name, policy.name());
            }
        }
    }

    #[test]
    fn no_recode_is_applied_twice(rows in rows_strategy(3)) {
        let scale = r34("Credibility");
        let df = frame(&scale, &rows);
        let raw = score(&df, &scale, &ScoreOptions::default()).unwrap();
        let raw_rows = by_id(&raw.data);
        // Scoring a scored table again changes nothing.
        let again = score(&raw.data, &scale, &ScoreOptions::default()).unwrap();
        prop_assert_eq!(&by_id(&again.data), &raw_rows);
        for policy in DuplicatePolicy::ALL {
            let options = CleanOptions { policy, ..CleanOptions::default() };
            let cleaned = clean(&df, Some(&scale), &options).unwrap();
            // Through a CSV file, as `mtdata clean` then `mtdata scores` would.
            let csv = table_bytes(&cleaned.data, OutputFormat::Csv, mtdata_core::csv_cell::CsvCells::default(), "t").unwrap();
            let reread = read_scale_csv_bytes(csv, &scale, "t").unwrap();
            let rescored = score(&reread, &scale, &ScoreOptions::default()).unwrap();
            let merged: Vec<String> = cleaned.report.dropped.iter()
                .filter(|d| d.reason == mtdata_scales::DropReason::MergedIntoMean)
                .map(|d| d.kept_row.to_string())
                .collect();
            for (id, cells) in by_id(&rescored.data) {
                if merged.contains(&id) {
                    // Means of recoded answers stay within the meanings (1-5).
                    for (_, v) in cells.iter().filter(|(n, _)| n != "id") {
                        prop_assert!(v.is_none_or(|v| (1.0..=5.0).contains(&v)));
                    }
                    continue;
                }
                prop_assert_eq!(&cells, &raw_rows[&id], "{} id {}", policy.name(), id);
            }
        }
    }
}
