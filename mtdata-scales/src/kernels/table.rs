//! Reading and writing tables: decoded CSV (every column as text, or a scale's items typed while
//! reading) and Parquet in, CSV or Parquet out.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::Path;

use mtdata_core::csv_cell::CsvCells;
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
    // Integers first (the common case: no float parsing, no cast afterwards), then floats.
    for whole in [true, false] {
        let dtype = if whole {
            DataType::Int64
        } else {
            DataType::Float64
        };
        let numbers: Schema = numeric
            .iter()
            .map(|name| Field::new((*name).into(), dtype.clone()))
            .collect();
        let typed = csv_reader(Some(numbers))
            .into_reader_with_file_handle(Cursor::new(bytes.as_slice()))
            .finish();
        match typed {
            Ok(df) if whole => return Ok(df),
            Ok(df) => return whole_as_integers(df, &numeric, table),
            Err(e) => {
                tracing::debug!(table, whole, error = %e, "item columns did not parse as numbers of this type");
            }
        }
    }
    // Some item cell is not a number: text, so scoring reports it.
    read_csv_bytes(bytes, table)
}

/// Item columns read as floats whose values are all whole become integers, as scoring writes
/// them (`3`, not `3.0`, in CSV output).
fn whole_as_integers(mut df: DataFrame, numeric: &[&str], table: &str) -> Result<DataFrame> {
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

/// Serialize `df` as CSV or Parquet into `out`. CSV text cells go through `cells` (the one rule of
/// `mtdata_core::csv_cell`); Parquet keeps values as they are, since tools read it, not spreadsheets.
fn write_to(
    df: &DataFrame,
    out: impl std::io::Write,
    format: OutputFormat,
    cells: CsvCells,
    table: &str,
) -> Result<()> {
    let mut df = df.clone();
    match format {
        OutputFormat::Csv => {
            escape_text_cells(&mut df, cells, table)?;
            CsvWriter::new(out)
                .include_header(true)
                .finish(&mut df)
                .map_err(|e| Error::polars(table, e))?;
        }
        OutputFormat::Parquet => {
            ParquetWriter::new(out)
                .finish(&mut df)
                .map_err(|e| Error::polars(table, e))?;
        }
    }
    Ok(())
}

/// Text columns with a cell a spreadsheet would run as a formula, rewritten by `cells`; other
/// columns (scores, counts) are untouched, so a table without such cells is not copied.
fn escape_text_cells(df: &mut DataFrame, cells: CsvCells, table: &str) -> Result<()> {
    if cells == CsvCells::Raw {
        return Ok(());
    }
    let mut rewritten = Vec::new();
    for column in df.columns() {
        let Ok(text) = column.str() else { continue };
        if !text
            .iter()
            .flatten()
            .any(|v| matches!(cells.cell(v), Cow::Owned(_)))
        {
            continue;
        }
        let escaped: StringChunked = text
            .iter()
            .map(|v| v.map(|v| cells.cell(v)))
            .collect::<StringChunked>()
            .with_name(column.name().clone());
        rewritten.push(escaped.into_column());
    }
    for column in rewritten {
        df.with_column(column)
            .map_err(|e| Error::polars(table, e))?;
    }
    Ok(())
}

/// Serialize `df` as CSV or Parquet.
pub fn table_bytes(
    df: &DataFrame,
    format: OutputFormat,
    cells: CsvCells,
    table: &str,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_to(df, &mut out, format, cells, table)?;
    Ok(out)
}

/// Write `df` atomically (temporary file, fsync, rename), streamed to the file as polars
/// serializes it (on all cores), so no copy of the whole file is held in memory.
pub fn write_table(
    df: &DataFrame,
    path: &Path,
    format: OutputFormat,
    cells: CsvCells,
) -> Result<()> {
    let failed = |e: mtdata_core::Error| Error::File {
        action: "write",
        path: path.to_owned(),
        message: e.to_string(),
    };
    let mut file = mtdata_core::fsutil::AtomicFile::create(path)
        .map_err(failed)?
        .release_while_writing();
    write_to(df, &mut file, format, cells, &path.display().to_string())?;
    file.commit().map_err(failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::columns::text_values;

    #[test]
    fn csv_text_cells_a_spreadsheet_would_run_get_a_quote_unless_raw() {
        let df = read_csv_bytes(
            b"id,note,score\n1,=HYPERLINK(\"x\"),-5\n2,@sum,3\n3,fine,\n".to_vec(),
            "t",
        )
        .unwrap();
        let safe = table_bytes(&df, OutputFormat::Csv, CsvCells::SpreadsheetSafe, "t").unwrap();
        assert_eq!(
            String::from_utf8(safe).unwrap(),
            "id,note,score\n1,\"'=HYPERLINK(\"\"x\"\")\",-5\n2,'@sum,3\n3,fine,\n"
        );
        let raw = table_bytes(&df, OutputFormat::Csv, CsvCells::Raw, "t").unwrap();
        assert_eq!(
            String::from_utf8(raw).unwrap(),
            "id,note,score\n1,\"=HYPERLINK(\"\"x\"\")\",-5\n2,@sum,3\n3,fine,\n"
        );
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

    #[test]
    fn items_are_read_as_integers_then_floats_then_text() {
        let oa = crate::Codebook::builtin(crate::Study::R34)
            .scale("OA")
            .unwrap()
            .clone();
        let read = |cells: &str| {
            let csv = format!("id,anxious_freq\n{cells}");
            read_scale_csv_bytes(csv.into_bytes(), &oa, "t").unwrap()
        };
        let ints = read("1,3\n2,-1\n3,\n");
        assert_eq!(
            ints.column("anxious_freq").unwrap().dtype(),
            &DataType::Int64
        );
        let floats = read("1,3\n2,2.5\n");
        let column = floats.column("anxious_freq").unwrap();
        assert_eq!(column.dtype(), &DataType::Float64);
        assert_eq!(column.f64().unwrap().get(1), Some(2.5));
        // Whole floats become integers, as before.
        let whole = read("1,3.0\n2,2\n");
        assert_eq!(
            whole.column("anxious_freq").unwrap().dtype(),
            &DataType::Int64
        );
        let text = read("1,3\n2,often\n");
        assert_eq!(
            text.column("anxious_freq").unwrap().dtype(),
            &DataType::String
        );
    }
}
