//! The encodings MindLogger stores, and serde types for what a MindLogger exporter reads (v1 Girder response
//! items, the v2 `GET /answers/applet/{id}/data` export). This crate is the one place that parses them; it does
//! no I/O and no cryptography (decryption is `mtdata_crypto::mindlogger`).
//!
//! For analysts, what the stored values mean:
//!
//! * **Encrypted answers** are text `"<iv hex>:<ciphertext hex>"` ([`EncryptedPayload`]). Once decrypted they
//!   are JSON: an array with one element per item of the activity, in item order. An answer field that is not
//!   such text but valid JSON is a plain value ([`StoredValue::PlainJson`]), anything else is malformed.
//! * **Big numbers** (the applet's prime and public key, each respondent's public key) are big-endian byte
//!   arrays, stored as a JSON array (`[148, 187, ...]`, v1) or as JSON text of one (`"[148,187,...]"`, v2;
//!   `"[148, 187, ...]"` in answers migrated from v1): [`parse_byte_array`], [`byte_array_from_value`].
//! * **The public key of an answer** ([`UserPublicKey`]) is the respondent's key, except for reviews made in
//!   the admin panel, where it is the reviewer's id: the admin used the id's bytes as the key.
//! * **v1 pages** ([`v1::AppletDataPage`]) hold per-page lists of keys and encrypted sources that each
//!   response points into; **v2 pages** ([`AnswerExportPage`]) hold answers and the activity versions whose
//!   items their decrypted arrays are aligned with. Items carry their options, values and scores
//!   ([`ResponseValues`]); v1 applet documents are JSON-LD ([`v1::JsonLd`]).
//! * **The Girder structure** ([`girder`]): Activity Sets with their members and viewers, activities and
//!   versions with notification schedules, screens and per-user response items; who may see whose responses
//!   ([`girder::visible_users`]) and which notifications were due when ([`girder::expand`]).
//! * **An applet's encryption** ([`AppletEncryption`]) is its prime, generator, public key and the account id
//!   that, with the applet password, gives the private key. v1 and v2 store it differently; both are read.
//!
//! ```
//! use mindlogger_model::{AppletEncryption, StoredValue, UserPublicKey};
//! use serde_json::json;
//!
//! let v2 = json!({"publicKey": "[83,248,225]", "prime": "[148,187,155]", "base": "[2]",
//!                 "accountId": "c48b275d-db4b-4f79-8469-9198b45985d3"});
//! let encryption = AppletEncryption::from_v2(&v2)?;
//! assert_eq!(encryption.base, [2]);
//!
//! assert_eq!(UserPublicKey::parse("[99, 83, 75]")?, UserPublicKey::Key(vec![99, 83, 75]));
//! assert!(UserPublicKey::parse("2923f4a9-20ef-4995-a340-251d96ff3082")?.is_reviewer_id());
//!
//! let answer = "09a0bbf7994d5cf408292d7fb35dce18:e8051724b3f422950c1b0eb9c7013c72";
//! let StoredValue::Encrypted(payload) = StoredValue::classify(answer) else { unreachable!() };
//! assert_eq!(payload.ciphertext().len(), 16);
//! assert_eq!(StoredValue::classify("[1, null]"), StoredValue::PlainJson("[1, null]"));
//! # Ok::<(), mindlogger_model::Error>(())
//! ```

mod bytes;
mod encryption;
mod error;
mod export;
pub mod girder;
mod payload;
mod user_key;
pub mod v1;

pub use bytes::{byte_array_from_value, byte_array_json_text, parse_byte_array};
pub use encryption::AppletEncryption;
pub use error::{DocumentKind, Error, GirderProblem, Result};
pub use export::{
    Activity, ActivityItem, Answer, AnswerExport, AnswerExportPage, Ref, ResponseMeta,
    ResponseOption, ResponseRow, ResponseValues, Subject,
};
pub use payload::{EncryptedPayload, StoredValue, is_json};
pub use user_key::UserPublicKey;
