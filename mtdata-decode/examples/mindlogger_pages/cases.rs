//! The fixture cases of the MindLogger decode, one folder each.
#![allow(dead_code)]

use std::path::Path;

use mindlogger_model::UserPublicKey;
use mtdata_crypto::mindlogger::{AnswerOutcome, KeyRing};
use serde_json::{Value, json};

use super::pages::*;

/// Every case, in the order the tests snapshot them.
pub const CASES: [&str; 13] = [
    "v2_hidden_items",
    "v1_two_pages",
    "reviewer",
    "plain_answer",
    "wrong_key",
    "bad_padding",
    "not_json",
    "missing_key",
    "overlapping_runs",
    "conflicting_copy",
    "incomplete_run",
    "previous_owner",
    "formula_text",
];

const V2_APPLET: &str = "0b5c6a4e-1f2d-4c3b-8a9e-7d6f5e4c3b2a";
const V1_APPLET: &str = "64a1f0c2e1b2c3d4e5f60718";

/// Write case `name` into `dir` (replacing what was there).
pub fn write_case(name: &str, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let (about, passwords) = match name {
        "v1_two_pages" => v1_two_pages(dir),
        "previous_owner" => previous_owner(dir),
        other => v2_case(other, dir),
    };
    let case = json!({"about": about, "passwords": passwords,
                      "note": "synthetic data; the passwords are TEST-ONLY and open nothing real"});
    std::fs::write(
        dir.join("case.json"),
        serde_json::to_string_pretty(&case).unwrap() + "\n",
    )
    .unwrap();
}

fn applet_dir(dir: &Path, applet: &str) -> std::path::PathBuf {
    dir.join("raw_data/mindlogger").join(applet)
}

/// A morning answer of respondent `r` (its `n`-th), encrypted under the official applet.
fn morning(
    applet: &TestApplet,
    activity: &Value,
    r: usize,
    n: usize,
    start: f64,
) -> V2Answer<'static> {
    morning_with(applet, activity, r, n, start, v2_morning_answers(r, n))
}

/// [`morning`] with the given answer array.
fn morning_with(
    applet: &TestApplet,
    activity: &Value,
    r: usize,
    n: usize,
    start: f64,
    answers: Value,
) -> V2Answer<'static> {
    let (public, aes) = applet.respondent(&format!("respondent {r}"));
    let events = v2_morning_events(activity, &answers, (start * 1000.0) as u64);
    let id = uuid_for(&format!("answer {r} {n}"));
    let activity: &'static Value = Box::leak(Box::new(activity.clone()));
    V2Answer {
        answer: encrypt(&aes, &format!("{id} answer"), &answers.to_string()),
        events: Some(encrypt(&aes, &format!("{id} events"), &events.to_string())),
        id,
        applet_id: V2_APPLET,
        activity,
        respondent: r,
        user_public_key: key_text(&public),
        start,
        reviewed_answer_id: None,
        secret_id: format!("P-{:03}", r + 1),
    }
}

/// The v2 cases: one arm per case, each a few lines, side by side so the cases read as a list (reason for
/// the length).
fn v2_case(name: &str, dir: &Path) -> (&'static str, Value) {
    let applet = TestApplet::official();
    let raw = applet_dir(dir, V2_APPLET);
    write_applet_document(
        &raw,
        stamp(1, 0),
        &v2_applet_document(V2_APPLET, &applet.encryption),
    );
    let activity = v2_morning(V2_APPLET, "1.0.0");
    let start = 1_767_254_400.0; // 2026-01-01T08:00:00Z
    let answer = |r: usize, n: usize| {
        morning(
            &applet,
            &activity,
            r,
            n,
            start + (r * 100 + n * 86_400) as f64,
        )
    };
    let page = |answers: Vec<Value>| v2_page(&answers, &[&activity], answers.len());
    let password = json!([{"password": applet.password, "account_id": null}]);
    let run = |day: u32, pages: &[Value], complete: bool| {
        write_run(
            &raw,
            stamp(day, 0),
            "mindlogger-v2",
            V2_APPLET,
            pages,
            complete,
        )
    };
    let about = match name {
        "v2_hidden_items" => {
            run(
                1,
                &[
                    page(vec![answer(0, 0).to_json(), answer(1, 0).to_json()]),
                    page(vec![answer(0, 1).to_json(), answer(2, 0).to_json()]),
                ],
                true,
            );
            "v2: one run of two pages; every common item type, a hidden item (in the answer array, not in the tables), added text, an edited answer, skipped items, events"
        }
        "reviewer" => {
            let reviewed = answer(0, 0);
            let reviewer = uuid_for("reviewer");
            let mut review = answer(0, 1);
            let aes = applet.reviewer(&reviewer);
            let values = v2_morning_answers(9, 9);
            review.id = uuid_for("review");
            review.answer = encrypt(&aes, "review answer", &values.to_string());
            review.events = None;
            review.user_public_key = reviewer;
            review.reviewed_answer_id = Some(reviewed.id.clone());
            review.secret_id = "[admin account] (ra@lab.example.org)".to_owned();
            run(1, &[page(vec![reviewed.to_json(), review.to_json()])], true);
            "v2: a review made in the admin panel: its public key is the reviewer's id, and it names the answer it reviews"
        }
        "plain_answer" => {
            let mut plain = answer(1, 0);
            plain.answer = v2_morning_answers(1, 0).to_string();
            plain.events = None;
            run(
                1,
                &[page(vec![answer(0, 0).to_json(), plain.to_json()])],
                true,
            );
            "v2: an unencrypted answer (plain JSON) inside an encrypted applet: kept, with answer_status plain"
        }
        "wrong_key" => {
            let mut wrong = answer(1, 0);
            let other: [u8; 32] = bytes_for("another applet's key")[..32].try_into().unwrap();
            wrong.answer = encrypt(&other, "wrong", &v2_morning_answers(1, 0).to_string());
            wrong.events = Some(encrypt(&other, "wrong events", "[]"));
            run(
                1,
                &[page(vec![answer(0, 0).to_json(), wrong.to_json()])],
                true,
            );
            "v2: an answer encrypted under another key: rows with an empty item_response and answer_status wrong key; exit status 1"
        }
        "bad_padding" => {
            let mut damaged = answer(1, 0);
            damaged.answer =
                corrupt_last_block(&applet.ring, &damaged.user_public_key, &damaged.answer);
            run(
                1,
                &[page(vec![answer(0, 0).to_json(), damaged.to_json()])],
                true,
            );
            "v2: an answer whose last ciphertext block is corrupt: bad padding"
        }
        "not_json" => {
            let mut text = answer(1, 0);
            let (_, aes) = applet.respondent("respondent 1");
            text.answer = encrypt(&aes, "not json", "a plain sentence, not JSON");
            run(
                1,
                &[page(vec![answer(0, 0).to_json(), text.to_json()])],
                true,
            );
            "v2: the right key opens an answer whose plaintext is not JSON"
        }
        "missing_key" => {
            run(1, &[page(vec![answer(0, 0).to_json()])], true);
            return (
                "v2: no applet password given: the answer is missing key (nothing is written in its place)",
                json!([]),
            );
        }
        "overlapping_runs" => {
            run(
                1,
                &[page(vec![answer(0, 0).to_json(), answer(1, 0).to_json()])],
                true,
            );
            run(
                2,
                &[page(vec![answer(1, 0).to_json(), answer(2, 0).to_json()])],
                true,
            );
            "v2: two runs that both hold one answer (the export's overlap): one submission, one duplicate, no conflict"
        }
        "conflicting_copy" => {
            run(
                1,
                &[page(vec![answer(0, 0).to_json(), answer(1, 0).to_json()])],
                true,
            );
            let mut renamed = answer(1, 0);
            renamed.secret_id = "P-002-renamed".to_owned();
            run(2, &[page(vec![renamed.to_json()])], true);
            "v2: a later run holds a copy of an answer that differs (the secret id was changed): a conflict, the newest copy wins"
        }
        "incomplete_run" => {
            run(1, &[page(vec![answer(0, 0).to_json()])], true);
            run(
                2,
                &[
                    page(vec![answer(1, 0).to_json()]),
                    page(vec![answer(2, 0).to_json()]),
                ],
                false,
            );
            "v2: a run killed before its run file: its two pages are ignored and counted"
        }
        "formula_text" => {
            // Free text a spreadsheet would run as a formula, in the `note` item and in a multiple
            // selection's added text; `-5` is a number and stays as it is.
            let notes = [
                "=HYPERLINK(\"http://example.invalid\",\"click\")",
                "+1 555 0100",
                "-just a dash",
                "@SUM(A1)",
                "-5",
            ];
            let answers: Vec<Value> = notes
                .iter()
                .enumerate()
                .map(|(r, note)| {
                    let mut values = v2_morning_answers(r, 0);
                    values[3] = json!(note);
                    values[1] = json!({"value": [r % 3], "text": format!("={r}+cmd")});
                    let at = start + (r * 100) as f64;
                    morning_with(&applet, &activity, r, 0, at, values).to_json()
                })
                .collect();
            run(1, &[page(answers)], true);
            "v2: free-text answers that begin with =, +, -, @ (and a number, -5): written with a leading ' in responses.csv, the journey and the wide table, and as they are with --raw-csv"
        }
        other => panic!("no case {other}"),
    };
    (about, password)
}

/// Corrupt the last block until the ring says `bad padding` (deterministic: the first byte value that does).
fn corrupt_last_block(ring: &KeyRing, user: &str, stored: &str) -> String {
    let user = UserPublicKey::parse(user).unwrap();
    for flip in 1..=255u8 {
        let (head, last) = stored.split_at(stored.len() - 2);
        let byte = u8::from_str_radix(last, 16).unwrap() ^ flip;
        let candidate = format!("{head}{byte:02x}");
        if matches!(
            ring.decrypt_answer(Some(&user), &candidate),
            AnswerOutcome::BadPadding(_)
        ) {
            return candidate;
        }
    }
    panic!("no corruption gives bad padding");
}

/// v1 JSON-LD of the demo applet: activity `Morning` with four items.
fn v1_document(applet: &TestApplet, activity: &str) -> Value {
    let name = |text: &str| json!([{"@language": "en", "@value": text}]);
    let choice = |text: &str, value: u32, score: u32| json!({"schema:name": name(text), "schema:value": [{"@value": value}], "schema:score": [{"@value": score}]});
    let iri = |item: &str| format!("{activity}/{}", object_id_for(&format!("v1 item {item}")));
    let order: Vec<Value> = ["mood", "feelings", "note", "when"]
        .iter()
        .map(|i| json!({"@id": iri(i)}))
        .collect();
    json!({
        "applet": {"_id": format!("applet/{V1_APPLET}"), "name": "Synthetic v1 EMA", "encryption": {
            "appletPublicKey": mindlogger_model::parse_byte_array(&mindlogger_model::byte_array_json_text(&applet.encryption.public_key)).unwrap(),
            "appletPrime": applet.encryption.prime, "base": [2]}},
        "accountId": applet.encryption.account_id,
        "activities": {activity.to_owned(): {"_id": format!("activity/{activity}"), "@id": "Morning",
            "http://www.w3.org/2004/02/skos/core#prefLabel": name("Morning"),
            "reprolib:terms/order": [{"@list": order}]}},
        "items": {
            iri("mood"): {"@id": "mood", "reprolib:terms/inputType": [{"@value": "radio"}], "schema:question": name("Mood today?"),
                "reprolib:terms/responseOptions": [{"reprolib:terms/multipleChoice": [{"@value": false}],
                    "schema:itemListElement": [choice("Bad", 0, 1), choice("Good", 1, 2)]}]},
            iri("feelings"): {"@id": "feelings", "reprolib:terms/inputType": [{"@value": "radio"}], "schema:question": name("Feelings?"),
                "reprolib:terms/responseOptions": [{"reprolib:terms/multipleChoice": [{"@value": true}],
                    "schema:itemListElement": [choice("Calm", 0, 1), choice("Worried", 1, 3)]}]},
            iri("note"): {"@id": "note", "reprolib:terms/inputType": [{"@value": "text"}], "schema:question": name("Notes")},
            iri("when"): {"@id": "when", "reprolib:terms/inputType": [{"@value": "date"}], "schema:question": name("When?")}
        }
    })
}

/// Two v1 pages built by hand, field by field as the server writes them (reason for the length).
fn v1_two_pages(dir: &Path) -> (&'static str, Value) {
    let applet = TestApplet::vectors("B");
    let raw = applet_dir(dir, V1_APPLET);
    let activity = object_id_for("v1 activity");
    let document = v1_document(&applet, &activity);
    write_applet_document(&raw, stamp(1, 0), &document);
    let iri = |item: &str| format!("{activity}/{}", object_id_for(&format!("v1 item {item}")));
    let items = ["mood", "feelings", "note", "when"];
    let respondents: Vec<(Vec<u8>, [u8; 32])> = (0..2)
        .map(|r| applet.respondent(&format!("v1 respondent {r}")))
        .collect();
    let reviewer = applet.encryption.account_id.clone();
    // One response: its page entry, data source and event source; `key` is its index in this page's keys.
    let response = |id: &str,
                    r: usize,
                    version: &str,
                    key: usize,
                    events: usize,
                    aes: &[u8; 32],
                    values: Value,
                    started: u64| {
        let data: serde_json::Map<String, Value> = items
            .iter()
            .enumerate()
            .map(|(ptr, item)| (iri(item), json!({"src": id, "ptr": ptr})))
            .collect();
        let event_list = json!([{"type": "SET_ANSWER", "time": started + 1000, "screen": iri("mood"), "response": values[0]},
                                {"type": "NEXT", "time": started + 1500, "screen": iri("mood")},
                                {"type": "DONE", "time": started + 9000, "screen": "summary"}]);
        (
            json!({"_id": id, "activity": {"@id": activity, "name": "Morning", "url": null},
                   "userId": object_id_for(&format!("v1 profile {r}")), "MRN": format!("V1-{:03}", r + 1),
                   "data": data, "subScales": {}, "created": "2023-07-02T14:03:11.123000+00:00",
                   "responseStarted": started, "responseCompleted": started + 70_000, "responseScheduled": "",
                   "timeout": 0, "version": version, "reviewing": null, "activityFlow": null, "events": events}),
            json!({"key": key, "data": encrypt(aes, &format!("{id} data"), &values.to_string())}),
            json!({"key": key, "data": encrypt(aes, &format!("{id} events"), &event_list.to_string())}),
        )
    };
    let values = |k: usize| json!([{"value": k % 2}, {"value": [0, 1]}, format!("v1 note {k}"), {"value": {"day": 2, "month": k % 12, "year": 2023}}]);
    let started = 1_688_306_520_000_u64;
    let (r0a, r0a_data, r0a_events) = response(
        &object_id_for("v1 r0 a"),
        0,
        "1.0.0",
        1,
        0,
        &respondents[0].1,
        values(0),
        started,
    );
    let (r1a, r1a_data, r1a_events) = response(
        &object_id_for("v1 r1 a"),
        1,
        "1.1.0",
        0,
        1,
        &respondents[1].1,
        values(1),
        started + 3_600_000,
    );
    let old_mood = json!({"@id": "mood", "reprolib:terms/inputType": [{"@value": "radio"}],
        "schema:question": [{"@language": "en", "@value": "Mood (old wording)?"}],
        "reprolib:terms/responseOptions": [{"schema:itemListElement": [
            {"schema:name": "Low", "schema:value": [{"@value": 0}], "schema:score": [{"@value": 0}]},
            {"schema:name": "High", "schema:value": [{"@value": 1}], "schema:score": [{"@value": 5}]}]}]});
    let page0 = json!({
        "keys": [respondents[1].0, respondents[0].0],
        "dataSources": {r0a["_id"].as_str().unwrap(): r0a_data, r1a["_id"].as_str().unwrap(): r1a_data},
        "subScaleSources": {}, "eventSources": [r0a_events, r1a_events],
        "responses": [r0a, r1a],
        "items": {"item/old-mood": old_mood}, "activities": {},
        "itemReferences": {"1.0.0": {iri("mood"): "item/old-mood", iri("feelings"): null}, "1.1.0": {iri("mood"): null}},
        "pagination": {"pageIndex": 0, "recordsPerPage": 2, "returnCount": 2}
    });
    let review_aes = applet.reviewer(&reviewer);
    let (r0b, r0b_data, r0b_events) = response(
        &object_id_for("v1 r0 b"),
        0,
        "1.1.0",
        0,
        0,
        &respondents[0].1,
        values(2),
        started + 86_400_000,
    );
    let (mut review, review_data, _) = response(
        &object_id_for("v1 review"),
        0,
        "1.1.0",
        1,
        0,
        &review_aes,
        values(3),
        started + 90_000_000,
    );
    review["events"] = json!([]);
    review["reviewing"] =
        json!({"userProfileId": object_id_for("v1 reviewer profile"), "responseId": r0a["_id"]});
    review["MRN"] = json!("[admin account] (ra@lab.example.org)");
    let page1 = json!({
        "keys": [respondents[0].0, reviewer],
        "dataSources": {r0b["_id"].as_str().unwrap(): r0b_data, review["_id"].as_str().unwrap(): review_data},
        "subScaleSources": {}, "eventSources": [r0b_events],
        "responses": [r0b, review],
        "items": {}, "activities": {}, "itemReferences": {"1.1.0": {iri("mood"): null}},
        "pagination": {"pageIndex": 1, "recordsPerPage": 2, "returnCount": 2}
    });
    write_run(
        &raw,
        stamp(1, 0),
        "mindlogger-v1",
        V1_APPLET,
        &[page0, page1],
        true,
    );
    (
        "v1: two pages whose key and event indices are per page (the same respondent is key 1 on one page and key 0 on the other), an item answered under an older item version (itemReferences), a review made in the admin panel with the owner's account id as its key, plain events",
        json!([{"password": applet.password, "account_id": null}]),
    )
}

fn previous_owner(dir: &Path) -> (&'static str, Value) {
    let current = TestApplet::vectors("A");
    let old = TestApplet::vectors("A_old");
    let raw = applet_dir(dir, V2_APPLET);
    write_applet_document(
        &raw,
        stamp(1, 0),
        &v2_applet_document(V2_APPLET, &current.encryption),
    );
    let activity = v2_morning(V2_APPLET, "1.0.0");
    let start = 1_767_254_400.0;
    let new_answer = morning(&current, &activity, 0, 1, start + 86_400.0);
    // An answer from before the ownership change: under the previous owner's key and prime.
    let old_answer = morning(&old, &activity, 1, 0, start);
    let answers = [old_answer.to_json(), new_answer.to_json()];
    write_run(
        &raw,
        stamp(1, 0),
        "mindlogger-v2",
        V2_APPLET,
        &[v2_page(&answers, &[&activity], 2)],
        true,
    );
    (
        "v2: an applet whose owner changed: one answer under the current key, one under the previous owner's, opened with that owner's password and account id (its public key and prime are not known: all ten primes are tried)",
        json!([
            {"password": current.password, "account_id": null},
            {"password": old.password, "account_id": old.encryption.account_id}
        ]),
    )
}
