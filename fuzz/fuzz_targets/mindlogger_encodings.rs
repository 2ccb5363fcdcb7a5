//! MindLogger's stored encodings (`mindlogger_model`) on any text: `iv:ciphertext` payloads, byte arrays,
//! user public keys and both forms of an applet's encryption. Nothing panics, and what is accepted prints
//! back to what parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mindlogger_model::{
    AppletEncryption, EncryptedPayload, StoredValue, UserPublicKey, byte_array_from_value,
    byte_array_json_text, is_json, parse_byte_array,
};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // Payloads: what parses prints in lower-case hex and parses back to itself.
    if let Ok(payload) = text.parse::<EncryptedPayload>() {
        assert!(!payload.ciphertext().is_empty() && payload.ciphertext().len() % 16 == 0);
        let printed = payload.to_string();
        assert_eq!(printed.parse::<EncryptedPayload>().as_ref(), Ok(&payload));
        assert_eq!(printed, text.trim().to_ascii_lowercase());
    }
    match StoredValue::classify(&text) {
        StoredValue::Encrypted(_) => assert!(text.parse::<EncryptedPayload>().is_ok()),
        StoredValue::PlainJson(json) => assert!(is_json(json)),
        StoredValue::Malformed(e) => {
            assert!(!is_json(&text));
            assert!(!e.to_string().is_empty());
        }
    }

    // Byte arrays: the fast scanner and serde_json agree; the compact text parses back.
    let bytes = parse_byte_array(&text);
    // (JSON text of a string holding an array is an array for `byte_array_from_value` only.)
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        if !value.is_string() {
            assert_eq!(
                byte_array_from_value(&value).ok(),
                bytes.as_ref().ok().cloned(),
                "{text}"
            );
        }
    } else {
        assert!(bytes.is_err(), "{text} is not JSON but parsed as bytes");
    }
    if let Ok(bytes) = &bytes {
        assert_eq!(
            parse_byte_array(&byte_array_json_text(bytes)).as_ref(),
            Ok(bytes)
        );
    }

    // User public keys: a key is a non-empty byte array; anything else that is accepted is a reviewer id.
    match UserPublicKey::parse(&text) {
        Ok(UserPublicKey::Key(key)) => {
            assert!(!key.is_empty());
            assert_eq!(bytes.as_ref(), Ok(&key));
        }
        Ok(UserPublicKey::ReviewerId(id)) => assert_eq!(id, text),
        Err(_) => {}
    }

    // Applet encryption from any JSON object, both forms; v2 round-trips through its stored form.
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        let _ = UserPublicKey::from_value(&value);
        if let Ok(encryption) = AppletEncryption::from_v2(&value) {
            assert_eq!(
                AppletEncryption::from_v2(&encryption.to_v2()).as_ref(),
                Ok(&encryption)
            );
        }
        let _ = AppletEncryption::from_v1_applet(&value);
        if let Some(account) = value.get("accountId").and_then(Value::as_str) {
            let _ = AppletEncryption::from_v1(&value, account);
        }
    }
});
