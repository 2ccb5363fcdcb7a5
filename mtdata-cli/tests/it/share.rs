//! `mtdata share`: export and decode a v1 study from the simulator through the binary, give the Girder
//! structure of its first applet (one viewer granted one respondent), share, and scan every byte written
//! for the other users' ids, secret ids and free-text answers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use mtdata_core::decoded::mindlogger::{RESPONSES_FILE, ResponseColumn};
use mtdata_core::layout::StudyLayout;
use mtdata_core::mindlogger::{AppletId, MindLoggerApi};
use mtdata_sim::mindlogger::Simulator;
use serde_json::json;

use crate::mindlogger::{Study, small};
use crate::support::{mtdata, render, snapshot_settings};

/// The study exported and decoded, and the rows of its first applet's `responses.csv` by column name.
struct Decoded {
    sim: Simulator,
    study: Study,
    applet: String,
    rows: Vec<BTreeMap<String, String>>,
}

fn export_and_decode() -> Decoded {
    let sim = Simulator::start(small(MindLoggerApi::V1)).unwrap();
    let study = Study::new(&sim, sim.manager(), "");
    let export = study.export(&sim);
    assert_eq!(export.status.code(), Some(0), "{}", render(&export));
    let mut decode = mtdata();
    decode
        .arg("--config")
        .arg(&study.config)
        .args(["decode", "ema"]);
    for (n, id) in sim.applet_ids().iter().enumerate() {
        decode.env(format!("EMA_PW_{n}"), sim.applet_password(id).unwrap());
    }
    let decoded = decode.output().unwrap();
    assert_eq!(decoded.status.code(), Some(0), "{}", render(&decoded));
    let applet = sim.applet_ids()[0].clone();
    let path = applet_dir(&study.root(), &applet).join(RESPONSES_FILE);
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect();
    Decoded {
        sim,
        study,
        applet,
        rows,
    }
}

fn applet_dir(study: &Path, applet: &str) -> PathBuf {
    StudyLayout::new(study).mindlogger_active(&AppletId::parse_any(applet).unwrap())
}

const VIEWER: &str = "64f0c2e1a9b8c7d6e5f4a3b2";
const OWNER: &str = "64f0c2e1a9b8c7d6e5f4a3b3";
/// An account that is no user of the set.
const LONER: &str = "64f0c2e1a9b8c7d6e5f4a3b4";

/// The Girder structure: the applet as an Activity Set whose users are every respondent of the decoded
/// table, the viewer granted `granted` only; one Girder response record per respondent with a free text.
fn girder(decoded: &Decoded, granted: &str) -> serde_json::Value {
    let users: BTreeSet<&str> = decoded
        .rows
        .iter()
        .map(|row| row[ResponseColumn::UserId.name()].as_str())
        .collect();
    let mut folders = vec![
        json!({"_id": decoded.applet, "name": "EMA study", "parentId": "c1",
        "parentCollection": "collection",
        "meta": {"members": {"owners": [OWNER], "users": users, "viewers": {VIEWER: [granted]}}}}),
    ];
    let mut items = Vec::new();
    for (n, user) in users.iter().enumerate() {
        folders.push(
            json!({"_id": format!("resp-{n}"), "name": "Responses", "parentId": user,
            "parentCollection": "user"}),
        );
        folders.push(json!({"_id": format!("resp-{n}-set"), "name": "EMA study",
            "parentId": format!("resp-{n}"), "parentCollection": "folder",
            "meta": {"activitySet": decoded.applet}}));
        items.push(json!({"_id": format!("item-{n}"), "name": "2026-03-02 Mood", "folderId": format!("resp-{n}-set"),
            "meta": {"completed": "2026-03-02T14:05:00Z", "responses": [format!("girder words of {user}")]}}));
    }
    folders.push(json!({"_id": "acts", "name": "Activities", "parentId": decoded.applet, "parentCollection": "folder"}));
    folders.push(
        json!({"_id": "mood", "name": "Mood", "parentId": "acts", "parentCollection": "folder"}),
    );
    folders.push(
        json!({"_id": "mood-1", "name": "1.0.0", "parentId": "mood", "parentCollection": "folder",
        "meta": {"effectiveFrom": "2026-03-01"}}),
    );
    let mut accounts = vec![
        json!({"_id": VIEWER, "login": "ra"}),
        json!({"_id": OWNER, "login": "pi"}),
        json!({"_id": LONER, "login": "loner"}),
    ];
    accounts.extend(users.iter().map(|u| json!({"_id": u, "login": u})));
    json!({"collections": [{"_id": "c1", "name": "Activity Sets"}], "folders": folders, "items": items,
           "users": accounts})
}

fn share(decoded: &Decoded, girder: &serde_json::Value, account: &str, out: &Path) -> Output {
    let file = decoded.study.dir.path().join("girder.json");
    std::fs::write(&file, serde_json::to_vec(girder).unwrap()).unwrap();
    mtdata()
        .arg("--config")
        .arg(&decoded.study.config)
        .args(["share", "ema", "--account", account, "--girder"])
        .arg(&file)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found.sort();
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

#[test]
fn a_viewer_gets_only_the_users_granted() {
    let decoded = export_and_decode();
    let user = ResponseColumn::UserId.name();
    let secret = ResponseColumn::SecretUserId.name();
    let answer = ResponseColumn::ItemResponse.name();
    // The respondent the viewer may see: the first participant (not the reviewing manager).
    let granted = decoded
        .rows
        .iter()
        .find(|row| row[secret].starts_with("participant"))
        .map(|row| row[user].clone())
        .unwrap();
    let out = decoded.study.dir.path().join("share-for-ra");
    let output = share(&decoded, &girder(&decoded, &granted), VIEWER, &out);
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));

    let kept: Vec<_> = decoded
        .rows
        .iter()
        .filter(|row| row[user] == granted)
        .collect();
    let excluded: Vec<_> = decoded
        .rows
        .iter()
        .filter(|row| row[user] != granted)
        .collect();
    assert!(!kept.is_empty() && !excluded.is_empty());
    // What may not appear anywhere: the other users' ids and secret ids, their answers that the granted
    // user never gave, and their Girder free text.
    let kept_answers: BTreeSet<&str> = kept.iter().map(|row| row[answer].as_str()).collect();
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    for row in &excluded {
        forbidden.insert(row[user].clone());
        forbidden.insert(row[secret].clone());
        forbidden.insert(format!("girder words of {}", row[user]));
        if !kept_answers.contains(row[answer].as_str()) && row[answer].len() >= 6 {
            forbidden.insert(row[answer].clone());
        }
    }
    assert!(
        forbidden.len() > 4,
        "the scan looks for the other users' ids and answers"
    );
    let written = files(&out);
    assert!(written.len() >= 4, "{written:?}");
    for (path, bytes) in &written {
        for needle in &forbidden {
            assert!(
                !contains(bytes, needle),
                "{} holds {needle:?}, which belongs to a user the viewer may not see",
                path.display()
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the share folder is owner-only");
    }
    // The granted user's rows are all there, byte for byte.
    let shared_responses = out.join(&decoded.applet).join(RESPONSES_FILE);
    let mut reader = csv::Reader::from_path(&shared_responses).unwrap();
    assert_eq!(reader.records().count(), kept.len());
    let original = std::fs::read_to_string(
        applet_dir(&decoded.study.root(), &decoded.applet).join(RESPONSES_FILE),
    )
    .unwrap();
    let shared = std::fs::read_to_string(&shared_responses).unwrap();
    assert!(shared.lines().all(|line| original.contains(line)));

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["account"], VIEWER);
    let users = &manifest["activity_sets"][0]["users"];
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["user"], granted.as_str());
    assert_eq!(
        users[0]["reason"],
        json!({"role": "viewer", "viewer": VIEWER, "grant": granted})
    );

    let settings = snapshot_settings(decoded.study.dir.path());
    settings.bind(|| {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(&decoded.applet, "[APPLET]");
        settings.add_filter(&granted, "[USER]");
        settings.add_filter(r#""created": "[^"]+""#, r#""created": "[CREATED]""#);
        settings.bind(|| {
            insta::assert_snapshot!("share", render(&output));
            insta::assert_snapshot!(
                "share_manifest",
                String::from_utf8(std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
            );
        });
    });
    drop(decoded.sim);
}

#[test]
fn nothing_visible_or_a_used_folder_is_an_error_and_writes_nothing() {
    let decoded = export_and_decode();
    let girder = girder(&decoded, LONER);
    let out = decoded.study.dir.path().join("share-empty");
    let output = share(&decoded, &girder, VIEWER, &out);
    assert_eq!(output.status.code(), Some(2), "{}", render(&output));
    assert!(!out.exists());
    let unknown = share(&decoded, &girder, "64f0c2e1a9b8c7d6e5f4a3ff", &out);
    assert_eq!(unknown.status.code(), Some(2), "{}", render(&unknown));

    let used = decoded.study.dir.path().join("used");
    std::fs::create_dir(&used).unwrap();
    std::fs::write(used.join("old.csv"), "someone else's data").unwrap();
    let refused = share(&decoded, &girder, OWNER, &used);
    assert_eq!(refused.status.code(), Some(2), "{}", render(&refused));
    assert_eq!(files(&used).len(), 1);
    // Without --girder, the export's Girder walk is read; this block never walked one.
    let no_walk = mtdata()
        .arg("--config")
        .arg(&decoded.study.config)
        .args(["share", "ema", "--account", OWNER, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(no_walk.status.code(), Some(2), "{}", render(&no_walk));
    assert!(!out.exists());
    snapshot_settings(decoded.study.dir.path()).bind(|| {
        insta::assert_snapshot!(
            "share_errors",
            [
                render(&output),
                render(&unknown),
                render(&refused),
                render(&no_walk)
            ]
            .join("\n")
        );
    });
}

#[test]
fn help_explains_the_roles_with_an_example() {
    let output = mtdata().args(["share", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("share_help", String::from_utf8(output.stdout).unwrap());
}

#[test]
fn an_owner_gets_every_row_of_the_set_named() {
    let decoded = export_and_decode();
    let girder = girder(&decoded, LONER);
    let file = decoded.study.dir.path().join("girder.json");
    std::fs::write(&file, serde_json::to_vec(&girder).unwrap()).unwrap();
    let out = decoded.study.dir.path().join("share-for-pi");
    let output = mtdata()
        .arg("--config")
        .arg(&decoded.study.config)
        .args([
            "share",
            "ema",
            "--account",
            OWNER,
            "--activity-set",
            &decoded.applet,
            "--girder",
        ])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", render(&output));
    let source = applet_dir(&decoded.study.root(), &decoded.applet);
    for table in [
        RESPONSES_FILE,
        mtdata_core::decoded::mindlogger::JOURNEY_FILE,
    ] {
        assert_eq!(
            std::fs::read(out.join(&decoded.applet).join(table)).unwrap(),
            std::fs::read(source.join(table)).unwrap(),
            "{table}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let users = manifest["activity_sets"][0]["users"].as_array().unwrap();
    assert!(
        users
            .iter()
            .all(|u| u["reason"] == json!({"role": "owner"}))
    );
    let respondents: BTreeSet<&str> = decoded
        .rows
        .iter()
        .map(|row| row[ResponseColumn::UserId.name()].as_str())
        .collect();
    assert_eq!(users.len(), respondents.len());

    let missing = mtdata()
        .arg("--config")
        .arg(&decoded.study.config)
        .args([
            "share",
            "ema",
            "--account",
            OWNER,
            "--activity-set",
            "64f0c2e1a9b8c7d6e5f40000",
            "--girder",
        ])
        .arg(&file)
        .arg("--out")
        .arg(decoded.study.dir.path().join("other"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "error: no activity set \"64f0c2e1a9b8c7d6e5f40000\" in the Girder structure\n"
    );
}
