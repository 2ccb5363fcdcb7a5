//! v1 (Girder) export pages, `GET /applet/{id}/data` (reference §2.4), and the JSON-LD of v1 applet
//! documents, `GET /applet/{id}` (§2.3).
//!
//! In a page, indices are per page: a response's `dataSources[id].key` and `events` point into this page's
//! `keys` and `eventSources`, never another page's.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;
use crate::export::{Ref, ResponseOption};
use crate::user_key::UserPublicKey;

/// One page of `GET /applet/{id}/data`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppletDataPage {
    /// User public keys (byte arrays), or reviewers' account ids (strings): read with [`AppletDataPage::key`].
    #[serde(default)]
    pub keys: Vec<Value>,
    /// Per response id: the encrypted answer array and the index of its key.
    #[serde(default)]
    pub data_sources: Map<String, Value>,
    /// Per response id: the encrypted subscale results.
    #[serde(default)]
    pub sub_scale_sources: Map<String, Value>,
    /// Encrypted user events; a response's `events` is an index into this list.
    #[serde(default)]
    pub event_sources: Vec<Value>,
    #[serde(default)]
    pub responses: Vec<DataResponse>,
    /// Old versions of items (`item/<id>` to JSON-LD), for [`AppletDataPage::item_references`].
    #[serde(default)]
    pub items: Map<String, Value>,
    #[serde(default)]
    pub activities: Map<String, Value>,
    /// Per applet version: item IRI to a key of [`AppletDataPage::items`], or `null` for "the current item".
    #[serde(default)]
    pub item_references: Map<String, Value>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `{"key": <index into keys>, "data": "<iv>:<ciphertext>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    #[serde(default)]
    pub key: Option<usize>,
    pub data: String,
}

impl AppletDataPage {
    /// The public key at `index` of this page's `keys` (`None` when there is no such index).
    pub fn key(&self, index: usize) -> Option<Result<UserPublicKey>> {
        self.keys.get(index).map(UserPublicKey::from_value)
    }

    /// The data source of response `id` (`None` when absent or not of the stored form).
    pub fn data_source(&self, id: &str) -> Option<DataSource> {
        source(self.data_sources.get(id)?)
    }

    /// The subscale source of response `id`.
    pub fn sub_scale_source(&self, id: &str) -> Option<DataSource> {
        source(self.sub_scale_sources.get(id)?)
    }

    /// The events source at `index` of `eventSources`.
    pub fn event_source(&self, index: usize) -> Option<DataSource> {
        source(self.event_sources.get(index)?)
    }

    /// The JSON-LD of an item of applet version `version` whose IRI is `iri`, when the page holds an older
    /// version of it; `None` means the applet document's current item.
    pub fn referenced_item(&self, version: &str, iri: &str) -> Option<&Value> {
        let reference = self.item_references.get(version)?.get(iri)?.as_str()?;
        self.items.get(reference)
    }
}

fn source(value: &Value) -> Option<DataSource> {
    serde_json::from_value(value.clone()).ok()
}

/// One response (a completed activity) of a v1 page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub activity: Ref,
    /// The respondent's profile id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The secret user id (`"[admin account] (<email>)"` for managers without one).
    #[serde(rename = "MRN", default)]
    pub mrn: Option<String>,
    /// Item IRI to `{"src": <response id>, "ptr": <index into the decrypted array>}`, or the plain answer of
    /// an unencrypted applet. In the order the server sent.
    #[serde(default)]
    pub data: Map<String, Value>,
    /// Subscale name to `{"src", "ptr"}` into the decrypted subscale results.
    #[serde(default)]
    pub sub_scales: Map<String, Value>,
    /// ISO 8601, when the server stored the response.
    #[serde(default)]
    pub created: Option<String>,
    /// Epoch milliseconds, or `""`: read with [`epoch_millis`].
    #[serde(default)]
    pub response_started: Option<Value>,
    #[serde(default)]
    pub response_completed: Option<Value>,
    #[serde(default)]
    pub response_scheduled: Option<Value>,
    /// Non-zero when the activity timed out (the admin's `incomplete`).
    #[serde(default)]
    pub timeout: Option<Value>,
    /// The applet version.
    #[serde(default)]
    pub version: Option<String>,
    /// For a review: `{"userProfileId", "responseId"}`.
    #[serde(default)]
    pub reviewing: Option<Value>,
    #[serde(default)]
    pub activity_flow: Option<Value>,
    /// An index into the page's `eventSources` (encrypted applets), or the plain event list.
    #[serde(default)]
    pub events: Option<Value>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A v1 time: an integer of epoch milliseconds (also accepted: a float, or text of an integer); `""`, `null`
/// and anything else are no time.
pub fn epoch_millis(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON-LD node of a v1 applet document: an item (screen) or an activity.
#[derive(Debug, Clone, Copy)]
pub struct JsonLd<'a>(pub &'a Value);

const INPUT_TYPE: &str = "reprolib:terms/inputType";
const RESPONSE_OPTIONS: &str = "reprolib:terms/responseOptions";
const MULTIPLE_CHOICE: &str = "reprolib:terms/multipleChoice";
const ORDER: &str = "reprolib:terms/order";
const PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";

impl<'a> JsonLd<'a> {
    /// `@id`: an item's name in the applet builder (`mood_1`), an activity's name.
    pub fn id(&self) -> Option<&'a str> {
        self.0.get("@id")?.as_str()
    }

    /// The Girder id without its collection (`"activity/5f87..."` gives `5f87...`).
    pub fn girder_id(&self) -> Option<&'a str> {
        let id = self.0.get("_id")?.as_str()?;
        Some(id.rsplit_once('/').map_or(id, |(_, id)| id))
    }

    /// `reprolib:terms/inputType`: `radio`, `slider`, `text`, `date`, `timeRange`, `geolocation`, ...
    pub fn input_type(&self) -> Option<&'a str> {
        first_value(self.0.get(INPUT_TYPE)?)?.as_str()
    }

    /// The question in `language` (`schema:question`), else the first.
    pub fn question(&self, language: &str) -> Option<&'a str> {
        language_text(self.0.get("schema:question")?, language)
    }

    /// The label (`skos:prefLabel`, else `schema:name`) in `language`, else the first.
    pub fn label(&self, language: &str) -> Option<&'a str> {
        let label = self
            .0
            .get(PREF_LABEL)
            .or_else(|| self.0.get("schema:name"))?;
        language_text(label, language)
    }

    fn response_options(&self) -> Option<&'a Value> {
        self.0.get(RESPONSE_OPTIONS)?.as_array()?.first()
    }

    /// Whether several choices may be selected (a `radio` item with `multipleChoice`).
    pub fn multiple_choice(&self) -> bool {
        self.response_options()
            .and_then(|options| first_value(options.get(MULTIPLE_CHOICE)?))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `schema:minValue` / `schema:maxValue` of a slider.
    pub fn range(&self) -> (Option<&'a Value>, Option<&'a Value>) {
        let bound = |name: &str| first_value(self.response_options()?.get(name)?);
        (bound("schema:minValue"), bound("schema:maxValue"))
    }

    /// The choices (`schema:itemListElement`) with their name in `language`, value and score.
    pub fn choices(&self, language: &str) -> Vec<ResponseOption> {
        let Some(list) = self
            .response_options()
            .and_then(|options| options.get("schema:itemListElement"))
            .and_then(Value::as_array)
        else {
            return Vec::new();
        };
        list.iter()
            .map(|choice| ResponseOption {
                text: choice
                    .get("schema:name")
                    .and_then(|name| language_text(name, language))
                    .unwrap_or_default()
                    .to_owned(),
                value: choice.get("schema:value").and_then(first_value).cloned(),
                score: choice
                    .get("schema:score")
                    .and_then(first_value)
                    .and_then(Value::as_f64),
                ..ResponseOption::default()
            })
            .collect()
    }

    /// An activity's items in order (`reprolib:terms/order[0]['@list']`): their IRIs.
    pub fn order(&self) -> Vec<&'a str> {
        self.0
            .get(ORDER)
            .and_then(Value::as_array)
            .and_then(|order| order.first()?.get("@list")?.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|entry| entry.get("@id").and_then(Value::as_str).or(entry.as_str()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `[{"@value": x}]` gives x; a bare value is itself.
fn first_value(value: &Value) -> Option<&Value> {
    match value {
        Value::Array(values) => {
            let first = values.first()?;
            Some(first.get("@value").unwrap_or(first))
        }
        Value::Object(object) => object.get("@value"),
        other => Some(other),
    }
}

/// `[{"@language": "en", "@value": "..."}]`, an object of language to text, or text.
fn language_text<'a>(value: &'a Value, language: &str) -> Option<&'a str> {
    match value {
        Value::String(text) => Some(text),
        Value::Array(values) => values
            .iter()
            .find(|v| v.get("@language").and_then(Value::as_str) == Some(language))
            .or_else(|| values.first())
            .and_then(|v| v.get("@value").unwrap_or(v).as_str()),
        Value::Object(texts) => texts
            .get(language)
            .or_else(|| texts.get("@value"))
            .or_else(|| texts.values().next())
            .and_then(Value::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_ld_items_and_activities() {
        let item = json!({
            "@id": "mood", "_id": "screen/abc",
            "reprolib:terms/inputType": [{"@value": "radio"}],
            "schema:question": [{"@language": "en", "@value": "How are you?"}],
            "reprolib:terms/responseOptions": [{
                "reprolib:terms/multipleChoice": [{"@value": true}],
                "schema:itemListElement": [
                    {"schema:name": [{"@language": "en", "@value": "Bad"}], "schema:value": [{"@value": 0}],
                     "schema:score": [{"@value": 1}]},
                    {"schema:name": "Good", "schema:value": [{"@value": 1}]}]}]
        });
        let item = JsonLd(&item);
        assert_eq!(item.id(), Some("mood"));
        assert_eq!(item.girder_id(), Some("abc"));
        assert_eq!(item.input_type(), Some("radio"));
        assert_eq!(item.question("en"), Some("How are you?"));
        assert!(item.multiple_choice());
        let choices = item.choices("en");
        assert_eq!(
            (choices[0].text.as_str(), choices[0].score),
            ("Bad", Some(1.0))
        );
        assert_eq!(choices[1].value, Some(json!(1)));
        let activity = json!({"_id": "activity/a1",
            "reprolib:terms/order": [{"@list": [{"@id": "a1/i1"}, {"@id": "a1/i2"}]}],
            "http://www.w3.org/2004/02/skos/core#prefLabel": [{"@language": "en", "@value": "Morning"}]});
        let activity = JsonLd(&activity);
        assert_eq!(activity.order(), ["a1/i1", "a1/i2"]);
        assert_eq!(activity.label("en"), Some("Morning"));
        assert_eq!(activity.girder_id(), Some("a1"));
    }

    #[test]
    fn pages_and_times() {
        let page: AppletDataPage = serde_json::from_value(json!({
            "keys": [[1, 2], "5f0e35523477de8b4a528dd0"],
            "dataSources": {"r1": {"key": 1, "data": "00:11"}},
            "eventSources": [{"key": 0, "data": "22:33"}],
            "responses": [{"_id": "r1", "activity": {"@id": "a1", "name": "Morning"}, "MRN": "p-7",
                           "data": {"a1/i1": {"src": "r1", "ptr": 0}}, "responseStarted": 1_688_306_520_000_i64,
                           "responseCompleted": "", "events": 0}],
            "itemReferences": {"1.0.0": {"a1/i1": "item/x", "a1/i2": null}},
            "items": {"item/x": {"@id": "old"}},
            "pagination": {"pageIndex": 0}
        }))
        .unwrap();
        assert_eq!(
            page.key(1).unwrap().unwrap(),
            UserPublicKey::ReviewerId("5f0e35523477de8b4a528dd0".into())
        );
        assert_eq!(page.data_source("r1").unwrap().key, Some(1));
        assert_eq!(page.event_source(0).unwrap().data, "22:33");
        assert_eq!(
            page.referenced_item("1.0.0", "a1/i1"),
            Some(&json!({"@id": "old"}))
        );
        assert_eq!(page.referenced_item("1.0.0", "a1/i2"), None);
        let response = &page.responses[0];
        assert_eq!(response.mrn.as_deref(), Some("p-7"));
        assert_eq!(
            epoch_millis(response.response_started.as_ref()),
            Some(1_688_306_520_000_i64)
        );
        assert_eq!(epoch_millis(response.response_completed.as_ref()), None);
    }
}
