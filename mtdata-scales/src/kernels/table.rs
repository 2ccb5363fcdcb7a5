//! Reading and writing tables, and the column helpers the transformations share.

use mtdata_core::decoded::iso_column;
use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;
use polars_arrow::bitmap::Bitmap;

use crate::codebook::ScaleDef;
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
    read_path(path, None)
}

/// Read a decoded table for `scale`: like [`read_table`], but the scale's numeric item columns
/// are parsed as numbers while reading (on all cores, as pandas' `read_csv` does), which makes
/// scoring several times faster. If any such cell is not a number the table is read again as
/// text, so scoring can report the cell (row, id, value) instead of it being lost.
pub fn read_scale_table(path: &Path, scale: &ScaleDef) -> Result<DataFrame> {
    read_path(path, Some(scale))
}

fn read_path(path: &Path, scale: Option<&ScaleDef>) -> Result<DataFrame> {
    let table = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::File {
        action: "read",
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let is_parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    match scale {
        // Parquet keeps its own column types.
        _ if is_parquet => ParquetReader::new(Cursor::new(bytes))
            .finish()
            .map_err(|e| Error::polars(&table, e)),
        Some(scale) => read_scale_csv_bytes(bytes, scale, &table),
        None => read_csv_bytes(bytes, &table),
    }
}

/// Parse CSV bytes (header row first) with every column as text.
pub fn read_csv_bytes(bytes: Vec<u8>, table: &str) -> Result<DataFrame> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(DataFrame::empty());
    }
    csv_reader(None)
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::polars(table, e))
}

/// The CSV options of both readers: a header row, every column text unless `numbers` says
/// otherwise, empty cells missing.
fn csv_reader(numbers: Option<Schema>) -> CsvReadOptions {
    CsvReadOptions::default()
        .with_has_header(true)
        // One chunk per column: later gathers from many chunks copy every string.
        .with_rechunk(true)
        .with_infer_schema_length(Some(0))
        .with_schema_overwrite(numbers.map(Arc::new))
        .map_parse_options(|o| o.with_missing_is_null(true))
}

/// [`read_scale_table`] from CSV bytes.
pub fn read_scale_csv_bytes(bytes: Vec<u8>, scale: &ScaleDef, table: &str) -> Result<DataFrame> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(DataFrame::empty());
    }
    let header: Vec<String> = {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes.as_slice());
        match reader.records().next() {
            Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
            // A damaged header is reported by the text reader.
            _ => return read_csv_bytes(bytes, table),
        }
    };
    let numeric: Vec<&str> = scale
        .items
        .iter()
        .filter(|i| i.valid.is_numeric())
        .filter_map(|i| find_name(header.iter().map(String::as_str), &i.name))
        .collect();
    if numeric.is_empty() {
        return read_csv_bytes(bytes, table);
    }
    let numbers: Schema = numeric
        .iter()
        .map(|name| Field::new((*name).into(), DataType::Float64))
        .collect();
    let typed = csv_reader(Some(numbers))
        .into_reader_with_file_handle(Cursor::new(bytes.as_slice()))
        .finish();
    let mut df = match typed {
        Ok(df) => df,
        Err(e) => {
            tracing::debug!(table, error = %e, "an item column is not all numbers; reading as text");
            return read_csv_bytes(bytes, table);
        }
    };
    // Whole numbers as integers, as scoring writes them (`3`, not `3.0`, in CSV output).
    for name in numeric {
        let column = df.column(name).map_err(|e| Error::polars(table, e))?;
        let floats = column.f64().map_err(|e| Error::polars(table, e))?;
        if all_whole(floats.iter().flatten()) {
            let ints = column
                .cast(&DataType::Int64)
                .map_err(|e| Error::polars(table, e))?;
            df.with_column(ints).map_err(|e| Error::polars(table, e))?;
        }
    }
    Ok(df)
}

/// Whether every value is a whole number an `i64` holds exactly, so a cast to integers loses
/// nothing. (`v as i64 as f64 == v` rather than `fract()`, which is a libm call per value.)
pub(crate) fn all_whole(mut values: impl Iterator<Item = f64>) -> bool {
    values.all(|v| v.abs() < 9.0e15 && (v as i64) as f64 == v)
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

pub use mtdata_core::decoded::PARTICIPANT_COLUMNS;

/// The participant column of `df`: `wanted` if given, else the first of [`PARTICIPANT_COLUMNS`]
/// that holds any id (the first present one if none does).
pub fn participant_column(df: &DataFrame, wanted: Option<&str>, table: &str) -> Result<String> {
    if let Some(w) = wanted {
        return find_column(df, w).ok_or_else(|| Error::MissingColumn {
            table: table.to_owned(),
            column: w.to_owned(),
            hint: "check the participant column name".into(),
        });
    }
    let present: Vec<String> = PARTICIPANT_COLUMNS
        .iter()
        .filter_map(|c| find_column(df, c))
        .collect();
    // A decoded table keeps every column any of its rows had, so a preferred column can be
    // there but empty (Templeton's Demographics has `participant` from the linked-table era,
    // empty, next to the filled `participantRSA`): take the first one that holds ids.
    let holds_ids = |name: &String| {
        df.column(name).is_ok_and(|c| {
            c.null_count() < c.len()
                && c.str().map_or(true, |s| {
                    s.iter().any(|v| v.is_some_and(|v| !v.trim().is_empty()))
                })
        })
    };
    present
        .iter()
        .find(|c| holds_ids(c))
        .or_else(|| present.first())
        .cloned()
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
    find_name(df.get_column_names().into_iter().map(|c| c.as_str()), name).map(str::to_owned)
}

/// `name` among `names`: an exact match first, else one that differs only in case.
fn find_name<'a>(names: impl Iterator<Item = &'a str> + Clone, name: &str) -> Option<&'a str> {
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

/// A row's date (milliseconds) from `date_iso` or `date`, `None` where unparseable; `None`
/// overall when the table has neither column. Parsed on demand: only rows with duplicate
/// keys need a date.
#[allow(clippy::type_complexity)]
pub(crate) fn row_date_lookup(
    df: &DataFrame,
    table: &str,
) -> Result<Option<Box<dyn Fn(usize) -> Option<i64> + Send + Sync>>> {
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

/// Call `f(offset, word, n)` for rows `start..start + len` of `validity` (all present when
/// `None`), 64 rows at a time: bit `j` of `word` is row `start + offset + j`, `n` rows (≤ 64).
pub(crate) fn for_each_word(
    validity: Option<&Bitmap>,
    start: usize,
    len: usize,
    mut f: impl FnMut(usize, u64, usize),
) {
    // Bits past the `n` rows are always clear.
    let mut f = |offset: usize, word: u64, n: usize| {
        f(offset, word & (u64::MAX >> (64 - n)), n);
    };
    let Some(validity) = validity else {
        for offset in (0..len).step_by(64) {
            f(offset, u64::MAX, (len - offset).min(64));
        }
        return;
    };
    let bits = validity.clone().sliced(start, len);
    let mut words = bits.fast_iter_u64();
    let mut offset = 0;
    for word in &mut words {
        f(offset, word, 64);
        offset += 64;
    }
    let ([lo, hi], left) = words.remainder();
    if left > 0 {
        f(offset, lo, left.min(64));
    }
    if left > 64 {
        f(offset + 64, hi, left - 64);
    }
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

    #[test]
    fn csv_is_read_as_text() {
        let df = read_csv_bytes(b"id,participant,x\n1,007,3\n2,8,\n".to_vec(), "t").unwrap();
        assert_eq!(
            text_values(&df, "participant", "t").unwrap(),
            vec![Some("007".into()), Some("8".into())]
        );
        assert_eq!(df.column("x").unwrap().dtype(), &DataType::String);
    }
}
