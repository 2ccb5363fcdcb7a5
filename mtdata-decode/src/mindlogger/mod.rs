//! Decode MindLogger backups (`raw_data/mindlogger/<applet id>/`, v1 and v2) offline into the tables of
//! `active_data/mindlogger/<applet id>/` (`docs/mindlogger.md`, "Decode"; columns in
//! `mtdata_core::decoded::mindlogger`).
//!
//! 1. [`read_raw_applet`]: the applet document and the complete runs (a run without its `run_<stamp>.json`
//!    is ignored and counted).
//! 2. [`applet_key_ring`]: the caller's passwords as keys (checked against the applet's public key, or tried
//!    in all ten primes for a previous owner's password with its account id).
//! 3. [`decode_applet`]: every page parsed, answers merged by id (the newest run's copy wins; copies that
//!    differ are conflicts), decrypted on all cores, and rendered: `responses.csv` as the admin panel writes
//!    it (plus `item_score` and `answer_status`), the user journey, one wide table per activity, a summary.
//! 4. [`write_applet`]: each file written atomically and owner-only.
//!
//! [`decode_mindlogger_study`] does all of it for every applet of a study folder.

mod activity;
mod decrypt;
mod format;
mod keys;
mod pages;
mod raw;
mod summary;
mod tables;

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use mtdata_core::config::AppletPasswords;
use mtdata_core::csv_cell::CsvCells;
use mtdata_core::decoded::mindlogger::{
    JOURNEY_FILE, JOURNEY_HEADER, RESPONSES_FILE, RESPONSES_HEADER, SUMMARY_FILE, WIDE_FOLDER,
};
use mtdata_core::fsutil::{AtomicFile, ensure_private_dir, write_atomic};
use mtdata_core::layout::StudyLayout;
use mtdata_core::mindlogger::AppletId;
use mtdata_crypto::Backend;
use mtdata_crypto::mindlogger::{AnswerStatus, KeyRing};
use rayon::prelude::*;

pub use format::{AnswerContext, format_options, format_response, raw_score, selected_score};
pub use keys::applet_key_ring;
pub use raw::{AppletDocument, IncompleteRun, RawApplet, RawRun, read_raw_applet};
pub use summary::{AnswerFailure, AppletSummary, WideTable};

use crate::error::{Error, Result};
use crate::summary::FileProblem;
use decrypt::{Decoded, decode_submission};
use pages::{Submission, parse_page};
use tables::{
    Entry, EventsOutcome, Rendered, WidePlan, header_line, render_journey, render_responses,
    render_wide, wide_plans,
};

/// How to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MindLoggerOptions {
    /// Worker threads for parsing, decryption and rendering; all cores when `None`.
    pub threads: Option<NonZeroUsize>,
    /// Where the applet keys exponentiate.
    pub backend: Backend,
    /// How free-text cells are written: spreadsheet-safe (the default: a cell a spreadsheet would run as a
    /// formula gets a leading `'`) or as the data holds it ([`CsvCells::Raw`], for tools; `--raw-csv`).
    pub csv_cells: CsvCells,
}

impl Default for MindLoggerOptions {
    fn default() -> Self {
        MindLoggerOptions {
            threads: None,
            backend: Backend::DEFAULT,
            csv_cells: CsvCells::default(),
        }
    }
}

/// The tables of one applet, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedApplet {
    pub summary: AppletSummary,
    /// `responses.csv`.
    pub responses: Vec<u8>,
    /// `activity_user_journey.csv`.
    pub journey: Vec<u8>,
    /// `wide/<file>` and its bytes, one per activity.
    pub wide: Vec<(String, Vec<u8>)>,
}

/// Decode one applet's complete runs with `ring`. Damaged files and undecryptable answers do not stop it:
/// they are in the summary.
pub fn decode_applet(
    raw: &RawApplet,
    ring: &KeyRing,
    options: &MindLoggerOptions,
) -> DecodedApplet {
    let open = |wide: &[WideTable]| {
        Ok(TableWriters {
            responses: Vec::new(),
            journey: Vec::new(),
            wide: vec![Vec::new(); wide.len()],
        })
    };
    let Ok((summary, tables)) =
        in_pool(options, || decode_into(raw, ring, options.csv_cells, open));
    DecodedApplet {
        responses: tables.responses,
        journey: tables.journey,
        wide: summary
            .wide
            .iter()
            .map(|table| table.file.clone())
            .zip(tables.wide)
            .collect(),
        summary,
    }
}

/// Run `work` on `options.threads` threads (all cores when `None`).
fn in_pool<R: Send>(options: &MindLoggerOptions, work: impl FnOnce() -> R + Send) -> R {
    let Some(threads) = options.threads else {
        return work();
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.get())
        .build()
    {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// Submissions rendered per wave: the tables are written a wave at a time, so a decode holds two waves of
/// rendered CSV (tens of MB) instead of all of it (a gigabyte for 10^5 answers).
const WAVE: usize = 4096;

/// Where a table's bytes go: memory ([`decode_applet`]) or a file being written atomically.
trait TableOut: Send {
    type Error: Send;
    fn put(&mut self, bytes: &[u8]) -> std::result::Result<(), Self::Error>;
}

impl TableOut for Vec<u8> {
    type Error = std::convert::Infallible;

    fn put(&mut self, bytes: &[u8]) -> std::result::Result<(), Self::Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// A table file of an applet, named in its errors.
struct TableFile {
    file: AtomicFile,
    path: PathBuf,
    applet: String,
}

impl TableFile {
    fn create(applet: &str, path: PathBuf) -> Result<TableFile> {
        let file = AtomicFile::create(&path)
            .map_err(write_error(applet, &path))?
            .release_while_writing();
        Ok(TableFile {
            file,
            path,
            applet: applet.to_owned(),
        })
    }

    fn commit(self) -> Result<()> {
        let TableFile { file, path, applet } = self;
        file.commit().map(drop).map_err(write_error(&applet, &path))
    }
}

impl TableOut for TableFile {
    type Error = Error;

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).map_err(|source| {
            let cause = mtdata_core::error::Error::Io {
                action: "cannot write",
                path: self.path.clone(),
                source,
            };
            write_error(&self.applet, &self.path)(cause)
        })
    }
}

/// One output per table: `responses.csv`, the journey, and the wide tables in the summary's order.
struct TableWriters<W> {
    responses: W,
    journey: W,
    wide: Vec<W>,
}

/// A wave of submissions rendered.
struct Wave {
    responses: Rendered,
    journey: Rendered,
    /// Its submissions' events outcomes, in entry order.
    events: Vec<EventsOutcome>,
    /// Rows of wide tables, by index into the plans.
    wide: Vec<(usize, Rendered)>,
}

impl<W: TableOut> TableWriters<W> {
    fn write_wave(&mut self, wave: &Wave) -> std::result::Result<(), W::Error> {
        let parts = [
            (&mut self.responses, &wave.responses),
            (&mut self.journey, &wave.journey),
        ];
        for (out, rendered) in parts {
            for block in &rendered.blocks {
                out.put(block)?;
            }
        }
        for (at, rendered) in &wave.wide {
            for block in &rendered.blocks {
                self.wide[*at].put(block)?;
            }
        }
        Ok(())
    }
}

/// Parse, merge and decrypt the answers of `raw`, then render the tables a wave of submissions at a time
/// on all cores and write each wave into the outputs `open` gives (for the wide tables of the summary)
/// while the next wave renders. Returns the summary and the outputs, for the caller to commit.
fn decode_into<W: TableOut>(
    raw: &RawApplet,
    ring: &KeyRing,
    cells: CsvCells,
    open: impl FnOnce(&[WideTable]) -> std::result::Result<TableWriters<W>, W::Error>,
) -> std::result::Result<(AppletSummary, TableWriters<W>), W::Error> {
    let mut summary = AppletSummary {
        applet: raw.applet.clone(),
        platform: "unknown".to_owned(),
        runs: raw.runs.len(),
        incomplete_runs_ignored: raw.incomplete_runs.clone(),
        bad_files: raw.problems.clone(),
        ..AppletSummary::default()
    };
    let submissions = read_and_merge(raw, &mut summary);
    let decoded: Vec<Decoded> = submissions
        .par_iter()
        .map(|submission| decode_submission(submission, ring))
        .collect();
    let mut entries: Vec<Entry<'_>> = submissions
        .iter()
        .zip(&decoded)
        .map(|(submission, decoded)| Entry {
            submission,
            decoded,
        })
        .collect();
    entries.sort_by(|a, b| {
        let (a, b) = (a.submission, b.submission);
        (a.start_ms.unwrap_or(i64::MAX), &a.id).cmp(&(b.start_ms.unwrap_or(i64::MAX), &b.id))
    });
    let plans = wide_plans(&entries);
    let mut taken = BTreeSet::new();
    summary.wide = plans
        .iter()
        .map(|plan| WideTable {
            activity_id: plan.activity_id.clone(),
            activity_name: plan.activity_name.clone(),
            file: unique_file_name(&plan.activity_name, &mut taken),
            rows: 0,
            columns: plan.header.len(),
        })
        .collect();
    let mut writers = open(&summary.wide)?;
    writers
        .responses
        .put(&header_line(&RESPONSES_HEADER, cells))?;
    writers.journey.put(&header_line(&JOURNEY_HEADER, cells))?;
    for (out, plan) in writers.wide.iter_mut().zip(&plans) {
        out.put(&header_line(&plan.header, cells))?;
    }
    let mut events = Vec::with_capacity(entries.len());
    let mut tally = |wave: Wave| {
        summary.response_rows += wave.responses.rows;
        summary.journey_rows += wave.journey.rows;
        for (at, rendered) in &wave.wide {
            summary.wide[*at].rows += rendered.rows;
        }
        events.extend(wave.events);
    };
    // Each wave is written while the next one renders.
    let mut pending: Option<Wave> = None;
    for chunk in entries.chunks(WAVE) {
        let (written, next) = rayon::join(
            || match pending.take() {
                Some(wave) => writers.write_wave(&wave).map(|()| Some(wave)),
                None => Ok(None),
            },
            || render_wave(chunk, &plans, ring, cells),
        );
        if let Some(done) = written? {
            tally(done);
        }
        pending = Some(next);
    }
    if let Some(last) = pending {
        writers.write_wave(&last)?;
        tally(last);
    }
    count(&entries, &events, &mut summary);
    Ok((summary, writers))
}

fn render_wave(entries: &[Entry<'_>], plans: &[WidePlan], ring: &KeyRing, cells: CsvCells) -> Wave {
    let ((responses, (journey, events)), wide) = rayon::join(
        || {
            rayon::join(
                || render_responses(entries, cells),
                || render_journey(entries, ring, cells),
            )
        },
        || render_wide(plans, entries, cells),
    );
    Wave {
        responses,
        journey,
        events,
        wide,
    }
}

/// Every page of every complete run, parsed on all cores, then merged by answer id in run and page order:
/// a later copy replaces an earlier one; copies that differ in content are conflicts.
fn read_and_merge(raw: &RawApplet, summary: &mut AppletSummary) -> Vec<Submission> {
    let pages: Vec<&PathBuf> = raw.runs.iter().flat_map(|run| &run.pages).collect();
    let parsed: Vec<(u64, std::result::Result<pages::ParsedPage, String>)> = pages
        .par_iter()
        .map(|path| match std::fs::read(path) {
            Ok(bytes) => (
                bytes.len() as u64,
                parse_page(&bytes, raw.document.as_ref()),
            ),
            Err(error) => (0, Err(format!("cannot read it: {error}"))),
        })
        .collect();
    let mut merged: Vec<Submission> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut conflicts = BTreeSet::new();
    let mut platforms = BTreeSet::new();
    for (path, (bytes, page)) in pages.iter().zip(parsed) {
        summary.pages += 1;
        summary.bytes += bytes;
        let page = match page {
            Ok(page) => page,
            Err(problem) => {
                summary.bad_files.push(FileProblem {
                    file: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    problem,
                    rows_kept: 0,
                });
                continue;
            }
        };
        platforms.insert(page.platform);
        for submission in page.submissions {
            summary.answers_read += 1;
            match by_id.get(&submission.id) {
                Some(&at) => {
                    summary.duplicates += 1;
                    if merged[at].fingerprint != submission.fingerprint {
                        conflicts.insert(submission.id.clone());
                    }
                    merged[at] = submission;
                }
                None => {
                    by_id.insert(submission.id.clone(), merged.len());
                    merged.push(submission);
                }
            }
        }
    }
    if let Some(platform) = platforms.first() {
        summary.platform = platform.as_str().to_owned();
    }
    summary.answers = merged.len() as u64;
    summary.conflicts = conflicts.len() as u64;
    summary.conflicting_answer_ids = conflicts.into_iter().collect();
    merged
}

/// The per-status counts and the failures of the answers and (`events`, in entry order) the events.
fn count(entries: &[Entry<'_>], events: &[EventsOutcome], summary: &mut AppletSummary) {
    let mut failures = Vec::new();
    for (entry, events) in entries.iter().zip(events) {
        let answers = &entry.decoded.answers;
        let parts = [
            ("answer", Some((answers.status, answers.reason.clone()))),
            ("events", events.clone()),
        ];
        for (part, opened) in parts {
            let Some((status, reason)) = opened else {
                continue;
            };
            let usable = matches!(status, AnswerStatus::Decrypted | AnswerStatus::Plain);
            let counts = match part {
                "answer" => &mut summary.answers_by_status,
                _ => &mut summary.events_by_status,
            };
            *counts.entry(status.as_str()).or_default() += 1;
            if part == "answer" && usable {
                summary.decoded += 1;
            }
            if !usable {
                failures.push(AnswerFailure {
                    answer_id: entry.submission.id.clone(),
                    part,
                    status: status.as_str(),
                    reason: reason.unwrap_or_default(),
                });
            }
        }
    }
    failures.sort_by(|a, b| (&a.answer_id, a.part).cmp(&(&b.answer_id, b.part)));
    summary.failures = failures;
}

/// `<activity name>.csv` made safe for a file name (as `mtdata_core::layout::output_file_name` does) and
/// unique among the applet's wide tables (`_2`, `_3`, ... for activities of the same name).
fn unique_file_name(activity: &str, taken: &mut BTreeSet<String>) -> String {
    let safe: String = activity
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                true => c,
                false => '_',
            },
        )
        .collect();
    let safe = safe.trim_start_matches('.');
    let base = if safe.is_empty() { "activity" } else { safe };
    let mut name = format!("{base}.csv");
    let mut n = 2;
    while !taken.insert(name.to_ascii_lowercase()) {
        name = format!("{base}_{n}.csv");
        n += 1;
    }
    name
}

/// Write an applet's tables into `dir` (created owner-only), each file atomically and owner-only; wide
/// tables of activities that no longer have answers are removed.
pub fn write_applet(decoded: &DecodedApplet, dir: &Path) -> Result<()> {
    let applet = &decoded.summary.applet;
    let files = TableFiles::create(applet, dir)?;
    let mut tables = vec![
        (files.responses.clone(), &decoded.responses),
        (files.journey.clone(), &decoded.journey),
    ];
    for (name, bytes) in &decoded.wide {
        tables.push((files.wide_dir.join(name), bytes));
    }
    for (path, bytes) in tables {
        write_atomic(&path, bytes).map_err(write_error(applet, &path))?;
    }
    files.finish(&decoded.summary)
}

/// The paths of an applet's tables in its output folder.
struct TableFiles {
    dir: PathBuf,
    responses: PathBuf,
    journey: PathBuf,
    wide_dir: PathBuf,
}

impl TableFiles {
    /// The paths in `dir`, with `dir` and its wide-table folder created owner-only.
    fn create(applet: &str, dir: &Path) -> Result<TableFiles> {
        let files = TableFiles {
            dir: dir.to_owned(),
            responses: dir.join(RESPONSES_FILE),
            journey: dir.join(JOURNEY_FILE),
            wide_dir: dir.join(WIDE_FOLDER),
        };
        ensure_private_dir(&files.wide_dir).map_err(write_error(applet, &files.wide_dir))?;
        Ok(files)
    }

    /// Once the tables are in place: remove wide tables of activities that no longer have answers, then
    /// write the summary (last: it says what the tables beside it hold).
    fn finish(&self, summary: &AppletSummary) -> Result<()> {
        let applet = &summary.applet;
        let written: BTreeSet<&str> = summary.wide.iter().map(|t| t.file.as_str()).collect();
        let stale = std::fs::read_dir(&self.wide_dir)
            .map_err(|e| mtdata_core::error::Error::Io {
                action: "cannot list",
                path: self.wide_dir.clone(),
                source: e,
            })
            .map_err(write_error(applet, &self.wide_dir))?;
        for entry in stale.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".csv") && !written.contains(name.as_str()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let mut summary_bytes = serde_json::to_vec_pretty(summary).unwrap_or_default();
        summary_bytes.push(b'\n');
        let path = self.dir.join(SUMMARY_FILE);
        write_atomic(&path, &summary_bytes).map_err(write_error(applet, &path))
    }
}

fn write_error(applet: &str, path: &Path) -> impl FnOnce(mtdata_core::error::Error) -> Error {
    let (applet, path) = (applet.to_owned(), path.to_owned());
    move |source| Error::WriteApplet {
        applet,
        path,
        source: Box::new(source),
    }
}

/// The result for one applet of a study.
#[derive(Debug)]
pub struct AppletOutcome {
    pub applet: String,
    /// Where its tables are (or would have been) written.
    pub dir: PathBuf,
    pub result: Result<AppletSummary>,
}

/// Decode every applet with backups in `raw_data/mindlogger/` and write its tables. An applet whose
/// passwords are wrong, or whose files cannot be written, does not stop the others: its error is in its
/// outcome. Returns an error only when the folder cannot be listed. No applet folder: no outcomes.
pub fn decode_mindlogger_study(
    layout: &StudyLayout,
    passwords: &AppletPasswords,
    options: &MindLoggerOptions,
) -> Result<Vec<AppletOutcome>> {
    let root = layout.raw_data().join("mindlogger");
    let entries = match std::fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::ListRaw { path: root, source }),
    };
    let mut applets: Vec<AppletId> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) || name.starts_with('.') {
            continue;
        }
        match AppletId::parse_any(&name) {
            Ok(id) => applets.push(id),
            Err(error) => tracing::warn!(folder = %root.join(&name).display(), "skipped: {error}"),
        }
    }
    applets.sort();
    let mut outcomes = Vec::new();
    for applet in applets {
        let dir = layout.mindlogger_active(&applet);
        let result = decode_one(layout, &applet, passwords, options, &dir);
        outcomes.push(AppletOutcome {
            applet: applet.to_string(),
            dir,
            result,
        });
    }
    Ok(outcomes)
}

fn decode_one(
    layout: &StudyLayout,
    applet: &AppletId,
    passwords: &AppletPasswords,
    options: &MindLoggerOptions,
    out: &Path,
) -> Result<AppletSummary> {
    let raw = read_raw_applet(&layout.mindlogger_raw(applet))?;
    let applet_passwords = passwords.for_applet(applet);
    let applet = applet.as_str();
    let encryption = match raw.document.as_ref().and_then(AppletDocument::encryption) {
        Some(Ok(encryption)) => Some(encryption),
        Some(Err(source)) if !applet_passwords.is_empty() => {
            return Err(Error::AppletEncryption {
                applet: applet.to_owned(),
                source: Box::new(source),
            });
        }
        _ => None,
    };
    let ring = applet_key_ring(
        applet,
        encryption.as_ref(),
        applet_passwords,
        options.backend,
    )?;
    let files = TableFiles::create(applet, out)?;
    let open = |wide: &[WideTable]| {
        Ok(TableWriters {
            responses: TableFile::create(applet, files.responses.clone())?,
            journey: TableFile::create(applet, files.journey.clone())?,
            wide: wide
                .iter()
                .map(|table| TableFile::create(applet, files.wide_dir.join(&table.file)))
                .collect::<Result<_>>()?,
        })
    };
    let (summary, writers) = in_pool(options, || {
        decode_into(&raw, &ring, options.csv_cells, open)
    })?;
    // Committed on all cores: each commit waits for its file's fsync.
    let tables: Vec<TableFile> = [writers.responses, writers.journey]
        .into_iter()
        .chain(writers.wide)
        .collect();
    let committed: Vec<Result<()>> = tables.into_par_iter().map(TableFile::commit).collect();
    committed.into_iter().collect::<Result<()>>()?;
    files.finish(&summary)?;
    tracing::info!(
        applet,
        answers = summary.answers,
        dir = %out.display(),
        "decoded"
    );
    Ok(summary)
}
