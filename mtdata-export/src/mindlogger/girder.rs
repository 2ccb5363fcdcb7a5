//! The walk of a MindLogger v1 server's Girder structure (`GIRDER: true`, `docs/guide.md`): every
//! collection (`GET /collection`), every user (`GET /user`), and below each of them, folder by folder, the
//! folders (`GET /folder?parentType=..&parentId=..`) and items (`GET /item?folderId=..`), each listing paged
//! with `limit` and `offset` until a page shorter than the limit. Every page is saved byte for byte in
//! `raw_data/girder/` as it arrives (durable before the next request), all under the walk's stamp, and the
//! run file is written last: a walk that stops (killed, a server failure, a hostile answer) leaves pages
//! without a run file, which the loader ignores.
//!
//! A listing the server refuses (HTTP 403: the account may not read that parent) is skipped and named in
//! the summary and the run file; the walk goes on with what the account may read.
//!
//! Ids the server sends become file names only as [`GirderId`]s (24 hexadecimal digits); a document with any
//! other id stops the walk with a message naming it. Names are never used in paths. The walk only reads:
//! nothing is ever deleted from a MindLogger server.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mtdata_core::config::ServerConfig;
use mtdata_core::layout::{FileStamp, GirderFile, GirderParent};
use mtdata_core::mindlogger::{GirderId, GirderRunRecord};
use serde::Deserialize;

use super::run::{create_private_dir, write_durable};
use crate::client::{Fetched, HttpFailure};
use crate::error::{Error, Result};
use crate::export::TableStatus;

/// Documents asked for per page (`limit`).
pub const PAGE_LIMIT: u32 = 100;

/// Pages of one listing after which the walk stops: a server that never ends a listing.
const MAX_PAGES_PER_LISTING: u32 = 100_000;

/// What the walk of the Girder structure did.
#[derive(Debug, Clone)]
pub struct GirderSummary {
    /// `Done` when the walk is complete (its run file written), `Failed` with what failed and what to do.
    pub status: TableStatus,
    /// Distinct documents listed, by kind.
    pub collections: u64,
    pub folders: u64,
    pub items: u64,
    pub users: u64,
    /// Pages saved (of every listing).
    pub pages: u32,
    /// Listings the server refused to the account (HTTP 403): skipped, the walk goes on without them.
    pub refused: Vec<String>,
    pub bytes: u64,
    /// `raw_data/girder/`.
    pub folder: PathBuf,
    /// The run file, when the walk is complete.
    pub run_file: Option<PathBuf>,
    pub elapsed: Duration,
}

impl GirderSummary {
    pub fn failed(&self) -> bool {
        matches!(self.status, TableStatus::Failed(_))
    }
}

/// The generic Girder routes of a logged-in session.
pub(crate) trait GirderRest {
    /// `GET route?query` (with the session's token), retried as every request; a 2xx body must pass
    /// `valid` (else it is fetched again).
    fn list(
        &mut self,
        route: &str,
        query: &[(&str, &str)],
        received: &mut dyn FnMut(u64),
        valid: &dyn Fn(&[u8]) -> std::result::Result<(), String>,
    ) -> std::result::Result<Fetched, HttpFailure>;

    /// Tries per request, for messages.
    fn attempts(&self) -> u32;
}

/// One listing: a route and what it lists.
enum Listing {
    Collections,
    Users,
    Folders(GirderParent),
    Items(GirderId),
}

impl Listing {
    fn route(&self) -> &'static str {
        match self {
            Listing::Collections => "collection",
            Listing::Users => "user",
            Listing::Folders(_) => "folder",
            Listing::Items(_) => "item",
        }
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        match self {
            Listing::Collections | Listing::Users => Vec::new(),
            Listing::Folders(parent) => vec![
                ("parentType", parent.parent_type().to_owned()),
                ("parentId", parent.id().to_string()),
            ],
            Listing::Items(folder) => vec![("folderId", folder.to_string())],
        }
    }

    fn file(&self, stamp: FileStamp, page: u32) -> GirderFile {
        match self {
            Listing::Collections => GirderFile::Collections { stamp, page },
            Listing::Users => GirderFile::Users { stamp, page },
            Listing::Folders(parent) => GirderFile::Folders {
                stamp,
                parent: parent.clone(),
                page,
            },
            Listing::Items(folder) => GirderFile::Items {
                stamp,
                folder: folder.clone(),
                page,
            },
        }
    }

    /// `GET /folder?parentType=user&parentId=…`, for messages.
    fn describe(&self) -> String {
        let query: Vec<String> = self
            .query()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        match query.is_empty() {
            true => format!("GET /{}", self.route()),
            false => format!("GET /{}?{}", self.route(), query.join("&")),
        }
    }
}

/// A document of a listing page: only its id matters to the walk.
#[derive(Deserialize)]
struct Listed {
    #[serde(rename = "_id")]
    id: String,
}

/// A listing page must be a JSON array of documents with a text `_id` (a page cut short is not, and is
/// fetched again).
fn page_valid(body: &[u8]) -> std::result::Result<(), String> {
    serde_json::from_slice::<Vec<Listed>>(body)
        .map(|_| ())
        .map_err(|e| format!("the page is not a JSON array of Girder documents ({e})"))
}

/// The outer error stops the export (credentials, disk); the inner one is the walk's failure, in words.
type Walked<T> = Result<std::result::Result<T, String>>;

struct Walk<'a> {
    server: &'a ServerConfig,
    rest: &'a mut dyn GirderRest,
    folder: PathBuf,
    stamp: FileStamp,
    summary: GirderSummary,
    received: &'a mut dyn FnMut(u64),
}

/// Walk the whole structure into `folder` (`raw_data/girder/`). Errors are the server's refusal of the
/// credentials and the disk's; everything else is the summary's `Failed`.
pub(crate) fn walk(
    server: &ServerConfig,
    rest: &mut dyn GirderRest,
    folder: PathBuf,
    received: &mut dyn FnMut(u64),
) -> Result<GirderSummary> {
    let started = Instant::now();
    create_private_dir(&folder)?;
    let mut walk = Walk {
        server,
        rest,
        folder: folder.clone(),
        stamp: FileStamp::now(),
        summary: GirderSummary {
            status: TableStatus::NothingNew,
            collections: 0,
            folders: 0,
            items: 0,
            users: 0,
            pages: 0,
            refused: Vec::new(),
            bytes: 0,
            folder,
            run_file: None,
            elapsed: Duration::ZERO,
        },
        received,
    };
    match walk.everything()? {
        Ok(()) => {
            let run = walk.finish()?;
            walk.summary.run_file = Some(run);
            walk.summary.status = TableStatus::Done;
        }
        Err(why) => {
            walk.summary.status = TableStatus::Failed(format!(
                "{why}; the {} pages saved are not used (no run file) and the next run walks again",
                walk.summary.pages
            ))
        }
    }
    walk.summary.elapsed = started.elapsed();
    Ok(walk.summary)
}

impl Walk<'_> {
    fn everything(&mut self) -> Walked<()> {
        let mut parents: VecDeque<GirderParent> = VecDeque::new();
        let collections = match self.listing(&Listing::Collections)? {
            Ok(ids) => ids,
            Err(why) => return Ok(Err(why)),
        };
        self.summary.collections = collections.len() as u64;
        parents.extend(collections.into_iter().map(GirderParent::Collection));
        let users = match self.listing(&Listing::Users)? {
            Ok(ids) => ids,
            Err(why) => return Ok(Err(why)),
        };
        self.summary.users = users.len() as u64;
        parents.extend(users.into_iter().map(GirderParent::User));
        let mut folders: HashSet<GirderId> = HashSet::new();
        let mut items: HashSet<GirderId> = HashSet::new();
        while let Some(parent) = parents.pop_front() {
            let children = match self.listing(&Listing::Folders(parent.clone()))? {
                Ok(ids) => ids,
                Err(why) => return Ok(Err(why)),
            };
            // A folder listed under two parents (or its own descendant) is walked once.
            for child in children {
                if folders.insert(child.clone()) {
                    parents.push_back(GirderParent::Folder(child));
                }
            }
            if let GirderParent::Folder(folder) = parent {
                match self.listing(&Listing::Items(folder))? {
                    Ok(ids) => items.extend(ids),
                    Err(why) => return Ok(Err(why)),
                }
            }
        }
        self.summary.folders = folders.len() as u64;
        self.summary.items = items.len() as u64;
        Ok(Ok(()))
    }

    /// Every page of one listing, saved; returns the distinct ids listed, in order.
    fn listing(&mut self, listing: &Listing) -> Walked<Vec<GirderId>> {
        let what = listing.describe();
        let limit = PAGE_LIMIT.to_string();
        let mut ids: Vec<GirderId> = Vec::new();
        let mut seen: BTreeSet<GirderId> = BTreeSet::new();
        for page in 0..MAX_PAGES_PER_LISTING {
            let offset = (u64::from(page) * u64::from(PAGE_LIMIT)).to_string();
            let owned = listing.query();
            let mut query: Vec<(&str, &str)> =
                owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
            query.extend([("limit", limit.as_str()), ("offset", offset.as_str())]);
            let fetched = match self.rest.list(
                listing.route(),
                &query,
                &mut *self.received,
                &page_valid,
            ) {
                Ok(fetched) => fetched,
                Err(HttpFailure::Auth(401)) => {
                    return Err(Error::Auth {
                        server: self.server.name.clone(),
                        status: 401,
                        env: mtdata_core::config::env_name(&self.server.name),
                    });
                }
                // Girder refuses a parent the account may not read; what it may read is still walked.
                Err(HttpFailure::Auth(status)) => {
                    tracing::warn!(
                        "{}: {what} page {page} was refused (HTTP {status}); the account may not read it, the walk goes on without it",
                        self.server.name
                    );
                    self.summary.refused.push(what);
                    return Ok(Ok(ids));
                }
                Err(failure) => {
                    return Ok(Err(format!(
                        "{what} page {page} {}",
                        failure.failed(self.rest.attempts())
                    )));
                }
            };
            let documents: Vec<Listed> = match serde_json::from_slice(&fetched.body) {
                Ok(documents) => documents,
                Err(e) => return Ok(Err(format!("{what} page {page}: {e}"))),
            };
            self.save(listing.file(self.stamp, page), &fetched.body)?;
            let mut new = 0;
            for document in &documents {
                let id = match GirderId::parse(&document.id) {
                    Ok(id) => id,
                    Err(invalid) => {
                        return Ok(Err(format!(
                            "{what} page {page} lists a document whose id {invalid}; no file is named after it and the walk stopped"
                        )));
                    }
                };
                if seen.insert(id.clone()) {
                    ids.push(id);
                    new += 1;
                }
            }
            if documents.len() < PAGE_LIMIT as usize {
                return Ok(Ok(ids));
            }
            if new == 0 {
                return Ok(Err(format!(
                    "{what} does not end: page {page} (offset {offset}) lists only documents of earlier pages; the server ignores offset"
                )));
            }
        }
        Ok(Err(format!(
            "{what} does not end after {MAX_PAGES_PER_LISTING} pages"
        )))
    }

    fn save(&mut self, file: GirderFile, bytes: &[u8]) -> Result<()> {
        write_durable(&self.folder.join(file.file_name()), bytes)?;
        self.summary.pages += 1;
        self.summary.bytes += bytes.len() as u64;
        Ok(())
    }

    /// The run file, after every page: from now on the loader uses the walk.
    fn finish(&self) -> Result<PathBuf> {
        let record = GirderRunRecord {
            pages: self.summary.pages,
            collections: self.summary.collections,
            folders: self.summary.folders,
            items: self.summary.items,
            users: self.summary.users,
            limit: PAGE_LIMIT,
            refused: self.summary.refused.clone(),
            complete: true,
        };
        let mut text = serde_json::to_vec_pretty(&record).expect("a run record serializes");
        text.push(b'\n');
        let path = self
            .folder
            .join(GirderFile::Run { stamp: self.stamp }.file_name());
        write_durable(&path, &text)?;
        Ok(path)
    }
}
