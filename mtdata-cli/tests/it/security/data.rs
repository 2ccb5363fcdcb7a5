//! What a server (or a participant) puts in the data: keys that do not fit, ids that are not ids, names
//! that are not names, answers larger than any study sends, and cells a spreadsheet would run.

use mtdata_sim::keys::ParticipantEncryptor;
use mtdata_sim::mindtrails::TableKind;
use serde_json::json;

use super::{backups_of, run, study};
use crate::support::{render, snapshot_settings, write_owner_only};

/// Fix 5: with the key of another server, each table says "wrong key?" once, with its counts.
#[test]
fn a_wrong_key_is_reported_once_per_table() {
    let (_sim, dir, config) = study(false);
    assert!(
        run(&config, &["export", "sim", "all", "-q"])
            .status
            .success()
    );
    let other_key = dir.path().join("other.pem");
    let pem = std::fs::read(mtdata_fixtures::keys::other_private_pkcs1_pem()).unwrap();
    write_owner_only(&other_key, &String::from_utf8(pem).unwrap());
    let out = run(
        &config,
        &["decode", "sim", "--key", other_key.to_str().unwrap()],
    );
    let text = render(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let wrong_key: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("wrong key?"))
        .collect();
    // One line per table with fields that failed, and nothing else about them.
    let encrypted_tables = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("participantRSA") && !l.contains(" 0 failed"))
        .count();
    assert!(encrypted_tables > 1, "{text}");
    assert_eq!(wrong_key.len(), encrypted_tables, "{text}");
    assert_eq!(stderr.lines().count(), encrypted_tables, "{text}");
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!("wrong_key", text));
}

/// Fix 5: a ciphertext whose plaintext is digits but longer than a participant id (19 digits) is not
/// decrypted into the table.
#[test]
fn a_plaintext_of_more_than_19_digits_is_not_a_participant_id() {
    let (_sim, dir, config) = study(false);
    let raw = dir.path().join("study/raw_data");
    std::fs::create_dir_all(&raw).unwrap();
    let mut encryptor = ParticipantEncryptor::test_key(7).unwrap();
    let rows = json!([
        {"id": 1, "participantRSA": encryptor.encrypt_id(42)},
        {"id": 2, "participantRSA": encryptor.encrypt_text("12345678901234567890")},
        {"id": 3, "participantRSA": encryptor.encrypt_text("1234567890123456789")},
    ]);
    std::fs::write(
        raw.join("Crafted_20240203T040506.000000Z.json"),
        rows.to_string(),
    )
    .unwrap();
    let out = run(&config, &["decode", "sim", "Crafted"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    let csv = std::fs::read_to_string(dir.path().join("study/active_data/Crafted.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,participantRSA,participantRSA_status");
    assert_eq!(lines[1], "1,42,decrypted");
    assert!(
        lines[2].starts_with("2,") && lines[2].ends_with(",failed"),
        "{csv}"
    );
    assert!(!lines[2].contains("12345678901234567890"), "{csv}");
    assert_eq!(lines[3], "3,1234567890123456789,decrypted");
}

/// Fix 6: a row whose id is not a positive whole number or its canonical digits (`" 12"`, `"+12"`,
/// `"012"`, `-5`) is malformed: nothing of the table is deleted and the run is a failure.
#[test]
fn ids_that_are_not_canonical_block_every_delete() {
    let (sim, dir, config) = study(true);
    let existing = sim.table_ids("RR")[0];
    for id in [
        json!(format!(" {existing}")),
        json!(format!("+{existing}")),
        json!(format!("0{existing}")),
        json!(-5),
    ] {
        sim.insert_row_as_is("RR", json!({"id": id, "session": "firstSession"}));
    }
    let out = run(&config, &["export", "sim", "RR"]);
    let text = render(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("4 rows have an id that is not a positive whole number (first: \"-5\")"),
        "{text}"
    );
    assert!(sim.deleted("RR").is_empty(), "{:?}", sim.deleted("RR"));
    assert_eq!(backups_of(dir.path(), "RR").len(), 1);
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!("malformed_ids", text));
}

/// Fix 6: names from the server are printed escaped: a table name with a terminal escape sequence
/// cannot recolour or clear the terminal, or forge a line.
#[test]
fn server_supplied_names_are_shown_escaped() {
    let (sim, _dir, config) = study(false);
    sim.add_table(
        "Evil\u{1b}[2J\nforged: line",
        true,
        TableKind::Questionnaire,
    );
    let out = run(&config, &["export", "sim", "all"]);
    assert_eq!(out.status.code(), Some(1), "{}", render(&out));
    for stream in [&out.stdout, &out.stderr] {
        assert!(!stream.contains(&0x1b), "{}", render(&out));
        assert!(
            !String::from_utf8_lossy(stream)
                .lines()
                .any(|l| l.starts_with("forged")),
            "{}",
            render(&out)
        );
    }
    assert!(render(&out).contains("Evil\\u{1b}[2J\\nforged: line"));
}

/// Fix 6: a Windows device name (`CON`) and names that differ only by case (`OA`, `oa`) are never
/// made into files: such tables are skipped, nothing written or deleted.
#[test]
fn reserved_and_case_colliding_table_names_are_not_paths() {
    let (sim, dir, config) = study(true);
    sim.add_table("con", true, TableKind::Questionnaire);
    sim.insert_row("con", json!({"session": "preTest"}));
    sim.add_table_differing_in_case("oa", true, TableKind::Questionnaire);
    let rows_oa = sim.row_count("OA");
    let out = run(&config, &["export", "sim", "all"]);
    let text = render(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for name in ["con", "OA", "oa"] {
        assert!(backups_of(dir.path(), name).is_empty(), "{name}: {text}");
    }
    assert_eq!(sim.row_count("OA"), rows_oa);
    assert_eq!(sim.row_count("con"), 1);
    let failed: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
    snapshot_settings(dir.path())
        .bind(|| insta::assert_snapshot!("names_that_are_not_paths", failed.join("\n")));
}

/// Fix 6: two blocks whose secrets would come from the same environment variables are refused.
#[test]
fn blocks_whose_environment_variables_collide_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.config");
    write_owner_only(
        &config,
        "lab-a:\n  READY: True\n  SERVER: https://a.example.org/api/\n  PATH: a\n\
         lab_a:\n  READY: True\n  SERVER: https://b.example.org/api/\n  PATH: b\n",
    );
    let out = run(&config, &["export"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot_settings(dir.path())
        .bind(|| insta::assert_snapshot!("colliding_environment_names", render(&out)));
}

/// Fix 6: a row, a study schedule and a table list larger than their documented limits are refused
/// with the limit's name, and nothing of them is kept or deleted.
#[test]
fn answers_over_the_size_limits_are_refused_naming_the_limit() {
    let (sim, dir, config) = study(true);
    let huge = "x".repeat(mtdata_core::limits::MAX_ROW_BYTES + 1);
    sim.insert_row("RR", json!({"session": "firstSession", "notes": huge}));
    sim.set_study_json(&json!({"padding": huge}));
    let rows = sim.row_count("RR");
    let out = run(&config, &["export", "sim", "RR"]);
    let text = render(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the limit for one row (MAX_ROW_BYTES)"),
        "{text}"
    );
    assert!(
        text.contains("the study schedule is larger than 16 MiB, the limit (MAX_SCHEDULE_BYTES)"),
        "{text}"
    );
    assert_eq!(sim.row_count("RR"), rows);
    assert!(backups_of(dir.path(), "RR").is_empty());
    for n in 0..=mtdata_core::limits::MAX_LISTED_TABLES {
        sim.add_table_differing_in_case(&format!("T{n}"), false, TableKind::Other);
    }
    let list = run(&config, &["export", "sim", "RR"]);
    assert_eq!(list.status.code(), Some(2), "{}", render(&list));
    assert!(
        render(&list).contains("more than the limit of 10000 (MAX_LISTED_TABLES)"),
        "{}",
        render(&list)
    );
}

/// Fix 8: free-text cells that a spreadsheet would run as formulas are written with a leading `'` in
/// decoded tables and report CSVs; numbers stay numbers; `--raw-csv` writes the data as it is.
#[test]
fn cells_a_spreadsheet_would_run_are_written_as_text() {
    let (sim, dir, config) = study(false);
    sim.add_table("Notes", false, TableKind::Questionnaire);
    sim.insert_row(
        "Notes",
        json!({"=cmd": "x", "text": "=HYPERLINK(\"http://example.invalid\",\"click\")",
               "plus": "+1 555 0100", "at": "@SUM(A1)", "minus": "-5", "exp": "-1e3", "number": -2}),
    );
    assert!(
        run(&config, &["export", "sim", "Notes", "-q"])
            .status
            .success()
    );
    let csv = |raw: bool| {
        let mut words = vec!["decode", "sim", "Notes"];
        if raw {
            words.push("--raw-csv");
        }
        assert!(run(&config, &words).status.success());
        std::fs::read_to_string(dir.path().join("study/active_data/Notes.csv")).unwrap()
    };
    let safe = csv(false);
    assert_eq!(
        safe.lines().collect::<Vec<_>>(),
        [
            "id,'=cmd,text,plus,at,minus,exp,number",
            &format!(
                "{},x,\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"click\"\")\",'+1 555 0100,'@SUM(A1),-5,-1e3,-2",
                sim.table_ids("Notes")[0]
            ),
        ]
    );
    let raw = csv(true);
    assert!(raw.starts_with("id,=cmd,text,"), "{raw}");
    assert!(raw.contains(",+1 555 0100,@SUM(A1),-5,"), "{raw}");
    // The status report names the column `=cmd` (read from the raw CSV): its CSV writes it as text.
    let status = |extra: &[&str]| {
        let reports = dir.path().join("study/reports");
        let _ = std::fs::remove_dir_all(&reports);
        let mut words = vec!["status", "all", "sim"];
        words.extend_from_slice(extra);
        assert!(run(&config, &words).status.code().unwrap() < 2);
        let file = std::fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("_status_2"))
            .unwrap();
        std::fs::read_to_string(file).unwrap()
    };
    assert!(status(&[]).contains("\nNotes,'=cmd,"));
    assert!(status(&["--raw-csv"]).contains("\nNotes,=cmd,"));
}
