//! Decryption for mtdata: MindTrails `*RSA` fields (RSA PKCS#1 v1.5, base64) and MindLogger answers
//! (Diffie-Hellman, AES-256-CBC). Bytes in, bytes out: the only file this crate reads is a private key, and only
//! when asked.
//!
//! Two backends: the pure-Rust crates (`rsa`, crypto-bigint; portable, always built) and the system OpenSSL
//! (cargo feature `openssl`, about seven times faster for RSA and twice for MindLogger's exponentiations).
//! [`Backend::DEFAULT`] is OpenSSL when the feature is on.
//!
//! ```
//! use mtdata_crypto::{FieldOutcome, FieldStatus, PrivateKey};
//!
//! let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/keys/test_private_pkcs1.pem"))?;
//! let key = PrivateKey::from_bytes(&pem)?; // PKCS#1 or PKCS#8, PEM or DER: detected
//!
//! // A server with encryption disabled sent the id itself; nothing is lost.
//! assert_eq!(key.decrypt_field("532"), FieldOutcome::NotEncrypted("532".into()));
//! assert_eq!(key.decrypt_field("").status(), FieldStatus::Empty);
//! assert_eq!(key.decrypt_field("not base64!").status(), FieldStatus::Failed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # MindLogger
//!
//! [`mindlogger`] turns an applet password into the applet's key (the browser admin panel's derivation, checked
//! locally against the applet's public key), holds the keys of an applet in a [`mindlogger::KeyRing`] that
//! computes each respondent's shared secret once, and decrypts each stored answer into a
//! [`mindlogger::AnswerOutcome`]: the JSON plaintext, or why there is none (`wrong key`, `bad padding`,
//! `not JSON`, `plain`, `malformed`, `missing key`). Parsing the stored forms is `mindlogger_model`'s job.
//!
//! With MindLogger's own test applet (password `123456!Qwe`, from the admin panel's test mocks):
//!
//! ```
//! use mindlogger_model::{AppletEncryption, UserPublicKey};
//! use mtdata_crypto::mindlogger::{AnswerOutcome, AnswerStatus, AppletKey, KeyRing, RespondentKey};
//! use mtdata_crypto::{Backend, decrypt_payload, encrypt_payload};
//!
//! let vectors: serde_json::Value = serde_json::from_str(include_str!(concat!(
//!     env!("CARGO_MANIFEST_DIR"), "/../fixtures/mindlogger/official_vectors.json")))?;
//! let mock = &vectors["admin_mock"];
//! // {"publicKey": "[83,248,...]", "prime": "[148,187,...]", "base": "[2]", "accountId": "c48b275d-..."}
//! let encryption = AppletEncryption::from_v2(&mock["encryption"])?;
//! assert!(AppletKey::derive(&encryption, "wrong password").is_err()); // checked without any server
//! let ring = KeyRing::new(vec![AppletKey::derive(&encryption, "123456!Qwe")?]);
//!
//! // The admin panel's own vector: a respondent's key gives this AES key, which opens "Test User".
//! let identifier = &mock["identifiers"][0];
//! let user = UserPublicKey::from_value(&identifier["userPublicKey"])?;
//! let keys = ring.aes_keys(&user, 0);
//! assert_eq!(keys.padded.bytes()[..4], [0x4c, 0xa9, 0x42, 0x7c]);
//! let payload = identifier["identifier"].as_str().unwrap().parse()?;
//! assert_eq!(decrypt_payload(keys.padded.bytes(), &payload)?, b"Test User");
//!
//! // An answer as an app stores it, and what the ring makes of it and of damaged forms.
//! let respondent = RespondentKey::new(&encryption, b"a respondent's private key", Backend::DEFAULT)?;
//! let user = UserPublicKey::Key(respondent.public_key());
//! let aes = respondent.aes_keys(&encryption.public_key);
//! let stored = encrypt_payload(aes.padded.bytes(), [7; 16], br#"[{"value":2},"text",null]"#).to_string();
//! let outcome = ring.decrypt_answer(Some(&user), &stored);
//! assert_eq!(outcome.json(), Some(r#"[{"value":2},"text",null]"#));
//! assert_eq!(ring.decrypt_answer(Some(&user), "[1, 2]"), AnswerOutcome::Plain("[1, 2]".into()));
//! assert_eq!(ring.decrypt_answer(Some(&user), "00:zz").status(), AnswerStatus::Malformed);
//! assert_eq!(ring.decrypt_answer(None, &stored).status().as_str(), "missing key");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Cargo features
//!
//! - `openssl` (off): decrypt with the system OpenSSL (needs `libssl-dev` to build) instead of the
//!   pure-Rust crates. Both backends give the same bytes; the tests cross-check them.

mod aes_cbc;
mod backend;
mod error;
mod field;
mod key;
pub mod mindlogger;

pub use aes_cbc::{AesError, decrypt_payload, encrypt_payload};
pub use backend::Backend;
pub use error::{AppletKeyError, DecryptError, Error, KeyError, Result};
pub use field::{FieldOutcome, FieldStatus, decode_base64};
pub use key::{KeyFormat, KeyPermissionWarning, PrivateKey, check_key_file_permissions};
