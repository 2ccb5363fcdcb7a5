//! MTData comparison: runs a faithful pandas port of MTData's `scales.py` arithmetic
//! (`tests/mtdata_port/scales_port.py`) on the R34 fixtures and checks that every difference
//! from mtdata has a known cause. Skipped, with the reason printed, without python3 + pandas.

use std::path::{Path, PathBuf};
use std::process::Command;

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{
    CleanOptions, Codebook, DuplicatePolicy, PrepareOptions, ScaleDef, ScoreOptions, Study,
    prepare, read_csv_bytes, score,
};

use crate::fixtures_dir;

pub fn port_script() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("tests/mtdata_port/scales_port.py")
}

/// `Err(reason)` when python3 with pandas is not available.
pub fn python_with_pandas() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import pandas"])
        .output()
    {
        Err(e) => Err(format!("python3 not runnable: {e}")),
        Ok(o) if !o.status.success() => Err(format!(
            "python3 has no pandas ({}); `pip install pandas` to run it",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Ok(_) => Ok(()),
    }
}

fn read(path: &Path) -> DataFrame {
    read_csv_bytes(std::fs::read(path).unwrap(), &path.display().to_string()).unwrap()
}

fn without_expectations(df: &DataFrame) -> DataFrame {
    let keep: Vec<String> = df
        .get_column_names_owned()
        .into_iter()
        .filter(|c| !c.starts_with("expect_"))
        .map(|c| c.to_string())
        .collect();
    df.select(keep).unwrap()
}

fn write_csv(df: &DataFrame, path: &Path) {
    std::fs::write(
        path,
        mtdata_scales::table_bytes(
            df,
            mtdata_scales::OutputFormat::Csv,
            mtdata_core::csv_cell::CsvCells::default(),
            "t",
        )
        .unwrap(),
    )
    .unwrap();
}

fn floats(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let c = df.column(name).unwrap().cast(&DataType::Float64).unwrap();
    c.f64()
        .unwrap()
        .iter()
        .map(|v| v.filter(|x| !x.is_nan()))
        .collect()
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("NA".into(), |x| {
        format!("{:.4}", x)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    })
}

/// Why MTData's value can differ for `row`: PNA codes or invalid values in its items, or
/// MTData's own item list.
fn cause(scale: &ScaleDef, input: &DataFrame, row: usize) -> Option<&'static str> {
    let items = mtdata_scales::item_values(input, scale).unwrap();
    let raw_present = |col: &str| {
        input
            .column(col)
            .unwrap()
            .str()
            .unwrap()
            .get(row)
            .is_some_and(|s| !s.is_empty())
    };
    for item in &items.columns {
        let col = &item.column;
        if item.get(row).is_none() && raw_present(col) {
            let problem = items
                .problems
                .iter()
                .any(|p| p.row == row && &p.column == col);
            return Some(if problem {
                "MTData keeps out-of-range values"
            } else {
                "MTData averages PNA codes (555/-1) as answers"
            });
        }
    }
    (scale.name == "QOL").then_some("MTData's QOL list has 15 items (no `participating`)")
}

#[test]
#[allow(clippy::print_stderr)]
fn mtdata_port_differs_only_where_explained() {
    if let Err(reason) = python_with_pandas() {
        eprintln!("skipped: {reason}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let codebook = Codebook::builtin(Study::R34);
    let cases = [
        ("OA", "r34.sum-missing-as-0.csv"),
        ("DASS21_AS", "r34.median-imputed-sum-x2.csv"),
        ("DASS21_DS", "r34.median-imputed-sum-x2.csv"),
        ("QOL", "r34.prorated-sum.csv"),
        ("RR", "r34.means.csv"),
        ("BBSIQ", "r34.ratios.csv"),
    ];
    let mut table = vec![
        "| scale | score | row | MTData | mtdata `mtdata` variant | mtdata default | cause |"
            .to_owned(),
        "| --- | --- | --- | --- | --- | --- | --- |".to_owned(),
    ];
    let mut same = 0;
    for (scale_name, file) in cases {
        let scale = codebook.scale(scale_name).unwrap();
        let input = without_expectations(&read(&fixtures_dir().join(scale_name).join(file)));
        let in_path = tmp.path().join(format!("{scale_name}.csv"));
        let out_path = tmp.path().join(format!("{scale_name}.port.csv"));
        write_csv(&input, &in_path);
        let status = Command::new("python3")
            .arg(port_script())
            .args(["score", scale_name])
            .arg(&in_path)
            .arg(&out_path)
            .status()
            .unwrap();
        assert!(status.success(), "port failed on {scale_name}");
        let port = read(&out_path);
        let ours = score(
            &input,
            scale,
            &ScoreOptions {
                variant: Some("mtdata".into()),
                ..ScoreOptions::default()
            },
        )
        .unwrap();
        let default = score(&input, scale, &ScoreOptions::default()).unwrap();
        let default_variant = scale.variant(None).unwrap().unwrap();
        let rows: Vec<usize> = floats(&port, "row")
            .into_iter()
            .map(|r| r.unwrap() as usize)
            .collect();
        for def in &scale.variant(Some("mtdata")).unwrap().unwrap().scores {
            let theirs = floats(&port, &def.name);
            let mine = floats(&ours.data, &def.name);
            // The paper's score closest in meaning, for the table.
            let paper = &default_variant.scores[0].name;
            let paper_values = floats(&default.data, paper);
            for (i, &row) in rows.iter().enumerate() {
                let (t, m) = (theirs[i], mine[row]);
                let equal = match (t, m) {
                    (None, None) => true,
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                    _ => false,
                };
                if equal {
                    same += 1;
                    continue;
                }
                let why = if t.is_some_and(f64::is_infinite) {
                    Some("MTData divides by a zero mean (inf); mtdata leaves the ratio missing")
                } else {
                    cause(scale, &input, row)
                };
                assert!(
                    why.is_some(),
                    "{scale_name} {} row {}: MTData {t:?} vs mtdata {m:?} without a known cause",
                    def.name,
                    row + 1
                );
                table.push(format!(
                    "| {scale_name} | {} | {} | {} | {} | {paper} = {} | {} |",
                    def.name,
                    row + 1,
                    fmt(t),
                    fmt(m),
                    fmt(paper_values[row]),
                    why.unwrap()
                ));
            }
        }
    }
    assert!(
        same > 0,
        "no value agreed: the port is not running the same arithmetic"
    );

    // Duplicates: MTData keeps the last row in file order and pivots with a mean; mtdata keeps
    // the last by date and refuses to average.
    let scale = codebook.scale("OA").unwrap();
    let input = without_expectations(&read(&fixtures_dir().join("OA/clean.last.csv")));
    let in_path = tmp.path().join("dups.csv");
    write_csv(&input, &in_path);
    let (scored_path, wide_path) = (
        tmp.path().join("dups.scored.csv"),
        tmp.path().join("dups.wide.csv"),
    );
    let status = Command::new("python3")
        .arg(port_script())
        .args(["prepare", "OA"])
        .args([&in_path, &scored_path, &wide_path])
        .status()
        .unwrap();
    assert!(status.success());
    let port_wide = read(&wide_path);
    let ours = prepare(
        &input,
        scale,
        &PrepareOptions {
            clean: CleanOptions {
                policy: DuplicatePolicy::Last,
                participant_column: None,
            },
            score: ScoreOptions {
                variant: Some("mtdata".into()),
                ..ScoreOptions::default()
            },
            ..PrepareOptions::default()
        },
    )
    .unwrap();
    let theirs = floats(&port_wide, "OA_SUM_PRE");
    let mine = floats(&ours.wide.data, "OA_SUM_PRE");
    // p1: MTData keeps row 2 (last in the file, earliest date); mtdata row 1 (latest date).
    assert_eq!(theirs[0], Some(15.0));
    assert_eq!(mine[0], Some(5.0));
    table.push(format!("| OA (duplicates) | SUM_PRE | participant p1 | {} | {} | | MTData keeps the last row in file order, mtdata the latest by date |", fmt(theirs[0]), fmt(mine[0])));
    // p2: 555 averaged in by MTData.
    table.push(format!("| OA (duplicates) | SUM_PRE | participant p2 | {} | {} | | MTData averages PNA codes (555/-1) as answers |", fmt(theirs[1]), fmt(mine[1])));
    assert!(
        port_wide.column("OA_date_iso_PRE").is_err(),
        "MTData's pivot drops text columns"
    );
    assert!(ours.wide.data.column("OA_date_iso_PRE").is_ok());
    eprintln!("{}\n{same} values agree", table.join("\n"));
}
