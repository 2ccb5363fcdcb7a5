//! Reading and writing tables, and the column helpers the transformations share.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};

/// File format of an output table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Csv,
    Parquet,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
        }
    }
}

/// Read a decoded table (`.csv`, or `.parquet`). CSV columns are read as text so nothing is
/// lost to type guessing (ids with leading zeros, a stray text value in a numeric column);
/// scoring parses item columns itself and reports values it cannot use.
pub fn read_table(path: &Path) -> Result<DataFrame> {
    let table = path.display().to_string();
    let is_parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let bytes = std::fs::read(path).map_err(|e| Error::File {
        action: "read",
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if is_parquet {
        ParquetReader::new(Cursor::new(bytes))
            .finish()
            .map_err(|e| Error::polars(&table, e))
    } else {
        read_csv_bytes(bytes, &table)
    }
}

/// Parse CSV bytes (header row first) with every column as text.
pub fn read_csv_bytes(bytes: Vec<u8>, table: &str) -> Result<DataFrame> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(DataFrame::empty());
    }
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .map_parse_options(|o| o.with_missing_is_null(true))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::polars(table, e))
}

/// Serialize `df` as CSV or Parquet.
pub fn table_bytes(df: &DataFrame, format: OutputFormat, table: &str) -> Result<Vec<u8>> {
    let mut df = df.clone();
    let mut out = Vec::new();
    match format {
        OutputFormat::Csv => CsvWriter::new(&mut out)
            .include_header(true)
            .finish(&mut df)
            .map_err(|e| Error::polars(table, e))?,
        OutputFormat::Parquet => {
            ParquetWriter::new(&mut out)
                .finish(&mut df)
                .map_err(|e| Error::polars(table, e))?;
        }
    }
    Ok(out)
}

/// Write `df` atomically (temporary file, fsync, rename).
pub fn write_table(df: &DataFrame, path: &Path, format: OutputFormat) -> Result<()> {
    let bytes = table_bytes(df, format, &path.display().to_string())?;
    mtdata_core::fsutil::write_atomic(path, &bytes).map_err(|e| Error::File {
        action: "write",
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Participant id columns in order of preference: linked tables' `participant`, TaskLog's
/// `participantId`, R34's plain `participantDAO` (never a failed decryption), then the
/// decrypted `participantRSA`.
pub const PARTICIPANT_COLUMNS: [&str; 4] = [
    "participant",
    "participantId",
    "participantDAO",
    "participantRSA",
];

/// The participant column of `df`: `wanted` if given, else the first of [`PARTICIPANT_COLUMNS`].
pub fn participant_column(df: &DataFrame, wanted: Option<&str>, table: &str) -> Result<String> {
    if let Some(w) = wanted {
        return find_column(df, w).ok_or_else(|| Error::MissingColumn {
            table: table.to_owned(),
            column: w.to_owned(),
            hint: "check the participant column name".into(),
        });
    }
    PARTICIPANT_COLUMNS
        .iter()
        .find_map(|c| find_column(df, c))
        .ok_or_else(|| Error::MissingColumn {
            table: table.to_owned(),
            column: "participant".into(),
            hint: format!(
                "expected one of {}; pass the participant column explicitly",
                PARTICIPANT_COLUMNS.join(", ")
            ),
        })
}

/// The exact name of column `name` in `df`, matched case-insensitively.
pub fn find_column(df: &DataFrame, name: &str) -> Option<String> {
    df.get_column_names()
        .into_iter()
        .find(|c| c.as_str() == name)
        .or_else(|| {
            df.get_column_names()
                .into_iter()
                .find(|c| c.as_str().eq_ignore_ascii_case(name))
        })
        .map(|c| c.to_string())
}

/// A column as text (numbers formatted by polars), for keys and dates.
pub fn text_values(df: &DataFrame, name: &str, table: &str) -> Result<Vec<Option<String>>> {
    let col = df.column(name).map_err(|e| Error::polars(table, e))?;
    let col = col
        .cast(&DataType::String)
        .map_err(|e| Error::polars(table, e))?;
    let ca = col.str().map_err(|e| Error::polars(table, e))?;
    Ok(ca.iter().map(|v| v.map(str::to_owned)).collect())
}

/// Parse a numeric cell: empty is missing, otherwise a number or an error.
pub(crate) fn parse_number(text: &str) -> std::result::Result<Option<f64>, ()> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| ())
}

/// Numeric values of a column: numeric columns directly, text columns parsed. Cells that are
/// not numbers come back as `Err(text)`.
pub(crate) fn numeric_values(
    df: &DataFrame,
    name: &str,
    table: &str,
) -> Result<Vec<std::result::Result<Option<f64>, String>>> {
    let col = df.column(name).map_err(|e| Error::polars(table, e))?;
    if col.dtype().is_primitive_numeric() || col.dtype() == &DataType::Boolean {
        let col = col
            .cast(&DataType::Float64)
            .map_err(|e| Error::polars(table, e))?;
        let ca = col.f64().map_err(|e| Error::polars(table, e))?;
        return Ok(ca.iter().map(Ok).collect());
    }
    let col = col
        .cast(&DataType::String)
        .map_err(|e| Error::polars(table, e))?;
    let text = col.str().map_err(|e| Error::polars(table, e))?;
    // polars' vectorised parse first (a non-number becomes null); only those cells are
    // looked at again, to tell an empty cell from a bad one.
    let parsed = col
        .cast(&DataType::Float64)
        .map_err(|e| Error::polars(table, e))?;
    let numbers = parsed.f64().map_err(|e| Error::polars(table, e))?;
    Ok(numbers
        .iter()
        .zip(text.iter())
        .map(|(n, s)| match (n, s) {
            (Some(v), _) => Ok(Some(v)),
            (None, None) => Ok(None),
            (None, Some(s)) => parse_number(s).map_err(|()| s.to_owned()),
        })
        .collect())
}

/// A float column, stored as integers when every value is whole (so `3` stays `3` in CSV).
pub(crate) fn number_column(name: &str, values: Vec<Option<f64>>) -> Column {
    let whole = values
        .iter()
        .flatten()
        .all(|v| v.fract() == 0.0 && v.abs() < 9.0e15);
    if whole {
        let ints: Vec<Option<i64>> = values.iter().map(|v| v.map(|x| x as i64)).collect();
        Column::new(name.into(), ints)
    } else {
        Column::new(name.into(), values)
    }
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

/// Per-row dates (milliseconds) from `date_iso` or `date`, `None` where unparseable.
pub(crate) fn row_dates(df: &DataFrame, table: &str) -> Result<Option<Vec<Option<i64>>>> {
    let iso = find_column(df, "date_iso");
    let sent = find_column(df, "date");
    if iso.is_none() && sent.is_none() {
        return Ok(None);
    }
    let iso = iso.map(|c| text_values(df, &c, table)).transpose()?;
    let sent = sent.map(|c| text_values(df, &c, table)).transpose()?;
    let dates = (0..df.height())
        .map(|i| {
            iso.as_ref()
                .and_then(|v| v[i].as_deref().and_then(parse_date))
                .or_else(|| {
                    sent.as_ref()
                        .and_then(|v| v[i].as_deref().and_then(parse_date))
                })
        })
        .collect();
    Ok(Some(dates))
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
    fn csv_is_read_as_text() {
        let df = read_csv_bytes(b"id,participant,x\n1,007,3\n2,8,\n".to_vec(), "t").unwrap();
        assert_eq!(
            text_values(&df, "participant", "t").unwrap(),
            vec![Some("007".into()), Some("8".into())]
        );
        let x = numeric_values(&df, "x", "t").unwrap();
        assert_eq!(x, vec![Ok(Some(3.0)), Ok(None)]);
    }
}
