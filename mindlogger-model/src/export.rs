//! Serde types for the v1 (Girder) response items and the v2 `GET /answers/applet/{id}/data` export.
//!
//! Every type but [`Answer`] keeps the fields it does not name in `other`, and every named field but the
//! few an answer cannot do without is optional: servers of different years send different fields. An
//! [`Answer`] ignores the fields it does not name: a decode reads 10^5 of them, each several kilobytes,
//! and keeping the rest would buffer every field of each (serde's `flatten`) for nothing the decode uses;
//! the byte-exact page in `raw_data/` keeps them all.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
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
    /// The submission this answer is part of (one per activity, or one per activity flow).
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
    #[serde(default)]
    pub target_user_nickname: Option<String>,
    #[serde(default)]
    pub target_user_tag: Option<String>,
    /// The subject the answer is about, as the respondent saw it (multi-informant applets).
    #[serde(default)]
    pub source_subject_id: Option<String>,
    #[serde(default)]
    pub source_secret_id: Option<String>,
    #[serde(default)]
    pub source_user_nickname: Option<String>,
    #[serde(default)]
    pub source_user_tag: Option<String>,
    /// The person who typed the answers in, when not the respondent.
    #[serde(default)]
    pub input_subject_id: Option<String>,
    #[serde(default)]
    pub input_secret_id: Option<String>,
    #[serde(default)]
    pub input_user_nickname: Option<String>,
    /// The respondent's relation to the target subject (`admin`, `self`, `parent`, ...).
    #[serde(default)]
    pub relation: Option<String>,
    /// The v1 profile id of an answer migrated from v1.
    #[serde(default)]
    pub legacy_profile_id: Option<String>,
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
    /// Set for answers migrated from v1: their dates' months are 0-based.
    #[serde(default)]
    pub migrated_date: Option<Value>,
    #[serde(default)]
    pub scheduled_event_id: Option<String>,
    #[serde(default)]
    pub scheduled_event_history_id: Option<String>,
    #[serde(default)]
    pub applet_id: Option<String>,
    #[serde(default)]
    pub applet_history_id: Option<String>,
    #[serde(default)]
    pub activity_id: Option<String>,
    /// `<activity id>_<version>`: the activity version whose items the answer array is aligned with
    /// ([`Activity::id_version`]).
    #[serde(default)]
    pub activity_history_id: Option<String>,
    #[serde(default)]
    pub flow_id: Option<String>,
    #[serde(default)]
    pub flow_history_id: Option<String>,
    #[serde(default)]
    pub flow_name: Option<String>,
    /// For a review (assessment): the answer it reviews.
    #[serde(default)]
    pub reviewed_answer_id: Option<String>,
    /// For a review of a flow: the flow submission it reviews.
    #[serde(default)]
    pub reviewed_flow_submit_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
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
    /// The prompt: text, or an object of language to text (`{"en": "..."}`); read it with
    /// [`ActivityItem::prompt`].
    #[serde(default)]
    pub question: Option<Value>,
    /// `singleSelect`, `multiSelect`, `slider`, `numberSelect`, `text`, `date`, `time`, `timeRange`, ...
    #[serde(default)]
    pub response_type: Option<String>,
    /// Options, ranges and scores; `null` for items without any.
    #[serde(default, deserialize_with = "null_as_default")]
    pub response_values: ResponseValues,
    /// Hidden items are in the answer array (it is aligned by index) but the admin leaves them out of its
    /// export.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_hidden: bool,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl ActivityItem {
    /// The prompt in `language` (the admin exports `en`), or the text when it is not per language.
    pub fn prompt(&self, language: &str) -> Option<&str> {
        match self.question.as_ref()? {
            Value::String(text) => Some(text),
            Value::Object(texts) => texts.get(language)?.as_str(),
            _ => None,
        }
    }
}

/// `responseValues` of an item: what the respondent could answer. Fields a type does not use are empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseValues {
    /// Single and multiple selections (and the columns of the per-row types).
    #[serde(default, deserialize_with = "null_as_default")]
    pub options: Vec<ResponseOption>,
    /// Sliders and number selections: the range (a number, or text of one in old data).
    #[serde(default)]
    pub min_value: Option<Value>,
    #[serde(default)]
    pub max_value: Option<Value>,
    /// Sliders: the score of each value from `minValue` to `maxValue`, when the item is scored.
    #[serde(default, deserialize_with = "null_as_default")]
    pub scores: Vec<Option<f64>>,
    /// Per-row types (`singleSelectRows`, `multiSelectRows`, `sliderRows`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub rows: Vec<ResponseRow>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One option of a selection item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseOption {
    #[serde(default)]
    pub id: Option<String>,
    /// The label the respondent saw.
    #[serde(default, deserialize_with = "null_as_default")]
    pub text: String,
    /// What an answer stores when this option is chosen (a number in v2; v1 also has text).
    #[serde(default)]
    pub value: Option<Value>,
    /// The option's score, when the item is scored.
    #[serde(default)]
    pub score: Option<f64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_hidden: bool,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One row of a per-row item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseRow {
    #[serde(default)]
    pub id: Option<String>,
    /// `singleSelectRows` and `multiSelectRows`.
    #[serde(default)]
    pub row_name: Option<String>,
    /// `sliderRows`.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `null` read as the type's default (servers write `null` for empty lists and flags).
fn null_as_default<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An activity version in the v2 export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: String,
    /// `<activity id>_<version>`, as in [`Answer::activity_history_id`].
    pub id_version: String,
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    /// Items in order: the answer array of this version is aligned with them by index.
    #[serde(default, deserialize_with = "null_as_default")]
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
