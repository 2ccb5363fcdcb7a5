//! Reading and writing tables: decoded CSV (every column as text, or a scale's items typed while
//! reading) and Parquet in, CSV or Parquet out.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::kernels::columns::find_name;
use crate::rules::codebook::ScaleDef;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::columns::text_values;

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
