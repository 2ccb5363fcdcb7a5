//! The "public key" stored with each answer: the respondent's Diffie-Hellman public key, or, for a review
//! (assessment) made in the admin panel, the reviewer's id string (reference §4.5).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::bytes::{bytes_of_array, parse_byte_array};
use crate::error::{Error, Result, kind};

/// The public value an answer was encrypted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserPublicKey {
    /// A real DH public key, big-endian (v1 `userPublicKey` arrays, v2 `"[99,83,...]"` text).
    Key(Vec<u8>),
    /// A reviewer's id (v1 `accountId`, v2 user UUID) that the admin panel used in place of a public key:
    /// the DH public integer is the number whose big-endian bytes are the id's UTF-8 bytes.
    ReviewerId(String),
}

impl UserPublicKey {
    /// The stored text of v2 `userPublicKey` (and of v1 `keys[]` strings), by the admin panel's rule: JSON text
    /// of a byte array is a key; any other text (not JSON, or JSON that is not an array) is a reviewer id.
    /// JSON text of an array whose elements are not bytes is an error: it is neither.
    pub fn parse(text: &str) -> Result<Self> {
        if text.is_empty() {
            return Err(Error::EmptyUserPublicKey);
        }
        match parse_byte_array(text) {
            Ok(bytes) => Self::key(bytes),
            Err(Error::NotJson(_) | Error::NotArray(_)) => {
                Ok(UserPublicKey::ReviewerId(text.to_owned()))
            }
            Err(error) => Err(error),
        }
    }

    /// A stored JSON value: an array of byte values (v1 response `userPublicKey`, v1 page `keys[]`), or a string
    /// read by [`UserPublicKey::parse`].
    pub fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::String(text) => Self::parse(text),
            Value::Array(_) => Self::key(bytes_of_array(value)?),
            other => Err(Error::NotArray(kind(other))),
        }
    }

    fn key(bytes: Vec<u8>) -> Result<Self> {
        if bytes.is_empty() {
            return Err(Error::EmptyBytes);
        }
        Ok(UserPublicKey::Key(bytes))
    }

    /// The big-endian bytes of the DH public integer (the key's bytes, or the id's UTF-8 bytes).
    pub fn dh_bytes(&self) -> &[u8] {
        match self {
            UserPublicKey::Key(bytes) => bytes,
            UserPublicKey::ReviewerId(id) => id.as_bytes(),
        }
    }

    /// Whether this is a reviewer's id rather than a respondent's key.
    pub fn is_reviewer_id(&self) -> bool {
        matches!(self, UserPublicKey::ReviewerId(_))
    }
}

impl Serialize for UserPublicKey {
    /// The v1 form: an array of byte values, or the id string.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            UserPublicKey::Key(bytes) => bytes.serialize(serializer),
            UserPublicKey::ReviewerId(id) => id.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for UserPublicKey {
    /// Any stored form, through [`UserPublicKey::from_value`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        UserPublicKey::from_value(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::bytes::byte_array_json_text;

    #[test]
    fn keys_and_reviewer_ids() {
        assert_eq!(
            UserPublicKey::parse("[99,83,75]"),
            Ok(UserPublicKey::Key(vec![99, 83, 75]))
        );
        assert_eq!(
            UserPublicKey::parse("[99, 83, 75]"),
            Ok(UserPublicKey::Key(vec![99, 83, 75]))
        );
        let uuid = "2923f4a9-20ef-4995-a340-251d96ff3082";
        let id = UserPublicKey::parse(uuid).unwrap();
        assert!(id.is_reviewer_id());
        assert_eq!(id.dh_bytes(), uuid.as_bytes());
        // A v1 ObjectId that JSON reads as a number, and a quoted id, are ids all the same (the encryptor used
        // the raw string's bytes).
        for text in [
            "123456789012345678901234",
            "5e0123456789abcdef012345",
            "\"abc\"",
            "{}",
        ] {
            assert_eq!(
                UserPublicKey::parse(text),
                Ok(UserPublicKey::ReviewerId(text.into())),
                "{text}"
            );
        }
        assert_eq!(
            UserPublicKey::from_value(&json!([142, 202])),
            Ok(UserPublicKey::Key(vec![142, 202]))
        );
        assert_eq!(
            UserPublicKey::from_value(&json!("5f0e35523477de8b4a528dd0")),
            Ok(UserPublicKey::ReviewerId("5f0e35523477de8b4a528dd0".into()))
        );
    }

    #[test]
    fn refuses_what_is_neither() {
        assert_eq!(UserPublicKey::parse(""), Err(Error::EmptyUserPublicKey));
        assert_eq!(UserPublicKey::parse("[]"), Err(Error::EmptyBytes));
        assert_eq!(
            UserPublicKey::parse("[1, 300]"),
            Err(Error::NotAByte {
                index: 1,
                value: "300".into()
            })
        );
        assert_eq!(
            UserPublicKey::from_value(&json!(null)),
            Err(Error::NotArray("null"))
        );
        let error = serde_json::from_str::<UserPublicKey>("[1, 300]").unwrap_err();
        assert!(error.to_string().contains("element 1"), "{error}");
    }

    proptest! {
        #[test]
        fn stored_forms_round_trip(bytes in prop::collection::vec(any::<u8>(), 1..200)) {
            let key = UserPublicKey::Key(bytes.clone());
            prop_assert_eq!(UserPublicKey::parse(&byte_array_json_text(&bytes)), Ok(key.clone()));
            let json = serde_json::to_string(&key).unwrap();
            prop_assert_eq!(serde_json::from_str::<UserPublicKey>(&json).unwrap(), key);
        }

        #[test]
        fn ids_round_trip(id in "[0-9a-f-]{1,40}|[a-zA-Z ]{1,20}") {
            let parsed = UserPublicKey::parse(&id).unwrap();
            prop_assert_eq!(parsed.dh_bytes(), id.as_bytes());
            let json = serde_json::to_string(&parsed).unwrap();
            prop_assert_eq!(serde_json::from_str::<UserPublicKey>(&json).unwrap(), parsed);
        }
    }
}
