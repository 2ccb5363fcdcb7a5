//! One row object into (column name, raw value) fields: a fast byte scanner for the common rows, and
//! serde_json for the rest, so that both give exactly what serde_json's `RawValue` gives.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::RowSink;
use super::splitter::{is_json_space, row_end};

/// Values nested deeper than this go to serde_json: the fast scanner recurses.
const MAX_FAST_DEPTH: u32 = 64;

/// Why a row was not parsed.
#[derive(Debug)]
pub(super) enum RowError {
    /// The buffer ends inside the row.
    Truncated,
    /// The row is not a valid JSON object.
    Invalid(serde_json::Error),
    /// The sink refused a field.
    Refused,
}

/// Parse the row object at `start` (its `{`) into `sink`, returning its end (exclusive). `end` is the row's
/// end when the caller already knows it (from the splitter).
///
/// The fast scanner takes rows whose keys have no escapes and whose strings have no `\u`; anything else,
/// valid or not, is parsed by serde_json from the row's slice, which also describes what is wrong.
pub(super) fn parse_row<'b, S: RowSink<'b>>(
    buf: &'b str,
    start: usize,
    end: Option<usize>,
    pairs: &mut Vec<(&'b str, &'b str)>,
    sink: &mut S,
) -> Result<usize, RowError> {
    if let Some(scanned) = scan_row(buf, start, pairs)
        && end.is_none_or(|end| end == scanned)
    {
        sink.begin_row();
        for (position, &(name, value)) in pairs.iter().enumerate() {
            sink.field(position, name, value)
                .map_err(|_| RowError::Refused)?;
        }
        sink.end_row();
        return Ok(scanned);
    }
    let end = match end {
        Some(end) => end,
        None => row_end(buf.as_bytes(), start).ok_or(RowError::Truncated)?,
    };
    let mut de = serde_json::Deserializer::from_str(&buf[start..end]);
    RowSeed(sink)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(RowError::Invalid)?;
    Ok(end)
}

/// The fast row parser: a row object at `start` whose keys have no escapes and whose strings have no `\\u`,
/// as (key, raw value) pairs; returns the end of the row. It accepts only valid JSON, and produces what
/// serde_json's `RawValue` does (the value's exact text). `None` for anything else, valid or not.
///
/// Its loop is [`scan_value`]'s object loop keeping the pairs: one loop shared through a closure cost 1.7%
/// more instructions in the decode benchmark.
fn scan_row<'b>(buf: &'b str, start: usize, pairs: &mut Vec<(&'b str, &'b str)>) -> Option<usize> {
    let bytes = buf.as_bytes();
    pairs.clear();
    let mut i = skip_space(bytes, start + 1);
    if *bytes.get(i)? == b'}' {
        return Some(i + 1);
    }
    loop {
        if *bytes.get(i)? != b'"' {
            return None;
        }
        let (key_end, escaped) = scan_string(bytes, i)?;
        if escaped {
            return None;
        }
        let key = &buf[i + 1..key_end - 1];
        i = skip_space(bytes, key_end);
        if *bytes.get(i)? != b':' {
            return None;
        }
        i = skip_space(bytes, i + 1);
        let value_end = scan_value(bytes, i, 1)?;
        pairs.push((key, &buf[i..value_end]));
        i = skip_space(bytes, value_end);
        match *bytes.get(i)? {
            b',' => i = skip_space(bytes, i + 1),
            b'}' => return Some(i + 1),
            _ => return None,
        }
    }
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_json_space(bytes[i]) {
        i += 1;
    }
    i
}

/// The end of the string starting at `start` (its opening quote) and whether it has escapes.
fn scan_string(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    let mut i = start + 1;
    let mut escaped = false;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => match *bytes.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                    escaped = true;
                    i += 2;
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => i += 1,
        }
    }
}

/// The end of the JSON value starting at `start`.
fn scan_value(bytes: &[u8], start: usize, depth: u32) -> Option<usize> {
    match *bytes.get(start)? {
        b'"' => scan_string(bytes, start).map(|(end, _)| end),
        b'-' | b'0'..=b'9' => scan_number(bytes, start),
        b't' => bytes[start..].starts_with(b"true").then_some(start + 4),
        b'f' => bytes[start..].starts_with(b"false").then_some(start + 5),
        b'n' => bytes[start..].starts_with(b"null").then_some(start + 4),
        b'[' if depth < MAX_FAST_DEPTH => {
            let mut i = skip_space(bytes, start + 1);
            if *bytes.get(i)? == b']' {
                return Some(i + 1);
            }
            loop {
                i = skip_space(bytes, scan_value(bytes, i, depth + 1)?);
                match *bytes.get(i)? {
                    b',' => i = skip_space(bytes, i + 1),
                    b']' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        b'{' if depth < MAX_FAST_DEPTH => {
            let mut i = skip_space(bytes, start + 1);
            if *bytes.get(i)? == b'}' {
                return Some(i + 1);
            }
            loop {
                if *bytes.get(i)? != b'"' {
                    return None;
                }
                i = skip_space(bytes, scan_string(bytes, i)?.0);
                if *bytes.get(i)? != b':' {
                    return None;
                }
                i = skip_space(
                    bytes,
                    scan_value(bytes, skip_space(bytes, i + 1), depth + 1)?,
                );
                match *bytes.get(i)? {
                    b',' => i = skip_space(bytes, i + 1),
                    b'}' => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// The end of the number starting at `start` (JSON's grammar: no leading zeros, digits after `.` and `e`).
fn scan_number(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(bytes[start] == b'-');
    match *bytes.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i + 1),
        _ => return None,
    }
    if bytes.get(i) == Some(&b'.') {
        if !bytes.get(i + 1)?.is_ascii_digit() {
            return None;
        }
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !bytes.get(i)?.is_ascii_digit() {
            return None;
        }
        i = digits(i);
    }
    Some(i)
}

/// serde_json's view of one row object: each field handed to the sink as it is parsed.
pub(super) struct RowSeed<'s, S>(pub(super) &'s mut S);

impl<'de, S: RowSink<'de>> DeserializeSeed<'de> for RowSeed<'_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, S: RowSink<'de>> Visitor<'de> for RowSeed<'_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let sink = self.0;
        sink.begin_row();
        let mut position = 0;
        while let Some(name) = map.next_key_seed(KeySeed)? {
            let value: &'de RawValue = map.next_value()?;
            sink.field(position, &name, value.get())
                .map_err(<A::Error as de::Error>::custom)?;
            position += 1;
        }
        sink.end_row();
        Ok(())
    }
}

/// A column name: borrowed from the buffer unless it had escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(name))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(name.to_owned()))
    }
}

/// The text of a JSON string value, given as its exact JSON text (quotes included), as a [`RowSink`] gets
/// it. Invalid escapes (a lone surrogate) leave the text between the quotes as it is.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    // The common escapes by hand (serde_json's String parser was a few percent of the decode time); `\u`
    // (surrogate pairs and all) by serde_json. Already validated by the parser.
    let simple = || {
        let mut out = String::with_capacity(inner.len());
        let mut rest = inner;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            out.push(match rest.as_bytes().get(at + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                _ => return None,
            });
            rest = &rest[at + 2..];
        }
        out.push_str(rest);
        Some(out)
    };
    Cow::Owned(simple().unwrap_or_else(|| {
        serde_json::from_str::<String>(raw).unwrap_or_else(|_| inner.to_owned())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields as (position, name, value), rows ended with `;`.
    #[derive(Default)]
    struct Fields(Vec<String>);

    impl<'b> RowSink<'b> for Fields {
        fn begin_row(&mut self) {}

        fn field(
            &mut self,
            position: usize,
            name: &str,
            value: &'b str,
        ) -> Result<(), &'static str> {
            self.0.push(format!("{position} {name}={value}"));
            Ok(())
        }

        fn end_row(&mut self) {
            self.0.push(";".into());
        }
    }

    fn fields(row: &str) -> Result<Vec<String>, String> {
        let mut sink = Fields::default();
        let mut pairs = Vec::new();
        parse_row(row, 0, None, &mut pairs, &mut sink).map_err(|e| format!("{e:?}"))?;
        Ok(sink.0)
    }

    #[test]
    fn fast_and_serde_rows_give_the_same_fields() {
        // The first row takes the fast scanner, the second (an escaped key) serde_json.
        let fast = fields(r#"{ "a" : [1, {"b":"}"}] , "c":"x\"y" }"#).unwrap();
        let slow = fields(r#"{ "\u0061" : [1, {"b":"}"}] , "c":"x\"y" }"#).unwrap();
        assert_eq!(fast, ["0 a=[1, {\"b\":\"}\"}]", "1 c=\"x\\\"y\"", ";"]);
        assert_eq!(slow, fast);
    }

    #[test]
    fn rows_nested_deeper_than_the_fast_scanner_parse() {
        let deep = format!(r#"{{"id":1,"v":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        let got = fields(&deep).unwrap();
        assert_eq!(got.len(), 3);
        assert!(got[1].starts_with("1 v=[[["), "{got:?}");
    }

    #[test]
    fn invalid_and_cut_rows_are_refused() {
        for bad in [
            r#"{"a":01}"#,
            r#"{"a":1,}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a" 1}"#,
        ] {
            assert!(fields(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            parse_row(
                r#"{"a":[1"#,
                0,
                None,
                &mut Vec::new(),
                &mut Fields::default()
            ),
            Err(RowError::Truncated)
        ));
    }

    #[test]
    fn unescape_matches_serde_json() {
        for raw in [
            r#""plain""#,
            r#""a \"q\" \\ \/ \b\f\n\r\t end""#,
            r#""\u00e9 \ud83d\ude00 \n""#,
            r#""\\u0041""#,
        ] {
            assert_eq!(
                unescape(raw),
                serde_json::from_str::<String>(raw).unwrap(),
                "{raw}"
            );
        }
    }
}
