//! Decryption for mtdata: MindTrails `*RSA` fields (RSA PKCS#1 v1.5, base64) and MindLogger answers
//! (AES-256-CBC). Bytes in, bytes out: the only file this crate reads is a private key, and only when asked.
//!
//! Two RSA backends: the pure-Rust `rsa` crate (portable, always built) and the system OpenSSL (cargo
//! feature `openssl`, about five times faster). [`Backend::DEFAULT`] is OpenSSL when the feature is on.
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
