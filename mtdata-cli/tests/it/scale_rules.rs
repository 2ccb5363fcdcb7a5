//! The scoring rules through the binary, on the hand-computed fixtures of `fixtures/scales/`
//! (the arithmetic is in each fixture's README): every score fixture through `mtdata scores`,
//! the DASS imputation base under every verb and duplicate policy, the Credibility recode applied
//! once, and `mtdata status` with a schedule that plans a task twice.

use std::path::{Path, PathBuf};

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{Codebook, DuplicatePolicy, Study, read_table};

use crate::support::{mtdata, render};

fn scales_fixtures() -> PathBuf {
    mtdata_fixtures::fixtures_dir().join("scales")
}

/// `fixture` copied to `<dir>/<study>/active_data/<table>.csv`, as decode would have written it.
fn decoded(dir: &Path, study: &str, fixture: &Path, table: &str) -> PathBuf {
    let active = dir.join(study).join("active_data");
    std::fs::create_dir_all(&active).unwrap();
    let csv = active.join(format!("{table}.csv"));
    std::fs::copy(fixture, &csv).unwrap();
    csv
}

/// Run `mtdata <args>`, expecting exit status 0 or 1 (1: invalid values were reported).
fn run(args: &[&str], csv: &Path) -> String {
    let out = mtdata()
        .args(&args[..2])
        .arg(csv)
        .args(&args[2..])
        .output()
        .unwrap();
    let text = render(&out);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {text}"
    );
    text
}

/// The one file of `kind` (`scored`, `rules`, `cleaned`, `problems`) in `folder`, read as text.
fn output(folder: &Path, kind: &str) -> Option<DataFrame> {
    let marker = format!("_{kind}_");
    let file = std::fs::read_dir(folder)
        .ok()?
        .map(|f| f.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().contains(&marker))?;
    Some(read_table(&file).unwrap())
}

fn column(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df
        .column(name)
        .unwrap_or_else(|_| panic!("no column {name}"));
    let c = c.cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

/// Equal as numbers when both are numbers, else as text; empty and missing are the same.
fn same(a: &Option<String>, b: &Option<String>) -> bool {
    let a = a.as_deref().filter(|s| !s.is_empty());
    let b = b.as_deref().filter(|s| !s.is_empty());
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() < 1e-9,
            _ => a == b,
        },
        _ => false,
    }
}

/// The value of `column` in the row whose `id` is `id`.
fn at(df: &DataFrame, id: &str, name: &str) -> Option<String> {
    let row = column(df, "id")
        .iter()
        .position(|i| i.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no row with id {id}"));
    column(df, name)[row].clone()
}

#[test]
fn every_score_fixture_gives_its_hand_computed_values_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for scale_dir in std::fs::read_dir(scales_fixtures()).unwrap() {
        let scale_dir = scale_dir.unwrap().path();
        if !scale_dir.is_dir() {
            continue;
        }
        let scale = scale_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for file in std::fs::read_dir(&scale_dir).unwrap() {
            let path = file.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let Some((study_name, label)) = stem.split_once('.') else {
                continue;
            };
            let Some(study) = Study::parse(study_name) else {
                continue;
            };
            let codebook = Codebook::builtin(study);
            let def = codebook.scale(&scale).unwrap();
            let case = format!("{study_name}-{scale}-{label}");
            let csv = decoded(dir.path(), &case, &path, &scale);
            let mut args = vec!["scores", scale.as_str(), "--study", study_name];
            if def.variant_names().iter().any(|v| v == label) {
                args.extend(["--variant", label]);
            }
            run(&args, &csv);
            let scored_dir = dir.path().join(&case).join("processed_data/scored_data");
            let scored = output(&scored_dir, "scored").expect("a scored table");
            let problems = output(&scored_dir, "problems");
            for name in scored.get_column_names_owned() {
                let Some(target) = name.strip_prefix("expect_") else {
                    continue;
                };
                let want = column(&scored, &name);
                let got: Vec<Option<String>> = if target == "problems" {
                    let rows = problems.as_ref().map(|p| column(p, "row"));
                    (1..=scored.height())
                        .map(|row| {
                            let n = rows.iter().flatten().flatten();
                            Some(n.filter(|r| **r == row.to_string()).count().to_string())
                        })
                        .collect()
                } else {
                    column(&scored, target)
                };
                for (row, (g, w)) in got.iter().zip(&want).enumerate() {
                    if !same(g, w) {
                        failures.push(format!("{case} row {}: {target} {g:?} != {w:?}", row + 1));
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} fixtures");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const DASS_MEDIANS: &str = "breathing=1 dryness=1 heart=1.5 panic=1 scared=2 trembling=1 worry=1";

/// `fixtures/scales/DASS21_AS/imputation-base/README.md`.
#[test]
fn dass_medians_come_from_one_base_whatever_the_verb_or_policy() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = scales_fixtures().join("DASS21_AS/imputation-base/input.csv");
    let check = |case: &str, verb: &str, policy: Option<&str>, want: &[(&str, &str)]| {
        let csv = decoded(dir.path(), case, &fixture, "DASS21_AS");
        let mut args = vec![verb, "DASS21_AS", "--study", "r34"];
        if let Some(policy) = policy {
            args.extend(["--duplicates", policy]);
        }
        run(&args, &csv);
        let scored_dir = dir.path().join(case).join("processed_data/scored_data");
        let rules = output(&scored_dir, "rules").unwrap();
        assert_eq!(
            column(&rules, "imputation_rows"),
            [Some("5".to_owned())],
            "{case}"
        );
        let medians = column(&rules, "imputation_medians");
        assert_eq!(medians, [Some(DASS_MEDIANS.to_owned())], "{case}");
        let scored = output(&scored_dir, "scored").unwrap();
        assert_eq!(scored.height(), want.len(), "{case}");
        for (id, total) in want {
            let got = at(&scored, id, "dass21_as_total_dbl");
            assert!(
                same(&got, &Some((*total).to_owned())),
                "{case} id {id}: {got:?} != {total}"
            );
        }
    };
    let all = [
        ("1", "26"),
        ("2", "20"),
        ("3", "4"),
        ("4", "4"),
        ("5", "30"),
        ("6", "42"),
        ("7", "15"),
        ("8", "14"),
    ];
    check("scores", "scores", None, &all);
    let rest = [
        ("3", "4"),
        ("5", "30"),
        ("6", "42"),
        ("7", "15"),
        ("8", "14"),
    ];
    for (policy, p1) in [
        ("last", ("1", "26")),
        ("first", ("2", "20")),
        ("mtdata", ("2", "20")),
        ("mean-of-unique", ("1", "25")),
    ] {
        let want: Vec<(&str, &str)> = std::iter::once(p1).chain(rest).collect();
        check(policy, "prepare", Some(policy), &want);
    }
    // Every policy the library has is checked here.
    assert_eq!(DuplicatePolicy::ALL.len(), 4);
}

/// `fixtures/scales/OA/clean.<policy>.csv` (arithmetic in `fixtures/scales/README.md`) through
/// `mtdata clean --duplicates <policy>`: the rows kept, each dropped row's reason, and the
/// expected cells of kept rows (`n_rows` and `n_distinct_rows` included).
#[test]
fn every_duplicate_policy_keeps_the_hand_computed_rows_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    for policy in DUPLICATE_POLICIES {
        let fixture = scales_fixtures().join(format!("OA/clean.{policy}.csv"));
        let csv = decoded(dir.path(), policy, &fixture, "OA");
        // The `expect_` columns differ between exact duplicates: the decoded table has none.
        let input = read_table(&fixture).unwrap();
        let answers: Vec<String> = input
            .get_column_names_owned()
            .into_iter()
            .filter(|c| !c.starts_with("expect_"))
            .map(|c| c.to_string())
            .collect();
        let mut decoded_table = input.select(answers).unwrap();
        CsvWriter::new(std::fs::File::create(&csv).unwrap())
            .finish(&mut decoded_table)
            .unwrap();
        let args = [
            "clean",
            "OA",
            "--study",
            "calm-thinking",
            "--duplicates",
            policy,
        ];
        run(&args, &csv);
        let cleaned_dir = dir
            .path()
            .join(policy)
            .join("processed_data/cleaned_dup_data");
        let cleaned = output(&cleaned_dir, "cleaned").expect("a cleaned table");
        let dropped = output(&cleaned_dir, "dropped").expect("a dropped-rows table");
        let ids = column(&input, "id");
        let kept = column(&input, "expect_kept");
        let reasons = column(&input, "expect_reason");
        let want_kept: Vec<Option<String>> = ids
            .iter()
            .zip(&kept)
            .filter(|(_, k)| k.as_deref() == Some("1"))
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(column(&cleaned, "id"), want_kept, "{policy}: kept rows");
        for (id, reason) in column(&dropped, "id")
            .iter()
            .zip(column(&dropped, "reason"))
        {
            let row = ids.iter().position(|i| i == id).unwrap();
            assert_eq!(reason, reasons[row], "{policy}: reason of id {id:?}");
        }
        assert_eq!(
            dropped.height() + cleaned.height(),
            input.height(),
            "{policy}: every row kept or dropped"
        );
        for name in input.get_column_names_owned() {
            let Some(target) = name.strip_prefix("expect_") else {
                continue;
            };
            if target == "kept" || target == "reason" {
                continue;
            }
            let want = column(&input, &name);
            for (id, _) in ids
                .iter()
                .zip(&kept)
                .filter(|(_, k)| k.as_deref() == Some("1"))
            {
                let row = ids.iter().position(|i| i == id).unwrap();
                let id = id.as_deref().unwrap();
                let got = at(&cleaned, id, target);
                assert!(
                    same(&got, &want[row]),
                    "{policy} id {id} {target}: {got:?} != {:?}",
                    want[row]
                );
            }
        }
    }
    // Every policy the library has is checked here.
    assert_eq!(DuplicatePolicy::ALL.len(), DUPLICATE_POLICIES.len());
}

const DUPLICATE_POLICIES: [&str; 4] = ["first", "last", "mean-of-unique", "mtdata"];

/// `fixtures/scales/Credibility/recode-once/README.md`.
#[test]
fn credibility_is_recoded_once_whatever_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = scales_fixtures().join("Credibility/recode-once/input.csv");
    let items = ["logical", "important", "recommendable"];
    let check_answers = |df: &DataFrame, id: &str, want: [&str; 3], case: &str| {
        for (item, w) in items.iter().zip(want) {
            let got = at(df, id, item);
            let w = Some(w.to_owned()).filter(|w| !w.is_empty());
            assert!(same(&got, &w), "{case} id {id} {item}: {got:?} != {w:?}");
        }
        let mark = at(df, id, "recoded");
        assert_eq!(
            mark.as_deref(),
            Some("Credibility 0=1 1=2 2=3 3=4 5=5"),
            "{case}"
        );
    };
    let csv = decoded(dir.path(), "scores", &fixture, "Credibility");
    run(&["scores", "Credibility", "--study", "r34"], &csv);
    let scored = output(
        &dir.path().join("scores/processed_data/scored_data"),
        "scored",
    )
    .unwrap();
    check_answers(&scored, "1", ["3", "1", "5"], "scores");
    check_answers(&scored, "3", ["2", "", "4"], "scores");
    for (policy, p1, want) in [
        ("last", "2", ["4", "1", "5"]),
        ("first", "1", ["3", "1", "5"]),
        ("mtdata", "2", ["4", "1", "5"]),
        ("mean-of-unique", "2", ["3.5", "1", "5"]),
    ] {
        let csv = decoded(dir.path(), policy, &fixture, "Credibility");
        run(
            &[
                "prepare",
                "Credibility",
                "--study",
                "r34",
                "--duplicates",
                policy,
            ],
            &csv,
        );
        let processed = dir.path().join(policy).join("processed_data");
        let cleaned_dir = processed.join("cleaned_dup_data");
        let cleaned = output(&cleaned_dir, "cleaned").unwrap();
        let scored = output(&processed.join("scored_data"), "scored").unwrap();
        for df in [&cleaned, &scored] {
            assert_eq!(df.height(), 3, "{policy}");
            check_answers(df, p1, want, policy);
            check_answers(df, "3", ["2", "", "4"], policy);
            check_answers(df, "4", ["5", "5", "1"], policy);
        }
        // The stored 4 that has no recode is listed once, by the cleaning.
        let problems = output(&cleaned_dir, "problems").unwrap();
        assert_eq!(
            column(&problems, "value"),
            [Some("4".to_owned())],
            "{policy}"
        );
        // Scoring the cleaned table again recodes nothing.
        let again = format!("{policy}-again");
        let cleaned_file = std::fs::read_dir(&cleaned_dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .find(|p| p.to_string_lossy().contains("_cleaned_"))
            .unwrap();
        let csv = decoded(dir.path(), &again, &cleaned_file, "Credibility");
        run(&["scores", "Credibility", "--study", "r34"], &csv);
        let rescored_dir = dir.path().join(&again).join("processed_data/scored_data");
        let rescored = output(&rescored_dir, "scored").unwrap();
        check_answers(&rescored, p1, want, &again);
        check_answers(&rescored, "4", ["5", "5", "1"], &again);
    }
}

/// R34 shows SUDS twice in a session without a tag (before and after training): with the
/// study's schedule, two rows of a participant and session are planned, a third is a duplicate.
#[test]
fn status_does_not_count_planned_repeats_as_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("study/active_data");
    std::fs::create_dir_all(&active).unwrap();
    std::fs::write(
        active.join("SUDS.csv"),
        "id,participant,session,anxiety\n1,7,SESSION1,50\n2,7,SESSION1,30\n3,8,SESSION1,60\n\
         4,8,SESSION1,40\n5,8,SESSION1,40\n6,9,PRE,20\n7,9,PRE,20\n",
    )
    .unwrap();
    let duplicates = || {
        let out = mtdata()
            .args(["status", "SUDS"])
            .arg(active.join("SUDS.csv"))
            .arg("--json")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", render(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["tables"][0]["duplicates"].as_u64().unwrap()
    };
    // Without a schedule every repeat is a duplicate: ids 2, 4, 5 and 7.
    assert_eq!(duplicates(), 4);
    std::fs::write(
        active.join("study.json"),
        r#"[{"name":"R34","sessions":[
            {"name":"PRE","tasks":[{"name":"SUDS"}]},
            {"name":"SESSION1","tasks":[{"name":"SUDS"},{"name":"training"},{"name":"SUDS"}]}]}]"#,
    )
    .unwrap();
    // SESSION1 plans two: only participant 8's third row (id 5) is one; PRE plans one (id 7).
    assert_eq!(duplicates(), 2);
}
