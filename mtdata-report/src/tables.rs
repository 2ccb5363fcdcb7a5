//! Reading the decoded tables of `active_data/`: which table holds a task, how a row names its
//! participant, and the two tables every report needs (TaskLog, Participant).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use mtdata_core::decoded::{DateColumn, ParticipantColumns};
use serde::Serialize;

use crate::error::{Error, Result};
use mtdata_core::csv_cell::CsvCells;
use mtdata_core::schedule::SESSION_COMPLETE_TASK;

/// Which table holds the rows of a task whose name differs from the table name (see the
/// schedule sheet notes: R34 `RecognitionRatings` is stored in `RR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableMap {
    entries: HashMap<String, String>,
}

/// The built-in task → table names (R34, R01).
pub const DEFAULT_TABLE_MAP: &[(&str, &str)] = &[
    ("RecognitionRatings", "RR"),
    ("recognitionRatings", "RR"),
    ("credibility", "Credibility"),
    ("demographics", "Demographic"),
    ("MH", "MentalHealthHxTx"),
    ("1", "AngularTraining"),
    ("2", "AngularTraining"),
    ("3", "AngularTraining"),
    ("4", "AngularTraining"),
    ("5", "AngularTraining"),
];

impl Default for TableMap {
    fn default() -> Self {
        TableMap {
            entries: DEFAULT_TABLE_MAP
                .iter()
                .map(|(t, n)| ((*t).to_owned(), (*n).to_owned()))
                .collect(),
        }
    }
}

impl TableMap {
    /// No mapping at all: every task is its own table.
    pub fn empty() -> Self {
        TableMap {
            entries: HashMap::new(),
        }
    }

    /// Map `task` to `table` (replacing an earlier entry).
    pub fn insert(&mut self, task: impl Into<String>, table: impl Into<String>) {
        self.entries.insert(task.into(), table.into());
    }

    /// The table of a task: the mapped name, else the task name itself.
    pub fn table_for<'a>(&'a self, task: &'a str) -> &'a str {
        self.entries.get(task).map_or(task, String::as_str)
    }

    /// Add the entries of a CSV file with the header `task,table` to the built-in ones.
    pub fn extend_from_file(&mut self, path: &Path) -> Result<()> {
        for (line, record) in read_sheet(path, &["task", "table"])? {
            let (task, table) = (&record[0], &record[1]);
            if task.is_empty() || table.is_empty() {
                return Err(Error::BadLine {
                    path: path.to_owned(),
                    line,
                    message: "task and table must both be given".into(),
                });
            }
            self.insert(task, table);
        }
        Ok(())
    }
}

/// The rows of a small settings CSV a lab writes (`#` comments, cells trimmed) whose header must
/// be `header`, each with the line number errors name (the header is line 1).
/// Write one CSV record of text cells, each as `cells` says (the one rule of
/// [`mtdata_core::csv_cell`] for every report CSV).
pub(crate) fn write_cells<'a, W: std::io::Write>(
    w: &mut csv::Writer<W>,
    cells: CsvCells,
    record: impl IntoIterator<Item = &'a str>,
) -> csv::Result<()> {
    w.write_record(
        record
            .into_iter()
            .map(|cell| cells.cell_bytes(cell.as_bytes())),
    )
}

pub(crate) fn read_sheet(path: &Path, header: &[&str]) -> Result<Vec<(usize, csv::StringRecord)>> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::csv(path, e))?;
    let headers = reader.headers().map_err(|e| Error::csv(path, e))?;
    if !headers.iter().eq(header.iter().copied()) {
        return Err(Error::BadLine {
            path: path.to_owned(),
            line: 1,
            message: format!("the header must be `{}`", header.join(",")),
        });
    }
    reader
        .records()
        .enumerate()
        .map(|(i, record)| Ok((i + 2, record.map_err(|e| Error::csv(path, e))?)))
        .collect()
}

/// Interned strings, so a million TaskLog rows cost a few integers each.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = u32::try_from(self.names.len()).expect("fewer than 2^32 distinct strings");
        self.ids.insert(s.to_owned(), id);
        self.names.push(s.to_owned());
        id
    }

    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub(crate) fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// Column positions of a table's header, found by name.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) names: Vec<String>,
    participants: ParticipantColumns,
}

impl Header {
    pub(crate) fn new(record: &csv::StringRecord) -> Self {
        let names: Vec<String> = record.iter().map(str::to_owned).collect();
        let participants = ParticipantColumns::new(&names);
        Header {
            names,
            participants,
        }
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub(crate) fn has_link(&self) -> bool {
        !self.participants.is_empty()
    }

    /// The participant of a row, by the decoded-table rule ([`ParticipantColumns`]).
    pub(crate) fn participant<'r>(&self, row: &'r csv::StringRecord) -> Option<&'r str> {
        self.participants.participant(|i| row.get(i))
    }
}

/// Open `active_data/<table>.csv` as a CSV reader; `Ok(None)` when the file does not exist.
pub(crate) fn open_table(path: &Path) -> Result<Option<csv::Reader<BufReader<File>>>> {
    match File::open(path) {
        Ok(file) => Ok(Some(
            csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(BufReader::with_capacity(1 << 20, file)),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("cannot open", path, e)),
    }
}

/// True for the spellings of a true boolean in a decoded CSV.
pub(crate) fn truthy(value: &str) -> bool {
    matches!(value.trim(), "true" | "True" | "TRUE" | "1")
}

/// One TaskLog row, interned.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogRow {
    pub(crate) participant: u32,
    pub(crate) session: u32,
    pub(crate) task: u32,
    pub(crate) tag: u32,
}

/// One row of the Participant table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParticipantRow {
    pub(crate) admin: bool,
    pub(crate) test_account: bool,
    pub(crate) current_session: Option<String>,
    pub(crate) current_task: Option<String>,
    pub(crate) current_tag: Option<String>,
}

/// The tables every report needs, read once.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) strings: Interner,
    pub(crate) log: Vec<LogRow>,
    /// TaskLog rows per participant symbol: the newest completion date (ISO text when present).
    pub(crate) last_activity: HashMap<u32, String>,
    /// `SESSION_COMPLETE` rows per participant.
    pub(crate) sessions_completed: HashMap<u32, u32>,
    /// Participants of the Participant table, keyed by symbol, in file order.
    pub(crate) participants: Vec<(u32, ParticipantRow)>,
    pub(crate) participant_table_found: bool,
}

pub(crate) fn load(active_data: &Path) -> Result<Loaded> {
    let mut strings = Interner::default();
    // Symbol 0 is the empty string (no tag, no session).
    strings.intern("");
    let (log, last_activity, sessions_completed) = load_task_log(active_data, &mut strings)?;
    let participants_path = active_data.join("Participant.csv");
    let participants = load_participants(&participants_path, &mut strings)?;
    Ok(Loaded {
        strings,
        log,
        last_activity,
        sessions_completed,
        participant_table_found: participants.is_some(),
        participants: participants.unwrap_or_default(),
    })
}

type TaskLogParts = (Vec<LogRow>, HashMap<u32, String>, HashMap<u32, u32>);

fn load_task_log(active_data: &Path, strings: &mut Interner) -> Result<TaskLogParts> {
    let path = active_data.join("TaskLog.csv");
    let Some(mut reader) = open_table(&path)? else {
        return Err(Error::MissingTable {
            table: "TaskLog".into(),
            path,
        });
    };
    let header = Header::new(reader.headers().map_err(|e| Error::csv(&path, e))?);
    let column = |name: &str| {
        header.find(name).ok_or_else(|| Error::MissingColumn {
            table: "TaskLog".into(),
            path: path.clone(),
            column: name.into(),
        })
    };
    let session_col = column("sessionName")?;
    let task_col = column("taskName")?;
    let tag_col = header.find("tag");
    let date_col =
        DateColumn::find(&header.names, "dateCompleted").and_then(|c| header.find(&c.name));
    if !header.has_link() {
        return Err(Error::MissingColumn {
            table: "TaskLog".into(),
            path,
            column: "participantId".into(),
        });
    }
    let session_complete = strings.intern(SESSION_COMPLETE_TASK);
    let mut log = Vec::new();
    let mut last: HashMap<u32, String> = HashMap::new();
    let mut completed: HashMap<u32, u32> = HashMap::new();
    let mut row = csv::StringRecord::new();
    while reader
        .read_record(&mut row)
        .map_err(|e| Error::csv(&path, e))?
    {
        let Some(participant) = header.participant(&row) else {
            continue;
        };
        let participant = strings.intern(participant);
        if let Some(date) = date_col.and_then(|i| row.get(i)).filter(|d| !d.is_empty()) {
            match last.get_mut(&participant) {
                Some(newest) if newest.as_str() >= date => {}
                Some(newest) => date.clone_into(newest),
                None => {
                    last.insert(participant, date.to_owned());
                }
            }
        }
        let task = strings.intern(row.get(task_col).unwrap_or(""));
        if task == session_complete {
            *completed.entry(participant).or_default() += 1;
            continue;
        }
        let tag = tag_col.and_then(|i| row.get(i)).unwrap_or("");
        let tag = if tag == "null" { "" } else { tag };
        log.push(LogRow {
            participant,
            session: strings.intern(row.get(session_col).unwrap_or("")),
            task,
            tag: strings.intern(tag),
        });
    }
    Ok((log, last, completed))
}

fn load_participants(
    path: &Path,
    strings: &mut Interner,
) -> Result<Option<Vec<(u32, ParticipantRow)>>> {
    let Some(mut reader) = open_table(path)? else {
        return Ok(None);
    };
    let header = Header::new(reader.headers().map_err(|e| Error::csv(path, e))?);
    let id_col = header.find("id").ok_or_else(|| Error::MissingColumn {
        table: "Participant".into(),
        path: path.to_owned(),
        column: "id".into(),
    })?;
    let admin_col = header.find("admin");
    let test_col = header.find("testAccount");
    let study_col = header.find("study");
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::csv(path, e))?;
        let id = record.get(id_col).unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        let flag = |col: Option<usize>| col.and_then(|i| record.get(i)).is_some_and(truthy);
        let mut row = ParticipantRow {
            admin: flag(admin_col),
            test_account: flag(test_col),
            ..ParticipantRow::default()
        };
        if let Some(study) = study_col.and_then(|i| record.get(i)) {
            read_current_position(study, &mut row);
        }
        out.push((strings.intern(id), row));
    }
    Ok(Some(out))
}

/// Read `{"currentSession":{"name":…,"currentTask":{"name":…,"tag":…}}}`; anything else leaves
/// the position unknown.
fn read_current_position(study_json: &str, row: &mut ParticipantRow) {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(study_json) else {
        return;
    };
    let session = &value["currentSession"];
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    row.current_session = text(&session["name"]);
    row.current_task = text(&session["currentTask"]["name"]);
    row.current_tag = text(&session["currentTask"]["tag"]);
}

/// `active_data/<table>.csv`.
pub(crate) fn table_path(active_data: &Path, table: &str) -> PathBuf {
    active_data.join(format!("{table}.csv"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participant_link_order_and_failed_decryption() {
        let header = Header::new(&csv::StringRecord::from(vec![
            "participantRSA",
            "participantRSA_status",
            "participant",
        ]));
        let row = csv::StringRecord::from(vec!["12", "decrypted", "99"]);
        assert_eq!(header.participant(&row), Some("99"));
        let row = csv::StringRecord::from(vec!["12", "decrypted", ""]);
        assert_eq!(header.participant(&row), Some("12"));
        let row = csv::StringRecord::from(vec!["bm90IGFuIGlk", "failed", "99"]);
        assert_eq!(header.participant(&row), Some("99"));
        let row = csv::StringRecord::from(vec!["", "empty", ""]);
        assert_eq!(header.participant(&row), None);
    }

    #[test]
    fn table_map_defaults_and_file() {
        let mut map = TableMap::default();
        assert_eq!(map.table_for("RecognitionRatings"), "RR");
        assert_eq!(map.table_for("OA"), "OA");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("map.csv");
        std::fs::write(&file, "task,table\n# comment\nReasons, ReasonsForEnding\n").unwrap();
        map.extend_from_file(&file).unwrap();
        assert_eq!(map.table_for("Reasons"), "ReasonsForEnding");
        std::fs::write(&file, "from,to\n").unwrap();
        let err = map.extend_from_file(&file).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn current_position_from_study_json() {
        let mut row = ParticipantRow::default();
        read_current_position(
            r#"{"currentSession":{"name":"firstSession","currentTask":{"name":"Affect","tag":"post"}}}"#,
            &mut row,
        );
        assert_eq!(row.current_session.as_deref(), Some("firstSession"));
        assert_eq!(row.current_task.as_deref(), Some("Affect"));
        assert_eq!(row.current_tag.as_deref(), Some("post"));
    }
}

/// A `HashSet` hasher for keys that are already hashes (or packed integers): one multiply.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u128(&mut self, n: u128) {
        // Truncation is the point: fold the two halves, then mix into the high bits.
        #[allow(clippy::cast_possible_truncation)]
        let folded = (n as u64) ^ ((n >> 64) as u64);
        self.0 = folded.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A set of 128-bit keys (hashes of text keys, or packed ids).
pub(crate) type KeySet = std::collections::HashSet<u128, std::hash::BuildHasherDefault<PreHashed>>;

/// The 128-bit hash of a sequence of fields (separated by a byte that never occurs in UTF-8), so
/// a million duplicate-check keys cost no allocation each. Collisions are negligible (2^-128).
pub(crate) fn key_hash<'a>(buffer: &mut Vec<u8>, parts: impl IntoIterator<Item = &'a str>) -> u128 {
    buffer.clear();
    for part in parts {
        buffer.extend_from_slice(part.as_bytes());
        buffer.push(0xff);
    }
    xxhash_rust::xxh3::xxh3_128(buffer)
}
