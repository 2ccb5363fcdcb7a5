//! `status`: per table, missing cells per column, participants, duplicates and values outside
//! the codebook's valid range ("prefer not to answer" codes counted apart).

use std::fmt;
use std::path::Path;

use mtdata_core::csv_cell::CsvCells;
use mtdata_core::schedule::Schedule;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ranges::{Check, ItemRange, ValidRanges};
use crate::tables::{self, Header, KeySet, PreHashed, key_hash, write_cells};
use crate::text::{TextOptions, TextTable, Tone, percent};

/// Columns that, with the participant, identify one completion; a second row with the same
/// values is a duplicate. Only those present in a table are used.
pub const DUPLICATE_KEY_COLUMNS: &[&str] =
    &["session", "sessionName", "taskName", "tag", "trial_index"];

/// Options of the status check.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// Valid ranges and PNA codes.
    pub ranges: ValidRanges,
    /// At most this many out-of-range values are listed per table (all are counted).
    pub max_listed: usize,
    /// The study's schedule (`active_data/study.json`): a task planned more than once in a
    /// session without a tag (R34's SUDS before and after training) may have that many rows
    /// with one key before any is a duplicate. `None`: one row per key.
    pub schedule: Option<Schedule>,
}

impl Default for StatusOptions {
    fn default() -> Self {
        StatusOptions {
            ranges: ValidRanges::default(),
            max_listed: 100,
            schedule: None,
        }
    }
}

/// How many rows of `table` one participant may have per session: the times the schedule
/// plans the task in that session (its name matched case-insensitively), at least 1.
struct PlannedRows(Vec<(String, usize)>);

impl PlannedRows {
    fn new(schedule: Option<&Schedule>, table: &str) -> Self {
        let mut planned: Vec<(String, usize)> = Vec::new();
        for slot in schedule.iter().flat_map(|s| &s.slots) {
            if slot.task.eq_ignore_ascii_case(table) && slot.occurrence == 0 {
                planned.push((slot.session.clone(), slot.occurrences));
            }
        }
        PlannedRows(planned)
    }

    /// Rows allowed for a key in `session`; a tagged row (`pre`, `post`) is one occurrence.
    fn allowed(&self, session: &str, tagged: bool) -> u32 {
        if tagged {
            return 1;
        }
        let planned = self.0.iter().find(|(s, _)| s == session).map(|(_, n)| *n);
        u32::try_from(planned.unwrap_or(1).max(1)).unwrap_or(u32::MAX)
    }
}

/// Rows seen per key (hashes of text keys).
type KeyCounts = std::collections::HashMap<u128, u32, std::hash::BuildHasherDefault<PreHashed>>;

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnStatus {
    pub column: String,
    /// Empty cells.
    pub missing: usize,
    pub missing_rate: Option<f64>,
    /// The valid range from the codebook (`None`: not checked).
    pub range: Option<String>,
    /// Cells holding a PNA code.
    pub pna: usize,
    /// Cells outside the valid range.
    pub out_of_range: usize,
}

/// One value outside its valid range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutOfRange {
    pub table: String,
    /// 1-based data row (the header is row 0).
    pub row: usize,
    /// The row's `id`, when the table has one.
    pub id: Option<String>,
    pub column: String,
    pub value: String,
    pub range: String,
}

/// The status of one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableStatus {
    pub table: String,
    /// The file name read.
    pub file: String,
    pub rows: usize,
    /// Distinct participants.
    pub participants: usize,
    /// Rows without a participant link.
    pub unlinked_rows: usize,
    /// Rows repeating (participant, session, task, tag, trial) of an earlier row, beyond the
    /// repeats the schedule plans.
    pub duplicates: usize,
    pub duplicate_rate: Option<f64>,
    /// Rows with no value outside its range.
    pub valid_rows: usize,
    /// Whether the codebook knows this table.
    pub checked: bool,
    pub missing_cells: usize,
    pub pna_cells: usize,
    pub out_of_range_cells: usize,
    pub columns: Vec<ColumnStatus>,
    /// The first `max_listed` out-of-range values.
    pub out_of_range: Vec<OutOfRange>,
}

/// A table that could not be checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableFailure {
    pub table: String,
    pub error: String,
}

/// The status of one or more tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusReport {
    pub tables: Vec<TableStatus>,
    pub failures: Vec<TableFailure>,
}

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl TableStatus {
    /// Check one decoded CSV as table `table` (the codebook entry to use).
    pub fn check(path: &Path, table: &str, options: &StatusOptions) -> Result<Self> {
        let Some(mut reader) = tables::open_table(path)? else {
            return Err(Error::MissingTable {
                table: table.to_owned(),
                path: path.to_owned(),
            });
        };
        let header = Header::new(reader.headers().map_err(|e| Error::csv(path, e))?);
        let ranges: Vec<Option<&ItemRange>> = header
            .names
            .iter()
            .map(|c| options.ranges.range(table, c))
            .collect();
        let key_cols: Vec<usize> = DUPLICATE_KEY_COLUMNS
            .iter()
            .filter_map(|c| header.find(c))
            .collect();
        let id_col = header.find("id");
        let (session_col, tag_col) = (header.find("session"), header.find("tag"));
        let planned = PlannedRows::new(options.schedule.as_ref(), table);
        let width = header.names.len();
        let (mut missing, mut pna, mut oor) = (vec![0; width], vec![0; width], vec![0; width]);
        let mut keys = KeyCounts::default();
        let mut people = KeySet::default();
        let mut buffer = Vec::new();
        let (mut rows, mut duplicates, mut valid, mut unlinked) = (0, 0, 0, 0);
        let mut listed = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader
            .read_record(&mut record)
            .map_err(|e| Error::csv(path, e))?
        {
            rows += 1;
            let mut row_ok = true;
            for (i, range) in ranges.iter().enumerate() {
                let value = record.get(i).unwrap_or("");
                if value.is_empty() {
                    missing[i] += 1;
                    continue;
                }
                let Some(range) = range else { continue };
                match range.check(value) {
                    Check::Valid => {}
                    Check::Pna => pna[i] += 1,
                    Check::OutOfRange => {
                        oor[i] += 1;
                        row_ok = false;
                        if listed.len() < options.max_listed {
                            listed.push(OutOfRange {
                                table: table.to_owned(),
                                row: rows,
                                id: id_col.and_then(|c| record.get(c)).map(str::to_owned),
                                column: header.names[i].clone(),
                                value: value.to_owned(),
                                range: range.describe(),
                            });
                        }
                    }
                }
            }
            if row_ok {
                valid += 1;
            }
            match header.participant(&record) {
                Some(p) => {
                    people.insert(key_hash(&mut buffer, [p]));
                    let fields = key_cols.iter().map(|&c| record.get(c).unwrap_or(""));
                    let seen = keys
                        .entry(key_hash(&mut buffer, std::iter::once(p).chain(fields)))
                        .or_default();
                    *seen += 1;
                    let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("");
                    if *seen > planned.allowed(cell(session_col), !cell(tag_col).is_empty()) {
                        duplicates += 1;
                    }
                }
                None => unlinked += 1,
            }
        }
        let columns: Vec<ColumnStatus> = header
            .names
            .iter()
            .enumerate()
            .map(|(i, column)| ColumnStatus {
                column: column.clone(),
                missing: missing[i],
                missing_rate: rate(missing[i], rows),
                range: ranges[i].map(ItemRange::describe),
                pna: pna[i],
                out_of_range: oor[i],
            })
            .collect();
        Ok(TableStatus {
            table: table.to_owned(),
            file: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            rows,
            participants: people.len(),
            unlinked_rows: unlinked,
            duplicates,
            duplicate_rate: rate(duplicates, rows),
            valid_rows: valid,
            checked: options.ranges.knows(table),
            missing_cells: missing.iter().sum(),
            pna_cells: pna.iter().sum(),
            out_of_range_cells: oor.iter().sum(),
            columns,
            out_of_range: listed,
        })
    }
}

impl StatusReport {
    /// MTData's `status <Scale> <csv>`: one file checked as table `scale`.
    pub fn for_file(scale: &str, path: &Path, options: &StatusOptions) -> Result<Self> {
        Ok(StatusReport {
            tables: vec![TableStatus::check(path, scale, options)?],
            failures: Vec::new(),
        })
    }

    /// MTData's `status all <server>`: every `*.csv` of `active_data`, in name order. A table
    /// that cannot be read is recorded in `failures` and the others are still checked.
    pub fn for_folder(active_data: &Path, options: &StatusOptions) -> Result<Self> {
        let entries =
            std::fs::read_dir(active_data).map_err(|e| Error::io("cannot list", active_data, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("cannot list", active_data, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(table) = name.strip_suffix(".csv")
                && !table.starts_with('.')
                && path.is_file()
            {
                files.push((table.to_owned(), path));
            }
        }
        if files.is_empty() {
            return Err(Error::NothingDecoded {
                path: active_data.to_owned(),
            });
        }
        files.sort();
        let mut report = StatusReport {
            tables: Vec::new(),
            failures: Vec::new(),
        };
        for (table, path) in files {
            match TableStatus::check(&path, &table, options) {
                Ok(status) => report.tables.push(status),
                Err(e) => report.failures.push(TableFailure {
                    table,
                    error: mtdata_core::error::chain(&e),
                }),
            }
        }
        Ok(report)
    }

    /// Draw the report: a summary line per table, the columns of a single table, and the first
    /// out-of-range values.
    pub fn to_text(&self, options: TextOptions) -> String {
        let tone = |bad: bool, tone: Tone| if bad { tone } else { Tone::Plain };
        let mut t = TextTable::new(
            &[
                "table",
                "rows",
                "people",
                "dups",
                "dup %",
                "missing",
                "pna",
                "out of range",
                "valid",
            ],
            &[false, true, true, true, true, true, true, true, true],
        );
        for s in &self.tables {
            t.push(vec![
                (
                    s.table.clone(),
                    if s.checked { Tone::Plain } else { Tone::Dim },
                ),
                (s.rows.to_string(), Tone::Plain),
                (s.participants.to_string(), Tone::Plain),
                (s.duplicates.to_string(), tone(s.duplicates > 0, Tone::Warn)),
                (
                    percent(s.duplicate_rate),
                    tone(s.duplicates > 0, Tone::Warn),
                ),
                (s.missing_cells.to_string(), Tone::Plain),
                (s.pna_cells.to_string(), Tone::Plain),
                (
                    if s.checked {
                        s.out_of_range_cells.to_string()
                    } else {
                        "-".into()
                    },
                    tone(s.out_of_range_cells > 0, Tone::Bad),
                ),
                (format!("{}/{}", s.valid_rows, s.rows), Tone::Plain),
            ]);
        }
        let mut out = t.render(options);
        if let [single] = self.tables.as_slice() {
            let mut c = TextTable::new(
                &[
                    "column",
                    "missing",
                    "missing %",
                    "range",
                    "pna",
                    "out of range",
                ],
                &[false, true, true, false, true, true],
            );
            for col in &single.columns {
                c.push(vec![
                    (col.column.clone(), Tone::Plain),
                    (col.missing.to_string(), Tone::Plain),
                    (percent(col.missing_rate), tone(col.missing > 0, Tone::Warn)),
                    (col.range.clone().unwrap_or_else(|| "-".into()), Tone::Dim),
                    (col.pna.to_string(), Tone::Plain),
                    (
                        col.out_of_range.to_string(),
                        tone(col.out_of_range > 0, Tone::Bad),
                    ),
                ]);
            }
            out.push('\n');
            out.push_str(&c.render(options));
        }
        let listed: Vec<&OutOfRange> = self.tables.iter().flat_map(|s| &s.out_of_range).collect();
        if !listed.is_empty() {
            const SHOWN: usize = 20;
            let mut o = TextTable::new(
                &["table", "row", "id", "column", "value", "valid"],
                &[false, true, true, false, false, false],
            );
            for v in listed.iter().take(SHOWN) {
                o.push(vec![
                    (v.table.clone(), Tone::Plain),
                    (v.row.to_string(), Tone::Plain),
                    (v.id.clone().unwrap_or_default(), Tone::Plain),
                    (v.column.clone(), Tone::Plain),
                    (v.value.clone(), Tone::Bad),
                    (v.range.clone(), Tone::Dim),
                ]);
            }
            out.push_str("\nout of range:\n");
            out.push_str(&o.render(options));
            let total: usize = self.tables.iter().map(|s| s.out_of_range_cells).sum();
            if total > SHOWN {
                out.push_str(&format!("… {} more (see the CSV)\n", total - SHOWN));
            }
        }
        for f in &self.failures {
            out.push_str(&format!("\nfailed: {}: {}\n", f.table, f.error));
        }
        out
    }

    /// Write one CSV row per (table, column), text cells as `cells` says.
    pub fn write_columns_csv(&self, out: impl std::io::Write, cells: CsvCells) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let err = |e| Error::csv("<output>", e);
        w.write_record([
            "table",
            "column",
            "rows",
            "participants",
            "duplicates",
            "valid_rows",
            "missing",
            "missing_rate",
            "range",
            "pna",
            "out_of_range",
        ])
        .map_err(err)?;
        for s in &self.tables {
            for c in &s.columns {
                let record = [
                    s.table.as_str(),
                    &c.column,
                    &s.rows.to_string(),
                    &s.participants.to_string(),
                    &s.duplicates.to_string(),
                    &s.valid_rows.to_string(),
                    &c.missing.to_string(),
                    &c.missing_rate
                        .map(|r| format!("{r:.4}"))
                        .unwrap_or_default(),
                    c.range.as_deref().unwrap_or(""),
                    &c.pna.to_string(),
                    &c.out_of_range.to_string(),
                ];
                write_cells(&mut w, cells, record).map_err(err)?;
            }
        }
        w.flush()
            .map_err(|e| Error::io("cannot write", "<output>", e))
    }

    /// Write the listed out-of-range values, text cells as `cells` says (a value is whatever a
    /// participant typed).
    pub fn write_out_of_range_csv(&self, out: impl std::io::Write, cells: CsvCells) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["table", "row", "id", "column", "value", "range"])
            .map_err(|e| Error::csv("<output>", e))?;
        for v in self.tables.iter().flat_map(|s| &s.out_of_range) {
            let record = [
                v.table.as_str(),
                &v.row.to_string(),
                v.id.as_deref().unwrap_or(""),
                &v.column,
                &v.value,
                &v.range,
            ];
            write_cells(&mut w, cells, record).map_err(|e| Error::csv("<output>", e))?;
        }
        w.flush()
            .map_err(|e| Error::io("cannot write", "<output>", e))
    }
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(TextOptions {
            width: None,
            color: false,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_planned_twice_without_a_tag_may_have_two_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("SUDS.csv");
        std::fs::write(
            &path,
            "id,participant,session,tag,anxiety\n1,7,S1,,50\n2,7,S1,,30\n3,7,S1,,30\n\
             4,8,S1,pre,1\n5,8,S1,pre,2\n6,9,S2,,5\n7,9,S2,,5\n",
        )
        .unwrap();
        let sheet = r#"[{"name":"R34","sessions":[
            {"name":"S1","tasks":[{"name":"suds"},{"name":"T"},{"name":"suds"}]},
            {"name":"S2","tasks":[{"name":"suds"}]}]}]"#;
        let options = StatusOptions {
            schedule: Some(Schedule::from_json(sheet.as_bytes(), None).unwrap()),
            ..StatusOptions::default()
        };
        let status = TableStatus::check(&path, "SUDS", &options).unwrap();
        // Id 3 (a third untagged row in S1), id 5 (a second `pre`), id 7 (S2 plans one).
        assert_eq!(status.duplicates, 3);
        let plain = TableStatus::check(&path, "SUDS", &StatusOptions::default()).unwrap();
        assert_eq!(plain.duplicates, 4);
    }
}
