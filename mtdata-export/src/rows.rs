//! Streaming scan of a JSON array of rows: each row's exact bytes, its id and its date, without
//! holding the array in memory.

use std::io::Read;

use serde::Deserialize;

/// One row as sent by the server.
#[derive(Debug)]
pub struct Row<'a> {
    /// The row's JSON text, exactly as sent.
    pub raw: &'a str,
    /// `id`, when present and a whole number.
    pub id: Option<i64>,
    /// `date` or `dateCompleted`, when present (text or epoch milliseconds).
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

#[derive(Deserialize)]
struct RowKeys {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    date: Option<serde_json::Value>,
    #[serde(default, rename = "dateCompleted")]
    date_completed: Option<serde_json::Value>,
}

/// Why a body is not a JSON array of objects.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading failed (connection reset, timeout, disk).
    #[error(transparent)]
    Io(std::io::Error),
    /// The bytes are not a JSON array of objects.
    #[error(transparent)]
    Json(serde_json::Error),
}

impl From<serde_json::Error> for ScanError {
    fn from(e: serde_json::Error) -> Self {
        if e.is_io() {
            ScanError::Io(e.into())
        } else {
            ScanError::Json(e)
        }
    }
}

/// Call `each` for every row of the JSON array read from `reader`; returns the number of rows.
/// Fails on anything that is not one complete array of objects.
///
/// The array is cut into rows by a byte scanner (strings and nesting tracked), and each row is then
/// parsed on its own from a slice, which is several times faster than parsing from a reader and
/// never holds more than one read buffer and one row.
pub fn scan_array<R: Read>(mut reader: R, mut each: impl FnMut(Row<'_>)) -> Result<u64, ScanError> {
    const CHUNK: usize = 1 << 18;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    let mut splitter = Splitter::default();
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
        while let Some(range) = splitter.next_row(&buf).map_err(|m| json_error(m, count))? {
            count += 1;
            let bytes = &buf[range];
            let raw = std::str::from_utf8(bytes)
                .map_err(|_| json_error("is not valid UTF-8", count - 1))?;
            let keys: RowKeys =
                serde_json::from_slice(bytes).map_err(|e| json_error(&e.to_string(), count - 1))?;
            each(Row {
                raw,
                id: keys.id.as_ref().and_then(whole_number),
                date: keys.date.or(keys.date_completed).and_then(row_date),
            });
        }
        // Keep only the unfinished row (if any) for the next read.
        let keep_from = splitter.row_start.unwrap_or(splitter.pos);
        buf.drain(..keep_from);
        splitter.shift(keep_from);
        if n == 0 {
            return match splitter.state {
                State::Done => Ok(count),
                State::Start => Err(json_error("is missing: the answer is empty", count)),
                _ => Err(json_error("is cut off: EOF while parsing the array", count)),
            };
        }
    }
}

fn json_error(message: &str, rows_before: u64) -> ScanError {
    use serde::de::Error as _;
    ScanError::Json(serde_json::Error::custom(format!(
        "row {}: {message}",
        rows_before + 1
    )))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Before `[`.
    #[default]
    Start,
    /// After `[`: a row or `]`.
    FirstRowOrEnd,
    /// After `,`: a row.
    Row,
    /// Inside a row.
    InRow,
    /// After a row: `,` or `]`.
    CommaOrEnd,
    /// After `]`: only white space.
    Done,
}

/// Finds where each top-level object of an array starts and ends.
#[derive(Debug, Default)]
struct Splitter {
    state: State,
    /// Scan position in the buffer.
    pos: usize,
    row_start: Option<usize>,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl Splitter {
    /// The buffer lost its first `n` bytes.
    fn shift(&mut self, n: usize) {
        self.pos -= n;
        if let Some(start) = self.row_start.as_mut() {
            *start -= n;
        }
    }

    /// The byte range of the next complete row, `None` when the buffer is used up.
    fn next_row(&mut self, buf: &[u8]) -> Result<Option<std::ops::Range<usize>>, &'static str> {
        while self.pos < buf.len() {
            if self.state == State::InRow {
                let mut i = self.pos;
                while i < buf.len() {
                    let c = buf[i];
                    i += 1;
                    if self.in_string {
                        if self.escaped {
                            self.escaped = false;
                        } else if c == b'\\' {
                            self.escaped = true;
                        } else if c == b'"' {
                            self.in_string = false;
                        }
                        continue;
                    }
                    match c {
                        b'"' => self.in_string = true,
                        b'{' | b'[' => self.depth += 1,
                        b'}' | b']' => {
                            self.depth -= 1;
                            if self.depth == 0 {
                                let start = self.row_start.take().expect("row started");
                                self.pos = i;
                                self.state = State::CommaOrEnd;
                                return Ok(Some(start..i));
                            }
                        }
                        _ => {}
                    }
                }
                self.pos = i;
                return Ok(None);
            }
            let b = buf[self.pos];
            self.pos += 1;
            if b.is_ascii_whitespace() {
                continue;
            }
            match (self.state, b) {
                (State::Start, b'[') => self.state = State::FirstRowOrEnd,
                (State::Start, _) => return Err("is missing: the answer is not a JSON array"),
                (State::FirstRowOrEnd | State::Row, b'{') => {
                    self.state = State::InRow;
                    self.row_start = Some(self.pos - 1);
                    self.depth = 1;
                }
                (State::FirstRowOrEnd | State::CommaOrEnd, b']') => self.state = State::Done,
                (State::FirstRowOrEnd | State::Row, _) => return Err("is not a JSON object"),
                (State::CommaOrEnd, b',') => self.state = State::Row,
                (State::CommaOrEnd, _) => return Err("is not followed by ',' or ']'"),
                (State::Done, _) => return Err("is followed by more data after the array"),
                (State::InRow, _) => unreachable!("handled above"),
            }
        }
        Ok(None)
    }
}

fn whole_number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn row_date(v: serde_json::Value) -> Option<RowDate> {
    match v {
        serde_json::Value::String(s) => Some(RowDate::Text(s)),
        serde_json::Value::Number(n) => n.as_i64().map(RowDate::EpochMillis),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A reader that hands out `n` bytes at a time.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
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
                proptest::prop_assert_eq!(*id, Some(row.0));
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
}
