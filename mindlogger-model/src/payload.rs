//! `"<iv hex>:<ciphertext hex>"`: how MindLogger stores an AES-256-CBC ciphertext, and how to tell one from a
//! plain JSON value.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// An AES-256-CBC payload as MindLogger stores it: `"<32 hex digits of IV>:<ciphertext hex>"`.
///
/// The ciphertext is always a whole, non-zero number of 16-byte blocks: [`EncryptedPayload::new`] and the
/// parser refuse anything else, so a decryptor never has to check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncryptedPayload {
    iv: [u8; 16],
    ciphertext: Vec<u8>,
}

impl EncryptedPayload {
    /// A payload from its parts; the ciphertext must be a non-empty multiple of 16 bytes.
    pub fn new(iv: [u8; 16], ciphertext: Vec<u8>) -> Result<Self> {
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
            return Err(Error::CiphertextLength(ciphertext.len()));
        }
        Ok(EncryptedPayload { iv, ciphertext })
    }

    /// The initialisation vector.
    pub fn iv(&self) -> &[u8; 16] {
        &self.iv
    }

    /// The ciphertext: one or more 16-byte blocks.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }
}

impl FromStr for EncryptedPayload {
    type Err = Error;

    /// Parse `iv:ciphertext` hex (either case; surrounding whitespace ignored). Stricter than the admin panel,
    /// whose hex decoder stops silently at the first bad character: a payload is taken whole or refused.
    fn from_str(text: &str) -> Result<Self> {
        let (iv, ciphertext) = text.trim().split_once(':').ok_or(Error::PayloadNoColon)?;
        if ciphertext.contains(':') {
            return Err(Error::PayloadExtraColon);
        }
        let iv = decode_hex(iv).ok_or(Error::IvNotHex)?;
        let iv: [u8; 16] = iv
            .try_into()
            .map_err(|iv: Vec<u8>| Error::IvLength(iv.len()))?;
        let ciphertext = decode_hex(ciphertext).ok_or(Error::CiphertextNotHex)?;
        EncryptedPayload::new(iv, ciphertext)
    }
}

impl fmt::Display for EncryptedPayload {
    /// The stored form, lower-case hex as Node's `toString('hex')` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.iv)?;
        f.write_str(":")?;
        write_hex(f, &self.ciphertext)
    }
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// Decode hex digits of either case; `None` for an odd length or a non-hex character.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    // A table, a buffer of the final size and no branch per byte (a bad digit is found once, at the end,
    // from the OR of all nibbles): answers are parsed 10^5 at a time, and an iterator collecting
    // `Option`s ran at a fifth of the speed of a loop.
    let mut bytes = vec![0; digits.len() / 2];
    let mut seen = 0;
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (NIBBLE[usize::from(pair[0])], NIBBLE[usize::from(pair[1])]);
        seen |= high | low;
        *byte = high << 4 | low;
    }
    (seen <= 0xf).then_some(bytes)
}

/// The value of each ASCII hex digit, `0xff` for every other byte.
const NIBBLE: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// What a stored answer field holds, before any key is involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredValue<'a> {
    /// An `iv:ciphertext` payload.
    Encrypted(EncryptedPayload),
    /// Not a payload but valid JSON text (e.g. `[1, "a"]`, `null`): a plain value, which an encrypted applet
    /// should not hold; whether to keep it is the caller's decision.
    PlainJson(&'a str),
    /// Neither: the reason it is not a payload.
    Malformed(Error),
}

impl<'a> StoredValue<'a> {
    /// Classify the text of an answer, events or identifier field. The two valid forms cannot overlap: a JSON
    /// text never has a `:` outside a string or object, and a payload is only hex digits around one `:`.
    pub fn classify(text: &'a str) -> Self {
        match text.parse::<EncryptedPayload>() {
            Ok(payload) => StoredValue::Encrypted(payload),
            Err(_) if is_json(text) => StoredValue::PlainJson(text),
            Err(error) => StoredValue::Malformed(error),
        }
    }
}

/// Whether `text` is one complete JSON value (validated without building it).
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const TEXT: &str = "000102030405060708090a0b0c0d0e0f:00112233445566778899aabbccddeeff";

    #[test]
    fn parses_and_prints_the_stored_form() {
        let payload: EncryptedPayload = TEXT.parse().unwrap();
        assert_eq!(payload.iv()[15], 0x0f);
        assert_eq!(payload.ciphertext().len(), 16);
        assert_eq!(payload.to_string(), TEXT);
        let upper: EncryptedPayload = format!(" {} \n", TEXT.to_uppercase()).parse().unwrap();
        assert_eq!(upper, payload);
    }

    #[test]
    fn refuses_what_is_not_a_payload_and_says_why() {
        let cases = [
            ("", Error::PayloadNoColon),
            ("nocolon", Error::PayloadNoColon),
            ("zz:00", Error::IvNotHex),
            ("0001:00112233445566778899aabbccddeeff", Error::IvLength(2)),
            (
                "000102030405060708090a0b0c0d0e0f:0011",
                Error::CiphertextLength(2),
            ),
            (
                "000102030405060708090a0b0c0d0e0f:",
                Error::CiphertextLength(0),
            ),
            (
                "000102030405060708090a0b0c0d0e0f:0g",
                Error::CiphertextNotHex,
            ),
            (
                "000102030405060708090a0b0c0d0e0f:001",
                Error::CiphertextNotHex,
            ),
            (
                "000102030405060708090a0b0c0d0e0f:0011:2233445566778899aabbccddeeff",
                Error::PayloadExtraColon,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<EncryptedPayload>(), Err(expected), "{text:?}");
        }
        assert_eq!(
            EncryptedPayload::new([0; 16], vec![0; 17]),
            Err(Error::CiphertextLength(17))
        );
    }

    #[test]
    fn classifies_payloads_plain_json_and_garbage() {
        assert!(matches!(
            StoredValue::classify(TEXT),
            StoredValue::Encrypted(_)
        ));
        for plain in ["null", "[1, \"a\"]", " {\"value\": 2} ", "\"text\"", "3"] {
            assert_eq!(StoredValue::classify(plain), StoredValue::PlainJson(plain));
        }
        assert_eq!(
            StoredValue::classify("plain words"),
            StoredValue::Malformed(Error::PayloadNoColon)
        );
        assert_eq!(
            StoredValue::classify("{\"a\": 1"),
            StoredValue::Malformed(Error::IvNotHex)
        );
    }

    proptest! {
        #[test]
        fn hex_decodes_either_case_and_refuses_any_other_byte(
            bytes in proptest::collection::vec(any::<u8>(), 1..64),
            upper in any::<bool>(),
            at in any::<proptest::sample::Index>(),
            bad in any::<u8>().prop_filter("not a hex digit", |b| !b.is_ascii_hexdigit()),
        ) {
            let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            let text = if upper { text.to_ascii_uppercase() } else { text };
            prop_assert_eq!(decode_hex(&text), Some(bytes.clone()));
            let mut damaged = text.into_bytes();
            let at = at.index(damaged.len());
            damaged[at] = bad;
            let damaged = String::from_utf8_lossy(&damaged).into_owned();
            prop_assert_eq!(decode_hex(&damaged), None);
        }

        #[test]
        fn display_and_parse_round_trip(iv in any::<[u8; 16]>(), blocks in 1usize..8, seed in any::<u8>()) {
            let ciphertext: Vec<u8> = (0..blocks * 16).map(|i| (i as u8).wrapping_mul(seed)).collect();
            let payload = EncryptedPayload::new(iv, ciphertext).unwrap();
            prop_assert_eq!(payload.to_string().parse::<EncryptedPayload>(), Ok(payload));
        }
    }
}
