//! The MindLogger decode on its fixture cases (`fixtures/decode/mindlogger/<case>/`, made by
//! `examples/make_mindlogger_fixtures.rs`): one snapshot of every table per case, and properties.

use std::path::Path;

use mtdata_core::Secret;
use mtdata_core::config::{AppletPassword, AppletPasswords, SecretLocation};
use mtdata_core::csv_cell::CsvCells;
use mtdata_core::decoded::mindlogger::{JOURNEY_FILE, RESPONSES_FILE, SUMMARY_FILE, WIDE_FOLDER};
use mtdata_core::layout::StudyLayout;
use mtdata_core::mindlogger::AppletId;
use mtdata_decode::mindlogger::{
    MindLoggerOptions, applet_key_ring, decode_applet, decode_mindlogger_study, read_raw_applet,
};
use proptest::prelude::*;
use serde_json::Value;

use crate::cases::{CASES, write_case};
use crate::support::{read, repo_path};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The TEST-ONLY passwords of a case, for every applet of it.
fn passwords(case_dir: &Path) -> AppletPasswords {
    let case: Value = serde_json::from_str(&read(&case_dir.join("case.json"))).unwrap();
    let list: Vec<AppletPassword> = case["passwords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| AppletPassword {
            password: Secret::new(p["password"].as_str().unwrap()),
            account_id: p["account_id"].as_str().map(str::to_owned),
            source: SecretLocation::Env("TEST_ONLY_APPLET_PASSWORD".to_owned()),
        })
        .collect();
    let mut passwords = AppletPasswords::default();
    for entry in std::fs::read_dir(case_dir.join("raw_data/mindlogger")).unwrap() {
        let applet = AppletId::parse_any(&entry.unwrap().file_name().to_string_lossy()).unwrap();
        for password in &list {
            passwords.push(applet.clone(), password.clone());
        }
    }
    passwords
}

/// Decode a case in a fresh study folder; every file it wrote, as one text.
fn decode_case(case: &str) -> String {
    decode_case_with(case, &MindLoggerOptions::default())
}

/// [`decode_case`] with `options`.
fn decode_case_with(case: &str, options: &MindLoggerOptions) -> String {
    let case_dir = repo_path(&format!("fixtures/decode/mindlogger/{case}"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&case_dir.join("raw_data"), &dir.path().join("raw_data"));
    let layout = StudyLayout::new(dir.path());
    let outcomes = decode_mindlogger_study(&layout, &passwords(&case_dir), options).unwrap();
    let mut text = String::new();
    for outcome in outcomes {
        let summary = outcome.result.unwrap();
        assert_eq!(summary.applet, outcome.applet);
        let mut files = vec![RESPONSES_FILE.to_owned(), JOURNEY_FILE.to_owned()];
        for wide in &summary.wide {
            files.push(format!("{WIDE_FOLDER}/{}", wide.file));
        }
        files.push(SUMMARY_FILE.to_owned());
        for file in files {
            let path = outcome.dir.join(&file);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{file} holds participant data");
            }
            text.push_str(&format!("== {}/{file} ==\n", outcome.applet));
            text.push_str(&read(&path));
        }
    }
    text
}

#[test]
fn every_case_decodes_to_its_snapshot() {
    for case in CASES {
        insta::assert_snapshot!(format!("mindlogger_{case}"), decode_case(case));
    }
}

/// Issue 15, fix 8: free text that a spreadsheet would run as a formula is written with a leading `'` in
/// every table (the snapshot of `formula_text` shows it), and as the data holds it with `CsvCells::Raw`
/// (`--raw-csv`); numbers are never changed.
#[test]
fn formula_cells_are_text_unless_raw() {
    let notes = [
        "\"=HYPERLINK(\"\"http://example.invalid\"\",\"\"click\"\")\"",
        "+1 555 0100",
        "-just a dash",
        "@SUM(A1)",
    ];
    let tables = |text: &str| -> Vec<(String, String)> {
        let mut files = Vec::new();
        for part in text.split("== ").skip(1) {
            let (name, body) = part.split_once(" ==\n").unwrap();
            files.push((name.to_owned(), body.to_owned()));
        }
        files
    };
    let safe = decode_case("formula_text");
    let raw = decode_case_with(
        "formula_text",
        &MindLoggerOptions {
            csv_cells: CsvCells::Raw,
            ..MindLoggerOptions::default()
        },
    );
    let (safe, raw) = (tables(&safe), tables(&raw));
    let csv: Vec<_> = safe.iter().filter(|(n, _)| n.ends_with(".csv")).collect();
    assert_eq!(csv.len(), 3, "responses, journey, one wide table");
    for ((name, safe), (_, raw)) in safe.iter().zip(&raw) {
        if !name.ends_with(".csv") {
            assert_eq!(safe, raw, "{name}");
            continue;
        }
        for note in notes {
            let quoted = match note.strip_prefix('"') {
                Some(rest) => format!("\"'{rest}"),
                None => format!("'{note}"),
            };
            assert!(safe.contains(&format!(",{quoted},")), "{name}: {note}");
            assert!(!safe.contains(&format!(",{note},")), "{name}: {note}");
            assert!(raw.contains(&format!(",{note},")), "{name}: {note}");
            assert!(!raw.contains(&quoted), "{name}: {note}");
        }
        // A multiple selection's added text has a column of its own in the wide table (elsewhere it
        // follows `value: ... | text: `, not at the start of a cell).
        if name.contains("/wide/") {
            for r in 0..5 {
                let added = format!(",={r}+cmd,");
                assert!(
                    safe.contains(&added.replace(",=", ",'=")),
                    "{name}: {added}"
                );
                assert!(raw.contains(&added), "{name}: {added}");
            }
        }
        assert!(safe.contains(",-5,") && raw.contains(",-5,"), "{name}");
        assert_eq!(
            safe.replace('\'', ""),
            raw.replace('\'', ""),
            "{name}: nothing but the quotes differs"
        );
    }
}

#[test]
fn the_committed_fixtures_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        write_case(case, &dir.path().join(case));
        let committed = repo_path(&format!("fixtures/decode/mindlogger/{case}"));
        assert_same_tree(&dir.path().join(case), &committed);
    }
}

fn assert_same_tree(made: &Path, committed: &Path) {
    let mut names: Vec<_> = std::fs::read_dir(made)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let mut committed_names: Vec<_> = std::fs::read_dir(committed)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    committed_names.sort();
    assert_eq!(names, committed_names, "{}", committed.display());
    for name in names {
        let (a, b) = (made.join(&name), committed.join(&name));
        if a.is_dir() {
            assert_same_tree(&a, &b);
        } else {
            assert!(
                std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
                "{} differs: run `cargo run -p mtdata-decode --example make_mindlogger_fixtures`",
                b.display()
            );
        }
    }
}

#[test]
fn a_wrong_password_is_an_error_naming_the_applet() {
    let case_dir = repo_path("fixtures/decode/mindlogger/v2_hidden_items");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&case_dir.join("raw_data"), &dir.path().join("raw_data"));
    let mut passwords = AppletPasswords::default();
    let applet = AppletId::parse_any("0b5c6a4e-1f2d-4c3b-8a9e-7d6f5e4c3b2a").unwrap();
    passwords.push(
        applet,
        AppletPassword {
            password: Secret::new("not the password"),
            account_id: None,
            source: SecretLocation::Env("TEST_ONLY_APPLET_PASSWORD".to_owned()),
        },
    );
    let layout = StudyLayout::new(dir.path());
    let outcomes =
        decode_mindlogger_study(&layout, &passwords, &MindLoggerOptions::default()).unwrap();
    let error = mtdata_core::error::chain(outcomes[0].result.as_ref().unwrap_err());
    assert!(
        error.starts_with(&format!("applet {}: password 1", outcomes[0].applet)),
        "{error}"
    );
    assert!(error.contains("wrong applet password"), "{error}");
    assert!(!error.contains("not the password"));
    assert!(!outcomes[0].dir.exists(), "nothing is written");
}

/// The applet of a case with its answers re-paginated: `cut` moves answers between the pages of a run and
/// `order` shuffles them; the decoded tables must not change.
fn repaginated(case: &str, seed: u64) -> tempfile::TempDir {
    let case_dir = repo_path(&format!("fixtures/decode/mindlogger/{case}"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&case_dir.join("raw_data"), &dir.path().join("raw_data"));
    let applet_root = dir.path().join("raw_data/mindlogger");
    let applet_dir = std::fs::read_dir(&applet_root)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut pages: Vec<_> = std::fs::read_dir(&applet_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("data_")
        })
        .collect();
    pages.sort();
    let mut answers = Vec::new();
    let mut template = None;
    for page in &pages {
        let mut value: Value = serde_json::from_str(&read(page)).unwrap();
        answers.extend(value["result"]["answers"].as_array().unwrap().clone());
        value["result"]["answers"] = Value::Array(Vec::new());
        template = Some(value);
    }
    // A deterministic shuffle and split from the seed.
    let mut state = seed | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in (1..answers.len()).rev() {
        answers.swap(i, (next() % (i as u64 + 1)) as usize);
    }
    let template = template.unwrap();
    let owner: Vec<usize> = answers
        .iter()
        .map(|_| next() as usize % pages.len())
        .collect();
    for (index, page) in pages.iter().enumerate() {
        let mut value = template.clone();
        let share: Vec<Value> = answers
            .iter()
            .zip(&owner)
            .filter(|(_, owner)| **owner == index)
            .map(|(a, _)| a.clone())
            .collect();
        value["result"]["answers"] = Value::Array(share);
        std::fs::write(page, serde_json::to_vec(&value).unwrap()).unwrap();
    }
    dir
}

/// The tables of the case's only applet, as text.
fn decode_in_memory(dir: &Path, case: &str, threads: usize) -> String {
    let case_dir = repo_path(&format!("fixtures/decode/mindlogger/{case}"));
    let passwords = passwords(&case_dir);
    let applet_root = dir.join("raw_data/mindlogger");
    let applet_dir = std::fs::read_dir(&applet_root)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let raw = read_raw_applet(&applet_dir).unwrap();
    let encryption = raw
        .document
        .as_ref()
        .and_then(|d| d.encryption())
        .map(Result::unwrap);
    let ring = applet_key_ring(
        &raw.applet,
        encryption.as_ref(),
        passwords.for_applet(&AppletId::parse_any(&raw.applet).unwrap()),
        MindLoggerOptions::default().backend,
    )
    .unwrap();
    let options = MindLoggerOptions {
        threads: std::num::NonZeroUsize::new(threads),
        ..MindLoggerOptions::default()
    };
    let decoded = decode_applet(&raw, &ring, &options);
    let mut text = String::from_utf8(decoded.responses).unwrap();
    text.push_str(&String::from_utf8(decoded.journey).unwrap());
    for (name, bytes) in decoded.wide {
        text.push_str(&name);
        text.push_str(&String::from_utf8(bytes).unwrap());
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// Which page of a run holds which answer, in which order, and how many threads decode: the tables are
    /// the same.
    #[test]
    fn independent_of_page_order_and_thread_count(seed in any::<u64>(), threads in 1usize..5) {
        let original = repo_path("fixtures/decode/mindlogger/v2_hidden_items");
        let expected = decode_in_memory(&original, "v2_hidden_items", 1);
        let shuffled = repaginated("v2_hidden_items", seed);
        prop_assert_eq!(decode_in_memory(shuffled.path(), "v2_hidden_items", threads), expected);
    }
}
