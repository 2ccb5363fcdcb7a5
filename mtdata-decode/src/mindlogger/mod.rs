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
use mtdata_core::decoded::mindlogger::{JOURNEY_FILE, RESPONSES_FILE, SUMMARY_FILE, WIDE_FOLDER};
use mtdata_core::fsutil::{AtomicFile, ensure_private_dir};
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
use tables::{Entry, EventsOutcome, Rendered, render_journey, render_responses, render_wide};

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
    let tables = decode_tables(raw, ring, options);
    DecodedApplet {
        responses: tables.responses.concat(),
        journey: tables.journey.concat(),
        wide: tables
            .wide
            .iter()
            .map(|(file, rendered)| (file.clone(), rendered.concat()))
            .collect(),
        summary: tables.summary,
    }
}

/// The tables of one applet as rendered, in blocks: [`DecodedApplet`] without joining them.
struct Tables {
    summary: AppletSummary,
    responses: Rendered,
    journey: Rendered,
    wide: Vec<(String, Rendered)>,
}

fn decode_tables(raw: &RawApplet, ring: &KeyRing, options: &MindLoggerOptions) -> Tables {
    match options.threads {
        Some(threads) => match rayon::ThreadPoolBuilder::new()
            .num_threads(threads.get())
            .build()
        {
            Ok(pool) => pool.install(|| decode_in_pool(raw, ring, options.csv_cells)),
            Err(_) => decode_in_pool(raw, ring, options.csv_cells),
        },
        None => decode_in_pool(raw, ring, options.csv_cells),
    }
}

fn decode_in_pool(raw: &RawApplet, ring: &KeyRing, cells: CsvCells) -> Tables {
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
    let ((responses, (journey, events)), wide) = rayon::join(
        || {
            rayon::join(
                || render_responses(&entries, cells),
                || render_journey(&entries, ring, cells),
            )
        },
        || render_wide(&entries, cells),
    );
    count(&entries, &events, &mut summary);
    summary.response_rows = responses.rows;
    summary.journey_rows = journey.rows;
    let mut wide_files = Vec::new();
    let mut taken = BTreeSet::new();
    let mut wide = wide;
    wide.sort_by(|a, b| {
        (&a.activity_name, &a.activity_id).cmp(&(&b.activity_name, &b.activity_id))
    });
    for table in wide {
        let file = unique_file_name(&table.activity_name, &mut taken);
        summary.wide.push(WideTable {
            activity_id: table.activity_id,
            activity_name: table.activity_name,
            file: file.clone(),
            rows: table.rendered.rows,
            columns: table.header.len(),
        });
        wide_files.push((file, table.rendered));
    }
    Tables {
        summary,
        responses,
        journey,
        wide: wide_files,
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
    let wide = decoded
        .wide
        .iter()
        .map(|(name, bytes)| (name.as_str(), vec![bytes.as_slice()]))
        .collect();
    write_files(
        &decoded.summary,
        vec![decoded.responses.as_slice()],
        vec![decoded.journey.as_slice()],
        wide,
        dir,
    )
}

fn write_tables(tables: &Tables, dir: &Path) -> Result<()> {
    fn parts(rendered: &Rendered) -> Vec<&[u8]> {
        rendered.blocks.iter().map(Vec::as_slice).collect()
    }
    let wide = tables
        .wide
        .iter()
        .map(|(name, rendered)| (name.as_str(), parts(rendered)))
        .collect();
    write_files(
        &tables.summary,
        parts(&tables.responses),
        parts(&tables.journey),
        wide,
        dir,
    )
}

/// The files of [`write_applet`], each given as the parts it is the concatenation of. The tables are
/// written on all cores (copying a gigabyte into the page cache is most of a large decode's writing);
/// the summary last.
fn write_files(
    summary: &AppletSummary,
    responses: Vec<&[u8]>,
    journey: Vec<&[u8]>,
    wide: Vec<(&str, Vec<&[u8]>)>,
    dir: &Path,
) -> Result<()> {
    let applet = &summary.applet;
    let error = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::WriteApplet {
            applet: applet.clone(),
            path,
            source: Box::new(source),
        }
    };
    let wide_dir = dir.join(WIDE_FOLDER);
    ensure_private_dir(&wide_dir).map_err(error(&wide_dir))?;
    let mut summary_bytes = serde_json::to_vec_pretty(summary).unwrap_or_default();
    summary_bytes.push(b'\n');
    let written: BTreeSet<&str> = wide.iter().map(|(name, _)| *name).collect();
    let mut files: Vec<(PathBuf, Vec<&[u8]>)> = vec![
        (dir.join(RESPONSES_FILE), responses),
        (dir.join(JOURNEY_FILE), journey),
    ];
    for (name, parts) in wide {
        files.push((wide_dir.join(name), parts));
    }
    let results: Vec<mtdata_core::Result<()>> = files
        .par_iter()
        .map(|(path, parts)| write_private(path, parts))
        .collect();
    for ((path, _), result) in files.iter().zip(results) {
        result.map_err(error(path))?;
    }
    let stale = std::fs::read_dir(&wide_dir)
        .map_err(|e| mtdata_core::error::Error::Io {
            action: "cannot list",
            path: wide_dir.clone(),
            source: e,
        })
        .map_err(error(&wide_dir))?;
    for entry in stale.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") && !written.contains(name.as_str()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    // The summary last: it says what the tables beside it hold.
    let path = dir.join(SUMMARY_FILE);
    write_private(&path, &[&summary_bytes]).map_err(error(&path))
}

fn write_private(path: &Path, parts: &[&[u8]]) -> mtdata_core::Result<()> {
    let mut file = AtomicFile::create(path)?;
    for part in parts {
        file.write_all(part)
            .map_err(|source| mtdata_core::error::Error::Io {
                action: "cannot write",
                path: path.to_owned(),
                source,
            })?;
    }
    file.commit().map(|_| ())
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
    let tables = decode_tables(&raw, &ring, options);
    write_tables(&tables, out)?;
    tracing::info!(
        applet,
        answers = tables.summary.answers,
        dir = %out.display(),
        "decoded"
    );
    Ok(tables.summary)
}
