//! Decrypting a submission's answers and events: one outcome each, never a placeholder.

use std::borrow::Cow;

use mindlogger_model::{StoredValue, UserPublicKey};
use mtdata_crypto::mindlogger::{AnswerOutcome, AnswerStatus, KeyRing};
use serde::Deserialize;
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

/// One user event, borrowed from its decrypted events log. Only the fields the journey shows are read; the
/// answer of a `SET_ANSWER` is kept as text until its row is written: an events log is most of an answer's
/// bytes, and each log is parsed once, while its journey rows are written.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Event<'a> {
    #[serde(rename = "type", default, borrow)]
    pub kind: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub time: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub screen: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub response: Option<&'a RawValue>,
}

/// A field of an event as text: a JSON string's content (borrowed when it has no escapes), empty for
/// anything else (as `Value::as_str` gives it).
pub(crate) fn event_text(raw: Option<&RawValue>) -> Cow<'_, str> {
    let Some(text) = raw.map(RawValue::get) else {
        return Cow::Borrowed("");
    };
    match text.as_bytes() {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => {
            Cow::Borrowed(&text[1..text.len() - 1])
        }
        [b'"', ..] => serde_json::from_str::<String>(text).map_or(Cow::Borrowed(""), Cow::Owned),
        _ => Cow::Borrowed(""),
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

/// A submission's answers, opened. Its events are opened while its journey rows are written
/// ([`decrypt_events`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decoded {
    pub answers: Opened,
}

/// Open a submission's answers with the ring.
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
        stored => match decrypt(stored, key, ring, "answer") {
            Ok(outcome) => parse_opened(&outcome, "answer"),
            Err(failed) => failed,
        },
    };
    Decoded { answers }
}

/// A submission's events log decrypted (`None` when it stored none): parse it with [`parse_opened`].
pub(crate) fn decrypt_events(
    submission: &Submission,
    ring: &KeyRing,
) -> Option<Result<AnswerOutcome, Opened<Event<'static>>>> {
    match &submission.events {
        Stored::Missing => None,
        stored => Some(decrypt(
            stored,
            submission.user_key.as_ref(),
            ring,
            "events",
        )),
    }
}

/// Decrypt a stored field; a failure that needs no key is the failed [`Opened`] at once.
fn decrypt<T>(
    stored: &Stored,
    key: Option<&Result<UserPublicKey, mindlogger_model::Error>>,
    ring: &KeyRing,
    what: &str,
) -> Result<AnswerOutcome, Opened<T>> {
    Ok(match (stored, key) {
        (Stored::Missing, _) => {
            return Err(Opened::failed(
                AnswerStatus::Malformed,
                format!("the {what} field is missing"),
            ));
        }
        (Stored::Plain(value), _) => AnswerOutcome::Plain(value.to_string()),
        (Stored::Text(text), Some(Err(error))) => match StoredValue::classify(text) {
            StoredValue::Encrypted(_) => {
                return Err(Opened::failed(
                    AnswerStatus::Malformed,
                    format!("its user public key cannot be read: {error}"),
                ));
            }
            _ => ring.decrypt_answer(None, text),
        },
        (Stored::Text(text), Some(Ok(user))) => ring.decrypt_answer(Some(user), text),
        (Stored::Text(text), None) => ring.decrypt_answer(None, text),
    })
}

/// The elements of a decrypted (or plain) field, borrowing from it where they can.
pub(crate) fn parse_opened<'a, T: Deserialize<'a>>(
    outcome: &'a AnswerOutcome,
    what: &str,
) -> Opened<T> {
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
