//! MindLogger decryption (reference `mindlogger.md` §4): the applet key from its password, Diffie-Hellman
//! shared secrets with each answer's public key, AES-256 keys, and one [`AnswerOutcome`] per stored answer.
//! Bytes in, bytes out: the stored encodings are parsed by `mindlogger_model`.
//!
//! 1. [`AppletKey::derive`]: `int(js_lossy(sha512(password)) ++ js_lossy(sha512(accountId)))`, checked
//!    locally against the applet's public key ([`js_lossy`] is the browser's decoder, not the standard one).
//! 2. [`KeyRing`]: the applet keys to try, and a cache: `secret = userPublicKey^key mod prime` once per
//!    (user public key, applet key); AES key = SHA-256 of the secret left-padded to the prime's length, or of
//!    the minimal secret (Python servers) when that differs ([`AesKeys`]).
//! 3. [`KeyRing::decrypt_answer`]: AES-256-CBC, PKCS#7, and the plaintext counts only if it is JSON.
//!
//! Exponentiation runs on the [`crate::Backend`] of the key: OpenSSL's `BN_mod_exp` with the `openssl`
//! feature, else crypto-bigint's Montgomery form (about half OpenSSL's speed). The pure-Rust path is variable
//! time in the exponent: it decrypts local files, with no one to time it.

mod applet_key;
mod group;
mod lossy;
mod outcome;
mod primes;
mod respondent;
mod ring;
mod secret;

pub use applet_key::{AppletKey, applet_public_key};
pub use lossy::js_lossy;
pub use outcome::{AnswerOutcome, AnswerStatus, KeyUsed, MissingKey};
pub use primes::mindlogger_primes;
pub use respondent::{RespondentKey, respondent_private_key};
pub use ring::KeyRing;
pub use secret::{AesKey, AesKeys, SecretForm};

/// The official vectors (`fixtures/mindlogger/official_vectors.json`), for the unit tests.
#[cfg(test)]
pub(crate) mod official {
    use mindlogger_model::{AppletEncryption, byte_array_from_value};
    use serde_json::Value;

    pub(crate) fn vectors() -> Value {
        serde_json::from_str(include_str!(
            "../../../fixtures/mindlogger/official_vectors.json"
        ))
        .unwrap()
    }

    /// The admin mock's applet (prime #8, password `123456!Qwe`).
    pub(crate) fn encryption() -> AppletEncryption {
        AppletEncryption::from_v2(&vectors()["admin_mock"]["encryption"]).unwrap()
    }

    /// The byte array at a JSON pointer (`/admin_mock/private_key`).
    pub(crate) fn bytes(pointer: &str) -> Vec<u8> {
        byte_array_from_value(vectors().pointer(pointer).unwrap()).unwrap()
    }
}
