//! The streaming scan of one JSON array of rows from a reader: each row's exact bytes, its id and its date,
//! without holding the array in memory.

use std::io::Read;

use super::RowSink;
use super::fields::{RowError, parse_row, unescape};
use super::splitter::{Arrays, Splitter, Unexpected};
use crate::limits::{self, MAX_ROW_BYTES};

/// One row as sent by the server.
#[derive(Debug)]
pub struct Row<'a> {
    /// The row's JSON text, exactly as sent.
    pub raw: &'a str,
    /// `id`, when it is a row id: a positive JSON integer, or a string of its canonical digits (`"12"`).
    /// The servers' ids count up from 1, so nothing else names a row to delete.
    pub id: Option<i64>,
    /// The JSON text of an `id` that is there but is not a row id (`" 12"`, `"+12"`, `"012"`, `-5`, `1.0`,
    /// `true`): the row is malformed. `None` when the id is valid, missing or `null`.
    pub bad_id: Option<&'a str>,
    /// `date`, or `dateCompleted` when `date` is missing or null (text or epoch milliseconds).
    pub date: Option<RowDate>,
}

/// A row date in one of MindTrails' two encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum RowDate {
    /// `"Wed, 08 Jun 2016 16:15:30 -0500"` or another text form.
    Text(String),
    /// Epoch milliseconds.
    EpochMillis(i64),
}

impl RowDate {
    /// The date in the `after` format, in the servers' fixed -05:00 zone (`EST` in Java).
    /// Servers in US Eastern summer time read it as an earlier instant, which only widens the overlap.
    pub fn to_after_param(&self) -> Option<String> {
        let offset = chrono::FixedOffset::west_opt(5 * 3600)?;
        let when = match self {
            RowDate::Text(s) => chrono::DateTime::parse_from_rfc2822(s)
                .or_else(|_| chrono::DateTime::parse_from_str(s, "%a, %d %b %Y %H:%M:%S %z"))
                .ok()?
                .with_timezone(&offset),
            RowDate::EpochMillis(ms) => {
                chrono::DateTime::from_timestamp_millis(*ms)?.with_timezone(&offset)
            }
        };
        Some(when.format("%Y-%m-%d-%H-%M-%S").to_string())
    }
}

/// Why a body is not one JSON array of row objects.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// Reading failed (connection reset, timeout, disk).
    #[error(transparent)]
    Io(std::io::Error),
    /// The bytes are not a JSON array of row objects at row `row` (counted from 1).
    #[error("row {row}: {problem}")]
    Json { row: u64, problem: String },
    /// Row `row` is larger than [`MAX_ROW_BYTES`].
    #[error(
        "row {row}: is larger than {}, the limit for one row (MAX_ROW_BYTES)",
        limits::mib(MAX_ROW_BYTES)
    )]
    RowTooLarge { row: u64 },
    /// A complete array of `row - 1` rows is followed by more than white space (perhaps another array,
    /// which only a backup written by MTData's append holds: see [`super::parse_backup`]).
    #[error("row {row}: is followed by more data after the array")]
    AfterArray { row: u64 },
}

impl ScanError {
    fn at(row: u64, problem: impl Into<String>) -> Self {
        ScanError::Json {
            row,
            problem: problem.into(),
        }
    }
}

/// The fields the scan reports, from the row's fields (the last copy of a repeated key wins).
#[derive(Debug, Default)]
pub(super) struct RowKeys<'b> {
    id: Option<&'b str>,
    date: Option<&'b str>,
    date_completed: Option<&'b str>,
}

impl<'b> RowSink<'b> for RowKeys<'b> {
    fn begin_row(&mut self) {
        *self = RowKeys::default();
    }

    fn field(&mut self, _: usize, name: &str, value: &'b str) -> Result<(), &'static str> {
        match name {
            "id" => self.id = Some(value),
            "date" => self.date = Some(value),
            "dateCompleted" => self.date_completed = Some(value),
            _ => {}
        }
        Ok(())
    }

    fn end_row(&mut self) {}
}

impl<'b> RowKeys<'b> {
    /// The row id, or `Err` with the JSON text of an id that is not one; `Ok(None)` when missing or null.
    pub(super) fn id(&self) -> Result<Option<i64>, &'b str> {
        let Some(text) = self.id.filter(|&t| t != "null") else {
            return Ok(None);
        };
        let id = match text.strip_prefix('"') {
            Some(_) => row_id(&unescape(text)),
            None => row_id(text),
        };
        id.map(Some).ok_or(text)
    }

    pub(super) fn date(&self) -> Option<RowDate> {
        let not_null = |v: Option<&'b str>| v.filter(|&v| v != "null");
        let date = not_null(self.date).or_else(|| not_null(self.date_completed))?;
        if date.starts_with('"') {
            Some(RowDate::Text(unescape(date).into_owned()))
        } else {
            json_i64(date).map(RowDate::EpochMillis)
        }
    }
}

/// A row id written canonically: 1 to 19 digits, the first not `0`, within `i64`.
pub fn row_id(text: &str) -> Option<i64> {
    let canonical = (1..=19).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0');
    canonical.then(|| text.parse().ok()).flatten()
}

/// A JSON number that is an integer in `i64`, as serde_json reads it (`-0` is a float there).
fn json_i64(number: &str) -> Option<i64> {
    if number == "-0" {
        return None;
    }
    number.parse().ok()
}

/// Call `each` for every row of the JSON array read from `reader`; returns the number of rows.
/// Fails on anything that is not one complete array of row objects (see [`ScanError`]).
///
/// The array is cut into rows by the byte splitter, and each row is then parsed on its own from a slice,
/// which is several times faster than parsing from a reader and never holds more than one read buffer and
/// one row. Rows are parsed as [`super::parse_backup`] parses them: on an array both accept, they see the
/// same rows and fields.
pub fn scan_array<R: Read>(mut reader: R, mut each: impl FnMut(Row<'_>)) -> Result<u64, ScanError> {
    const CHUNK: usize = 1 << 18;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut splitter = Splitter::new(Arrays::One);
    let mut count = 0u64;
    loop {
        let old_len = buf.len();
        buf.resize(old_len + CHUNK, 0);
        let n = loop {
            match reader.read(&mut buf[old_len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ScanError::Io(e)),
            }
        };
        buf.truncate(old_len + n);
        // Borrows the buffer: one per read, not one per row.
        let mut pairs = Vec::new();
        while let Some(range) = splitter.next_row(&buf).map_err(|e| match e {
            Unexpected::AfterArray => ScanError::AfterArray { row: count + 1 },
            other => ScanError::at(count + 1, other.message()),
        })? {
            count += 1;
            if range.len() > MAX_ROW_BYTES {
                return Err(ScanError::RowTooLarge { row: count });
            }
            let raw = std::str::from_utf8(&buf[range])
                .map_err(|_| ScanError::at(count, "is not valid UTF-8"))?;
            let mut keys = RowKeys::default();
            parse_row(raw, 0, Some(raw.len()), &mut pairs, &mut keys).map_err(|e| match e {
                RowError::Invalid(e) => ScanError::at(count, e.to_string()),
                RowError::Truncated | RowError::Refused => {
                    unreachable!("the row's end is known and RowKeys takes every field")
                }
            })?;
            let (id, bad_id) = match keys.id() {
                Ok(id) => (id, None),
                Err(text) => (None, Some(text)),
            };
            each(Row {
                raw,
                id,
                bad_id,
                date: keys.date(),
            });
        }
        drop(pairs);
        // Keep only the unfinished row (if any) for the next read.
        let keep_from = splitter.keep_from();
        buf.drain(..keep_from);
        splitter.shift(keep_from);
        if buf.len() > MAX_ROW_BYTES {
            return Err(ScanError::RowTooLarge { row: count + 1 });
        }
        if n == 0 {
            return if splitter.is_done() {
                Ok(count)
            } else if splitter.is_at_start() {
                Err(ScanError::at(count + 1, "is missing: the answer is empty"))
            } else {
                Err(ScanError::at(
                    count + 1,
                    "is cut off: EOF while parsing the array",
                ))
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw_rows::agreement::Chunks;

    fn scan(text: &str) -> Result<Vec<(String, Option<i64>)>, ScanError> {
        let mut rows = Vec::new();
        scan_array(text.as_bytes(), |row| {
            rows.push((row.raw.to_owned(), row.id))
        })?;
        Ok(rows)
    }

    #[test]
    fn keeps_exact_row_bytes_and_ids() {
        let rows = scan(r#"[ {"id": 3, "x": [1, 2]} ,{"id":"4"},{"x":null}]"#).unwrap();
        assert_eq!(rows[0], (r#"{"id": 3, "x": [1, 2]}"#.to_owned(), Some(3)));
        assert_eq!(rows[1].1, Some(4));
        assert_eq!(rows[2].1, None);
    }

    #[test]
    fn only_canonical_positive_ids_name_rows() {
        let mut seen = Vec::new();
        let body = r#"[{"id":12},{"id":"12"},{"id":"\u0031\u0032"},{"id":null},{},
            {"id":" 12"},{"id":"+12"},{"id":"012"},{"id":-5},{"id":0},{"id":"0"},{"id":12.0},
            {"id":1e3},{"id":"12 "},{"id":true},{"id":9223372036854775808},{"id":"١٢"}]"#;
        scan_array(body.as_bytes(), |row| {
            seen.push((row.id, row.bad_id.map(str::to_owned)))
        })
        .unwrap();
        let valid: Vec<_> = seen
            .iter()
            .take(5)
            .map(|(id, bad)| (*id, bad.is_some()))
            .collect();
        assert_eq!(
            valid,
            [
                (Some(12), false),
                (Some(12), false),
                (Some(12), false),
                (None, false),
                (None, false)
            ]
        );
        let bad: Vec<&str> = seen[5..]
            .iter()
            .map(|(id, bad)| {
                assert_eq!(*id, None);
                bad.as_deref().unwrap()
            })
            .collect();
        assert_eq!(
            bad,
            [
                r#"" 12""#,
                r#""+12""#,
                r#""012""#,
                "-5",
                "0",
                r#""0""#,
                "12.0",
                "1e3",
                r#""12 ""#,
                "true",
                "9223372036854775808",
                r#""١٢""#
            ]
        );
    }

    #[test]
    fn a_row_over_the_limit_stops_the_scan() {
        /// `[{"id":1},{"x":"aaaa…` without end.
        struct Endless(usize);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let head = br#"[{"id":1},{"x":""#;
                let n = buf.len().min(1 << 16);
                for (i, b) in buf[..n].iter_mut().enumerate() {
                    *b = head.get(self.0 + i).copied().unwrap_or(b'a');
                }
                self.0 += n;
                Ok(n)
            }
        }
        let just_over = format!(r#"[{{"id":1}},{{"x":"{}"}}]"#, "a".repeat(MAX_ROW_BYTES));
        let err = scan_array(just_over.as_bytes(), |_| {}).unwrap_err();
        assert!(matches!(err, ScanError::RowTooLarge { row: 2 }), "{err}");
        let mut rows = 0;
        let err = scan_array(Endless(0), |_| rows += 1).unwrap_err();
        assert!(matches!(err, ScanError::RowTooLarge { row: 2 }), "{err}");
        assert_eq!(rows, 1);
        assert_eq!(
            err.to_string(),
            "row 2: is larger than 16 MiB, the limit for one row (MAX_ROW_BYTES)"
        );
    }

    #[test]
    fn refuses_what_is_not_an_array_of_objects() {
        for bad in [
            "",
            "{}",
            "[1]",
            "[{\"id\":1}",
            "[{\"id\":1}] x",
            "<html>",
            "[{\"id\":1}][]",
        ] {
            assert!(scan(bad).is_err(), "{bad:?}");
        }
        assert_eq!(scan("[]").unwrap().len(), 0);
        let message = |text: &str| scan(text).unwrap_err().to_string();
        assert_eq!(message(""), "row 1: is missing: the answer is empty");
        assert_eq!(
            message("[{}"),
            "row 2: is cut off: EOF while parsing the array"
        );
        assert_eq!(
            message("[{},{\"a\":01}]").split(" at ").next(),
            Some("row 2: invalid number")
        );
        assert!(matches!(
            scan("[{}][]"),
            Err(ScanError::AfterArray { row: 2 })
        ));
    }

    /// A reader that hands out one byte at a time, to cut rows at every possible place.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((&first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn rows_split_across_reads_are_whole() {
        let text = r#"[{"id":1,"s":"a\"}]{[,"},{"id":2,"n":{"x":[1,{"y":"}"}]}}]"#;
        let mut rows = Vec::new();
        scan_array(Trickle(text.as_bytes()), |row| {
            rows.push((row.raw.to_owned(), row.id))
        })
        .unwrap();
        assert_eq!(rows[0], (r#"{"id":1,"s":"a\"}]{[,"}"#.to_owned(), Some(1)));
        assert_eq!(rows[1].1, Some(2));
        assert_eq!(rows.len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn any_array_of_rows_scans_back_exactly(
            rows in proptest::collection::vec((proptest::num::i64::ANY, "\\PC*", proptest::collection::vec("[a-z{}\\[\\]\",:\\\\ ]*", 0..3)), 0..20),
            chunk in 1usize..64,
            pad in "[ \n\t]{0,3}",
        ) {
            let texts: Vec<String> = rows
                .iter()
                .map(|(id, s, list)| serde_json::json!({"id": id, "s": s, "list": list}).to_string())
                .collect();
            let body = format!("{pad}[{pad}{}{pad}]{pad}", texts.join(&format!("{pad},{pad}")));
            let mut seen = Vec::new();
            let count = scan_array(Chunks(body.as_bytes(), chunk), |row| seen.push((row.raw.to_owned(), row.id))).unwrap();
            proptest::prop_assert_eq!(count as usize, rows.len());
            for ((raw, id), (text, row)) in seen.iter().zip(texts.iter().zip(&rows)) {
                proptest::prop_assert_eq!(raw, text);
                proptest::prop_assert_eq!(*id, (row.0 > 0).then_some(row.0));
            }
        }
    }

    #[test]
    fn dates_become_after_parameters() {
        let text = RowDate::Text("Wed, 08 Jun 2016 16:15:30 -0500".into());
        assert_eq!(text.to_after_param().unwrap(), "2016-06-08-16-15-30");
        let ms = RowDate::EpochMillis(1_488_913_533_000);
        assert_eq!(ms.to_after_param().unwrap(), "2017-03-07-14-05-33");
    }

    /// What the scan reported before its rows were parsed by the shared row parser: serde_json into a
    /// struct of `Value`s.
    #[derive(serde::Deserialize)]
    struct SerdeKeys {
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        date: Option<serde_json::Value>,
        #[serde(default, rename = "dateCompleted")]
        date_completed: Option<serde_json::Value>,
    }

    fn serde_id_and_date(raw: &str) -> (Option<i64>, Option<RowDate>) {
        let keys: SerdeKeys = serde_json::from_str(raw).unwrap();
        let id = keys.id.as_ref().and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_i64().filter(|&i| i > 0),
            serde_json::Value::String(s) => {
                let canonical = !s.is_empty()
                    && s.len() <= 19
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && !s.starts_with('0');
                canonical.then(|| s.parse().ok()).flatten()
            }
            _ => None,
        });
        let date = keys.date.or(keys.date_completed).and_then(|v| match v {
            serde_json::Value::String(s) => Some(RowDate::Text(s)),
            serde_json::Value::Number(n) => n.as_i64().map(RowDate::EpochMillis),
            _ => None,
        });
        (id, date)
    }

    /// A JSON value text for `id`, `date` or `dateCompleted`, including the awkward ones.
    fn key_value() -> impl proptest::strategy::Strategy<Value = Option<String>> {
        use proptest::prelude::*;
        proptest::option::of(prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            Just("-0".to_owned()),
            Just("0".to_owned()),
            Just("1.0".to_owned()),
            Just("1e3".to_owned()),
            Just("-9223372036854775809".to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("[1]".to_owned()),
            Just(r#"{"a":1}"#.to_owned()),
            Just(r#"" 42 ""#.to_owned()),
            Just(r#""\u0034\u0032""#.to_owned()),
            Just(r#""+7""#.to_owned()),
            Just(r#""Wed, 08 Jun 2016 16:15:30 -0500""#.to_owned()),
            "[ -~]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ])
    }

    proptest::proptest! {
        #[test]
        fn ids_and_dates_are_what_serde_json_made_of_them(
            id in key_value(),
            date in key_value(),
            date_completed in key_value(),
        ) {
            let mut fields = vec![r#""x":1"#.to_owned()];
            for (name, value) in [("id", &id), ("date", &date), ("dateCompleted", &date_completed)] {
                if let Some(value) = value {
                    fields.push(format!("{name:?}:{value}"));
                }
            }
            let raw = format!("{{{}}}", fields.join(","));
            let mut got = Vec::new();
            let mut bad = Vec::new();
            scan_array(format!("[{raw}]").as_bytes(), |row| {
                got.push((row.id, row.date));
                bad.push(row.bad_id.is_some());
            })
            .unwrap();
            proptest::prop_assert_eq!(&got, &[serde_id_and_date(&raw)]);
            // An id that is there, not null and not a row id is reported as bad.
            let present = id.as_deref().is_some_and(|v| v != "null");
            proptest::prop_assert_eq!(bad[0], present && got[0].0.is_none());
        }
    }
}
