//! One `*RSA` field of a MindTrails row: what it held and what came out.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::key::PrivateKey;

/// Standard alphabet (what commons-codec wrote); padding optional.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decode standard base64, ignoring ASCII whitespace and line breaks anywhere. `None` when it is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        STANDARD_LENIENT.decode(compact).ok()
    } else {
        STANDARD_LENIENT.decode(bytes).ok()
    }
}

/// What one field turned out to be. There is no variant for "silently empty".
///
/// `Debug` hides the decrypted value, so an outcome can be logged without leaking a participant id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FieldOutcome {
    /// Ciphertext that decrypted to a participant id (1 to 19 ASCII digits).
    Decrypted(String),
    /// A plain id (ASCII digits) from a server with encryption disabled; kept as sent (whitespace trimmed).
    NotEncrypted(String),
    /// `null` or `""` (e.g. at eligibility screening).
    Empty,
    /// Neither digits nor standard base64.
    NotBase64,
    /// Base64 that does not decrypt to digits with this key: another server's key, or damaged data.
    WrongKeyOrCorrupt,
}

impl fmt::Debug for FieldOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldOutcome::Decrypted(_) => f.write_str("Decrypted(<redacted>)"),
            FieldOutcome::NotEncrypted(_) => f.write_str("NotEncrypted(<redacted>)"),
            FieldOutcome::Empty => f.write_str("Empty"),
            FieldOutcome::NotBase64 => f.write_str("NotBase64"),
            FieldOutcome::WrongKeyOrCorrupt => f.write_str("WrongKeyOrCorrupt"),
        }
    }
}

impl FieldOutcome {
    /// The coarse status written next to the column.
    pub fn status(&self) -> FieldStatus {
        match self {
            FieldOutcome::Decrypted(_) => FieldStatus::Decrypted,
            FieldOutcome::NotEncrypted(_) => FieldStatus::Plain,
            FieldOutcome::Empty => FieldStatus::Empty,
            FieldOutcome::NotBase64 | FieldOutcome::WrongKeyOrCorrupt => FieldStatus::Failed,
        }
    }

    /// The participant id, when there is one.
    pub fn value(&self) -> Option<&str> {
        match self {
            FieldOutcome::Decrypted(v) | FieldOutcome::NotEncrypted(v) => Some(v),
            _ => None,
        }
    }

    /// A one-line reason for a failure, free of any data.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            FieldOutcome::NotBase64 => Some("neither a plain id nor base64"),
            FieldOutcome::WrongKeyOrCorrupt => {
                Some("does not decrypt with this key (wrong key or corrupt)")
            }
            _ => None,
        }
    }
}

/// Per-row status of an `*RSA` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldStatus {
    Decrypted,
    Plain,
    Empty,
    Failed,
}

impl FieldStatus {
    /// `decrypted`, `plain`, `empty` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldStatus::Decrypted => "decrypted",
            FieldStatus::Plain => "plain",
            FieldStatus::Empty => "empty",
            FieldStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for FieldStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_id(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit)
}

/// The longest participant id a plaintext may be: a Java `long` has 19 digits.
const MAX_ID_DIGITS: usize = 19;

/// A decrypted plaintext that is a participant id: 1 to 19 ASCII digits. A wrong key under implicit
/// rejection gives random bytes of random length; the chance they pass is about 10^-19 per field.
fn is_decrypted_id(bytes: &[u8]) -> bool {
    bytes.len() <= MAX_ID_DIGITS && is_id(bytes)
}

impl PrivateKey {
    /// Classify and decrypt one field as the MindTrails server wrote it (`None` = JSON null).
    ///
    /// A plaintext that is not 1 to 19 ASCII digits counts as [`FieldOutcome::WrongKeyOrCorrupt`]: with
    /// implicit rejection (OpenSSL 3.2+ and others) a wrong key yields random bytes instead of an error, so
    /// the check does not depend on the library's version.
    pub fn decrypt_field(&self, field: &str) -> FieldOutcome {
        let trimmed = field.trim();
        if trimmed.is_empty() {
            return FieldOutcome::Empty;
        }
        let decoded = decode_base64(trimmed);
        let digits = is_id(trimmed.as_bytes());
        let ciphertext = match decoded {
            // A digit string is an id unless it has exactly a ciphertext's length (344 characters for 2048 bits).
            Some(ct) if ct.len() == self.size() => ct,
            _ if digits => return FieldOutcome::NotEncrypted(trimmed.to_owned()),
            Some(_) => return FieldOutcome::WrongKeyOrCorrupt,
            None => return FieldOutcome::NotBase64,
        };
        match self.decrypt(&ciphertext) {
            Ok(plain) if is_decrypted_id(&plain) => match String::from_utf8(plain) {
                Ok(id) => FieldOutcome::Decrypted(id),
                Err(_) => FieldOutcome::WrongKeyOrCorrupt,
            },
            Ok(mut plain) => {
                plain.iter_mut().for_each(|b| *b = 0);
                FieldOutcome::WrongKeyOrCorrupt
            }
            Err(_) => FieldOutcome::WrongKeyOrCorrupt,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key() -> PrivateKey {
        let pem = include_bytes!("../../fixtures/keys/test_private_pkcs1.pem");
        PrivateKey::from_bytes(pem).unwrap()
    }

    #[test]
    fn classifies_fields_without_ciphertext() {
        let key = key();
        assert_eq!(key.decrypt_field(""), FieldOutcome::Empty);
        assert_eq!(key.decrypt_field("  \r\n"), FieldOutcome::Empty);
        // Plain ids: 3 digits is not base64, 4 digits is, and both stay ids (MTData lost the former).
        assert_eq!(
            key.decrypt_field("123"),
            FieldOutcome::NotEncrypted("123".into())
        );
        assert_eq!(
            key.decrypt_field("1234"),
            FieldOutcome::NotEncrypted("1234".into())
        );
        assert_eq!(
            key.decrypt_field(" 42 "),
            FieldOutcome::NotEncrypted("42".into())
        );
        assert_eq!(key.decrypt_field("abc$"), FieldOutcome::NotBase64);
        // Base64 of the wrong length for this key.
        assert_eq!(
            key.decrypt_field("aGVsbG8="),
            FieldOutcome::WrongKeyOrCorrupt
        );
        assert_eq!(
            FieldOutcome::WrongKeyOrCorrupt.status(),
            FieldStatus::Failed
        );
        assert_eq!(FieldOutcome::NotBase64.status().as_str(), "failed");
    }

    #[test]
    fn a_decrypted_id_has_1_to_19_digits() {
        use base64::engine::general_purpose::STANDARD;
        use rsa::pkcs8::DecodePublicKey;
        let public = rsa::RsaPublicKey::from_public_key_der(include_bytes!(
            "../../fixtures/keys/test_public.der"
        ))
        .unwrap();
        let key = key();
        let field = |plain: &str| {
            let ct = public
                .encrypt(
                    &mut rsa::rand_core::OsRng,
                    rsa::Pkcs1v15Encrypt,
                    plain.as_bytes(),
                )
                .unwrap();
            key.decrypt_field(&STANDARD.encode(ct))
        };
        assert_eq!(field("7"), FieldOutcome::Decrypted("7".into()));
        let longest = "9".repeat(19);
        assert_eq!(field(&longest), FieldOutcome::Decrypted(longest.clone()));
        for not_an_id in [
            "9".repeat(20),
            String::new(),
            "12a".into(),
            " 12".into(),
            "-5".into(),
        ] {
            assert_eq!(
                field(&not_an_id),
                FieldOutcome::WrongKeyOrCorrupt,
                "{not_an_id:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn base64_ignores_whitespace(bytes in proptest::collection::vec(any::<u8>(), 0..300), every in 1usize..80) {
            let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let wrapped: String = text
                .as_bytes()
                .chunks(every)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join("\r\n");
            prop_assert_eq!(decode_base64(&wrapped), Some(bytes.clone()));
            prop_assert_eq!(decode_base64(text.trim_end_matches('=')), Some(bytes));
        }

        #[test]
        fn digits_are_never_lost(id in "[0-9]{1,30}") {
            prop_assert_eq!(key().decrypt_field(&id), FieldOutcome::NotEncrypted(id.clone()));
        }
    }
}
