//! Export of MindLogger applets (`docs/mindlogger.md`): log in, choose the applets, save each applet document,
//! check every applet password that can be checked before any answer is fetched, then page through each
//! applet's answers, saving every page byte for byte, write the run file last and only then move the mark.
//!
//! The order is what makes a kill harmless: a page is durable (temporary file, fsync, no-overwrite link,
//! folder fsync, read back) before the next one is asked for, the run file that makes the pages count is
//! written after the last page, and `benchMark.json` moves after the run file. A killed run leaves pages
//! without a run file, which decode ignores, and the mark where the last complete run left it, so the next
//! run fetches those answers again. Nothing is ever deleted from a MindLogger server: this code sends no
//! DELETE.
//!
//! ```no_run
//! use mtdata_core::config::{AppletPasswords, Config};
//! use mtdata_export::mindlogger::export_mindlogger;
//! use mtdata_export::{ExportOptions, NoProgress};
//!
//! let config = Config::load("config/server.config".as_ref(), |_| None)?;
//! for server in config.select(".", true)? {
//!     let Some(mindlogger) = server.platform.mindlogger() else { continue };
//!     let passwords = mindlogger.resolve_passwords(|_| None, |_| unreachable!("no FILE sources"))?;
//!     let report = export_mindlogger(server, &passwords, &ExportOptions::default(), &mut NoProgress)?;
//!     for applet in &report.applets {
//!         println!("{} {}: {} pages, {} answers", applet.applet, applet.name, applet.pages, applet.answers);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod access;
mod girder;
mod run;
mod v1;
mod v2;

pub use access::{AppletAccess, check_access};
pub use girder::{GirderSummary, PAGE_LIMIT as GIRDER_PAGE_LIMIT};

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mindlogger_model::AppletEncryption;
use mtdata_core::config::{AppletPasswords, MindLoggerConfig, ServerConfig};
use mtdata_core::fsutil;
use mtdata_core::mindlogger::{AppletId, MindLoggerApi};
use mtdata_crypto::mindlogger::AppletKey;

use crate::client::{Http, HttpFailure};
use crate::error::{Error, Result};
use crate::export::{ExportOptions, OpenStudy, Progress, TableSelection, TableStatus, open_study};
use run::{RunFiles, mark_after, parse_server_time};

/// What happened to one applet.
#[derive(Debug, Clone)]
pub struct AppletSummary {
    pub applet: AppletId,
    /// The applet's name on the server.
    pub name: String,
    /// `Done` when the run holds answers newer than the previous mark, `NothingNew` when not (the run is
    /// saved all the same: it holds the overlap window), `Failed` with what to do.
    pub status: TableStatus,
    /// Data pages saved by this run.
    pub pages: u32,
    /// Answers in those pages (an answer shifted from one page to the next by a new submission counts
    /// twice; decode merges by id).
    pub answers: u64,
    /// Answers created after the previous mark.
    pub new_answers: u64,
    /// Bytes saved: applet document and pages.
    pub bytes: u64,
    /// `raw_data/mindlogger/<applet id>/`.
    pub folder: PathBuf,
    /// The run file, when the run is complete.
    pub run_file: Option<PathBuf>,
    /// The mark after this run: the newest answer time held in a complete run.
    pub mark: Option<String>,
    pub elapsed: Duration,
}

impl AppletSummary {
    pub fn failed(&self) -> bool {
        matches!(self.status, TableStatus::Failed(_))
    }
}

/// What happened on one MindLogger server.
#[derive(Debug, Clone)]
pub struct MindLoggerReport {
    pub server: String,
    pub api: MindLoggerApi,
    pub study_folder: PathBuf,
    pub applets: Vec<AppletSummary>,
    /// Temporary files of an earlier, interrupted run that were cleared.
    pub stale_files_removed: usize,
    /// The walk of the Girder structure, when the block says `GIRDER: true` (v1, every applet).
    pub girder: Option<GirderSummary>,
}

impl MindLoggerReport {
    /// True when some applet, or the walk of the Girder structure, failed.
    pub fn has_problems(&self) -> bool {
        self.applets.iter().any(AppletSummary::failed)
            || self.girder.as_ref().is_some_and(GirderSummary::failed)
    }
}

/// An applet the account may export, as the server listed it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub id: AppletId,
    pub name: String,
    /// v1: the account the applet belongs to (the session switches to it).
    pub account: Option<String>,
}

/// An applet document as the server sent it (v1: one body per chunk) and its encryption, if any.
pub(crate) struct AppletDocument {
    pub chunks: Vec<Vec<u8>>,
    pub encryption: Option<AppletEncryption>,
}

/// What the stop rules and the mark need from one page of answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PageFacts {
    pub answers: u64,
    /// Answer times of the page, as the server wrote them (`None` where one could not be read).
    pub created: Vec<Option<DateTime<Utc>>>,
}

/// The outer error stops the server (credentials, rights, disk); the inner one is this applet's failure,
/// in words, and the others go on.
pub(crate) type Outcome<T> = Result<std::result::Result<T, String>>;

/// Receives each page of answers, in order, and says whether it was saved.
pub(crate) type PageSink<'a> = dyn FnMut(&[u8], &PageFacts) -> Result<()> + 'a;

/// One server's API, logged in.
pub(crate) trait Api {
    /// The applets the account may export.
    fn applets(&mut self) -> Result<Vec<Listed>>;
    /// The applet document (every chunk).
    fn document(
        &mut self,
        applet: &Listed,
        received: &mut dyn FnMut(u64),
    ) -> Outcome<AppletDocument>;
    /// Page through the answers from `from` on (everything when `None`), newest first, giving each page to
    /// `sink` before asking for the next; returns the `from_date` of the run record.
    fn pages(
        &mut self,
        applet: &Listed,
        from: Option<DateTime<Utc>>,
        sink: &mut PageSink<'_>,
        received: &mut dyn FnMut(u64),
    ) -> Outcome<Option<String>>;
    /// The generic Girder routes of the session (v1 only).
    fn girder(&mut self) -> Option<&mut dyn girder::GirderRest> {
        None
    }
}

/// Export the applets of one MindLogger server block, with the applet passwords the program read from
/// their sources (`MindLoggerConfig::resolve_passwords`). `options.full` ignores the marks; `options.tables`
/// as a table name selects one applet id.
pub fn export_mindlogger(
    server: &ServerConfig,
    passwords: &AppletPasswords,
    options: &ExportOptions,
    progress: &mut dyn Progress,
) -> Result<MindLoggerReport> {
    let Some(config) = server.platform.mindlogger() else {
        return Err(Error::WrongPlatform {
            server: server.name.clone(),
            platform: server.platform.name(),
        });
    };
    server.credentials()?;
    let layout = server.layout();
    let OpenStudy {
        lock: _lock,
        mut stale_files_removed,
        mut marks,
    } = open_study(&layout)?;
    let http = Http::new(server.timeout_secs, options.retry.clone())?;
    let mut api: Box<dyn Api> = match config.api {
        MindLoggerApi::V1 => Box::new(v1::Girder::login(server, http)?),
        MindLoggerApi::V2 => Box::new(v2::Client::login(server, config, http)?),
    };
    // A v1 account may read the Girder structure (a viewer's, for adherence and sharing) without
    // exporting any applet's answers: with GIRDER: true, no exportable applet is not an error.
    let walks_girder = config.girder
        && !matches!(options.tables, TableSelection::Table(_))
        && api.girder().is_some();
    let chosen = choose(
        server,
        config,
        &options.tables,
        api.applets()?,
        walks_girder,
    )?;

    // Every document and every password check before any answer is fetched.
    let mut documents = Vec::with_capacity(chosen.len());
    for applet in chosen {
        let document = api.document(&applet, &mut |n| progress.bytes_received(n))?;
        if let Ok(document) = &document {
            check_passwords(server, &applet, document, passwords)?;
        }
        documents.push((applet, document));
    }

    let mut summaries = Vec::with_capacity(documents.len());
    for (applet, document) in documents {
        let started = Instant::now();
        let folder = layout.mindlogger_raw(&applet.id);
        stale_files_removed += fsutil::remove_stale_temp_files(&folder)?;
        progress.table_started(&applet.name, None);
        let mark_key = applet.id.mark_key();
        let previous = match options.full {
            true => None,
            false => marks
                .get(&mark_key)
                .and_then(|m| m.after.as_deref())
                .and_then(parse_server_time),
        };
        let mut summary = AppletSummary {
            applet: applet.id.clone(),
            name: applet.name.clone(),
            status: TableStatus::NothingNew,
            pages: 0,
            answers: 0,
            new_answers: 0,
            bytes: 0,
            folder: folder.clone(),
            run_file: None,
            mark: marks.get(&mark_key).and_then(|m| m.after.clone()),
            elapsed: Duration::ZERO,
        };
        match document {
            Err(why) => summary.status = TableStatus::Failed(why),
            Ok(document) => {
                let job = AppletJob {
                    api: api.as_mut(),
                    config,
                    applet: &applet,
                    previous,
                };
                if let Some(after) =
                    job.run(document, RunFiles::new(folder)?, &mut summary, progress)?
                {
                    let mark = marks.tables.entry(mark_key).or_default();
                    mark.after = Some(after.clone());
                    marks.save(&layout.bench_mark())?;
                    summary.mark = Some(after);
                }
            }
        }
        summary.elapsed = started.elapsed();
        log_summary(&server.name, &summary);
        progress.applet_finished(&summary);
        summaries.push(summary);
    }
    // The Girder structure is walked whole on every run of every applet (not for one applet id), after
    // the applets' answers, which are what a lab needs first.
    let girder = match api.girder() {
        Some(rest) if walks_girder => {
            let folder = layout.girder_raw();
            stale_files_removed += fsutil::remove_stale_temp_files(&folder)?;
            Some(walk_girder(server, rest, folder, progress)?)
        }
        _ => None,
    };
    Ok(MindLoggerReport {
        server: server.name.clone(),
        api: config.api,
        study_folder: layout.root().to_owned(),
        applets: summaries,
        stale_files_removed,
        girder,
    })
}

/// Walk the Girder structure into `folder`, logged and shown like a table.
fn walk_girder(
    server: &ServerConfig,
    rest: &mut dyn girder::GirderRest,
    folder: std::path::PathBuf,
    progress: &mut dyn Progress,
) -> Result<GirderSummary> {
    progress.table_started("Girder structure", None);
    let summary = girder::walk(server, rest, folder, &mut |n| progress.bytes_received(n))?;
    match &summary.status {
        TableStatus::Failed(why) => tracing::error!("{} Girder structure: {why}", server.name),
        _ => tracing::info!(
            "{} Girder structure: {} collections, {} folders, {} items, {} users in {} pages",
            server.name,
            summary.collections,
            summary.folders,
            summary.items,
            summary.users,
            summary.pages
        ),
    }
    progress.girder_finished(&summary);
    Ok(summary)
}

/// The applets to export: the listed ones `APPLETS` selects (and ids it names that the list lacks, which the
/// server then answers for), narrowed to one id by a table-name scale. None is an error unless the run
/// walks the Girder structure.
fn choose(
    server: &ServerConfig,
    config: &MindLoggerConfig,
    tables: &TableSelection,
    listed: Vec<Listed>,
    walks_girder: bool,
) -> Result<Vec<Listed>> {
    let mut chosen: Vec<Listed> = listed
        .into_iter()
        .filter(|a| config.applets.includes(&a.id))
        .collect();
    if let mtdata_core::config::AppletSelection::Only(ids) = &config.applets {
        let missing: Vec<&AppletId> = ids
            .iter()
            .filter(|id| !chosen.iter().any(|a| a.id == **id))
            .collect();
        for id in missing {
            tracing::warn!(
                "{}: applet {id} is not in the account's list; asking for it anyway",
                server.name
            );
            chosen.push(Listed {
                id: id.clone(),
                name: id.to_string(),
                account: None,
            });
        }
    }
    if let TableSelection::Table(wanted) = tables {
        chosen.retain(|a| a.id.as_str().eq_ignore_ascii_case(wanted));
        if chosen.is_empty() {
            return Err(Error::Server {
                server: server.name.clone(),
                what: format!("applet {wanted} is not among the applets to export"),
            });
        }
    }
    if chosen.is_empty() && !walks_girder {
        return Err(Error::NoExportableApplets {
            server: server.name.clone(),
            user: server.user.clone().unwrap_or_default(),
        });
    }
    Ok(chosen)
}

/// Check each password without an `ACCOUNT_ID` against the applet's public key (`2^key mod p`, reference
/// §4.2). Passwords of an older owner's key cannot be checked here; decode tries them.
fn check_passwords(
    server: &ServerConfig,
    applet: &Listed,
    document: &AppletDocument,
    passwords: &AppletPasswords,
) -> Result<()> {
    let candidates = passwords.for_applet(&applet.id);
    let Some(encryption) = &document.encryption else {
        if !candidates.is_empty() {
            tracing::warn!(
                "{} applet {}: the applet is not encrypted; its password is not needed",
                server.name,
                applet.id
            );
        }
        return Ok(());
    };
    for password in candidates.iter().filter(|p| p.account_id.is_none()) {
        AppletKey::derive(encryption, password.password.expose()).map_err(|error| {
            let source = match error {
                mtdata_crypto::Error::AppletKey(source) => source,
                _ => mtdata_crypto::AppletKeyError::WrongPassword,
            };
            Error::WrongAppletPassword {
                server: server.name.clone(),
                applet: applet.id.to_string(),
                name: mtdata_core::names::escaped(&applet.name).into_owned(),
                source_location: password.source.to_string(),
                source,
            }
        })?;
    }
    Ok(())
}

/// One applet's run: save its document, page through its answers, write the run file.
struct AppletJob<'a> {
    api: &'a mut dyn Api,
    config: &'a MindLoggerConfig,
    applet: &'a Listed,
    /// The previous mark (`None` on a first or `full` run).
    previous: Option<DateTime<Utc>>,
}

impl AppletJob<'_> {
    /// Returns the new mark once the run is complete and durable; a failure is left in the summary.
    fn run(
        self,
        document: AppletDocument,
        mut files: RunFiles,
        summary: &mut AppletSummary,
        progress: &mut dyn Progress,
    ) -> Result<Option<String>> {
        let chunked = self.config.api == MindLoggerApi::V1;
        for (n, chunk) in document.chunks.iter().enumerate() {
            summary.bytes += files.save_applet(chunked.then_some(n as u32), chunk)?;
        }
        let from = self
            .previous
            .map(|after| after - chrono::Duration::minutes(self.config.overlap_minutes as i64));
        let mut newest: Option<DateTime<Utc>> = None;
        let previous = self.previous;
        let mut sink = |bytes: &[u8], facts: &PageFacts| -> Result<()> {
            summary.bytes += files.save_page(bytes)?;
            summary.pages += 1;
            summary.answers += facts.answers;
            for created in facts.created.iter().flatten() {
                newest = newest.max(Some(*created));
                if previous.is_none_or(|p| *created > p) {
                    summary.new_answers += 1;
                }
            }
            Ok(())
        };
        let paged = self.api.pages(self.applet, from, &mut sink, &mut |n| {
            progress.bytes_received(n)
        })?;
        let from_date = match paged {
            Ok(from_date) => from_date,
            Err(why) => {
                summary.status = TableStatus::Failed(format!(
                    "{why}; the {} pages saved are not used (no run file), the mark stays and the next run fetches them again",
                    summary.pages
                ));
                return Ok(None);
            }
        };
        summary.run_file = Some(files.finish(self.config.api, &self.applet.id, from_date)?);
        if summary.new_answers > 0 {
            summary.status = TableStatus::Done;
        }
        Ok(mark_after(self.previous, newest))
    }
}

/// The failure of a request about an applet: the server's error when the credentials or rights are wrong,
/// else this applet's failure in words.
pub(crate) fn applet_failure<T>(
    server: &ServerConfig,
    applet: &AppletId,
    what: &str,
    attempts: u32,
    failure: HttpFailure,
) -> Outcome<T> {
    match failure {
        HttpFailure::Auth(401) => Err(Error::Auth {
            server: server.name.clone(),
            status: 401,
            env: mtdata_core::config::env_name(&server.name),
        }),
        HttpFailure::Auth(status) => Err(Error::AppletForbidden {
            server: server.name.clone(),
            applet: applet.to_string(),
            status,
        }),
        HttpFailure::NotFound => Ok(Err(format!(
            "{what}: the server has no applet {applet} (HTTP 404); check APPLETS"
        ))),
        other => Ok(Err(format!(
            "{what} {}; the next run tries again",
            other.failed(attempts)
        ))),
    }
}

/// A page of answers as a server version sends it.
pub(crate) trait ServerPage: Sized {
    fn parse(body: &[u8]) -> std::result::Result<Self, String>;
    fn facts(&self) -> &PageFacts;
}

/// Ask for page 0, 1, … (`fetch` turns the run's page number into the server's), give each page to `sink`
/// once it parsed, and stop when `keep` says the page was the last.
pub(crate) fn page_through<P: ServerPage>(
    server: &ServerConfig,
    applet: &AppletId,
    attempts: u32,
    mut fetch: impl FnMut(u64) -> std::result::Result<crate::client::Fetched, HttpFailure>,
    keep: impl Fn(u64, &P) -> bool,
    sink: &mut PageSink<'_>,
) -> Outcome<()> {
    for n in 0.. {
        let fetched = match fetch(n) {
            Ok(fetched) => fetched,
            Err(failure) => {
                let what = format!("page {n} of the answers");
                return applet_failure(server, applet, &what, attempts, failure);
            }
        };
        let page = match P::parse(&fetched.body) {
            Ok(page) => page,
            Err(why) => return Ok(Err(format!("page {n} of the answers: {why}"))),
        };
        sink(&fetched.body, page.facts())?;
        if !keep(n, &page) {
            break;
        }
    }
    Ok(Ok(()))
}

/// A 2xx body must be JSON (a body cut short is not, and is fetched again).
pub(crate) fn json_body(body: &[u8]) -> std::result::Result<(), String> {
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| format!("the answer is not JSON ({e})"))
}

fn log_summary(server: &str, s: &AppletSummary) {
    match &s.status {
        TableStatus::Failed(why) => tracing::error!("{server} applet {}: {why}", s.applet),
        _ => tracing::info!(
            "{server} applet {}: {} pages, {} answers, {} new",
            s.applet,
            s.pages,
            s.answers,
            s.new_answers
        ),
    }
}
