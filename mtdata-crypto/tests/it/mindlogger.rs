//! MindLogger decryption against the official vectors and against vectors made by the browser admin panel's own
//! npm packages (`fixtures/mindlogger/`, made by `make_vectors.mjs`).

use std::collections::HashMap;

use mindlogger_model::{AppletEncryption, EncryptedPayload, UserPublicKey, byte_array_from_value};
use mtdata_crypto::mindlogger::{
    AnswerOutcome, AnswerStatus, AppletKey, KeyRing, MissingKey, RespondentKey, SecretForm,
    js_lossy, respondent_private_key,
};
use mtdata_crypto::{AppletKeyError, Backend, Error, decrypt_payload};
use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha512};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../fixtures/mindlogger/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bytes(value: &Value) -> Vec<u8> {
    byte_array_from_value(value).unwrap()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap()
}

/// The browser's derivation, spelled out with the public `js_lossy`, and the standard decoding's.
fn derivations(password: &str, account_id: &str) -> (Vec<u8>, Vec<u8>) {
    let digests = [Sha512::digest(password), Sha512::digest(account_id)];
    let browser = digests.iter().flat_map(|d| js_lossy(d)).collect();
    let standard = digests
        .iter()
        .flat_map(|d| String::from_utf8_lossy(d).into_owned().into_bytes())
        .collect();
    (browser, standard)
}

#[test]
fn official_admin_mock() {
    let mock = &fixture("official_vectors.json")["admin_mock"];
    let encryption = AppletEncryption::from_v2(&mock["encryption"]).unwrap();
    let password = text(&mock["password"]);
    let (browser, standard) = derivations(password, &encryption.account_id);
    assert_eq!(browser.len(), 230);
    assert_eq!(browser, bytes(&mock["private_key"]));
    assert_eq!(standard, bytes(&mock["standard_lossy_private_key"]));
    for backend in Backend::available() {
        let ring = KeyRing::new(vec![
            AppletKey::derive_with(&encryption, password, backend).unwrap(),
        ]);
        let mismatch = AppletKey::from_private_key(&encryption, &standard, backend).unwrap_err();
        assert!(matches!(
            mismatch,
            Error::AppletKey(AppletKeyError::PrivateKeyMismatch)
        ));
        for identifier in mock["identifiers"].as_array().unwrap() {
            let user = UserPublicKey::from_value(&identifier["userPublicKey"]).unwrap();
            let keys = ring.aes_keys(&user, 0);
            assert_eq!(
                hex(keys.padded.bytes()),
                text(&mock["aes_key_hex"]),
                "{backend}"
            );
            let payload: EncryptedPayload = text(&identifier["identifier"]).parse().unwrap();
            let plain = decrypt_payload(keys.padded.bytes(), &payload).unwrap();
            assert_eq!(plain, text(&identifier["text"]).as_bytes());
            // An identifier is text, not JSON: as an answer it opens, and is reported as not JSON.
            let outcome = ring.decrypt_answer(Some(&user), text(&identifier["identifier"]));
            assert_eq!(outcome.status(), AnswerStatus::NotJson);
        }
        assert_eq!(
            ring.cached_user_keys(),
            1,
            "both identifiers share one user key: one exponentiation"
        );
    }
}

#[test]
fn official_respondent_side() {
    let vectors = fixture("official_vectors.json");
    let web = &vectors["web_app"];
    let encryption = AppletEncryption {
        prime: bytes(&web["applet_prime"]),
        base: bytes(&web["applet_base"]),
        public_key: bytes(&web["applet_public_key"]),
        account_id: "not needed on the respondent's side".into(),
    };
    for backend in Backend::available() {
        let respondent =
            RespondentKey::new(&encryption, &bytes(&web["user_private_key"]), backend).unwrap();
        let keys = respondent.aes_keys(&encryption.public_key);
        let payload: EncryptedPayload = text(&web["ciphertext"]).parse().unwrap();
        assert_eq!(
            decrypt_payload(keys.padded.bytes(), &payload).unwrap(),
            text(&web["text"]).as_bytes()
        );
    }
    let app = &vectors["app_user_key"];
    let key = respondent_private_key(
        text(&app["password"]),
        text(&app["email"]),
        text(&app["user_id"]),
    );
    assert_eq!(key, bytes(&app["private_key"]));
}

/// The applets of `vectors.json`, with their encryption read from both stored forms.
fn applets(vectors: &Value) -> HashMap<String, (AppletEncryption, String)> {
    let mut out = HashMap::new();
    for (name, applet) in vectors["applets"].as_object().unwrap() {
        let v2 = AppletEncryption::from_v2(&applet["encryption"]).unwrap();
        let v1 = AppletEncryption::from_v1(&applet["encryption_v1"], &v2.account_id).unwrap();
        assert_eq!(v1, v2, "{name}: both stored forms say the same");
        out.insert(name.clone(), (v2, text(&applet["password"]).to_owned()));
    }
    out
}

#[test]
fn node_derivations_match_and_differ_from_the_standard_decoding() {
    let vectors = fixture("vectors.json");
    assert_eq!(vectors["made_with"]["buffer"], "6.0.3");
    for (name, applet) in vectors["applets"].as_object().unwrap() {
        let account_id = text(&applet["encryption"]["accountId"]);
        let (browser, standard) = derivations(text(&applet["password"]), account_id);
        assert_eq!(
            hex(&browser),
            text(&applet["browser_private_key_hex"]),
            "{name}"
        );
        assert_eq!(
            hex(&standard),
            text(&applet["standard_private_key_hex"]),
            "{name}"
        );
        assert_ne!(
            browser, standard,
            "{name}: chosen so that only the browser's decoding opens it"
        );
    }
}

#[test]
fn node_password_checks() {
    let vectors = fixture("vectors.json");
    let applets = applets(&vectors);
    for backend in Backend::available() {
        for check in vectors["password_checks"].as_array().unwrap() {
            let (encryption, _) = &applets[text(&check["applet"])];
            let result = AppletKey::derive_with(encryption, text(&check["password"]), backend);
            let got = match result {
                Ok(_) => "ok",
                Err(Error::AppletKey(AppletKeyError::WrongPassword)) => "wrong password",
                Err(Error::AppletKey(AppletKeyError::NonBrowserKey)) => "non-browser key",
                Err(other) => panic!("{check}: {other}"),
            };
            assert_eq!(got, text(&check["expected"]), "{check} on {backend}");
        }
    }
}

/// A ring per backend and list of applet names, keys derived from the passwords.
fn ring(
    applets: &HashMap<String, (AppletEncryption, String)>,
    names: &Value,
    backend: Backend,
) -> KeyRing {
    let keys = names.as_array().unwrap().iter().map(|name| {
        let (encryption, password) = &applets[text(name)];
        AppletKey::derive_with(encryption, password, backend).unwrap()
    });
    KeyRing::new(keys.collect())
}

fn check_answer(case: &Value, ring: &KeyRing, outcome: &AnswerOutcome) {
    let name = text(&case["case"]);
    let expected = &case["expected"];
    assert_eq!(
        outcome.status().as_str(),
        text(&expected["status"]),
        "{name}: {outcome:?}"
    );
    assert_eq!(outcome.json(), expected["json"].as_str(), "{name}");
    if let Some(index) = expected["ring_index"].as_u64() {
        let key = outcome
            .key()
            .unwrap_or_else(|| panic!("{name}: no key recorded"));
        assert_eq!(key.ring_index as u64, index, "{name}");
        assert_eq!(key.secret.as_str(), text(&expected["secret"]), "{name}");
        if let Some(aes) = expected["aes_key_hex"].as_str() {
            let user = UserPublicKey::from_value(&case["user_public_key"]).unwrap();
            assert_eq!(
                hex(ring.aes_keys(&user, key.ring_index).key(key.secret).bytes()),
                aes,
                "{name}"
            );
        }
    }
}

#[test]
fn node_answers_on_every_backend() {
    let vectors = fixture("vectors.json");
    let applets = applets(&vectors);
    for backend in Backend::available() {
        for case in vectors["answers"].as_array().unwrap() {
            let ring = ring(&applets, &case["ring"], backend);
            let user = UserPublicKey::from_value(&case["user_public_key"]).unwrap();
            check_answer(
                case,
                &ring,
                &ring.decrypt_answer(Some(&user), text(&case["stored"])),
            );
        }
    }
}

#[test]
fn the_cases_cover_what_they_claim() {
    let vectors = fixture("vectors.json");
    let cases: HashMap<&str, &Value> = vectors["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (text(&c["case"]), c))
        .collect();
    let user = |name: &str| UserPublicKey::from_value(&cases[name]["user_public_key"]).unwrap();
    assert_eq!(user("short_user_public_key").dh_bytes().len(), 127);
    assert!(
        user("reviewer_uuid").is_reviewer_id() && user("reviewer_v1_account_id").is_reviewer_id()
    );
    assert!(
        cases["leading_zero_unpadded"]["user_public_key"]
            .as_str()
            .unwrap()
            .contains(", ")
    );
    let statuses: Vec<&str> = cases
        .values()
        .map(|c| text(&c["expected"]["status"]))
        .collect();
    for status in AnswerStatus::ALL
        .into_iter()
        .filter(|s| *s != AnswerStatus::MissingKey)
    {
        assert!(statuses.contains(&status.as_str()), "no case for {status}");
    }
    let unpadded = &cases["leading_zero_unpadded"]["expected"];
    assert_eq!(text(&unpadded["secret"]), SecretForm::Unpadded.as_str());
}

#[test]
fn one_ring_from_many_threads() {
    let vectors = fixture("vectors.json");
    let applets = applets(&vectors);
    let names = serde_json::json!(["A", "A_old"]);
    let ring = ring(&applets, &names, Backend::DEFAULT);
    let cases: Vec<&Value> = vectors["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ring"] == serde_json::json!(["A"]) || c["ring"] == names)
        .collect();
    let repeated: Vec<&Value> = cases
        .iter()
        .cycle()
        .take(cases.len() * 50)
        .copied()
        .collect();
    let outcomes: Vec<AnswerOutcome> = repeated
        .par_iter()
        .map(|case| {
            let user = UserPublicKey::from_value(&case["user_public_key"]).unwrap();
            ring.decrypt_answer(Some(&user), text(&case["stored"]))
        })
        .collect();
    for (case, outcome) in repeated.iter().zip(&outcomes) {
        let name = text(&case["case"]);
        if text(&case["expected"]["status"]) == "wrong key" {
            continue; // made for applet B: with A_old in the ring it stays wrong, checked elsewhere
        }
        assert_eq!(
            outcome.status().as_str(),
            text(&case["expected"]["status"]),
            "{name}"
        );
        assert_eq!(outcome.json(), case["expected"]["json"].as_str(), "{name}");
    }
    let users: std::collections::HashSet<_> = cases
        .iter()
        .map(|c| UserPublicKey::from_value(&c["user_public_key"]).unwrap())
        .collect();
    assert_eq!(ring.cached_user_keys(), users.len());
}

#[test]
fn missing_keys_are_told_apart() {
    let vectors = fixture("vectors.json");
    let case = &vectors["answers"][0];
    let user = UserPublicKey::from_value(&case["user_public_key"]).unwrap();
    let stored = text(&case["stored"]);
    assert_eq!(
        KeyRing::new(Vec::new()).decrypt_answer(Some(&user), stored),
        AnswerOutcome::MissingKey(MissingKey::AppletKey)
    );
    let ring = ring(&applets(&vectors), &case["ring"], Backend::DEFAULT);
    let outcome = ring.decrypt_answer(None, stored);
    assert_eq!(
        outcome,
        AnswerOutcome::MissingKey(MissingKey::UserPublicKey)
    );
    assert_eq!(outcome.status().as_str(), "missing key");
    // A plain value needs no key at all.
    assert_eq!(
        ring.decrypt_answer(None, "[1]").status(),
        AnswerStatus::Plain
    );
}

#[test]
fn a_previous_owners_answer_opens_without_its_prime() {
    let vectors = fixture("vectors.json");
    let applets = applets(&vectors);
    let case = vectors["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| text(&c["case"]) == "previous_owner")
        .unwrap();
    let (current, password) = &applets["A"];
    let (old, old_password) = &applets["A_old"];
    // Only the old password and account id are known: the key is tried in each of the ten primes.
    let mut keys = vec![AppletKey::derive(current, password).unwrap()];
    keys.extend(
        AppletKey::derive_for_every_prime(old_password, &old.account_id, Backend::DEFAULT).unwrap(),
    );
    let ring = KeyRing::new(keys);
    let user = UserPublicKey::from_value(&case["user_public_key"]).unwrap();
    let outcome = ring.decrypt_answer(Some(&user), text(&case["stored"]));
    assert_eq!(outcome.json(), case["expected"]["json"].as_str());
    let prime_index = vectors["applets"]["A_old"]["prime_index"].as_u64().unwrap() as usize;
    assert_eq!(outcome.key().unwrap().ring_index, 1 + prime_index);
    // A wrong old password opens nothing, and says so.
    let wrong = KeyRing::new(
        AppletKey::derive_for_every_prime("not it", &old.account_id, Backend::DEFAULT).unwrap(),
    );
    assert_eq!(
        wrong.decrypt_answer(Some(&user), text(&case["stored"])),
        AnswerOutcome::WrongKey
    );
}
