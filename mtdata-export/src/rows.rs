//! Streaming scan of a JSON array of rows: each row's exact bytes, its id and its date, without
//! holding the array in memory.

use std::io::Read;

use serde::Deserialize;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::value::RawValue;

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
    #[error("{0}")]
    Io(#[source] std::io::Error),
    /// The bytes are not a JSON array of objects.
    #[error("{0}")]
    Json(#[source] serde_json::Error),
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
pub fn scan_array<R: Read>(reader: R, mut each: impl FnMut(Row<'_>)) -> Result<u64, ScanError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let count = ArraySeed { each: &mut each }.deserialize(&mut de)?;
    de.end()?;
    Ok(count)
}

struct ArraySeed<'f, F> {
    each: &'f mut F,
}

impl<'de, F: FnMut(Row<'_>)> DeserializeSeed<'de> for ArraySeed<'_, F> {
    type Value = u64;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Row<'_>)> Visitor<'de> for ArraySeed<'_, F> {
    type Value = u64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut count = 0;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let text = raw.get();
            if !text.starts_with('{') {
                return Err(serde::de::Error::custom(format!(
                    "row {} is not a JSON object",
                    count + 1
                )));
            }
            let keys: RowKeys = serde_json::from_str(text).map_err(serde::de::Error::custom)?;
            (self.each)(Row {
                raw: text,
                id: keys.id.as_ref().and_then(whole_number),
                date: keys.date.or(keys.date_completed).and_then(row_date),
            });
            count += 1;
        }
        Ok(count)
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

    #[test]
    fn dates_become_after_parameters() {
        let text = RowDate::Text("Wed, 08 Jun 2016 16:15:30 -0500".into());
        assert_eq!(text.to_after_param().unwrap(), "2016-06-08-16-15-30");
        let ms = RowDate::EpochMillis(1_488_913_533_000);
        assert_eq!(ms.to_after_param().unwrap(), "2017-03-07-14-05-33");
    }
}
