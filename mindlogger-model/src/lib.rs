//! Serde types for what a MindLogger exporter reads: v1 (Girder) response items and the v2
//! `GET /answers/applet/{id}/data` export, plus the `"<iv hex>:<ciphertext hex>"` payloads that
//! hold encrypted answers. No I/O and no crypto: decryption lives in `mtdata-crypto`.
//!
//! ```
//! use mindlogger_model::EncryptedPayload;
//!
//! let text = "000102030405060708090a0b0c0d0e0f:00112233445566778899aabbccddeeff";
//! let payload: EncryptedPayload = text.parse().unwrap();
//! assert_eq!(payload.iv[15], 0x0f);
//! assert_eq!(payload.ciphertext.len(), 16);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An AES-256-CBC payload as MindLogger stores it: `"<32 hex digits of IV>:<ciphertext hex>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedPayload {
    pub iv: [u8; 16],
    pub ciphertext: Vec<u8>,
}

/// Why a payload string is not `iv:ciphertext` hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError(pub &'static str);

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "encrypted payload {}", self.0)
    }
}

impl std::error::Error for PayloadError {}

impl FromStr for EncryptedPayload {
    type Err = PayloadError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (iv, ct) = s
            .trim()
            .split_once(':')
            .ok_or(PayloadError("has no ':' between IV and ciphertext"))?;
        let iv: [u8; 16] = hex(iv)
            .ok_or(PayloadError("has an IV that is not hex"))?
            .try_into()
            .map_err(|_| PayloadError("has an IV that is not 16 bytes"))?;
        let ciphertext = hex(ct).ok_or(PayloadError("has a ciphertext that is not hex"))?;
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(PayloadError(
                "has a ciphertext that is not a whole number of AES blocks",
            ));
        }
        Ok(EncryptedPayload { iv, ciphertext })
    }
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A reference with a JSON-LD id (`{"@id": ..., "name": ...}`) in v1 response items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ref {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The subject of a v1 response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(default)]
    pub timezone: Option<f64>,
    #[serde(default)]
    pub identifier: Option<String>,
}

/// `meta` of a v1 response item: one completed activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseMeta {
    pub applet: Ref,
    pub activity: Ref,
    pub subject: Subject,
    /// Epoch milliseconds.
    pub response_started: Option<i64>,
    pub response_completed: Option<i64>,
    #[serde(default)]
    pub scheduled_time: Option<i64>,
    /// Item IRI to `{src, ptr}` (encrypted applets) or the plain answer.
    #[serde(default)]
    pub responses: BTreeMap<String, Value>,
    /// Encrypted answers in item order (`iv:ciphertext`), when the applet is encrypted.
    #[serde(default)]
    pub data_source: Option<String>,
    /// Encrypted user events, or a plain array for unencrypted applets.
    #[serde(default)]
    pub events: Option<Value>,
    #[serde(default)]
    pub sub_scale_source: Option<String>,
    /// The respondent's Diffie-Hellman public key as a list of bytes.
    #[serde(default)]
    pub user_public_key: Option<Vec<u8>>,
    /// Everything else, kept.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One answer of the v2 export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub id: String,
    #[serde(default)]
    pub submit_id: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub respondent_id: Option<String>,
    #[serde(default)]
    pub respondent_secret_id: Option<String>,
    #[serde(default)]
    pub target_subject_id: Option<String>,
    #[serde(default)]
    pub target_secret_id: Option<String>,
    /// JSON text of the respondent's public key bytes (`"[99,83,...]"`).
    #[serde(default)]
    pub user_public_key: Option<String>,
    /// Encrypted answers (`iv:ciphertext`), aligned with the activity's items once decrypted.
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub events: Option<String>,
    #[serde(default)]
    pub item_ids: Vec<String>,
    /// POSIX seconds (float).
    #[serde(default)]
    pub start_datetime: Option<f64>,
    #[serde(default)]
    pub end_datetime: Option<f64>,
    #[serde(default)]
    pub scheduled_datetime: Option<f64>,
    /// Minutes.
    #[serde(default)]
    pub tz_offset: Option<i64>,
    #[serde(default)]
    pub applet_id: Option<String>,
    #[serde(default)]
    pub activity_id: Option<String>,
    #[serde(default)]
    pub activity_history_id: Option<String>,
    #[serde(default)]
    pub flow_id: Option<String>,
    #[serde(default)]
    pub reviewed_answer_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Answer {
    /// The respondent's public key bytes, parsed from their JSON text.
    pub fn user_public_key_bytes(&self) -> Option<Vec<u8>> {
        serde_json::from_str(self.user_public_key.as_deref()?).ok()
    }
}

/// An item of an activity in the v2 export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityItem {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub response_type: Option<String>,
    #[serde(default)]
    pub is_hidden: bool,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// An activity version in the v2 export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: String,
    pub id_version: String,
    pub name: String,
    #[serde(default)]
    pub items: Vec<ActivityItem>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `result` of `GET /answers/applet/{id}/data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerExport {
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub activities: Vec<Activity>,
}

/// The whole v2 export page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerExportPage {
    pub result: AnswerExport,
    #[serde(default)]
    pub count: u64,
}
