//! Synthetic MindLogger backups, deterministic: applets with TEST-ONLY passwords, respondents' keys and
//! answers encrypted as the apps do, laid out as the export writes them (`raw_data/mindlogger/<applet>/`).
//! Shared by `make_mindlogger_fixtures` (the committed fixture cases), `bench_mindlogger` and the tests.
#![allow(dead_code)]

use std::path::Path;

use mindlogger_model::{AppletEncryption, UserPublicKey, byte_array_json_text};
use mtdata_core::layout::FileStamp;
use mtdata_core::layout::MindLoggerFile;
use mtdata_core::mindlogger::{AppletId, MindLoggerApi, RunRecord};
use mtdata_crypto::mindlogger::{AppletKey, KeyRing, RespondentKey};
use mtdata_crypto::{Backend, encrypt_payload};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

/// The official vectors (reference §9.1) and the Node-made ones, in the source tree.
const OFFICIAL: &str = include_str!("../../../fixtures/mindlogger/official_vectors.json");
const VECTORS: &str = include_str!("../../../fixtures/mindlogger/vectors.json");

/// Deterministic bytes from a label: the only source of "randomness".
pub fn bytes_for(label: &str) -> [u8; 64] {
    Sha512::digest(format!("mtdata-mindlogger-fixtures|{label}")).into()
}

/// A deterministic UUID from a label.
pub fn uuid_for(label: &str) -> String {
    let h: String = bytes_for(label)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// A deterministic 24-hex v1 ObjectId from a label.
pub fn object_id_for(label: &str) -> String {
    bytes_for(label)[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A test applet: its encryption, its TEST-ONLY password and its key ring.
pub struct TestApplet {
    pub encryption: AppletEncryption,
    pub password: String,
    pub ring: KeyRing,
}

impl TestApplet {
    fn new(encryption: AppletEncryption, password: &str) -> Self {
        let ring = KeyRing::new(vec![
            AppletKey::derive_with(&encryption, password, Backend::DEFAULT).unwrap(),
        ]);
        TestApplet {
            encryption,
            password: password.to_owned(),
            ring,
        }
    }

    /// The admin panel's own test applet (password `123456!Qwe`, prime #8).
    pub fn official() -> Self {
        let official: Value = serde_json::from_str(OFFICIAL).unwrap();
        let mock = &official["admin_mock"];
        TestApplet::new(
            AppletEncryption::from_v2(&mock["encryption"]).unwrap(),
            mock["password"].as_str().unwrap(),
        )
    }

    /// An applet of `fixtures/mindlogger/vectors.json` (`A`, `B` with a v1 account id, `A_old`).
    pub fn vectors(name: &str) -> Self {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let applet = &vectors["applets"][name];
        TestApplet::new(
            AppletEncryption::from_v2(&applet["encryption"]).unwrap(),
            applet["password"].as_str().unwrap(),
        )
    }

    /// A respondent of this applet: the public key stored with answers, and the AES key the app encrypts with.
    pub fn respondent(&self, label: &str) -> (Vec<u8>, [u8; 32]) {
        let key =
            RespondentKey::new(&self.encryption, &bytes_for(label), Backend::DEFAULT).unwrap();
        (
            key.public_key(),
            *key.aes_keys(&self.encryption.public_key).padded.bytes(),
        )
    }

    /// The AES key of a review made in the admin panel by the reviewer with this id.
    pub fn reviewer(&self, id: &str) -> [u8; 32] {
        *self
            .ring
            .aes_keys(&UserPublicKey::ReviewerId(id.to_owned()), 0)
            .padded
            .bytes()
    }
}

/// `iv:ciphertext` of `plaintext` under `key`, the IV from `label`.
pub fn encrypt(key: &[u8; 32], label: &str, plaintext: &str) -> String {
    let iv: [u8; 16] = bytes_for(&format!("iv {label}"))[..16].try_into().unwrap();
    encrypt_payload(key, iv, plaintext.as_bytes()).to_string()
}

/// The v2 form of a public key: JSON text of its bytes.
pub fn key_text(public: &[u8]) -> String {
    byte_array_json_text(public)
}

/// A fixed UTC stamp: `2026-01-0<day>T00:0<minute>:00Z`.
pub fn stamp(day: u32, minute: u32) -> FileStamp {
    FileStamp::parse(&format!("202601{day:02}T00{minute:02}00.000000Z")).unwrap()
}

/// Write one export run: its pages, then (when `complete`) its run file, as the export does.
pub fn write_run(
    dir: &Path,
    stamp: FileStamp,
    platform: &str,
    applet: &str,
    pages: &[Value],
    complete: bool,
) {
    std::fs::create_dir_all(dir).unwrap();
    for (page, content) in pages.iter().enumerate() {
        let name = MindLoggerFile::Data {
            stamp,
            page: page as u32,
        }
        .file_name();
        std::fs::write(dir.join(name), serde_json::to_vec(content).unwrap()).unwrap();
    }
    if complete {
        let record = RunRecord {
            platform: match platform {
                "mindlogger-v1" => MindLoggerApi::V1,
                _ => MindLoggerApi::V2,
            },
            applet: AppletId::parse_any(applet).unwrap(),
            pages: pages.len() as u32,
            from_date: None,
            complete: true,
        };
        let name = MindLoggerFile::Run { stamp }.file_name();
        std::fs::write(dir.join(name), serde_json::to_vec(&record).unwrap()).unwrap();
    }
}

/// Write an applet document.
pub fn write_applet_document(dir: &Path, stamp: FileStamp, document: &Value) {
    std::fs::create_dir_all(dir).unwrap();
    let name = MindLoggerFile::Applet { stamp, chunk: None }.file_name();
    std::fs::write(dir.join(name), serde_json::to_vec(document).unwrap()).unwrap();
}

/// The v2 demo applet's morning activity, version `version`: every common item type and a hidden item.
pub fn v2_morning(applet_id: &str, version: &str) -> Value {
    let activity = uuid_for(&format!("{applet_id} morning"));
    let item = |name: &str| uuid_for(&format!("{applet_id} morning {name}"));
    let option = |text: &str, value: u32, score: Option<u32>| {
        json!({"id": uuid_for(&format!("option {text}")), "text": text, "image": null, "score": score,
               "isHidden": false, "value": value})
    };
    json!({
        "id": activity, "idVersion": format!("{activity}_{version}"), "name": "EMA Morning", "version": version,
        "items": [
            {"id": item("mood"), "name": "mood", "question": {"en": "How is your mood?"}, "responseType": "singleSelect",
             "responseValues": {"options": [option("sad", 0, Some(1)), option("ok", 1, Some(2)), option("happy", 2, Some(3))]},
             "isHidden": false, "allowEdit": true},
            {"id": item("feelings"), "name": "feelings", "question": {"en": "Which feelings?"}, "responseType": "multiSelect",
             "responseValues": {"options": [option("calm", 0, Some(1)), option("tired", 1, Some(0)), option("anxious", 2, Some(2))]},
             "isHidden": false},
            {"id": item("energy"), "name": "energy", "question": {"en": "Energy, 0 to 4"}, "responseType": "slider",
             "responseValues": {"minValue": 0, "maxValue": 4, "scores": [0, 1, 2, 3, 4], "minLabel": "low", "maxLabel": "high"},
             "isHidden": false},
            {"id": item("note"), "name": "note", "question": {"en": "Anything else?"}, "responseType": "text",
             "responseValues": null, "isHidden": false},
            {"id": item("score_calc"), "name": "score_calc", "question": {"en": "(hidden)"}, "responseType": "singleSelect",
             "responseValues": {"options": [option("no", 0, None), option("yes", 1, None)]}, "isHidden": true},
            {"id": item("bedtime"), "name": "bedtime", "question": {"en": "Last night's sleep"}, "responseType": "timeRange",
             "responseValues": null, "isHidden": false},
            {"id": item("visit"), "name": "visit", "question": {"en": "Next visit"}, "responseType": "date",
             "responseValues": null, "isHidden": false},
            {"id": item("steps"), "name": "steps", "question": {"en": "Thousands of steps"}, "responseType": "numberSelect",
             "responseValues": {"minValue": 0, "maxValue": 10}, "isHidden": false}
        ],
        "subscaleSetting": null, "scoresAndReports": null
    })
}

/// The decrypted answer array of respondent `r`'s `n`-th morning (aligned with [`v2_morning`]'s items).
pub fn v2_morning_answers(r: usize, n: usize) -> Value {
    let k = r + n;
    json!([
        {"value": k % 3},
        if k.is_multiple_of(4) { json!({"value": [0, 2], "text": "other: a café"}) } else { json!({"value": [k % 3]}) },
        if k.is_multiple_of(5) { json!({"value": (k % 5) as f64 + 0.5, "edited": 1_767_225_600_000_u64 + k as u64}) } else { json!({"value": k % 5}) },
        if k.is_multiple_of(2) { json!(format!("note {k}, with \"quotes\"\nand a line break")) } else { Value::Null },
        {"value": k % 2},
        {"value": {"from": {"hour": 22, "minute": 30}, "to": {"hour": 6, "minute": k % 60}}},
        {"value": {"day": 1 + k % 28, "month": 1 + k % 12, "year": 2026}},
        {"value": k % 11}
    ])
}

/// The user events of a morning answer: per visible item a SET_ANSWER and a NEXT, then DONE.
pub fn v2_morning_events(activity: &Value, answers: &Value, start_ms: u64) -> Value {
    let activity_id = activity["id"].as_str().unwrap();
    let mut events = Vec::new();
    let mut time = start_ms;
    for (item, answer) in activity["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(answers.as_array().unwrap())
    {
        if item["isHidden"] == json!(true) {
            continue;
        }
        let screen = format!("{activity_id}/{}", item["id"].as_str().unwrap());
        time += 1500;
        events.push(
            json!({"type": "SET_ANSWER", "time": time, "screen": screen, "response": answer}),
        );
        time += 700;
        events.push(json!({"type": "NEXT", "time": time, "screen": screen}));
    }
    events.push(
        json!({"type": "DONE", "time": time + 300, "screen": format!("{activity_id}/summary")}),
    );
    Value::Array(events)
}

/// One v2 export answer (the fields of `PublicAnswerExportResponse` a decoder reads, and a few it keeps).
pub struct V2Answer<'a> {
    pub id: String,
    pub applet_id: &'a str,
    pub activity: &'a Value,
    pub respondent: usize,
    pub user_public_key: String,
    pub answer: String,
    pub events: Option<String>,
    pub start: f64,
    pub reviewed_answer_id: Option<String>,
    pub secret_id: String,
}

impl V2Answer<'_> {
    pub fn to_json(&self) -> Value {
        let version = self.activity["version"].as_str().unwrap();
        let respondent = uuid_for(&format!("respondent {}", self.respondent));
        let subject = uuid_for(&format!("subject {}", self.respondent));
        json!({
            "id": self.id, "submitId": uuid_for(&format!("submit {}", self.id)), "version": version,
            "respondentId": respondent, "respondentSecretId": self.secret_id,
            "sourceSubjectId": subject, "sourceSecretId": self.secret_id, "sourceUserNickname": null, "sourceUserTag": null,
            "targetSubjectId": subject, "targetSecretId": self.secret_id, "targetUserNickname": null, "targetUserTag": "Team",
            "inputSubjectId": subject, "inputSecretId": self.secret_id, "inputUserNickname": null, "relation": "self",
            "legacyProfileId": null,
            "userPublicKey": self.user_public_key,
            "answer": self.answer, "events": self.events,
            "itemIds": self.activity["items"].as_array().unwrap().iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
            "scheduledDatetime": null, "startDatetime": self.start, "endDatetime": self.start + 62.348,
            "migratedDate": null, "tzOffset": -240,
            "scheduledEventId": null, "scheduledEventHistoryId": null,
            "appletHistoryId": format!("{}_{version}", self.applet_id),
            "activityHistoryId": self.activity["idVersion"],
            "flowHistoryId": null, "flowName": null,
            "reviewedAnswerId": self.reviewed_answer_id, "reviewedFlowSubmitId": null,
            "createdAt": "2026-01-01T00:00:00.000000", "migratedData": null,
            "client": {"appId": "mindlogger-mobile", "appVersion": "1.0.0", "width": 390, "height": 844},
            "appletId": self.applet_id, "activityId": self.activity["id"], "flowId": null
        })
    }
}

/// A v2 export page: `{"result": {"answers", "activities"}, "count"}`.
pub fn v2_page(answers: &[Value], activities: &[&Value], count: usize) -> Value {
    json!({"result": {"answers": answers, "activities": activities}, "count": count})
}

/// The v2 applet document (`GET /applets/{id}`), with the applet's encryption.
pub fn v2_applet_document(applet_id: &str, encryption: &AppletEncryption) -> Value {
    json!({"result": {"id": applet_id, "displayName": "Synthetic EMA", "version": "1.0.0",
                      "encryption": encryption.to_v2()}})
}
