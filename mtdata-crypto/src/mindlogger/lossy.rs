//! The browser's lossy UTF-8 round trip that MindLogger's applet keys went through (reference §4.2).

/// U+FFFD REPLACEMENT CHARACTER in UTF-8.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// `Buffer.from(buffer.toString())` with the `buffer` npm polyfill (4.9.2 and 6.0.3 alike): decode as UTF-8,
/// each byte that does not start a complete valid sequence becoming U+FFFD with decoding resuming at the
/// **next byte**, then encode as UTF-8 again.
///
/// This is not [`String::from_utf8_lossy`], which (like WHATWG `TextDecoder`, Python `errors="replace"` and
/// Node's native `Buffer`) replaces a *maximal invalid subpart* by one U+FFFD: `E2 82 41` (a truncated
/// three-byte sequence before `A`) is `EF BF BD EF BF BD 41` here and `EF BF BD 41` there. About 61 % of
/// SHA-512 digests come out different, and only this form opens MindLogger applets.
pub fn js_lossy(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.extend_from_slice(valid.as_bytes());
                return out;
            }
            Err(error) => {
                let valid = error.valid_up_to();
                out.extend_from_slice(&rest[..valid]);
                out.extend_from_slice(REPLACEMENT);
                rest = &rest[valid + 1..];
            }
        }
    }
}

/// The standard lossy round trip (maximal subparts), only to tell a user that a key was made by another tool.
pub(crate) fn standard_lossy(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes).into_owned().into_bytes()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn one_replacement_per_byte_that_starts_no_valid_sequence() {
        assert_eq!(js_lossy(b"plain"), b"plain");
        assert_eq!(
            js_lossy(&[0xE2, 0x82, 0x41]),
            [0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD, 0x41]
        );
        assert_eq!(
            standard_lossy(&[0xE2, 0x82, 0x41]),
            [0xEF, 0xBF, 0xBD, 0x41]
        );
        // A valid sequence is kept, a lone continuation byte and an overlong lead are each one U+FFFD.
        assert_eq!(
            js_lossy(&[0xC3, 0xA9, 0x80, 0xC0, 0xAF]),
            [
                0xC3, 0xA9, 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD
            ]
        );
        // A surrogate (ED A0 80) and a truncated sequence at the end: one U+FFFD per byte.
        assert_eq!(js_lossy(&[0xED, 0xA0, 0x80]), REPLACEMENT.repeat(3));
        assert_eq!(
            js_lossy(&[0x41, 0xF0, 0x9F, 0x98]),
            [&b"A"[..], &REPLACEMENT.repeat(3)].concat()
        );
        assert_eq!(js_lossy(&[0xF0, 0x9F, 0x98, 0x80]), "😀".as_bytes());
    }

    proptest! {
        #[test]
        fn output_is_utf8_and_valid_input_is_kept(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
            let out = js_lossy(&bytes);
            prop_assert!(std::str::from_utf8(&out).is_ok());
            // Each input byte yields at most one U+FFFD, so never fewer replacements than the standard decoder.
            let count = |b: &[u8]| String::from_utf8_lossy(b).matches('\u{FFFD}').count();
            prop_assert!(count(&out) >= count(&standard_lossy(&bytes)));
            if let Ok(text) = std::str::from_utf8(&bytes) {
                prop_assert_eq!(out, text.as_bytes());
            }
        }
    }
}
