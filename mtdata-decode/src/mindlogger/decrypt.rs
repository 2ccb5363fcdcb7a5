//! Decrypting a submission's answers and events: one outcome each, never a placeholder.

use mindlogger_model::{StoredValue, UserPublicKey};
use mtdata_crypto::mindlogger::{AnswerOutcome, AnswerStatus, KeyRing};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use super::pages::{Position, Stored, Submission};

/// What decrypting one stored field gave: its elements (answers, or events).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opened<T = Value> {
    pub status: AnswerStatus,
    /// Why there is no value (free of data); `None` when there is one.
    pub reason: Option<String>,
    /// The elements of the JSON array, when `status` is `decrypted` or `plain`.
    pub values: Vec<T>,
}

/// One user event. Only the fields the journey shows are read, and the answer of a `SET_ANSWER` is kept as
/// text until its row is written: an events log is most of an answer's bytes.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Event {
    #[serde(rename = "type", default)]
    pub kind: Option<Value>,
    #[serde(default)]
    pub time: Option<Value>,
    #[serde(default)]
    pub screen: Option<Value>,
    #[serde(default)]
    pub response: Option<Box<RawValue>>,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        (&self.kind, &self.time, &self.screen) == (&other.kind, &other.time, &other.screen)
            && self.response.as_ref().map(|r| r.get()) == other.response.as_ref().map(|r| r.get())
    }
}

impl<T> Opened<T> {
    pub(crate) fn usable(&self) -> bool {
        matches!(self.status, AnswerStatus::Decrypted | AnswerStatus::Plain)
    }

    fn failed(status: AnswerStatus, reason: String) -> Self {
        Opened {
            status,
            reason: Some(reason),
            values: Vec::new(),
        }
    }
}

/// A submission's answers and events, opened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    pub answers: Opened,
    /// `None` when the submission stored no events.
    pub events: Option<Opened<Event>>,
}

/// Open a submission's answers and events with the ring.
pub(crate) fn decode_submission(submission: &Submission, ring: &KeyRing) -> Decoded {
    let key = submission.user_key.as_ref();
    let answers = match &submission.answers {
        // v1 without encryption: each item's answer is inline; lay them out as an array by slot.
        Stored::Plain(_) => Opened {
            status: AnswerStatus::Plain,
            reason: None,
            values: submission
                .slots
                .iter()
                .map(|slot| match &slot.position {
                    Position::Inline(value) => value.clone(),
                    Position::Index(_) => Value::Null,
                })
                .collect(),
        },
        stored => open(stored, key, ring, "answer"),
    };
    let events = match &submission.events {
        Stored::Missing => None,
        stored => Some(open(stored, key, ring, "events")),
    };
    Decoded { answers, events }
}

fn open<T: DeserializeOwned>(
    stored: &Stored,
    key: Option<&Result<UserPublicKey, mindlogger_model::Error>>,
    ring: &KeyRing,
    what: &str,
) -> Opened<T> {
    let outcome = match (stored, key) {
        (Stored::Missing, _) => {
            return Opened::failed(
                AnswerStatus::Malformed,
                format!("the {what} field is missing"),
            );
        }
        (Stored::Plain(value), _) => AnswerOutcome::Plain(value.to_string()),
        (Stored::Text(text), Some(Err(error))) => match StoredValue::classify(text) {
            StoredValue::Encrypted(_) => {
                return Opened::failed(
                    AnswerStatus::Malformed,
                    format!("its user public key cannot be read: {error}"),
                );
            }
            _ => ring.decrypt_answer(None, text),
        },
        (Stored::Text(text), Some(Ok(user))) => ring.decrypt_answer(Some(user), text),
        (Stored::Text(text), None) => ring.decrypt_answer(None, text),
    };
    let Some(json) = outcome.json() else {
        return Opened::failed(outcome.status(), outcome.reason().unwrap_or_default());
    };
    match serde_json::from_str::<Vec<T>>(json) {
        Ok(values) => Opened {
            status: outcome.status(),
            reason: None,
            values,
        },
        Err(_) => Opened::failed(
            AnswerStatus::Malformed,
            format!("the {what} is JSON, but not the array MindLogger stores"),
        ),
    }
}
