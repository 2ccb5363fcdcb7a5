//! The code of `scales_walkthrough.ipynb` (an evcxr notebook), cell by cell, so that the
//! notebook is tested: mtdata-scales' integration tests include this file and run [`run`].
//! In the notebook, `fixtures` is a study folder's `active_data/` instead.

use std::fmt::Write as _;
use std::path::Path;

use mtdata_scales::polars::prelude::*;
use mtdata_scales::{
    CleanOptions, Codebook, DuplicatePolicy, PrepareOptions, ScoreOptions, Study, prepare,
    read_table,
};

pub fn run(fixtures: &Path) -> mtdata_scales::Result<String> {
    let mut out = String::new();
    // --- cell: load a decoded table (every column as text; nothing is guessed or lost)
    let raw = read_table(&fixtures.join("OA").join("clean.last.csv"))?;
    // The fixture carries its expected values in `expect_*` columns: leave them out.
    let keep: Vec<String> = raw
        .get_column_names_owned()
        .into_iter()
        .filter(|c| !c.starts_with("expect_"))
        .map(|c| c.to_string())
        .collect();
    let oa_long = raw.select(keep).map_err(|e| mtdata_scales::Error::Polars {
        table: "OA".into(),
        source: e,
    })?;
    let _ = writeln!(out, "{oa_long}");

    // --- cell: the study's codebook, and what the OASIS variants mean
    let codebook = Codebook::builtin(Study::CalmThinking);
    // `.clone()`: evcxr keeps only owned values from one cell to the next.
    let oa = codebook.scale("OA")?.clone();
    for v in &oa.variants {
        let _ = writeln!(out, "{}: {}", v.name, v.description);
    }

    // --- cell: clean (latest row per participant and session), score, reshape
    let prepared = prepare(
        &oa_long,
        &oa,
        &PrepareOptions {
            clean: CleanOptions {
                policy: DuplicatePolicy::Last,
                ..CleanOptions::default()
            },
            score: ScoreOptions {
                variant: Some("mean-x5".into()),
                ..ScoreOptions::default()
            },
            ..PrepareOptions::default()
        },
    )?;
    let report = prepared.cleaned.report.clone();
    let _ = writeln!(
        out,
        "rows {} -> {}; exact duplicates {}; duplicate keys {}",
        report.rows_in, report.rows_out, report.exact_duplicates, report.duplicate_keys
    );
    for rule in &prepared.scored.rules {
        let _ = writeln!(out, "{}", rule.description);
    }

    // --- cell: the wide table, one row per participant
    let wide = prepared.wide.data.clone();
    let _ = writeln!(out, "{wide}");

    // --- cell: summarise: mean OASIS score per session
    for column in prepared
        .wide
        .columns
        .iter()
        .filter(|c| c.variable == "oa_total")
    {
        let values = wide
            .column(&column.name)
            .and_then(|c| c.cast(&DataType::Float64))
            .map_err(|e| mtdata_scales::Error::Polars {
                table: "OA".into(),
                source: e,
            })?;
        let present: Vec<f64> = values
            .f64()
            .map_err(|e| mtdata_scales::Error::Polars {
                table: "OA".into(),
                source: e,
            })?
            .iter()
            .flatten()
            .collect();
        let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
        let _ = writeln!(
            out,
            "{}: n = {}, mean = {mean:.2}",
            column.name,
            present.len()
        );
    }
    Ok(out)
}
