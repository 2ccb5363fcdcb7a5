//! An applet's Diffie-Hellman parameters and public key, in both stored forms.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::bytes::{byte_array_from_value, byte_array_json_text};
use crate::error::{Error, Result, kind};

/// What an applet stores about its encryption: everything needed, with the applet password, to derive the
/// applet's private key (the password is never stored). Numbers are big-endian bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppletEncryption {
    /// One of MindLogger's ten 1024-bit primes.
    pub prime: Vec<u8>,
    /// The generator (always `[2]` in MindLogger).
    pub base: Vec<u8>,
    /// `base^private mod prime`: checks a password without any server.
    pub public_key: Vec<u8>,
    /// The id the private key was derived from with the password: v1 the applet's top-level `accountId`,
    /// v2 `encryption.accountId` (the owner's UUID, or the old Girder account id for migrated applets).
    pub account_id: String,
}

impl AppletEncryption {
    /// The v2 form, `applet.encryption` of `GET /applets/{id}`:
    /// `{"publicKey": "[...]", "prime": "[...]", "base": "[2]", "accountId": "..."}` (arrays are also
    /// accepted in place of their JSON text). Other fields are ignored.
    pub fn from_v2(encryption: &Value) -> Result<Self> {
        let object = as_object(encryption)?;
        Ok(AppletEncryption {
            prime: bytes_field(object, "prime")?,
            base: bytes_field(object, "base")?,
            public_key: bytes_field(object, "publicKey")?,
            account_id: account_id(
                object
                    .get("accountId")
                    .ok_or(Error::MissingField("accountId"))?,
            )?,
        })
    }

    /// The v1 form, `meta.encryption` of the applet folder or `applet.encryption` of `GET /applet/{id}`:
    /// `{"appletPublicKey": [...], "appletPrime": [...], "base": [2]}`, with the applet document's top-level
    /// `accountId`.
    pub fn from_v1(encryption: &Value, account_id: &str) -> Result<Self> {
        let object = as_object(encryption)?;
        Ok(AppletEncryption {
            prime: bytes_field(object, "appletPrime")?,
            base: bytes_field(object, "base")?,
            public_key: bytes_field(object, "appletPublicKey")?,
            account_id: non_empty_id(account_id)?,
        })
    }

    /// A whole v1 applet document (`GET /applet/{id}`, or the Girder folder): the encryption object at
    /// `applet.encryption` or `meta.encryption`, and the top-level `accountId`.
    pub fn from_v1_applet(document: &Value) -> Result<Self> {
        let encryption = ["applet", "meta"]
            .iter()
            .find_map(|parent| document.get(parent)?.get("encryption"))
            .ok_or(Error::MissingField("applet.encryption"))?;
        let id = document
            .get("accountId")
            .ok_or(Error::MissingField("accountId"))?;
        let id = self::account_id(id)?;
        Self::from_v1(encryption, &id)
    }

    /// The v2 form (byte arrays as JSON text), as the server stores it.
    pub fn to_v2(&self) -> Value {
        json!({
            "publicKey": byte_array_json_text(&self.public_key),
            "prime": byte_array_json_text(&self.prime),
            "base": byte_array_json_text(&self.base),
            "accountId": self.account_id,
        })
    }
}

impl Serialize for AppletEncryption {
    /// The v2 form ([`AppletEncryption::to_v2`]).
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_v2().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AppletEncryption {
    /// The v2 form, or the v1 form when it carries an `accountId` beside its fields; errors name the field.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let parsed = match value.get("appletPrime") {
            Some(_) => value
                .get("accountId")
                .ok_or(Error::MissingField("accountId"))
                .and_then(account_id)
                .and_then(|id| AppletEncryption::from_v1(&value, &id)),
            None => AppletEncryption::from_v2(&value),
        };
        parsed.map_err(|error| serde::de::Error::custom(error_chain(&error)))
    }
}

/// An error with its sources on one line: serde keeps only a message.
fn error_chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn as_object(value: &Value) -> Result<&Map<String, Value>> {
    value.as_object().ok_or(Error::NotObject(kind(value)))
}

fn bytes_field(object: &Map<String, Value>, field: &'static str) -> Result<Vec<u8>> {
    let value = object.get(field).ok_or(Error::MissingField(field))?;
    let bytes = byte_array_from_value(value).and_then(|bytes| match bytes.is_empty() {
        true => Err(Error::EmptyBytes),
        false => Ok(bytes),
    });
    bytes.map_err(|source| Error::Field {
        field,
        source: Box::new(source),
    })
}

fn account_id(value: &Value) -> Result<String> {
    match value {
        Value::String(id) => non_empty_id(id),
        other => Err(Error::AccountId(kind(other))),
    }
}

fn non_empty_id(id: &str) -> Result<String> {
    match id.is_empty() {
        true => Err(Error::AccountId("an empty string")),
        false => Ok(id.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn v2() -> Value {
        json!({"publicKey": "[83,248]", "prime": "[148, 187]", "base": "[2]",
               "accountId": "c48b275d-db4b-4f79-8469-9198b45985d3", "createdAt": "ignored"})
    }

    fn expected() -> AppletEncryption {
        AppletEncryption {
            prime: vec![148, 187],
            base: vec![2],
            public_key: vec![83, 248],
            account_id: "c48b275d-db4b-4f79-8469-9198b45985d3".into(),
        }
    }

    #[test]
    fn reads_v2_and_v1() {
        assert_eq!(AppletEncryption::from_v2(&v2()), Ok(expected()));
        assert_eq!(
            serde_json::from_value::<AppletEncryption>(v2()).unwrap(),
            expected()
        );
        let v1 = json!({"appletPublicKey": [83, 248], "appletPrime": [148, 187], "base": [2]});
        let mut v1_expected = expected();
        v1_expected.account_id = "5f0e35523477de8b4a528dd0".into();
        assert_eq!(
            AppletEncryption::from_v1(&v1, "5f0e35523477de8b4a528dd0"),
            Ok(v1_expected.clone())
        );
        let document = json!({"applet": {"encryption": v1.clone(), "name": "EMA"},
                              "accountId": "5f0e35523477de8b4a528dd0", "items": {}});
        assert_eq!(
            AppletEncryption::from_v1_applet(&document),
            Ok(v1_expected.clone())
        );
        let folder = json!({"meta": {"encryption": v1}, "accountId": "5f0e35523477de8b4a528dd0"});
        assert_eq!(AppletEncryption::from_v1_applet(&folder), Ok(v1_expected));
    }

    #[test]
    fn errors_name_the_field() {
        let mut bad = v2();
        bad["prime"] = json!("[148, 999]");
        assert_eq!(
            AppletEncryption::from_v2(&bad),
            Err(Error::Field {
                field: "prime",
                source: Box::new(Error::NotAByte {
                    index: 1,
                    value: "999".into()
                })
            })
        );
        let message = serde_json::from_value::<AppletEncryption>(bad)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "applet encryption: field `prime` is wrong: element 1 of the byte array is 999, not a byte (0 to 255)"
        );
        let mut no_key = v2();
        no_key.as_object_mut().unwrap().remove("publicKey");
        assert_eq!(
            AppletEncryption::from_v2(&no_key),
            Err(Error::MissingField("publicKey"))
        );
        let mut empty_base = v2();
        empty_base["base"] = json!("[]");
        assert_eq!(
            AppletEncryption::from_v2(&empty_base),
            Err(Error::Field {
                field: "base",
                source: Box::new(Error::EmptyBytes)
            })
        );
        let mut numeric_id = v2();
        numeric_id["accountId"] = json!(5);
        assert_eq!(
            AppletEncryption::from_v2(&numeric_id),
            Err(Error::AccountId("a number"))
        );
        assert_eq!(
            AppletEncryption::from_v2(&json!([])),
            Err(Error::NotObject("an array"))
        );
        assert_eq!(
            AppletEncryption::from_v1_applet(&json!({"applet": {}})),
            Err(Error::MissingField("applet.encryption"))
        );
    }

    proptest! {
        #[test]
        fn v2_form_round_trips(
            prime in prop::collection::vec(any::<u8>(), 1..130),
            public_key in prop::collection::vec(any::<u8>(), 1..130),
            base in prop::collection::vec(any::<u8>(), 1..3),
            account_id in "[0-9a-f-]{1,36}",
        ) {
            let encryption = AppletEncryption { prime, base, public_key, account_id };
            let text = serde_json::to_string(&encryption).unwrap();
            prop_assert_eq!(serde_json::from_str::<AppletEncryption>(&text).unwrap(), encryption);
        }
    }
}
