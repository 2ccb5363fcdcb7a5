//! Export of one server: list, download each chosen table into a durable backup, verify it, delete
//! the backed-up sensitive rows, move the marks.
//!
//! The order is what makes a crash harmless. A row is deleted only after the file holding it was
//! written under a temporary name, fsynced, linked into place, its folder fsynced, and read back with
//! the row's bytes unchanged. A kill before that leaves the row on the server (and at most a
//! temporary file, removed by the next run); a kill after it leaves the row in a parseable backup.
//! Deleteable tables are downloaded whole when rows are to be deleted, so every row a failed or
//! lost DELETE left behind is seen, backed up again and deleted by the next run.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mtdata_core::config::{IncrementalMode, ServerConfig};
use mtdata_core::fsutil::{self, AtomicFile};
use mtdata_core::layout::{FileStamp, RawFileName, StudyLayout};
use mtdata_core::limits::MAX_SCHEDULE_BYTES;
use mtdata_core::lock::StudyLock;
use mtdata_core::names::{case_collisions, escaped};
use mtdata_core::raw_rows::{Row, RowDate, ScanError, scan_array};
use mtdata_core::table::TableName;
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

use crate::client::{DeleteOutcome, HttpFailure, RetryPolicy, ServerClient, TableInfo};
use crate::error::{Error, Result};
use crate::marks::{BackupRecord, LastBackups, Mark, Marks};

/// Which tables to export: MTData's `SCALE` argument.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TableSelection {
    /// `.`: the deleteable (sensitive) tables.
    #[default]
    Deleteable,
    /// `all`: every table.
    All,
    /// `static`: the tables the server keeps (not deleteable).
    Static,
    /// One table by name.
    Table(String),
}

impl TableSelection {
    /// Read MTData's argument: `.`, `all`, `static` or a table name.
    pub fn parse(arg: &str) -> Self {
        match arg {
            "." => TableSelection::Deleteable,
            "all" => TableSelection::All,
            "static" => TableSelection::Static,
            other => TableSelection::Table(other.to_owned()),
        }
    }
}

/// How to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub tables: TableSelection,
    /// Back up as usual but delete nothing; count what would be deleted.
    pub dry_run: bool,
    /// Ignore the marks and download whole tables.
    pub full: bool,
    /// Never delete, whatever `DELETE_MODE` says.
    pub no_delete: bool,
    pub retry: RetryPolicy,
}

/// Hooks for progress display; every method has a default that does nothing.
pub trait Progress {
    /// A table download starts; `rows` is the size the server listed.
    fn table_started(&mut self, _table: &str, _rows: Option<u64>) {}
    /// More bytes of the current table arrived.
    fn bytes_received(&mut self, _bytes: u64) {}
    /// Deleting `rows` rows of the current table starts.
    fn deleting(&mut self, _rows: u64) {}
    /// One more row was handled by a DELETE.
    fn row_deleted(&mut self) {}
    /// The table is done.
    fn table_finished(&mut self, _summary: &TableExportSummary) {}
    /// A MindLogger applet is done (it started with `table_started`, its pages came as `bytes_received`).
    fn applet_finished(&mut self, _summary: &crate::mindlogger::AppletSummary) {}
    /// The walk of a MindLogger server's Girder structure is done (it started with `table_started`).
    fn girder_finished(&mut self, _summary: &crate::mindlogger::GirderSummary) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// How a table's export ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableStatus {
    /// New rows are backed up (and deleted where asked).
    Done,
    /// The server had nothing new.
    NothingNew,
    /// Something failed; nothing unsafe was done. The text says what and what to do.
    Failed(String),
}

/// What happened to one table.
#[derive(Debug, Clone)]
pub struct TableExportSummary {
    pub table: String,
    pub deleteable: bool,
    pub status: TableStatus,
    /// Rows in the server's answer.
    pub rows: u64,
    /// Rows above the previous mark.
    pub new_rows: u64,
    pub bytes: u64,
    /// The backup written, if any.
    pub backup: Option<PathBuf>,
    /// The answer was byte for byte this earlier backup, which already holds its rows, so it was not
    /// saved again (a table whose deletes keep failing is not copied in full every run).
    pub not_repeated: Option<PathBuf>,
    pub deleted: u64,
    /// Rows whose DELETE answered 404 (already gone).
    pub already_gone: u64,
    /// Rows left on the server because a DELETE failed; the next run retries them.
    pub delete_failed: u64,
    /// Rows whose DELETE answered success or 404 but which a re-read of the table still found on the
    /// server (a missing or misrouted delete route). Not counted in `deleted` or `already_gone`.
    pub still_on_server: u64,
    /// Rows at or below the previous mark found again on the server (left by earlier failures).
    pub leftovers: u64,
    /// With `dry_run`: rows that would have been deleted.
    pub would_delete: u64,
    /// The mark after this run.
    pub mark: Option<i64>,
    pub elapsed: Duration,
}

impl TableExportSummary {
    fn new(table: &str, deleteable: bool) -> Self {
        TableExportSummary {
            table: table.to_owned(),
            deleteable,
            status: TableStatus::NothingNew,
            rows: 0,
            new_rows: 0,
            bytes: 0,
            backup: None,
            not_repeated: None,
            deleted: 0,
            already_gone: 0,
            delete_failed: 0,
            still_on_server: 0,
            leftovers: 0,
            would_delete: 0,
            mark: None,
            elapsed: Duration::ZERO,
        }
    }

    pub fn failed(&self) -> bool {
        matches!(self.status, TableStatus::Failed(_))
    }
}

/// What became of the study schedule (`GET /api/study`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleStatus {
    /// Saved because it changed (or was new).
    Saved(PathBuf),
    Unchanged,
    /// The server has no `/api/study` (servers before 2016-11).
    NotOffered,
    Failed(String),
}

/// What happened on one server.
#[derive(Debug, Clone)]
pub struct ServerReport {
    pub server: String,
    pub study_folder: PathBuf,
    pub tables: Vec<TableExportSummary>,
    pub schedule: ScheduleStatus,
    /// Temporary files of an earlier, interrupted run that were cleared.
    pub stale_files_removed: usize,
    /// The server's table list at the start of the run: every table with its size, also those the
    /// run did not export (the deleteable backlog the server counts against its limit).
    pub listed: Vec<TableInfo>,
}

impl ServerReport {
    /// Rows of deleteable tables left on the server after this run: the listed sizes less what this
    /// run deleted (rows submitted meanwhile are not counted). The server stops taking submissions
    /// when this reaches its `export.maxRecords` (900,000 by default).
    pub fn deleteable_backlog(&self) -> u64 {
        let listed: u64 = self
            .listed
            .iter()
            .filter(|t| t.deleteable)
            .map(|t| t.size)
            .sum();
        let removed: u64 = self
            .tables
            .iter()
            .filter(|t| t.deleteable)
            .map(|t| t.deleted + t.already_gone)
            .sum();
        listed.saturating_sub(removed)
    }

    /// True when some table failed or a delete did not go through.
    pub fn has_problems(&self) -> bool {
        self.tables
            .iter()
            .any(|t| t.failed() || t.delete_failed > 0 || t.still_on_server > 0)
            || matches!(self.schedule, ScheduleStatus::Failed(_))
    }
}

/// Export one server as `options` say.
pub fn export_server(
    server: &ServerConfig,
    options: &ExportOptions,
    progress: &mut dyn Progress,
) -> Result<ServerReport> {
    if server.platform.mindlogger().is_some() {
        return Err(Error::WrongPlatform {
            server: server.name.clone(),
            platform: server.platform.name(),
        });
    }
    server.credentials()?;
    let layout = server.layout();
    let OpenStudy {
        lock: _lock,
        stale_files_removed,
        mut marks,
    } = open_study(&layout)?;
    let mut backups = LastBackups::load(&layout.last_backups());
    let client = ServerClient::new(server, options.retry.clone())?;

    let listed = client
        .list_tables()
        .map_err(|failure| server_failure(server, "cannot list tables", failure))?;
    // On Windows and macOS `OA` and `oa` would be one file: neither is used.
    let same_but_case = case_collisions(listed.iter().map(|t| t.name.as_str()));
    let chosen = choose_tables(&listed, &options.tables);

    let mut tables = Vec::with_capacity(chosen.len());
    for (name, deleteable, size) in chosen {
        let started = Instant::now();
        let mut summary = match checked_table_name(&name, &same_but_case) {
            Err(why) => {
                let mut summary = TableExportSummary::new(&name, deleteable);
                summary.status = TableStatus::Failed(format!(
                    "server {} listed a {why}; skipped, nothing written or deleted",
                    server.name
                ));
                summary
            }
            Ok(table) => {
                progress.table_started(table.as_str(), size);
                let job = TableJob {
                    server,
                    client: &client,
                    layout: &layout,
                    table: &table,
                    deleteable,
                    listed_size: size,
                    mark: marks.get(table.as_str()).cloned(),
                    options,
                };
                let (summary, new_mark) = job.run(progress, &mut backups)?;
                backups.save(&layout.last_backups())?;
                if let Some(mark) = new_mark {
                    marks.tables.insert(table.as_str().to_owned(), mark);
                    marks.save(&layout.bench_mark())?;
                }
                summary
            }
        };
        summary.elapsed = started.elapsed();
        log_summary(&server.name, &summary);
        progress.table_finished(&summary);
        tables.push(summary);
    }

    let schedule = save_schedule(&client, &layout);
    Ok(ServerReport {
        server: server.name.clone(),
        study_folder: layout.root().to_owned(),
        tables,
        schedule,
        stale_files_removed,
        listed,
    })
}

/// A study folder held by one export.
pub(crate) struct OpenStudy {
    /// The study's lock, released by the kernel when the process ends.
    pub lock: StudyLock,
    /// Temporary files of an earlier, interrupted run, removed.
    pub stale_files_removed: usize,
    pub marks: Marks,
}

/// Create the study's folders, take its lock, clear what an interrupted run left and read the marks.
pub(crate) fn open_study(layout: &StudyLayout) -> Result<OpenStudy> {
    for dir in [layout.raw_data(), layout.active_data(), layout.logs()] {
        fsutil::ensure_dir(&dir)?;
    }
    let lock = StudyLock::acquire(layout, "mtdata export", Duration::ZERO)?;
    let mut stale_files_removed = fsutil::remove_stale_temp_files(&layout.raw_data())?;
    stale_files_removed += fsutil::remove_stale_temp_files(&layout.active_data())?;
    Ok(OpenStudy {
        lock,
        stale_files_removed,
        marks: Marks::load(&layout.bench_mark())?,
    })
}

/// Whether no mtdata run holds the study folder now (`mtdata doctor`); the lock is released at once.
pub fn study_lock_is_free(layout: &StudyLayout) -> Result<bool> {
    if !layout.lock_file().exists() {
        return Ok(true);
    }
    match StudyLock::acquire(layout, "mtdata doctor", Duration::ZERO) {
        Ok(_released_here) => Ok(true),
        Err(mtdata_core::Error::Locked { .. }) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn server_failure(server: &ServerConfig, what: &str, failure: HttpFailure) -> Error {
    match failure {
        HttpFailure::Auth(status) => Error::Auth {
            server: server.name.clone(),
            status,
            env: mtdata_core::config::env_name(&server.name),
        },
        other => Error::Server {
            server: server.name.clone(),
            what: format!("{what} at {}: {other}", server.server),
        },
    }
}

/// A listed name as a table name: refused when it cannot be a file name, or when another listed name
/// equals it but for case. The refusal is for a message ("server s listed a ...").
fn checked_table_name(
    name: &str,
    same_but_case: &BTreeSet<String>,
) -> std::result::Result<TableName, String> {
    let table = TableName::new(name).map_err(|invalid| invalid.to_string())?;
    if same_but_case.contains(name) {
        let others: Vec<String> = same_but_case
            .iter()
            .filter(|other| other.eq_ignore_ascii_case(name) && *other != name)
            .map(|other| escaped(other).into_owned())
            .collect();
        return Err(format!(
            "table name {name} that differs only by case from {} (one file on Windows and macOS)",
            others.join(", ")
        ));
    }
    Ok(table)
}

/// The tables to export, in the server's order: (name, deleteable, listed size).
fn choose_tables(
    listed: &[TableInfo],
    selection: &TableSelection,
) -> Vec<(String, bool, Option<u64>)> {
    let entry = |t: &TableInfo| (t.name.clone(), t.deleteable, Some(t.size));
    match selection {
        TableSelection::Deleteable => listed.iter().filter(|t| t.deleteable).map(entry).collect(),
        TableSelection::Static => listed.iter().filter(|t| !t.deleteable).map(entry).collect(),
        TableSelection::All => listed.iter().map(entry).collect(),
        TableSelection::Table(name) => match listed
            .iter()
            .find(|t| t.name == *name)
            .or_else(|| listed.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
        {
            Some(t) => vec![entry(t)],
            None => {
                // Older servers answer for tables they do not list (Participant, TaskLogDAO);
                // such a table is never deleted from.
                tracing::warn!(
                    "table {name} is not in the server's list; fetching it without deleting"
                );
                vec![(name.clone(), false, None)]
            }
        },
    }
}

struct TableJob<'a> {
    server: &'a ServerConfig,
    client: &'a ServerClient,
    layout: &'a StudyLayout,
    table: &'a TableName,
    deleteable: bool,
    /// The table's size in the server's list.
    listed_size: Option<u64>,
    mark: Option<Mark>,
    options: &'a ExportOptions,
}

/// What one pass over a downloaded array found.
#[derive(Default)]
struct Scan {
    rows: u64,
    new_rows: u64,
    without_id: u64,
    /// Rows whose `id` is there but not a row id, and the first such id's JSON text.
    bad_ids: u64,
    first_bad_id: Option<String>,
    leftovers: u64,
    /// Rows with an id, new or not.
    with_id: u64,
    max_id: Option<i64>,
    /// The date of the row with the highest id, as an `after` value: the server's clock when it
    /// stored its newest row. Not the highest date, which a clock that went back would leave ahead
    /// of every row to come.
    newest_after: Option<String>,
    /// Rows to delete once verified: id to hash of the row's exact bytes.
    to_delete: HashMap<i64, u128>,
    /// Ids sent twice with different content; never deleted.
    conflicting: Vec<i64>,
}

impl Scan {
    /// Count one row of the answer: new or left over (at or below `old_mark`), and to delete once verified.
    fn add(&mut self, row: &Row<'_>, old_mark: i64, deletes: bool) {
        self.rows += 1;
        let Some(id) = row.id else {
            match row.bad_id {
                Some(text) => {
                    self.bad_ids += 1;
                    self.first_bad_id.get_or_insert_with(|| text.to_owned());
                }
                None => self.without_id += 1,
            }
            return;
        };
        self.with_id += 1;
        if self.max_id.is_none_or(|m| id >= m) {
            self.newest_after = row.date.as_ref().and_then(RowDate::to_after_param);
        }
        self.max_id = Some(self.max_id.map_or(id, |m| m.max(id)));
        if id > old_mark {
            self.new_rows += 1;
        } else {
            self.leftovers += 1;
        }
        if deletes {
            let hash = xxh3_128(row.raw.as_bytes());
            if let Some(previous) = self.to_delete.insert(id, hash)
                && previous != hash
            {
                self.conflicting.push(id);
            }
        }
    }
}

impl TableJob<'_> {
    fn deletes_rows(&self) -> bool {
        self.server.delete_mode && self.deleteable && !self.options.no_delete
    }

    /// Whether an incremental answer with `new_rows` left rows out: the server listed more rows
    /// (at the start of the run; rows only come since) than the backups held (`Mark::rows`) plus
    /// the new ones. A server clock that went back dates new rows before the `after` mark.
    fn missed_rows(&self, new_rows: u64) -> bool {
        let held = self.mark.as_ref().and_then(|m| m.rows);
        match (held, self.listed_size) {
            (Some(held), Some(listed)) if !self.deletes_rows() && listed > held + new_rows => {
                tracing::warn!(
                    "server {} lists {listed} rows of {} but the backups hold {}; downloading the whole table",
                    self.server.name,
                    self.table,
                    held + new_rows
                );
                true
            }
            _ => false,
        }
    }

    /// The query for new rows, and the id at or below which rows are not new.
    fn query(&self) -> (String, i64) {
        let old_mark = self.mark.as_ref().map_or(0, |m| m.current);
        if self.options.full || self.deletes_rows() || self.mark.is_none() {
            return (String::new(), old_mark);
        }
        let mark = self.mark.as_ref().expect("checked above");
        let query = match self.server.incremental {
            IncrementalMode::Full => String::new(),
            IncrementalMode::GreaterThan => {
                let overlap = i64::try_from(self.server.overlap.unwrap_or(0)).unwrap_or(i64::MAX);
                let from = mark.current.saturating_sub(overlap).max(0);
                if from == 0 {
                    String::new()
                } else {
                    format!("?greaterThan={from}")
                }
            }
            IncrementalMode::After => match mark
                .after
                .as_deref()
                .and_then(|a| step_back(a, self.server.overlap.unwrap_or(5)))
            {
                Some(after) => format!("?after={after}"),
                None => String::new(),
            },
        };
        (query, old_mark)
    }

    /// Download, back up (unless the last backup already holds this very answer), verify, delete,
    /// confirm the deletes; the new mark, if it moves. `backups` records the backup of the table.
    fn run(
        &self,
        progress: &mut dyn Progress,
        backups: &mut LastBackups,
    ) -> Result<(TableExportSummary, Option<Mark>)> {
        let (query, old_mark) = self.query();
        let (summary, mark) = self.fetch(&query, old_mark, false, progress, backups)?;
        let answered = matches!(summary.status, TableStatus::Done | TableStatus::NothingNew);
        if !query.is_empty() && answered && self.missed_rows(summary.new_rows) {
            // Rows above `old_mark` in the first answer count as new again in the whole one.
            return self.fetch("", old_mark, true, progress, backups);
        }
        Ok((summary, mark))
    }

    /// One download with `query` and what follows it; `catching_up` keeps a whole answer whose rows
    /// are all at or below the mark.
    fn fetch(
        &self,
        query: &str,
        old_mark: i64,
        catching_up: bool,
        progress: &mut dyn Progress,
        backups: &mut LastBackups,
    ) -> Result<(TableExportSummary, Option<Mark>)> {
        let mut summary = TableExportSummary::new(self.table.as_str(), self.deleteable);
        let path = format!("export/{}{query}", self.table);
        let downloaded = match self.download(&path, old_mark, progress)? {
            Ok(downloaded) => downloaded,
            Err(message) => {
                summary.status = TableStatus::Failed(message);
                return Ok((summary, None));
            }
        };
        let scan = &downloaded.scan;
        summary.rows = scan.rows;
        summary.new_rows = scan.new_rows;
        summary.bytes = downloaded.record.bytes;
        summary.leftovers = scan.leftovers;
        summary.mark = self.mark.as_ref().map(|m| m.current);
        // A whole download after missed rows is kept even when every id is below the mark.
        let keep = scan.new_rows > 0
            || catching_up && scan.with_id > 0
            || scan.without_id > 0
            || scan.bad_ids > 0
            || !scan.to_delete.is_empty();
        if !keep {
            return Ok((summary, None)); // nothing new: no backup file for an answer that holds nothing new
        }
        let Some(backup) = self.save(downloaded.file, &downloaded.record, backups, &mut summary)
        else {
            return Ok((summary, None));
        };
        summary.status = TableStatus::Done;
        let scan = downloaded.scan;
        if let Some(problem) = malformed_rows(&scan, &backup) {
            summary.status = TableStatus::Failed(problem);
            return Ok((summary, None));
        }
        if !scan.conflicting.is_empty() {
            summary.delete_failed += scan.conflicting.len() as u64;
            summary.status = TableStatus::Failed(format!(
                "{} ids were sent twice with different content (first: id {}); those rows were not deleted",
                scan.conflicting.len(),
                scan.conflicting[0]
            ));
        }
        if !scan.to_delete.is_empty() {
            match verify_backup(&backup, &scan.to_delete) {
                Err(message) => {
                    summary.status = TableStatus::Failed(message);
                    summary.delete_failed += scan.to_delete.len() as u64;
                    // The next run saves its answer anew rather than trusting this file.
                    backups.forget(self.table.as_str());
                    return Ok((summary, None));
                }
                Ok(verified) => {
                    summary.delete_failed += (scan.to_delete.len() - verified.ids.len()) as u64;
                    if self.options.dry_run {
                        summary.would_delete = verified.ids.len() as u64;
                    } else {
                        let gone = self.delete_verified(&verified, &mut summary, progress);
                        self.confirm_deletes(&gone, &mut summary);
                    }
                }
            }
        }
        let new_mark = Mark {
            current: scan.max_id.map_or(old_mark, |m| m.max(old_mark)),
            deleteable: self.deleteable,
            // The newest row's date when this answer brought new rows, so that the mark follows
            // the server's clock back as well as forward.
            after: match scan.newest_after {
                Some(after) if scan.max_id.is_some_and(|m| m > old_mark) => Some(after),
                _ => self.mark.as_ref().and_then(|m| m.after.clone()),
            },
            rows: if self.deletes_rows() {
                None
            } else if query.is_empty() {
                Some(scan.with_id)
            } else {
                self.mark
                    .as_ref()
                    .and_then(|m| m.rows)
                    .map(|held| held + scan.new_rows)
            },
        };
        summary.mark = Some(new_mark.current);
        Ok((summary, Some(new_mark)))
    }

    /// The backup holding the downloaded answer: the last backup of the table when the answer is byte
    /// for byte what it holds (then `file` is dropped and `summary.not_repeated` says so), else `file`
    /// committed and recorded in `backups`. `None` when it cannot be saved (`summary` says why).
    fn save(
        &self,
        file: AtomicFile,
        answer: &BackupRecord,
        backups: &mut LastBackups,
        summary: &mut TableExportSummary,
    ) -> Option<PathBuf> {
        let raw_data = self.layout.raw_data();
        if let Some(earlier) = backups.holding(self.table.as_str(), answer, &raw_data) {
            drop(file);
            summary.not_repeated = Some(earlier.clone());
            return Some(earlier);
        }
        match file.commit() {
            Ok(path) => {
                summary.backup = Some(path.clone());
                backups.record(self.table.as_str(), answer, &path);
                Some(path)
            }
            Err(e) => {
                summary.status = TableStatus::Failed(format!(
                    "cannot save the backup ({}); nothing deleted",
                    mtdata_core::error::chain(&e)
                ));
                None
            }
        }
    }

    /// Download into a temporary backup file while scanning the rows; retried from the start
    /// when the connection or the body breaks. The inner `Err` is a table failure message.
    fn download(
        &self,
        path: &str,
        old_mark: i64,
        progress: &mut dyn Progress,
    ) -> Result<std::result::Result<Downloaded, String>> {
        let retry = self.client.retry();
        let mut last_problem = String::new();
        for attempt in 1..=retry.attempts.max(1) {
            std::thread::sleep(retry.delay(attempt));
            let response = match self.client.get(path) {
                Ok(response) => response,
                Err(HttpFailure::NotFound) => {
                    return Ok(Err(format!(
                        "the server has no table {} (HTTP 404); check the table name",
                        self.table
                    )));
                }
                Err(failure @ HttpFailure::Auth(_)) => {
                    return Err(server_failure(self.server, "cannot read tables", failure));
                }
                Err(failure) => {
                    return Ok(Err(format!(
                        "download {}; the next run tries again",
                        failure.failed(retry.attempts)
                    )));
                }
            };
            let name = RawFileName::new(self.table.as_str(), FileStamp::now());
            let mut file = AtomicFile::create_new(self.layout.raw_data().join(name.file_name()))?;
            let mut scan = Scan::default();
            let deletes = self.deletes_rows();
            let tee = Tee {
                inner: response,
                out: &mut file,
                bytes: 0,
                hash: Xxh3::new(),
                progress: &mut *progress,
            };
            let mut reader = BufReader::with_capacity(1 << 18, tee);
            let result = scan_array(&mut reader, |row| scan.add(&row, old_mark, deletes));
            let tee = reader.get_ref();
            let record =
                BackupRecord::of_answer(&name.file_name(), tee.bytes, tee.hash.digest128());
            match result {
                Ok(_) => {
                    for id in &scan.conflicting {
                        scan.to_delete.remove(id);
                    }
                    if !deletes || self.mark.is_none() {
                        scan.leftovers = 0;
                    }
                    return Ok(Ok(Downloaded { file, scan, record }));
                }
                Err(e @ ScanError::RowTooLarge { .. }) => {
                    return Ok(Err(format!(
                        "the answer's {e}; nothing saved or deleted; report this to the server's developers"
                    )));
                }
                Err(ScanError::Io(e)) => {
                    last_problem = format!("the download broke off ({e})");
                }
                Err(e) => {
                    // A body cut short without a length looks like bad JSON: try again first.
                    last_problem = format!("the answer is not a JSON array of rows ({e})");
                }
            }
            tracing::debug!(
                "{} {}: {last_problem}; try {attempt}",
                self.server.name,
                self.table
            );
        }
        Ok(Err(format!(
            "{last_problem} after {} tries; nothing deleted, the next run tries again",
            retry.attempts.max(1)
        )))
    }

    /// DELETE each verified row; the rows the server says are gone, each with whether it answered 404.
    fn delete_verified(
        &self,
        verified: &VerifiedRows,
        summary: &mut TableExportSummary,
        progress: &mut dyn Progress,
    ) -> Vec<(i64, bool)> {
        progress.deleting(verified.ids.len() as u64);
        let mut gone = Vec::with_capacity(verified.ids.len());
        for (done, &id) in verified.ids.iter().enumerate() {
            match self.client.delete_row(self.table.as_str(), id) {
                DeleteOutcome::Deleted => {
                    summary.deleted += 1;
                    gone.push((id, false));
                }
                DeleteOutcome::AlreadyGone => {
                    summary.already_gone += 1;
                    gone.push((id, true));
                }
                DeleteOutcome::Refused => {
                    let left = (verified.ids.len() - done) as u64;
                    summary.delete_failed += left;
                    summary.status = TableStatus::Failed(format!(
                        "the server refused to delete row {id} (HTTP 403); {left} rows left on the server; check that the account is an admin and the table deleteable"
                    ));
                    return gone;
                }
                DeleteOutcome::Failed(failure) => {
                    summary.delete_failed += 1;
                    if !summary.failed() {
                        summary.status = TableStatus::Failed(format!(
                            "deleting row {id} failed ({failure}); rows whose delete failed stay on the server and the next run deletes them"
                        ));
                    }
                }
            }
            progress.row_deleted();
        }
        gone
    }

    /// Read the table once more and count the rows of `gone` still on it: a DELETE answered 200 or 404
    /// for a row this run just downloaded proves nothing until the row is seen to be gone. Such rows
    /// are a failure (they stay backed up, and the next run tries again).
    fn confirm_deletes(&self, gone: &[(i64, bool)], summary: &mut TableExportSummary) {
        if gone.is_empty() {
            return;
        }
        let wanted: HashMap<i64, bool> = gone.iter().copied().collect();
        let mut still = Vec::new();
        let reread = self
            .client
            .get(&format!("export/{}", self.table))
            .map_err(|failure| failure.to_string())
            .and_then(|response| {
                scan_array(BufReader::with_capacity(1 << 18, response), |row| {
                    if let Some(answered_404) = row.id.and_then(|id| wanted.get(&id)) {
                        still.push((row.id.unwrap_or_default(), *answered_404));
                    }
                })
                .map_err(|e| e.to_string())
            });
        if let Err(why) = reread {
            summary.status = TableStatus::Failed(format!(
                "cannot re-read the table to confirm its deletes ({why}); the next run checks again"
            ));
            return;
        }
        still.sort_unstable();
        still.dedup();
        let Some(&(first, _)) = still.first() else {
            return;
        };
        let answered_404 = still.iter().filter(|(_, was_404)| *was_404).count() as u64;
        summary.already_gone -= answered_404;
        summary.deleted -= still.len() as u64 - answered_404;
        summary.still_on_server = still.len() as u64;
        summary.status = TableStatus::Failed(format!(
            "{} rows are still on the server although their DELETE answered {} (first: id {first}); the server's delete route is missing or misrouted (check SERVER); the rows stay backed up and the next run tries again",
            still.len(),
            match (answered_404, still.len() as u64 - answered_404) {
                (0, _) => "success",
                (_, 0) => "404",
                _ => "success or 404",
            }
        ));
    }
}

/// What one download gave: the unsaved backup, the scan of its rows, and its record (size and hash).
struct Downloaded {
    file: AtomicFile,
    scan: Scan,
    record: BackupRecord,
}

/// A table failure when some row has no id, or an id that is not a row id: nothing is deleted and
/// the mark stays, since such rows cannot be told apart or deleted.
fn malformed_rows(scan: &Scan, backup: &Path) -> Option<String> {
    let mut problems = Vec::new();
    if scan.without_id > 0 {
        problems.push(format!("{} rows have no id", scan.without_id));
    }
    if let Some(first) = &scan.first_bad_id {
        problems.push(format!(
            "{} rows have an id that is not a positive whole number (first: {})",
            scan.bad_ids,
            mtdata_core::names::shown(first)
        ));
    }
    (!problems.is_empty()).then(|| {
        format!(
            "{}; backup kept in {}, nothing deleted and the mark not moved; report this to the server's developers",
            problems.join(", "),
            backup.display()
        )
    })
}

/// Rows re-read from a durable backup with their bytes unchanged. Only [`verify_backup`] makes one,
/// and only verified rows are ever deleted.
struct VerifiedRows {
    ids: Vec<i64>,
}

/// Read the committed backup again and keep the ids whose rows are present with identical bytes.
fn verify_backup(
    path: &Path,
    expected: &HashMap<i64, u128>,
) -> std::result::Result<VerifiedRows, String> {
    let file = File::open(path).map_err(|e| {
        format!(
            "cannot re-read backup {} ({e}); nothing deleted",
            path.display()
        )
    })?;
    let mut ids = Vec::with_capacity(expected.len());
    scan_array(BufReader::with_capacity(1 << 18, file), |row| {
        if let Some(id) = row.id
            && expected.get(&id) == Some(&xxh3_128(row.raw.as_bytes()))
        {
            ids.push(id);
        }
    })
    .map_err(|e| {
        format!(
            "backup {} did not read back as written ({e}); nothing deleted; check the disk",
            path.display()
        )
    })?;
    ids.sort_unstable();
    ids.dedup();
    Ok(VerifiedRows { ids })
}

/// `yyyy-MM-dd-HH-mm-ss` minus `minutes`.
fn step_back(after: &str, minutes: u64) -> Option<String> {
    let t = chrono::NaiveDateTime::parse_from_str(after, "%Y-%m-%d-%H-%M-%S").ok()?;
    let t = t - chrono::Duration::minutes(i64::try_from(minutes).ok()?);
    Some(t.format("%Y-%m-%d-%H-%M-%S").to_string())
}

/// Copies what is read into the backup file, hashes it, and counts bytes for the progress bar.
struct Tee<'a, R> {
    inner: R,
    out: &'a mut AtomicFile,
    bytes: u64,
    hash: Xxh3,
    progress: &'a mut dyn Progress,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        self.progress.bytes_received(n as u64);
        Ok(n)
    }
}

/// Save `/api/study` when it changed: the raw answer under `raw_data/schedule/`, the current one as
/// `active_data/study.json` for offline reports.
fn save_schedule(client: &ServerClient, layout: &StudyLayout) -> ScheduleStatus {
    let bytes = match client.get_bytes(
        "study",
        "the study schedule",
        MAX_SCHEDULE_BYTES,
        "MAX_SCHEDULE_BYTES",
    ) {
        Ok(bytes) => bytes,
        Err(HttpFailure::NotFound) => return ScheduleStatus::NotOffered,
        Err(failure @ HttpFailure::TooLarge(_)) => {
            return ScheduleStatus::Failed(format!("{failure}; kept the previous one"));
        }
        Err(failure) => {
            return ScheduleStatus::Failed(format!("cannot fetch the study schedule: {failure}"));
        }
    };
    if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
        return ScheduleStatus::Failed(
            "the study schedule is not JSON; kept the previous one".into(),
        );
    }
    if std::fs::read(layout.schedule()).is_ok_and(|old| old == bytes) {
        return ScheduleStatus::Unchanged;
    }
    let save = || -> mtdata_core::Result<PathBuf> {
        let dir = layout.raw_data().join("schedule");
        fsutil::ensure_dir(&dir)?;
        let mut raw = AtomicFile::create_new(
            dir.join(RawFileName::new("study", FileStamp::now()).file_name()),
        )?;
        raw.write_all(&bytes).map_err(|e| mtdata_core::Error::Io {
            action: "cannot write",
            path: dir.clone(),
            source: e,
        })?;
        raw.commit()?;
        fsutil::write_atomic(layout.schedule(), &bytes)?;
        Ok(layout.schedule())
    };
    match save() {
        Ok(path) => ScheduleStatus::Saved(path),
        Err(e) => ScheduleStatus::Failed(format!(
            "cannot save the study schedule: {}",
            mtdata_core::error::chain(&e)
        )),
    }
}

fn log_summary(server: &str, s: &TableExportSummary) {
    let table = escaped(&s.table);
    match &s.status {
        TableStatus::Failed(why) => tracing::error!("{server} {table}: {why}"),
        _ => tracing::info!(
            "{server} {table}: {} rows received, {} new, {} deleted, {} delete failures",
            s.rows,
            s.new_rows,
            s.deleted,
            s.delete_failed
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_follows_mtdata() {
        assert_eq!(TableSelection::parse("."), TableSelection::Deleteable);
        assert_eq!(TableSelection::parse("all"), TableSelection::All);
        assert_eq!(TableSelection::parse("static"), TableSelection::Static);
        assert_eq!(
            TableSelection::parse("OA"),
            TableSelection::Table("OA".into())
        );
    }

    #[test]
    fn choose_by_scale() {
        let listed = vec![
            TableInfo {
                name: "OA".into(),
                size: 3,
                deleteable: false,
            },
            TableInfo {
                name: "RR".into(),
                size: 2,
                deleteable: true,
            },
        ];
        let names = |s| {
            choose_tables(&listed, &s)
                .into_iter()
                .map(|t| t.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(TableSelection::Deleteable), ["RR"]);
        assert_eq!(names(TableSelection::Static), ["OA"]);
        assert_eq!(names(TableSelection::All), ["OA", "RR"]);
        assert_eq!(names(TableSelection::Table("rr".into())), ["RR"]);
        assert_eq!(
            names(TableSelection::Table("TaskLogDAO".into())),
            ["TaskLogDAO"]
        );
    }

    #[test]
    fn after_steps_back() {
        assert_eq!(
            step_back("2019-05-10-00-03-00", 5).unwrap(),
            "2019-05-09-23-58-00"
        );
    }
}
