//! Column helpers the operations share: finding a column, reading it as text or numbers, a
//! row's date, row indices.

use mtdata_core::decoded::iso_column;
use polars::prelude::*;

use crate::error::{Error, Result};

/// The exact name of column `name` in `df`, matched case-insensitively.
pub fn find_column(df: &DataFrame, name: &str) -> Option<String> {
    find_name(df.get_column_names().into_iter().map(|c| c.as_str()), name).map(str::to_owned)
}

/// `name` among `names`: an exact match first, else one that differs only in case.
pub(crate) fn find_name<'a>(
    names: impl Iterator<Item = &'a str> + Clone,
    name: &str,
) -> Option<&'a str> {
    names
        .clone()
        .find(|c| *c == name)
        .or_else(|| names.into_iter().find(|c| c.eq_ignore_ascii_case(name)))
}

/// A column as text (numbers formatted by polars), for keys, ids and dates.
pub(crate) fn text_column(df: &DataFrame, name: &str, table: &str) -> Result<StringChunked> {
    df.column(name)
        .and_then(|c| c.cast(&DataType::String))
        .and_then(|c| c.str().cloned())
        .map_err(|e| Error::polars(table, e))
}

/// A column's cells as owned text.
pub fn text_values(df: &DataFrame, name: &str, table: &str) -> Result<Vec<Option<String>>> {
    let ca = text_column(df, name, table)?;
    Ok(ca.iter().map(|v| v.map(str::to_owned)).collect())
}

/// Parse a numeric cell: empty is missing, otherwise a number or an error.
pub(crate) fn parse_number(text: &str) -> std::result::Result<Option<f64>, ()> {
    // Answers are nearly always small whole numbers ("3", "555", "-1"): parsed here without
    // the general float parser, which is several times slower.
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, bytes),
    };
    if !digits.is_empty() && digits.len() <= 9 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        return Ok(Some(if negative { -n } else { n } as f64));
    }
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| ())
}

/// A numeric (or boolean) column as floats; NaN stays NaN for the caller to treat as missing.
pub(crate) fn numeric_cells(col: &Column, table: &str) -> Result<Float64Chunked> {
    let col = col
        .cast(&DataType::Float64)
        .map_err(|e| Error::polars(table, e))?;
    col.f64().cloned().map_err(|e| Error::polars(table, e))
}

/// Seconds since the epoch of a row's date: `date_iso` (RFC 3339), else `date` as sent
/// (RFC 2822, "Wed, 08 Jun 2016 16:15:30 -0500"), else epoch milliseconds.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(t) {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(d.and_utc().timestamp_millis());
    }
    t.parse::<f64>().ok().map(|ms| ms as i64)
}

/// A row's date (milliseconds) by row number, where one could be parsed.
pub(crate) type DateOf = Box<dyn Fn(usize) -> Option<i64> + Send + Sync>;

/// A row's date (milliseconds) from `date_iso` or `date`, `None` where unparseable; `None`
/// overall when the table has neither column. Parsed on demand: only rows with duplicate
/// keys need a date.
pub(crate) fn row_date_lookup(df: &DataFrame, table: &str) -> Result<Option<DateOf>> {
    let text = |name: Option<String>| name.map(|c| text_column(df, &c, table)).transpose();
    let iso = text(find_column(df, &iso_column("date")))?;
    let sent = text(find_column(df, "date"))?;
    if iso.is_none() && sent.is_none() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |row| {
        let parsed = |c: &Option<StringChunked>| c.as_ref()?.get(row).and_then(parse_date);
        parsed(&iso).or_else(|| parsed(&sent))
    })))
}

/// Row indices as a polars index array.
pub(crate) fn idx(rows: &[usize]) -> IdxCa {
    IdxCa::from_vec(
        "idx".into(),
        rows.iter().map(|&r| r as IdxSize).collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms_agree() {
        let a = parse_date("Wed, 08 Jun 2016 16:15:30 -0500").unwrap();
        let b = parse_date("2016-06-08T16:15:30-05:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(parse_date("1441908506000"), Some(1_441_908_506_000));
        assert_eq!(parse_date("soon"), None);
    }

    #[test]
    fn numbers_parse_fast_and_slow_alike() {
        for text in [
            "0",
            "3",
            "555",
            "-1",
            "-2",
            "007",
            "123456789",
            "1234567890",
            "2.5",
            " 4",
            "1e2",
            "-0",
        ] {
            assert_eq!(
                parse_number(text),
                Ok(Some(text.trim().parse::<f64>().unwrap())),
                "{text}"
            );
        }
        for text in ["", " ", "NaN", "null"] {
            assert_eq!(parse_number(text), Ok(None), "{text:?}");
        }
        for text in ["-", "3 apples", "--1", "0x10"] {
            assert_eq!(parse_number(text), Err(()), "{text:?}");
        }
    }
}
