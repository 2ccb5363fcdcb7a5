//! MindLogger answer decryption (`KeyRing::decrypt_answer`) with the applet key of MindLogger's own admin
//! test mock (a TEST-ONLY password, `fixtures/mindlogger/official_vectors.json`), on both backends:
//! - any stored text and any user public key: never panics, both backends give the same outcome, and what
//!   is returned as JSON is JSON;
//! - any user public key: both backends derive the same AES keys;
//! - any plaintext encrypted as a respondent's app does: decrypted back exactly when it is JSON; damaged
//!   (one byte changed), it is never returned as something else.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mindlogger_model::{AppletEncryption, UserPublicKey, is_json};
use mtdata_crypto::Backend;
use mtdata_crypto::encrypt_payload;
use mtdata_crypto::mindlogger::{AnswerOutcome, AppletKey, KeyRing};
use serde_json::Value;

const VECTORS: &str = include_str!("../../fixtures/mindlogger/official_vectors.json");

struct Mock {
    rust: AppletKey,
    openssl: AppletKey,
    /// The mock's respondent.
    user: UserPublicKey,
}

fn mock() -> &'static Mock {
    static MOCK: OnceLock<Mock> = OnceLock::new();
    MOCK.get_or_init(|| {
        let vectors: Value = serde_json::from_str(VECTORS).unwrap();
        let mock = &vectors["admin_mock"];
        let encryption = AppletEncryption::from_v2(&mock["encryption"]).unwrap();
        let password = mock["password"].as_str().unwrap();
        Mock {
            rust: AppletKey::derive_with(&encryption, password, Backend::RustCrypto).unwrap(),
            openssl: AppletKey::derive_with(&encryption, password, Backend::OpenSsl).unwrap(),
            user: UserPublicKey::from_value(&mock["identifiers"][0]["userPublicKey"]).unwrap(),
        }
    })
}

/// Fresh rings (no cache carried between inputs).
fn rings() -> (KeyRing, KeyRing) {
    let mock = mock();
    (
        KeyRing::new(vec![mock.rust.clone()]),
        KeyRing::new(vec![mock.openssl.clone()]),
    )
}

fn decrypt(user: Option<&UserPublicKey>, stored: &str) -> AnswerOutcome {
    let (rust, openssl) = rings();
    let outcome = rust.decrypt_answer(user, stored);
    assert_eq!(
        outcome,
        openssl.decrypt_answer(user, stored),
        "the backends disagree"
    );
    if let Some(json) = outcome.json() {
        assert!(is_json(json));
    }
    assert_eq!(
        outcome.reason().is_none(),
        matches!(outcome, AnswerOutcome::Decrypted { .. })
    );
    outcome
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    match mode % 3 {
        0 => {
            // The first line is the user public key, the rest the stored answer.
            let (key, stored) = text.split_once('\n').unwrap_or(("", &text));
            let user = UserPublicKey::parse(key).ok();
            decrypt(user.as_ref(), stored);
            decrypt(Some(&mock().user), stored);
        }
        1 => {
            let Ok(user) = UserPublicKey::parse(&text) else {
                return;
            };
            let (rust, openssl) = rings();
            assert_eq!(
                rust.aes_keys(&user, 0),
                openssl.aes_keys(&user, 0),
                "the backends disagree"
            );
        }
        _ => {
            let user = &mock().user;
            let (ring, _) = rings();
            let key = ring.aes_keys(user, 0);
            let iv = [mode; 16];
            let payload = encrypt_payload(key.padded.bytes(), iv, data);
            let outcome = decrypt(Some(user), &payload.to_string());
            let json = std::str::from_utf8(data).ok().filter(|t| is_json(t));
            match (&outcome, json) {
                (AnswerOutcome::Decrypted { json: got, .. }, Some(sent)) => assert_eq!(got, sent),
                (AnswerOutcome::Decrypted { .. }, None) => panic!("not JSON, yet decrypted"),
                (other, Some(_)) => panic!("JSON not decrypted: {other:?}"),
                (_, None) => {}
            }
            // One byte changed: whatever the outcome, no panic, and JSON only if it is JSON.
            let mut damaged = payload.to_string().into_bytes();
            let at = usize::from(mode) * 7 % damaged.len();
            damaged[at] = if damaged[at] == b'0' { b'1' } else { b'0' };
            decrypt(Some(user), std::str::from_utf8(&damaged).unwrap());
        }
    }
});
