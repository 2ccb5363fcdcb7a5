//! Reading item columns as numbers (`read_scale_table`) must score exactly like reading every
//! column as text, and Parquet input must score like the CSV it came from.

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{
    Codebook, OutputFormat, ScoreOptions, Scored, Study, read_csv_bytes, read_scale_csv_bytes,
    read_table, score, write_table,
};

use crate::fixtures::score_cases;

/// Every scale fixture with its study.
fn fixture_files() -> Vec<(String, Study, std::path::PathBuf)> {
    score_cases()
        .into_iter()
        .map(|(scale, study, _, path)| (scale, Study::parse(&study).unwrap(), path))
        .collect()
}

fn as_text(df: &DataFrame) -> Vec<(String, Vec<Option<String>>)> {
    df.columns()
        .iter()
        .map(|c| {
            let text = c.cast(&DataType::String).unwrap();
            let values = text
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect();
            (c.name().to_string(), values)
        })
        .collect()
}

fn problems(scored: &Scored) -> Vec<String> {
    scored
        .problems
        .iter()
        .map(|p| format!("{} {:?} {} {} {:?}", p.row, p.id, p.column, p.value, p.kind))
        .collect()
}

#[test]
fn typed_read_scores_exactly_like_the_text_read() {
    let files = fixture_files();
    assert!(files.len() > 40, "only {} fixtures", files.len());
    for (scale_name, study, path) in files {
        let codebook = Codebook::builtin(study);
        let scale = codebook.scale(&scale_name).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let table = path.display().to_string();
        let text = read_csv_bytes(bytes.clone(), &table).unwrap();
        let typed = read_scale_csv_bytes(bytes, scale, &table).unwrap();
        let options = ScoreOptions::default();
        let a = score(&text, scale, &options).unwrap();
        let b = score(&typed, scale, &options).unwrap();
        assert_eq!(
            as_text(&a.data),
            as_text(&b.data),
            "{table}: scored tables differ"
        );
        assert_eq!(problems(&a), problems(&b), "{table}: problems differ");
    }
}

#[test]
fn typed_read_gives_integers_floats_or_falls_back_to_text() {
    let codebook = Codebook::builtin(Study::CalmThinking);
    let oa = codebook.scale("OA").unwrap();
    let header =
        "id,participant,session,anxious_freq,anxious_sev,avoid,interfere,interfere_social\n";
    let whole = format!("{header}1,007,PRE,0,1,555,,4\n");
    let df = read_scale_csv_bytes(whole.into_bytes(), oa, "t").unwrap();
    assert_eq!(df.column("anxious_sev").unwrap().dtype(), &DataType::Int64);
    // Participant ids stay text: the leading zeros are part of the id.
    assert_eq!(df.column("participant").unwrap().dtype(), &DataType::String);
    assert_eq!(
        df.column("participant").unwrap().str().unwrap().get(0),
        Some("007")
    );

    let fraction = format!("{header}1,8,PRE,0,1.5,2,3,4\n");
    let df = read_scale_csv_bytes(fraction.into_bytes(), oa, "t").unwrap();
    assert_eq!(
        df.column("anxious_sev").unwrap().dtype(),
        &DataType::Float64
    );

    // One cell that is not a number: the whole table is read as text, and scoring reports it.
    let bad = format!("{header}1,8,PRE,0,1,2,3,4\n2,9,PRE,often,1,2,3,4\n");
    let df = read_scale_csv_bytes(bad.into_bytes(), oa, "t").unwrap();
    assert_eq!(
        df.column("anxious_freq").unwrap().dtype(),
        &DataType::String
    );
    let scored = score(&df, oa, &ScoreOptions::default()).unwrap();
    assert_eq!(scored.problems.len(), 1);
    let p = &scored.problems[0];
    assert_eq!(
        (p.row, p.id.as_deref(), p.value.as_str()),
        (1, Some("2"), "often")
    );
}

#[test]
fn parquet_input_scores_like_the_csv_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    for (scale_name, study, path) in fixture_files().into_iter().step_by(5) {
        let codebook = Codebook::builtin(study);
        let scale = codebook.scale(&scale_name).unwrap();
        let csv = read_table(&path).unwrap();
        let parquet = dir.path().join("table.parquet");
        write_table(
            &csv,
            &parquet,
            OutputFormat::Parquet,
            mtdata_core::csv_cell::CsvCells::default(),
        )
        .unwrap();
        let from_parquet = read_table(&parquet).unwrap();
        let options = ScoreOptions::default();
        let a = score(&csv, scale, &options).unwrap();
        let b = score(&from_parquet, scale, &options).unwrap();
        assert_eq!(as_text(&a.data), as_text(&b.data), "{}", path.display());
        assert_eq!(problems(&a), problems(&b), "{}", path.display());
    }
}
