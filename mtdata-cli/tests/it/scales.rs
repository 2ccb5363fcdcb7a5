//! The scale verbs through the binary on a hand-made fixture (MTData's `<Scale> <csv>` form).

use std::path::{Path, PathBuf};

use crate::support::{mtdata, render, snapshot_settings};

/// Copy the scale fixture `fixture` (under `fixtures/scales/`) to `<dir>/study/active_data/
/// <table>.csv`, as decode would have written it.
fn decoded_table(dir: &Path, fixture: &str, table: &str) -> PathBuf {
    let active = dir.join("study/active_data");
    std::fs::create_dir_all(&active).unwrap();
    let csv = active.join(format!("{table}.csv"));
    std::fs::copy(
        mtdata_fixtures::fixtures_dir().join("scales").join(fixture),
        &csv,
    )
    .unwrap();
    csv
}

#[test]
fn prepare_cleans_scores_and_reshapes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = decoded_table(dir.path(), "OA/clean.last.csv", "OA");
    let out = mtdata()
        .args(["prepare", "OA"])
        .arg(&csv)
        .args(["--study", "calm-thinking"])
        .output()
        .unwrap();
    let text = render(&out);
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!(text));
    assert!(out.status.code().is_some_and(|c| c <= 1), "{text}");
    let processed = dir.path().join("study/processed_data");
    for sub in ["cleaned_dup_data", "scored_data", "wideform_data"] {
        let files = std::fs::read_dir(processed.join(sub)).unwrap().count();
        assert!(files >= 1, "{sub} is empty: {text}");
    }
}

/// Decoded Templeton Demographics: `participant` is there but empty, the ids are in
/// `participantRSA`, two of which did not decrypt and one is empty. Only participant 2's two rows
/// are duplicates; the rows without a usable id are all kept.
#[test]
fn clean_finds_the_participant_column_that_holds_ids() {
    let dir = tempfile::tempdir().unwrap();
    let csv = decoded_table(
        dir.path(),
        "Demographics/clean.participant-columns.csv",
        "Demographics",
    );
    let out = mtdata()
        .args(["clean", "Demographics"])
        .arg(&csv)
        .args(["--study", "templeton"])
        .output()
        .unwrap();
    let text = render(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("rows       6  kept       5  dropped 1 (exact 0, same key 1)"),
        "{text}"
    );
    let cleaned_dir = dir.path().join("study/processed_data/cleaned_dup_data");
    let dropped = std::fs::read_dir(&cleaned_dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| p.to_string_lossy().contains("_dropped_"))
        .unwrap();
    let dropped = std::fs::read_to_string(dropped).unwrap();
    // The earlier of participant 2's rows (id 1) goes; the latest (id 3) is kept.
    assert_eq!(
        dropped,
        "row,id,session,tag,reason,kept_row\n0,1,preTest,,same key,2\n"
    );
}

#[test]
fn wide_columns_follow_the_study_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("study/active_data");
    std::fs::create_dir_all(&active).unwrap();
    // A schedule whose sessions are not in the built-in order.
    std::fs::write(
        active.join("study.json"),
        r#"[{"name":"Lab","sessions":[{"name":"zeta","tasks":[]},{"name":"alpha","tasks":[]}]}]"#,
    )
    .unwrap();
    std::fs::write(
        active.join("Phq4.csv"),
        "id,participant,session,nervous,worry,pleasure,depressed\n\
         1,7,alpha,1,1,1,1\n\
         2,7,zeta,2,2,2,2\n",
    )
    .unwrap();
    let out = mtdata()
        .args(["long-to-wide", "Phq4"])
        .arg(active.join("Phq4.csv"))
        .args(["--study", "templeton"])
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        render(&out)
    );
    let wide_dir = dir.path().join("study/processed_data/wideform_data");
    let file = std::fs::read_dir(&wide_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let header = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let zeta = header.find("_zeta").expect(&header);
    let alpha = header.find("_alpha").expect(&header);
    assert!(zeta < alpha, "schedule order, not alphabetical: {header}");
}

/// `all <SERVER>` goes through every server: one whose study has no decoded table is reported
/// once, as every verb reports a failed server (exit status 2), and the others are still scored.
#[test]
fn a_failed_server_is_reported_once_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let active = dir.path().join("templeton/active_data");
    std::fs::create_dir_all(&active).unwrap();
    std::fs::write(
        active.join("Phq4.csv"),
        "id,participant,session,nervous,worry,pleasure,depressed\n1,7,PRE,1,1,1,1\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("calm/active_data")).unwrap();
    let config = dir.path().join("server.config");
    let block = |name: &str| {
        format!(
            "{name}:\n  READY: True\n  SERVER: 'https://gone.example.org/api/'\n  PATH: '{}'\n",
            dir.path().join(name).display()
        )
    };
    std::fs::write(&config, block("calm") + &block("templeton")).unwrap();
    let out = mtdata()
        .arg("--config")
        .arg(&config)
        .args(["scores", "all", "."])
        .output()
        .unwrap();
    let text = render(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("error: server calm: ").count(), 1, "{text}");
    assert!(
        stderr.contains("no decoded table of a scale of codebook calm-thinking"),
        "{text}"
    );
    assert!(
        text.contains("Phq4                   rows       1  scores 3  invalid values 0"),
        "{text}"
    );
    let scored = dir.path().join("templeton/processed_data/scored_data");
    assert_eq!(std::fs::read_dir(scored).unwrap().count(), 2, "{text}");
}
