//! Properties: scores stay within the scale's bounds, a PNA code never changes a score
//! (it is exactly like a missing answer), reading item columns as numbers scores exactly like
//! reading text, and long → wide → long is lossless.

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{
    Codebook, OutputFormat, ScaleDef, ScoreOptions, Study, ValidValues, WideOptions, long_to_wide,
    read_csv_bytes, read_scale_csv_bytes, score, table_bytes,
};
use proptest::prelude::*;

const ROWS: usize = 12;

/// A table for `scale` whose cells are picked by `choices`: a valid value, a PNA code, an
/// out-of-range value, a word, or missing. `pna_as_missing` writes every PNA code as an empty cell.
fn table(scale: &ScaleDef, choices: &[u16], pna_as_missing: bool) -> DataFrame {
    let mut columns = vec![
        Column::new(
            "id".into(),
            (0..ROWS).map(|i| Some(i.to_string())).collect::<Vec<_>>(),
        ),
        Column::new(
            "participant".into(),
            (0..ROWS).map(|i| Some(format!("p{i}"))).collect::<Vec<_>>(),
        ),
        Column::new("session".into(), vec![Some("PRE".to_owned()); ROWS]),
    ];
    let mut k = 0;
    for item in &scale.items {
        let values: Vec<Option<String>> = (0..ROWS)
            .map(|_| {
                let c = choices[k % choices.len()] as usize;
                k += 1;
                match &item.valid {
                    ValidValues::Text => Some(format!("text {c}")),
                    ValidValues::Boolean => match c % 4 {
                        0 => None,
                        1 => Some("true".to_owned()),
                        2 => Some("false".to_owned()),
                        _ if pna_as_missing || scale.pna.is_empty() => None,
                        _ => Some(scale.pna[0].to_string()),
                    },
                    valid => {
                        let (lo, hi) = valid.bounds().unwrap();
                        match c % 10 {
                            0 => None,
                            1 | 2 if !scale.pna.is_empty() => {
                                if pna_as_missing {
                                    None
                                } else {
                                    Some(scale.pna[c % scale.pna.len()].to_string())
                                }
                            }
                            3 if c.is_multiple_of(7) => Some((hi + 1000.0).to_string()),
                            // Now and then a cell that is not a number at all.
                            4 if c.is_multiple_of(11) => Some("often".to_owned()),
                            _ => {
                                let span = (hi - lo) as usize + 1;
                                let v = lo + (c / 10 % span) as f64;
                                // Values the R34 Credibility recode accepts.
                                let v = if scale.recode.is_empty() {
                                    v
                                } else {
                                    scale.recode[c % scale.recode.len()].0
                                };
                                Some(v.to_string())
                            }
                        }
                    }
                }
            })
            .collect();
        columns.push(Column::new(item.name.as_str().into(), values));
    }
    DataFrame::new(ROWS, columns).unwrap()
}

/// A column as text, numbers normalised through f64 (`3` and `3.0` are the same answer).
fn floats_or_text(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap();
    if c.dtype().is_primitive_numeric() {
        return floats(df, name)
            .into_iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect();
    }
    let c = c.cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

fn floats(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
    c.f64().unwrap().iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn scores_stay_within_bounds(choices in proptest::collection::vec(any::<u16>(), 64..256)) {
        for study in Study::ALL {
            let codebook = Codebook::builtin(study);
            for scale in &codebook.scales {
                let df = table(scale, &choices, false);
                for variant in &scale.variants {
                    let scored = score(&df, scale, &ScoreOptions { variant: Some(variant.name.clone()), ..ScoreOptions::default() }).unwrap();
                    for def in &variant.scores {
                        let Some((lo, hi)) = scale.score_bounds(def) else { continue };
                        for v in floats(&scored.data, &def.name).into_iter().flatten() {
                            prop_assert!(v >= lo - 1e-9 && v <= hi + 1e-9,
                                "{study} {} {} {}: {v} outside [{lo}, {hi}]", scale.name, variant.name, def.name);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn pna_never_changes_a_score(choices in proptest::collection::vec(any::<u16>(), 64..256)) {
        for study in Study::ALL {
            let codebook = Codebook::builtin(study);
            for scale in codebook.scales.iter().filter(|s| !s.pna.is_empty()) {
                let with_pna = table(scale, &choices, false);
                let with_missing = table(scale, &choices, true);
                for variant in &scale.variants {
                    let opts = ScoreOptions { variant: Some(variant.name.clone()), ..ScoreOptions::default() };
                    let a = score(&with_pna, scale, &opts).unwrap();
                    let b = score(&with_missing, scale, &opts).unwrap();
                    for def in &variant.scores {
                        prop_assert_eq!(floats(&a.data, &def.name), floats(&b.data, &def.name),
                            "{} {} {}", study, scale.name, def.name);
                        if let Some(t) = &def.threshold {
                            prop_assert!(a.data.column(&t.column).unwrap().equals_missing(b.data.column(&t.column).unwrap()));
                        }
                    }
                    // PNA is never reported as an invalid value.
                    prop_assert_eq!(a.problems.len(), b.problems.len());
                }
            }
        }
    }

    #[test]
    fn reading_items_as_numbers_scores_like_reading_text(choices in proptest::collection::vec(any::<u16>(), 64..256)) {
        for study in Study::ALL {
            let codebook = Codebook::builtin(study);
            for scale in &codebook.scales {
                let csv = table_bytes(&table(scale, &choices, false), OutputFormat::Csv, mtdata_core::csv_cell::CsvCells::default(), "t").unwrap();
                let text = read_csv_bytes(csv.clone(), "t").unwrap();
                let typed = read_scale_csv_bytes(csv, scale, "t").unwrap();
                let a = score(&text, scale, &ScoreOptions::default()).unwrap();
                let b = score(&typed, scale, &ScoreOptions::default()).unwrap();
                for name in a.data.get_column_names_owned() {
                    prop_assert_eq!(floats_or_text(&a.data, &name), floats_or_text(&b.data, &name),
                        "{} {} {}", study, scale.name, name);
                }
                prop_assert_eq!(a.problems, b.problems);
            }
        }
    }

    #[test]
    fn long_to_wide_to_long_is_lossless(
        rows in proptest::collection::vec((0u8..6, 0usize..6, proptest::option::of(0u8..2), proptest::option::of(0i32..100), "[a-z ,\"]{0,6}"), 0..60),
        with_tag in any::<bool>(),
        numeric_ids in any::<bool>(),
    ) {
        let sessions = ["SESSION2", "PRE", "POST", "ELIGIBLE", "SESSION1", "odd"];
        let mut seen = std::collections::HashSet::new();
        let mut long: Vec<[Option<String>; 6]> = Vec::new();
        for (i, (p, s, t, n, txt)) in rows.into_iter().enumerate() {
            let tag = if with_tag { t.map(|t| ["pre", "post"][t as usize].to_owned()) } else { None };
            if !seen.insert((p, s, tag.clone())) { continue }
            // Numeric ids take the array path; "05" (a leading zero) sends them back to hashing.
            let id = match (numeric_ids, p) {
                (false, _) => format!("p{p}"),
                (true, 5) => "05".to_owned(),
                (true, _) => p.to_string(),
            };
            long.push([
                Some(id),
                Some(sessions[s].to_owned()),
                tag,
                Some(i.to_string()),
                n.map(|n| n.to_string()),
                Some(txt).filter(|t| !t.is_empty()),
            ]);
        }
        if long.is_empty() {
            return Ok(());
        }
        let names = ["participant", "session", "tag", "id", "score", "note"];
        let cols: Vec<Column> = names.iter().enumerate()
            .filter(|(i, _)| with_tag || *i != 2)
            .map(|(i, n)| Column::new((*n).into(), long.iter().map(|r| r[i].clone()).collect::<Vec<_>>()))
            .collect();
        let df = DataFrame::new(long.len(), cols).unwrap();
        let wide = long_to_wide(&df, "X", &WideOptions::default()).unwrap();
        let back = wide.to_long().unwrap();
        let rows_of = |d: &DataFrame| {
            let mut out: Vec<Vec<Option<String>>> = (0..d.height()).map(|r| {
                d.get_column_names_owned().iter().filter(|c| names.contains(&c.as_str())).map(|c| {
                    let col = d.column(c).unwrap().cast(&DataType::String).unwrap();
                    col.str().unwrap().get(r).map(str::to_owned)
                }).collect()
            }).collect();
            out.sort();
            out
        };
        prop_assert_eq!(back.get_column_names_owned(), df.get_column_names_owned());
        prop_assert_eq!(rows_of(&back), rows_of(&df));
    }
}
