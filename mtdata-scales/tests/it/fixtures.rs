//! One fixture file per scale and rule (`fixtures/scales/<Scale>/<study>.<variant>.csv`): the
//! input columns plus `expect_<column>` columns with hand-computed values and
//! `expect_problems`, the number of invalid cells in the row.

use std::collections::BTreeMap;

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{
    CleanOptions, Codebook, DuplicatePolicy, ScoreOptions, Study, WideOptions, clean, long_to_wide,
    read_csv_bytes, score,
};

use crate::fixtures_dir;

fn read(path: &std::path::Path) -> DataFrame {
    read_csv_bytes(std::fs::read(path).unwrap(), &path.display().to_string()).unwrap()
}

/// Split `expect_*` columns off the input.
fn split(df: &DataFrame) -> (DataFrame, BTreeMap<String, Vec<Option<String>>>) {
    let mut input = df.clone();
    let mut expected = BTreeMap::new();
    for name in df.get_column_names_owned() {
        if let Some(target) = name.strip_prefix("expect_") {
            expected.insert(target.to_owned(), text(df, &name));
            input = input.drop(&name).unwrap();
        }
    }
    (input, expected)
}

fn text(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let col = df
        .column(name)
        .unwrap_or_else(|_| panic!("no column {name}"))
        .cast(&DataType::String)
        .unwrap();
    col.str()
        .unwrap()
        .iter()
        .map(|v| v.filter(|s| !s.is_empty()).map(str::to_owned))
        .collect()
}

fn same(actual: &Option<String>, expected: &Option<String>) -> bool {
    match (actual, expected) {
        (None, None) => true,
        (Some(a), Some(e)) => match (a.parse::<f64>(), e.parse::<f64>()) {
            (Ok(a), Ok(e)) => (a - e).abs() < 1e-9,
            _ => a == e,
        },
        _ => false,
    }
}

/// Every `<Scale>/<study>.<variant>.csv` fixture: (scale, study, variant, path), sorted.
pub fn score_cases() -> Vec<(String, String, String, std::path::PathBuf)> {
    let mut cases = Vec::new();
    for dir in std::fs::read_dir(fixtures_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let scale = dir.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let Some((study, variant)) = name.split_once('.') else {
                continue;
            };
            if Study::parse(study).is_some() {
                cases.push((scale.clone(), study.to_owned(), variant.to_owned(), path));
            }
        }
    }
    cases.sort();
    cases
}

#[test]
fn every_score_fixture_matches_its_hand_computed_values() {
    let cases = score_cases();
    assert!(cases.len() >= 20, "only {} fixtures found", cases.len());
    let mut failures = Vec::new();
    for (scale_name, study, variant, path) in &cases {
        let codebook = Codebook::builtin(Study::parse(study).unwrap());
        let scale = codebook.scale(scale_name).unwrap();
        let variant = if scale.variant_names().iter().any(|v| v == variant) {
            Some(variant.clone())
        } else {
            assert!(
                scale.variants.is_empty(),
                "{}: {scale_name} has no variant {variant}",
                path.display()
            );
            None
        };
        let (input, expected) = split(&read(path));
        let scored = score(
            &input,
            scale,
            &ScoreOptions {
                variant,
                ..ScoreOptions::default()
            },
        )
        .unwrap();
        for (column, want) in &expected {
            let got: Vec<Option<String>> = if column == "problems" {
                (0..input.height())
                    .map(|row| {
                        Some(
                            scored
                                .problems
                                .iter()
                                .filter(|p| p.row == row)
                                .count()
                                .to_string(),
                        )
                    })
                    .collect()
            } else {
                text(&scored.data, column)
            };
            for (row, (g, w)) in got.iter().zip(want).enumerate() {
                if !same(g, w) {
                    failures.push(format!(
                        "{} row {}: {column} = {g:?}, expected {w:?}",
                        path.display(),
                        row + 1
                    ));
                }
            }
        }
        if scale.variants.is_empty() {
            assert!(scored.rules.is_empty());
        } else {
            assert_eq!(
                scored.rules.len(),
                scale
                    .variant(scored.rules.first().map(|r| r.variant.as_str()))
                    .unwrap()
                    .unwrap()
                    .scores
                    .len()
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_builtin_scale_and_variant_has_a_fixture() {
    let cases = score_cases();
    let mut missing = Vec::new();
    for study in Study::ALL {
        for scale in &Codebook::builtin(study).scales {
            // The variant part of every fixture file of this scale and study.
            let labels: Vec<&str> = cases
                .iter()
                .filter(|(s, st, _, _)| {
                    s.eq_ignore_ascii_case(&scale.name) && Study::parse(st) == Some(study)
                })
                .map(|(_, _, label, _)| label.as_str())
                .collect();
            if labels.is_empty() {
                missing.push(format!("{}/{}.<case>.csv", scale.name, study.name()));
            }
            for variant in scale.variant_names() {
                if !labels.iter().any(|l| l.eq_ignore_ascii_case(&variant)) {
                    missing.push(format!("{}/{}.{variant}.csv", scale.name, study.name()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures/scales/ has no fixture for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn clean_fixtures_keep_and_drop_the_expected_rows() {
    let codebook = Codebook::builtin(Study::CalmThinking);
    let scale = codebook.scale("OA").unwrap();
    for (policy, file) in [
        (DuplicatePolicy::First, "clean.first.csv"),
        (DuplicatePolicy::Last, "clean.last.csv"),
        (DuplicatePolicy::MeanOfUnique, "clean.mean-of-unique.csv"),
        (DuplicatePolicy::Mtdata, "clean.mtdata.csv"),
    ] {
        let path = fixtures_dir().join("OA").join(file);
        let (input, expected) = split(&read(&path));
        let cleaned = clean(
            &input,
            Some(scale),
            &CleanOptions {
                policy,
                participant_column: None,
            },
        )
        .unwrap();
        let ids = text(&input, "id");
        let want_kept: Vec<Option<String>> = ids
            .iter()
            .zip(&expected["kept"])
            .filter(|(_, k)| k.as_deref() == Some("1"))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(text(&cleaned.data, "id"), want_kept, "{file}: kept rows");
        let r = &cleaned.report;
        assert_eq!(r.rows_in, input.height());
        assert_eq!(
            r.rows_out + r.dropped.len(),
            r.rows_in,
            "{file}: nothing lost"
        );
        for d in &r.dropped {
            assert_eq!(
                expected["reason"][d.row].as_deref(),
                Some(d.reason.as_str()),
                "{file}: reason for row {}",
                d.row + 1
            );
        }
        for (column, want) in &expected {
            if column == "kept" || column == "reason" {
                continue;
            }
            let want: Vec<Option<String>> = want
                .iter()
                .zip(&expected["kept"])
                .filter(|(_, k)| k.as_deref() == Some("1"))
                .map(|(w, _)| w.clone())
                .collect();
            let got = text(&cleaned.data, column);
            for (g, w) in got.iter().zip(&want) {
                assert!(same(g, w), "{file}: {column} {g:?} != {w:?}");
            }
        }
    }
}

#[test]
fn wide_fixture_orders_sessions_and_keeps_text() {
    let dir = fixtures_dir().join("Affect");
    let input = read(&dir.join("wide.input.csv"));
    let expected = read(&dir.join("wide.expected.csv"));
    let wide = long_to_wide(&input, "Affect", &WideOptions::default()).unwrap();
    assert_eq!(
        wide.data.get_column_names_owned(),
        expected.get_column_names_owned()
    );
    for name in expected.get_column_names_owned() {
        assert_eq!(
            text(&wide.data, &name),
            text(&expected, &name),
            "column {name}"
        );
    }
    // And back.
    let long = wide.to_long().unwrap();
    assert_eq!(long.height(), input.height());
}

#[test]
fn long_to_wide_refuses_duplicates() {
    let path = fixtures_dir().join("OA").join("clean.last.csv");
    let (input, _) = split(&read(&path));
    let err = long_to_wide(&input, "OA", &WideOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "table OA: 2 (participant, session, tag) keys have more than one row; run `mtdata clean` first or choose a duplicate policy (first, last, mean-of-unique, mtdata)"
    );
}
