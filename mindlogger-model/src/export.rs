//! Serde types for the v1 (Girder) response items and the v2 `GET /answers/applet/{id}/data` export.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::user_key::UserPublicKey;

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
    /// The respondent's Diffie-Hellman public key (a list of bytes), or a reviewer's account id.
    #[serde(default)]
    pub user_public_key: Option<UserPublicKey>,
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
    /// JSON text of the respondent's public key bytes (`"[99,83,...]"`), or a reviewer's id: read it with
    /// [`Answer::parsed_user_public_key`].
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
    /// The public value the answer was encrypted against (`None` when the field is absent).
    pub fn parsed_user_public_key(&self) -> Option<Result<UserPublicKey>> {
        self.user_public_key.as_deref().map(UserPublicKey::parse)
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
