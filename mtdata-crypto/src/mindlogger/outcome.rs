//! What decrypting one stored answer gave: a value, or why there is none. Never a placeholder.

use std::fmt;

use super::secret::SecretForm;

/// Which key opened (or nearly opened) an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsed {
    /// Position in the [`super::KeyRing`] of the applet key.
    pub ring_index: usize,
    /// Which form of the shared secret the AES key was hashed from.
    pub secret: SecretForm,
}

/// Which key was not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissingKey {
    /// The key ring is empty: no applet password was given.
    AppletKey,
    /// The answer has no user public key.
    UserPublicKey,
}

/// The result of decrypting one answer, events or other JSON field.
///
/// `Debug` hides decrypted and plain values (they are participant data), so an outcome can be logged.
#[derive(Clone, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// The plaintext, valid UTF-8 and valid JSON.
    Decrypted { json: String, key: KeyUsed },
    /// Not an encrypted payload but valid JSON text, kept as it was: a plain value in an encrypted applet. The
    /// caller decides whether to use it.
    Plain(String),
    /// No key of the ring opens it, and under each the first block is random bytes: another applet's or
    /// another password's data.
    WrongKey,
    /// Under this key the first block is the start of JSON but the last block's PKCS#7 padding is wrong: the
    /// right key and a corrupted (or truncated) ciphertext.
    BadPadding(KeyUsed),
    /// Under this key the padding is valid and the plaintext starts as text, but it is not JSON.
    NotJson(KeyUsed),
    /// Not `iv:ciphertext` hex (nor JSON), or the user public key cannot be read.
    Malformed(mindlogger_model::Error),
    /// Nothing to decrypt with.
    MissingKey(MissingKey),
}

impl fmt::Debug for AnswerOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerOutcome::Decrypted { key, .. } => f
                .debug_struct("Decrypted")
                .field("json", &"<redacted>")
                .field("key", key)
                .finish(),
            AnswerOutcome::Plain(_) => f.write_str("Plain(<redacted>)"),
            AnswerOutcome::WrongKey => f.write_str("WrongKey"),
            AnswerOutcome::BadPadding(key) => f.debug_tuple("BadPadding").field(key).finish(),
            AnswerOutcome::NotJson(key) => f.debug_tuple("NotJson").field(key).finish(),
            AnswerOutcome::Malformed(error) => f.debug_tuple("Malformed").field(error).finish(),
            AnswerOutcome::MissingKey(missing) => {
                f.debug_tuple("MissingKey").field(missing).finish()
            }
        }
    }
}

impl AnswerOutcome {
    /// The coarse status, for a CSV status column.
    pub fn status(&self) -> AnswerStatus {
        match self {
            AnswerOutcome::Decrypted { .. } => AnswerStatus::Decrypted,
            AnswerOutcome::Plain(_) => AnswerStatus::Plain,
            AnswerOutcome::WrongKey => AnswerStatus::WrongKey,
            AnswerOutcome::BadPadding(_) => AnswerStatus::BadPadding,
            AnswerOutcome::NotJson(_) => AnswerStatus::NotJson,
            AnswerOutcome::Malformed(_) => AnswerStatus::Malformed,
            AnswerOutcome::MissingKey(_) => AnswerStatus::MissingKey,
        }
    }

    /// The JSON text, decrypted or plain.
    pub fn json(&self) -> Option<&str> {
        match self {
            AnswerOutcome::Decrypted { json, .. } | AnswerOutcome::Plain(json) => Some(json),
            _ => None,
        }
    }

    /// The key that opened the answer or diagnosed it.
    pub fn key(&self) -> Option<KeyUsed> {
        match self {
            AnswerOutcome::Decrypted { key, .. }
            | AnswerOutcome::BadPadding(key)
            | AnswerOutcome::NotJson(key) => Some(*key),
            _ => None,
        }
    }

    /// A one-line reason for anything but a decrypted value, free of data.
    pub fn reason(&self) -> Option<String> {
        Some(match self {
            AnswerOutcome::Decrypted { .. } => return None,
            AnswerOutcome::Plain(_) => {
                "not encrypted: a plain JSON value in an encrypted applet".to_owned()
            }
            AnswerOutcome::WrongKey => {
                "no applet key opens it (another applet's, or another password's, data)".to_owned()
            }
            AnswerOutcome::BadPadding(key) => format!(
                "the {} key {} opens its start but its last block is corrupt",
                key.secret, key.ring_index
            ),
            AnswerOutcome::NotJson(key) => format!(
                "the {} key {} opens it but the plaintext is not JSON",
                key.secret, key.ring_index
            ),
            AnswerOutcome::Malformed(error) => error.to_string(),
            AnswerOutcome::MissingKey(MissingKey::AppletKey) => {
                "no applet key (password) was given".to_owned()
            }
            AnswerOutcome::MissingKey(MissingKey::UserPublicKey) => {
                "the answer has no user public key".to_owned()
            }
        })
    }
}

/// Per-answer status, written beside the decrypted values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnswerStatus {
    Decrypted,
    Plain,
    WrongKey,
    BadPadding,
    NotJson,
    Malformed,
    MissingKey,
}

impl AnswerStatus {
    /// Every status, in declaration order.
    pub const ALL: [AnswerStatus; 7] = [
        AnswerStatus::Decrypted,
        AnswerStatus::Plain,
        AnswerStatus::WrongKey,
        AnswerStatus::BadPadding,
        AnswerStatus::NotJson,
        AnswerStatus::Malformed,
        AnswerStatus::MissingKey,
    ];

    /// `decrypted`, `plain`, `wrong key`, `bad padding`, `not JSON`, `malformed` or `missing key`: stable.
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Decrypted => "decrypted",
            AnswerStatus::Plain => "plain",
            AnswerStatus::WrongKey => "wrong key",
            AnswerStatus::BadPadding => "bad padding",
            AnswerStatus::NotJson => "not JSON",
            AnswerStatus::Malformed => "malformed",
            AnswerStatus::MissingKey => "missing key",
        }
    }
}

impl fmt::Display for AnswerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the first bytes of a plaintext read as text: valid UTF-8 (a sequence cut at the end is allowed)
/// without control characters other than tab and line breaks. A random 16-byte block passes with probability
/// about 10^-7, so this tells "the right key, damaged data" from "a wrong key".
pub(crate) fn looks_like_text(start: &[u8]) -> bool {
    let text = match std::str::from_utf8(start) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&start[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

/// [`looks_like_text`], and the first non-blank character can begin a JSON value.
pub(crate) fn looks_like_json_start(start: &[u8]) -> bool {
    let first = start
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    let opens = first.is_some_and(|b| {
        matches!(
            b,
            b'[' | b'{' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
        )
    });
    opens && looks_like_text(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_strings_are_stable() {
        let strings: Vec<_> = AnswerStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            strings,
            [
                "decrypted",
                "plain",
                "wrong key",
                "bad padding",
                "not JSON",
                "malformed",
                "missing key"
            ]
        );
    }

    #[test]
    fn debug_hides_values() {
        let key = KeyUsed {
            ring_index: 0,
            secret: SecretForm::Padded,
        };
        let shown = format!(
            "{:?} {:?}",
            AnswerOutcome::Decrypted {
                json: "\"P-42\"".into(),
                key
            },
            AnswerOutcome::Plain("7".into())
        );
        assert!(!shown.contains("P-42") && !shown.contains('7'), "{shown}");
    }

    #[test]
    fn text_and_json_starts() {
        assert!(looks_like_json_start(b"[{\"value\":1},nu"));
        assert!(looks_like_json_start(b" \"caf\xC3"));
        assert!(!looks_like_json_start(b"Test User"));
        assert!(looks_like_text(b"Test User"));
        assert!(!looks_like_text(b"[1,\x00\x02"));
        assert!(!looks_like_text(b"\xFF[1]"));
        assert!(!looks_like_json_start(b""));
    }
}
