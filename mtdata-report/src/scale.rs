//! `report scale`: per task of the schedule, TaskLog completions against rows in the data.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use serde::Serialize;

use mtdata_core::csv_cell::CsvCells;

use crate::error::{Error, Result};
use crate::study::StudyFolder;
use crate::tables::{self, Header, Interner, KeySet, PreHashed};
use crate::text::{TextOptions, TextTable, Tone, percent};

/// Tables where only some rows mark a completion (MTData counts JsPsychTrial rows whose
/// `stimulus` is `final score screen`): (table, column, value).
pub const COMPLETION_ROWS: &[(&str, &str, &str)] =
    &[("JsPsychTrial", "stimulus", "final score screen")];

/// One task of the schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleRow {
    /// The task name in the schedule and TaskLog.
    pub task: String,
    /// The table holding its rows.
    pub table: String,
    /// Whether `active_data/<table>.csv` exists.
    pub data_found: bool,
    /// TaskLog rows for the task.
    pub tasklog_rows: usize,
    /// Distinct (participant, session, tag) completions in TaskLog.
    pub tasklog_completions: usize,
    /// Rows in the data (completion rows only for JsPsychTrial).
    pub data_rows: usize,
    /// Distinct (participant, session, tag) in the data.
    pub data_completions: usize,
    /// Distinct participants in the data.
    pub participants: usize,
    /// Data rows repeating a (participant, session, tag) already seen.
    pub duplicates: usize,
    /// Data rows without a participant link.
    pub unlinked_rows: usize,
    /// TaskLog completions with no data row.
    pub missing: usize,
    /// `missing / tasklog_completions`; never negative, `None` when nothing was logged.
    pub missing_rate: Option<f64>,
    /// Data completions with no TaskLog row.
    pub unlogged: usize,
}

/// The scale report of one study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleReport {
    pub study: String,
    pub rows: Vec<ScaleRow>,
}

/// Symbols for strings of a data table: the study's interned ids where the string is known (so
/// data keys compare with TaskLog keys), fresh ones above them otherwise.
struct Symbols<'a> {
    known: &'a Interner,
    extra: HashMap<String, u32>,
}

impl Symbols<'_> {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(id) = self.known.get(s) {
            return id;
        }
        if let Some(&id) = self.extra.get(s) {
            return id;
        }
        let id = u32::MAX / 2 + u32::try_from(self.extra.len()).expect("few strings");
        self.extra.insert(s.to_owned(), id);
        id
    }
}

/// Completion keys with the ordinal rule for untagged repeats: the n-th untagged row of a
/// (participant, session) gets the n-th occurrence, capped at the last.
pub(crate) struct KeyCounter {
    occurrences: usize,
    untagged: HashMap<(u32, u32), usize>,
}

impl KeyCounter {
    fn key(&mut self, participant: u32, session: u32, tag: u32) -> u128 {
        let pack =
            |tag: u32| u128::from(participant) << 64 | u128::from(session) << 32 | u128::from(tag);
        if tag != 0 || self.occurrences <= 1 {
            return pack(tag);
        }
        let n = self.untagged.entry((participant, session)).or_default();
        let ordinal = (*n).min(self.occurrences - 1);
        *n += 1;
        pack(u32::MAX - u32::try_from(ordinal).unwrap_or(0))
    }
}

impl ScaleReport {
    /// Build the report for every distinct task of the schedule, in schedule order.
    pub fn build(study: &StudyFolder) -> Result<Self> {
        let strings = study.strings();
        let mut log_by_task: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, row) in study.loaded.log.iter().enumerate() {
            if !study.excluded.contains(&row.participant) {
                log_by_task.entry(row.task).or_default().push(i);
            }
        }
        let data = study.task_data()?;
        let mut rows = Vec::new();
        for (task, data) in study.schedule.task_names().into_iter().zip(data) {
            let table = study.options.table_map.table_for(task);
            let log_rows = strings
                .get(task)
                .and_then(|t| log_by_task.get(&t))
                .map_or(&[][..], Vec::as_slice);
            rows.push(scale_row(task, table, data, study, log_rows));
        }
        Ok(ScaleReport {
            study: study.schedule.study.clone(),
            rows,
        })
    }

    /// Draw the report as a text table.
    pub fn to_text(&self, options: TextOptions) -> String {
        let mut t = TextTable::new(
            &[
                "task", "table", "data", "logged", "rows", "people", "dups", "missing", "rate",
                "unlogged",
            ],
            &[
                false, false, false, true, true, true, true, true, true, true,
            ],
        );
        for r in &self.rows {
            let tone_if = |bad: bool, tone: Tone| if bad { tone } else { Tone::Plain };
            t.push(vec![
                (r.task.clone(), Tone::Plain),
                (r.table.clone(), tone_if(r.table != r.task, Tone::Dim)),
                if r.data_found {
                    ("yes".into(), Tone::Good)
                } else {
                    ("no".into(), Tone::Bad)
                },
                (r.tasklog_completions.to_string(), Tone::Plain),
                (r.data_rows.to_string(), Tone::Plain),
                (r.participants.to_string(), Tone::Plain),
                (
                    r.duplicates.to_string(),
                    tone_if(r.duplicates > 0, Tone::Warn),
                ),
                (r.missing.to_string(), tone_if(r.missing > 0, Tone::Bad)),
                (percent(r.missing_rate), tone_if(r.missing > 0, Tone::Bad)),
                (r.unlogged.to_string(), tone_if(r.unlogged > 0, Tone::Warn)),
            ]);
        }
        t.render(options)
    }

    /// Write the report as CSV (one row per task), text cells as `cells` says.
    pub fn write_csv(&self, out: impl std::io::Write, cells: CsvCells) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        for row in &self.rows {
            w.serialize(CsvScaleRow::new(row, cells))
                .map_err(|e| Error::csv("<output>", e))?;
        }
        w.flush()
            .map_err(|e| Error::io("cannot write", "<output>", e))?;
        Ok(())
    }
}

/// The CSV shape of a row: the rate as a plain fraction with 4 decimals.
#[derive(Serialize)]
struct CsvScaleRow<'a> {
    task: Cow<'a, str>,
    table: Cow<'a, str>,
    data_found: bool,
    tasklog_rows: usize,
    tasklog_completions: usize,
    data_rows: usize,
    data_completions: usize,
    participants: usize,
    duplicates: usize,
    unlinked_rows: usize,
    missing: usize,
    missing_rate: String,
    unlogged: usize,
}

impl<'a> CsvScaleRow<'a> {
    fn new(r: &'a ScaleRow, cells: CsvCells) -> Self {
        CsvScaleRow {
            task: cells.cell(&r.task),
            table: cells.cell(&r.table),
            data_found: r.data_found,
            tasklog_rows: r.tasklog_rows,
            tasklog_completions: r.tasklog_completions,
            data_rows: r.data_rows,
            data_completions: r.data_completions,
            participants: r.participants,
            duplicates: r.duplicates,
            unlinked_rows: r.unlinked_rows,
            missing: r.missing,
            missing_rate: r
                .missing_rate
                .map(|x| format!("{x:.4}"))
                .unwrap_or_default(),
            unlogged: r.unlogged,
        }
    }
}

impl fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(TextOptions {
            width: None,
            color: false,
        }))
    }
}

/// Data rows per completion key (see [`KeyCounter`]).
pub(crate) type KeyCounts = HashMap<u128, u32, BuildHasherDefault<PreHashed>>;

/// What the data table of one task holds, read once per study and shared by the scale report
/// (counts per task) and the client report (which logged slots have a row).
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskData {
    /// Whether `active_data/<table>.csv` exists (and its name is a valid table name).
    pub(crate) found: bool,
    /// Whether the table has a `session` (or `sessionName`) column, and a `tag` column; keys on
    /// both sides leave out what the table lacks.
    pub(crate) use_session: bool,
    pub(crate) use_tag: bool,
    /// Most times the task appears in one session (the ordinal rule for untagged repeats).
    pub(crate) occurrences: usize,
    pub(crate) data_rows: usize,
    pub(crate) linked_rows: usize,
    pub(crate) unlinked_rows: usize,
    pub(crate) participants: usize,
    /// Data rows per (participant, session, tag) completion key.
    pub(crate) keys: KeyCounts,
}

impl TaskData {
    /// A fresh counter of TaskLog keys comparable with [`TaskData::keys`].
    pub(crate) fn counter(&self) -> KeyCounter {
        KeyCounter {
            occurrences: self.occurrences,
            untagged: HashMap::new(),
        }
    }

    /// The completion key of a TaskLog row of this task (rows fed in file order).
    pub(crate) fn log_key(&self, counter: &mut KeyCounter, log: crate::tables::LogRow) -> u128 {
        let session = if self.use_session { log.session } else { 0 };
        let tag = if self.use_tag { log.tag } else { 0 };
        counter.key(log.participant, session, tag)
    }
}

impl StudyFolder {
    /// The data of every distinct task of the schedule ([`Schedule::task_names`] order), read on
    /// first use and kept: `report client --html` and `report scale --html` read each table once.
    ///
    /// [`Schedule::task_names`]: crate::Schedule::task_names
    pub(crate) fn task_data(&self) -> Result<&[Arc<TaskData>]> {
        if let Some(data) = self.task_data.get() {
            return Ok(data);
        }
        // Tasks sharing a table (R01 `1`…`5` → AngularTraining) share one read.
        let mut read: HashMap<(String, usize), Arc<TaskData>> = HashMap::new();
        let mut out = Vec::new();
        for task in self.schedule.task_names() {
            let table = self.options.table_map.table_for(task);
            let occurrences = self.schedule.max_occurrences(task);
            let key = (table.to_owned(), occurrences);
            let data = match read.get(&key) {
                Some(data) => Arc::clone(data),
                None => {
                    let data = Arc::new(read_task_data(self, task, table, occurrences)?);
                    read.insert(key, Arc::clone(&data));
                    data
                }
            };
            out.push(data);
        }
        Ok(self.task_data.get_or_init(|| out))
    }
}

fn read_task_data(
    study: &StudyFolder,
    task: &str,
    table: &str,
    occurrences: usize,
) -> Result<TaskData> {
    let path = tables::table_path(&study.active_data, table);
    // A name from the schedule sheet or the mapping file only becomes a path once checked.
    let reader = match mtdata_core::table::TableName::new(table) {
        Ok(_) => tables::open_table(&path)?,
        Err(e) => {
            tracing::warn!("task {task}: {e}; its data is reported as not found");
            None
        }
    };
    let mut data = TaskData {
        found: reader.is_some(),
        use_session: true,
        use_tag: true,
        occurrences,
        ..TaskData::default()
    };
    let Some(mut reader) = reader else {
        return Ok(data);
    };
    let mut symbols = Symbols {
        known: study.strings(),
        extra: HashMap::new(),
    };
    let mut participants: HashSet<u32, BuildHasherDefault<PreHashed>> = HashSet::default();
    let header = Header::new(reader.headers().map_err(|e| Error::csv(&path, e))?);
    let session_col = header
        .find("session")
        .or_else(|| header.find("sessionName"));
    let tag_col = header.find("tag");
    (data.use_session, data.use_tag) = (session_col.is_some(), tag_col.is_some());
    let filter = COMPLETION_ROWS
        .iter()
        .find(|(t, _, _)| *t == table)
        .and_then(|(_, column, value)| Some((header.find(column)?, *value)));
    let mut counter = data.counter();
    let mut row = csv::StringRecord::new();
    while reader
        .read_record(&mut row)
        .map_err(|e| Error::csv(&path, e))?
    {
        if let Some((col, value)) = filter
            && row.get(col) != Some(value)
        {
            continue;
        }
        let Some(participant) = header.participant(&row) else {
            data.data_rows += 1;
            data.unlinked_rows += 1;
            continue;
        };
        let participant = symbols.get(participant);
        if study.excluded.contains(&participant) {
            continue;
        }
        data.data_rows += 1;
        data.linked_rows += 1;
        let text = |col: Option<usize>| {
            col.and_then(|i| row.get(i))
                .filter(|v| *v != "null")
                .unwrap_or("")
        };
        let session = symbols.get(text(session_col));
        let tag = symbols.get(text(tag_col));
        participants.insert(participant);
        let rows = data
            .keys
            .entry(counter.key(participant, session, tag))
            .or_default();
        *rows = rows.saturating_add(1);
    }
    data.participants = participants.len();
    Ok(data)
}

fn scale_row(
    task: &str,
    table: &str,
    data: &TaskData,
    study: &StudyFolder,
    log_rows: &[usize],
) -> ScaleRow {
    let mut counter = data.counter();
    let mut log_keys = KeySet::default();
    for &i in log_rows {
        log_keys.insert(data.log_key(&mut counter, study.loaded.log[i]));
    }
    let missing = log_keys
        .iter()
        .filter(|k| !data.keys.contains_key(k))
        .count();
    let unlogged = data.keys.keys().filter(|k| !log_keys.contains(k)).count();
    ScaleRow {
        task: task.to_owned(),
        table: table.to_owned(),
        data_found: data.found,
        tasklog_rows: log_rows.len(),
        tasklog_completions: log_keys.len(),
        data_rows: data.data_rows,
        data_completions: data.keys.len(),
        participants: data.participants,
        duplicates: data.linked_rows - data.keys.len(),
        unlinked_rows: data.unlinked_rows,
        missing,
        missing_rate: (!log_keys.is_empty()).then(|| missing as f64 / log_keys.len() as f64),
        unlogged,
    }
}
