//! Byte arrays as MindLogger writes them: big-endian numbers (primes, public keys) as a JSON array of byte
//! values (`[148, 187, 2]`), or as JSON *text* of such an array (`"[148,187,2]"` in v2, and Python's
//! `str(list)`, `"[148, 187, 2]"`, in answers migrated from v1).

use serde_json::Value;

use crate::error::{Error, Result, kind};

/// Parse JSON text of an array of byte values (`"[1,2,3]"`, `"[1, 2, 3]"`).
pub fn parse_byte_array(text: &str) -> Result<Vec<u8>> {
    // Keys are parsed once per answer: the common compact and Python forms skip building a JSON tree. Any
    // other text (exponents, bad elements, not JSON) takes the general path, which decides and explains.
    if let Some(bytes) = scan_plain_byte_array(text) {
        return Ok(bytes);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| Error::NotJson(e.to_string()))?;
    bytes_of_array(&value)
}

/// A byte array from a JSON value: an array of byte values, or a string holding JSON text of one.
pub fn byte_array_from_value(value: &Value) -> Result<Vec<u8>> {
    match value {
        Value::String(text) => parse_byte_array(text),
        other => bytes_of_array(other),
    }
}

/// The compact JSON text of a byte array, as `JSON.stringify` writes it (`[1,2,3]`).
pub fn byte_array_json_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 4 + 2);
    text.push('[');
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&byte.to_string());
    }
    text.push(']');
    text
}

pub(crate) fn bytes_of_array(value: &Value) -> Result<Vec<u8>> {
    let Value::Array(elements) = value else {
        return Err(Error::NotArray(kind(value)));
    };
    elements
        .iter()
        .enumerate()
        .map(|(index, element)| {
            element
                .as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| Error::NotAByte {
                    index,
                    value: match element {
                        Value::Number(n) => n.to_string(),
                        other => kind(other).to_owned(),
                    },
                })
        })
        .collect()
}

/// `[`, byte values of one to three digits without leading zeros separated by commas, `]`, JSON whitespace
/// anywhere between tokens. `None` for anything else (the general parser then decides).
fn scan_plain_byte_array(text: &str) -> Option<Vec<u8>> {
    let mut rest = text.as_bytes();
    let skip_ws = |rest: &mut &[u8]| {
        while let [b' ' | b'\t' | b'\n' | b'\r', tail @ ..] = rest {
            *rest = tail;
        }
    };
    skip_ws(&mut rest);
    rest = rest.strip_prefix(b"[")?;
    skip_ws(&mut rest);
    let mut bytes = Vec::with_capacity(text.len() / 3);
    if let Some(tail) = rest.strip_prefix(b"]") {
        rest = tail;
    } else {
        loop {
            let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 3 || (digits > 1 && rest[0] == b'0') {
                return None;
            }
            let value = rest[..digits]
                .iter()
                .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
            bytes.push(u8::try_from(value).ok()?);
            rest = &rest[digits..];
            skip_ws(&mut rest);
            match rest {
                [b',', tail @ ..] => rest = tail,
                [b']', tail @ ..] => {
                    rest = tail;
                    break;
                }
                _ => return None,
            }
            skip_ws(&mut rest);
        }
    }
    skip_ws(&mut rest);
    rest.is_empty().then_some(bytes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_every_stored_form() {
        assert_eq!(parse_byte_array("[1,2,255]"), Ok(vec![1, 2, 255]));
        assert_eq!(parse_byte_array("[1, 2, 255]"), Ok(vec![1, 2, 255]));
        assert_eq!(parse_byte_array(" [ 0 ]\n"), Ok(vec![0]));
        assert_eq!(parse_byte_array("[]"), Ok(vec![]));
        // JSON numbers that are not integers are not bytes, whatever their value.
        assert_eq!(
            parse_byte_array("[2, 1e2]"),
            Err(Error::NotAByte {
                index: 1,
                value: "100.0".into()
            })
        );
        assert_eq!(
            parse_byte_array("[2.0]"),
            Err(Error::NotAByte {
                index: 0,
                value: "2.0".into()
            })
        );
        assert_eq!(
            byte_array_from_value(&json!([148, 187])),
            Ok(vec![148, 187])
        );
        assert_eq!(
            byte_array_from_value(&json!("[148,187]")),
            Ok(vec![148, 187])
        );
    }

    #[test]
    fn errors_say_what_is_wrong_and_where() {
        assert_eq!(
            parse_byte_array("[1, 256, 3]"),
            Err(Error::NotAByte {
                index: 1,
                value: "256".into()
            })
        );
        assert_eq!(
            parse_byte_array("[1, -1]"),
            Err(Error::NotAByte {
                index: 1,
                value: "-1".into()
            })
        );
        assert_eq!(
            parse_byte_array("[1, \"2\"]"),
            Err(Error::NotAByte {
                index: 1,
                value: "a string".into()
            })
        );
        assert_eq!(
            parse_byte_array("{\"a\": 1}"),
            Err(Error::NotArray("an object"))
        );
        assert_eq!(
            parse_byte_array("\"[1]\""),
            Err(Error::NotArray("a string"))
        );
        assert_eq!(
            byte_array_from_value(&json!(7)),
            Err(Error::NotArray("a number"))
        );
        assert_eq!(
            byte_array_from_value(&json!(["[1]"])),
            Err(Error::NotAByte {
                index: 0,
                value: "a string".into()
            })
        );
        let Err(Error::NotJson(message)) = parse_byte_array("[1, 2") else {
            panic!("an unclosed array is not JSON");
        };
        assert!(message.contains("line 1"), "{message}");
        assert!(matches!(parse_byte_array("[01]"), Err(Error::NotJson(_))));
    }

    fn separator() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["", " ", "\n", "\t", "\r\n "]).prop_map(str::to_owned)
    }

    proptest! {
        #[test]
        fn json_text_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(parse_byte_array(&byte_array_json_text(&bytes)), Ok(bytes.clone()));
            let python = format!("{bytes:?}"); // Rust's Debug of a Vec<u8> is Python's str(list): "[1, 2, 3]"
            prop_assert_eq!(parse_byte_array(&python), Ok(bytes.clone()));
            prop_assert_eq!(byte_array_from_value(&json!(bytes)), Ok(bytes));
        }

        /// The fast path never disagrees with the general parser: on arbitrary arrays of number-ish tokens it
        /// either declines or returns what serde_json + the element check return.
        #[test]
        fn fast_path_agrees_with_the_general_parser(
            tokens in prop::collection::vec("-?[0-9]{1,4}|[0-9]\\.[0-9]|x", 0..6),
            seps in prop::collection::vec(separator(), 8),
            close in any::<bool>(),
        ) {
            let mut text = format!("{}[", seps[0]);
            for (i, token) in tokens.iter().enumerate() {
                if i > 0 { text.push(','); }
                text.push_str(&seps[1 + i % 6]);
                text.push_str(token);
            }
            if close { text.push(']'); }
            text.push_str(&seps[7]);
            let general = serde_json::from_str::<Value>(&text)
                .map_err(|e| Error::NotJson(e.to_string()))
                .and_then(|v| bytes_of_array(&v));
            if let Some(fast) = scan_plain_byte_array(&text) {
                prop_assert_eq!(Ok(fast), general.clone());
            }
            prop_assert_eq!(parse_byte_array(&text), general);
        }
    }
}
