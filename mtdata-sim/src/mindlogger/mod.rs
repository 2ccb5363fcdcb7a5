//! In-process MindLogger servers on 127.0.0.1: the v1 Girder API ([`v1`]) and the v2 API ([`v2`]), serving one
//! synthetic study ([`StudyOptions`]) with answers encrypted exactly as the apps do, so an exporter and a
//! decoder can be tested end to end with the applet passwords the test knows ([`Simulator::applet_password`]).
//!
//! Both servers have a manager account (owner of some applets, manager of the others, which belong to another
//! owner) that may export everything, and a plain user (a respondent) that gets 401/403 where export needs
//! rights. Faults ([`Fault`], shared with the MindTrails simulator) are chosen per path or applet; live
//! submissions ([`LiveSubmissions`]) add answers while an export runs; every request is logged
//! ([`Simulator::requests`]). Nothing can be deleted: there is no DELETE route (it answers 405 and is logged).
//!
//! ```
//! use mtdata_core::mindlogger::MindLoggerApi;
//! use mtdata_sim::mindlogger::{SimOptions, Simulator};
//!
//! let sim = Simulator::start(SimOptions::new(MindLoggerApi::V2)).unwrap();
//! assert!(sim.base_url().starts_with("http://127.0.0.1:"));
//! let applet = &sim.applet_ids()[0];
//! assert_eq!(sim.applet_password(applet).as_deref(), Some("applet-0-password"));
//! assert_eq!(sim.answer_ids(applet).len(), 40);
//! ```

pub mod girder;
mod girder_gen;
mod study;
pub mod v1;
pub mod v2;

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mtdata_core::mindlogger::MindLoggerApi;
use serde_json::Value;

pub use crate::fault::{Fault, FaultAction, RequestRecord};
use crate::http::{Handler, Reply, Request, Response, Server, ServerOptions};
use crate::lock;
pub use girder::{GirderKind, GirderStructure};
pub use girder_gen::GirderOptions;
pub use study::StudyOptions;
use study::{MANAGER, PLAIN_USER, Stored, Study};

/// How long a v2 access token stays valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenLifetime {
    /// Until [`Simulator::expire_access_tokens`].
    #[default]
    Unlimited,
    /// For this many authenticated requests (deterministic expiry in the middle of an export).
    Requests(usize),
    /// For this long after it was issued.
    Time(Duration),
}

/// Respondents who keep submitting while an export runs (to every applet).
#[derive(Debug, Clone, Default)]
pub struct LiveSubmissions {
    /// Answers added to an applet right after each of its data pages is served.
    pub per_page: usize,
    /// Also add one answer to every applet from a background thread at this interval.
    pub every: Option<Duration>,
}

/// Where the Girder structure a v1 simulator serves comes from.
#[derive(Debug, Clone)]
pub enum GirderSource {
    /// Generated: several Activity Sets with roles, activity versions, schedules and response items.
    Synthetic(GirderOptions),
    /// A fixture folder with `collection.json`, `folder.json`, `item.json` and `user.json`.
    Fixture(std::path::PathBuf),
}

impl Default for GirderSource {
    fn default() -> Self {
        GirderSource::Synthetic(GirderOptions::default())
    }
}

/// Configuration of [`Simulator::start`].
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub api: MindLoggerApi,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub study: StudyOptions,
    /// v1: answers per data page (the server's `RESPONSE_ITEM_PAGINATION`, 500).
    pub v1_page_size: usize,
    /// v1: activities per chunk of `GET /applet/{id}` (the real limit is 2 MB; 1 makes every two-activity
    /// applet come in two chunks).
    pub v1_activities_per_chunk: usize,
    /// v2: how long access tokens live.
    pub token_lifetime: TokenLifetime,
    pub live: Option<LiveSubmissions>,
    /// How long an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// v1: the Girder structure served by `GET /collection`, `/folder`, `/item` and `/user`.
    pub girder: GirderSource,
    /// v1: every Girder listing ignores `offset` (a hostile server whose listings never end).
    pub girder_ignore_offset: bool,
}

impl SimOptions {
    /// Defaults for `api`: three applets of 40 answers, five respondents each.
    pub fn new(api: MindLoggerApi) -> Self {
        SimOptions {
            api,
            port: 0,
            study: StudyOptions::default(),
            v1_page_size: 500,
            v1_activities_per_chunk: 1,
            token_lifetime: TokenLifetime::Unlimited,
            live: None,
            idle_timeout: Duration::from_secs(10),
            girder: GirderSource::default(),
            girder_ignore_offset: false,
        }
    }
}

/// One answer as the simulator holds it, decrypted (ground truth for tests of decode).
#[derive(Debug, Clone, PartialEq)]
pub struct SimAnswer {
    pub id: String,
    pub created: DateTime<Utc>,
    /// The activity's id.
    pub activity: String,
    /// The decrypted answer: one value per item, in item order.
    pub values: Value,
    /// Stored encrypted (else as plain values).
    pub encrypted: bool,
    /// Made by a reviewer in the admin panel (encrypted against the reviewer's id).
    pub review: bool,
}

/// A logged-in session of a token.
pub(crate) struct Session {
    pub user: usize,
    /// v1: the account switched to (`None` before any switch: the user's own).
    pub account: Option<usize>,
    issued: Instant,
    uses: usize,
    expired: bool,
}

/// Why a token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Unknown,
    Expired,
}

pub(crate) struct State {
    pub study: Study,
    pub girder: GirderStructure,
    sessions: HashMap<String, Session>,
    pub refresh_tokens: HashMap<String, usize>,
    faults: Vec<Fault>,
    requests: Vec<RequestRecord>,
    live: Option<LiveSubmissions>,
}

impl State {
    /// Opens a session for `user` and returns its token.
    pub fn open_session(&mut self, user: usize, account: Option<usize>) -> String {
        let token = self.study.token();
        self.sessions.insert(
            token.clone(),
            Session {
                user,
                account,
                issued: Instant::now(),
                uses: 0,
                expired: false,
            },
        );
        token
    }

    /// The session of `token`, counting one use against `lifetime`.
    pub fn session(
        &mut self,
        token: Option<&str>,
        lifetime: TokenLifetime,
    ) -> Result<&Session, TokenProblem> {
        let token = token.ok_or(TokenProblem::Missing)?;
        let session = self.sessions.get_mut(token).ok_or(TokenProblem::Unknown)?;
        session.uses += 1;
        let expired = session.expired
            || match lifetime {
                TokenLifetime::Unlimited => false,
                TokenLifetime::Requests(n) => session.uses > n,
                TokenLifetime::Time(d) => session.issued.elapsed() > d,
            };
        match expired {
            true => Err(TokenProblem::Expired),
            false => Ok(session),
        }
    }

    /// Live submissions after a data page of applet `a` was served.
    pub fn after_data_page(&mut self, a: usize) {
        if let Some(n) = self.live.as_ref().map(|l| l.per_page) {
            for _ in 0..n {
                self.study.submit(a, Utc::now());
            }
        }
    }
}

pub(crate) struct Shared {
    pub api: MindLoggerApi,
    pub state: Mutex<State>,
    stopping: AtomicBool,
    pub v1_page_size: usize,
    pub v1_activities_per_chunk: usize,
    pub token_lifetime: TokenLifetime,
    pub girder_ignore_offset: bool,
}

impl Shared {
    /// Answers `req`, a request about `applet` (an id in its path) if any, with `respond`, unless the first
    /// matching fault answers instead; `error` makes the server's error body. Every request is logged.
    pub fn serve(
        &self,
        req: &Request,
        applet: Option<&str>,
        error: fn(u16, &str) -> Response,
        respond: impl FnOnce() -> Response,
    ) -> Reply {
        let target = crate::fault::FaultTarget {
            table: applet,
            delete_id: None,
        };
        let fault = crate::fault::take(&mut lock(&self.state).faults, req, target);
        crate::fault::reply_with_fault(
            req,
            fault,
            |code| error(code, "injected fault"),
            |_| respond(),
            |record| lock(&self.state).requests.push(record),
        )
    }
}

impl Handler for Shared {
    fn handle(&self, req: &Request) -> Reply {
        match self.api {
            MindLoggerApi::V1 => v1::reply(self, req),
            MindLoggerApi::V2 => v2::reply(self, req),
        }
    }

    fn malformed(&self, problem: &str) -> Response {
        match self.api {
            MindLoggerApi::V1 => v1::error(400, problem),
            MindLoggerApi::V2 => v2::error(400, problem),
        }
    }
}

/// A running simulated MindLogger server. Dropping it stops the server and joins its threads.
pub struct Simulator {
    shared: Arc<Shared>,
    server: Server,
    live: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Generates the study, binds 127.0.0.1 and starts serving.
    pub fn start(opts: SimOptions) -> io::Result<Simulator> {
        let study = Study::generate(opts.api, &opts.study)?;
        let girder = match (&opts.girder, opts.api) {
            (_, MindLoggerApi::V2) => GirderStructure::default(),
            (GirderSource::Synthetic(options), MindLoggerApi::V1) => girder_gen::generate(options),
            (GirderSource::Fixture(dir), MindLoggerApi::V1) => GirderStructure::from_folder(dir)?,
        };
        let shared = Arc::new(Shared {
            api: opts.api,
            state: Mutex::new(State {
                study,
                girder,
                sessions: HashMap::new(),
                refresh_tokens: HashMap::new(),
                faults: Vec::new(),
                requests: Vec::new(),
                live: opts.live.clone(),
            }),
            stopping: AtomicBool::new(false),
            v1_page_size: opts.v1_page_size.max(1),
            v1_activities_per_chunk: opts.v1_activities_per_chunk.max(1),
            token_lifetime: opts.token_lifetime,
            girder_ignore_offset: opts.girder_ignore_offset,
        });
        let server = Server::start(
            shared.clone(),
            &ServerOptions {
                port: opts.port,
                idle_timeout: opts.idle_timeout,
                thread_prefix: "mindlogger-sim",
            },
        )?;
        let live = match opts.live.and_then(|l| l.every) {
            Some(every) => Some(spawn_live(shared.clone(), every)?),
            None => None,
        };
        Ok(Simulator {
            shared,
            server,
            live,
        })
    }

    pub fn api(&self) -> MindLoggerApi {
        self.shared.api
    }

    /// What goes into `SERVER`: `http://127.0.0.1:PORT/api/v1/` (v1) or `http://127.0.0.1:PORT/` (v2).
    pub fn base_url(&self) -> String {
        match self.shared.api {
            MindLoggerApi::V1 => format!("http://{}/api/v1/", self.server.addr()),
            MindLoggerApi::V2 => format!("http://{}/", self.server.addr()),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The manager's login: (e-mail, password). The manager may export every applet.
    pub fn manager(&self) -> (String, String) {
        self.login_of(MANAGER)
    }

    /// A respondent's login: (e-mail, password). It may log in but export nothing.
    pub fn plain_user(&self) -> (String, String) {
        self.login_of(PLAIN_USER)
    }

    fn login_of(&self, user: usize) -> (String, String) {
        let st = lock(&self.shared.state);
        let u = &st.study.users[user];
        (u.email.clone(), u.password.clone())
    }

    /// Ids of the applets, in creation order.
    pub fn applet_ids(&self) -> Vec<String> {
        let st = lock(&self.shared.state);
        st.study.applets.iter().map(|a| a.id.clone()).collect()
    }

    /// The applet password (test-only, synthetic) of applet `id`.
    pub fn applet_password(&self, id: &str) -> Option<String> {
        let st = lock(&self.shared.state);
        st.study
            .find_applet(id)
            .map(|a| st.study.applets[a].password.clone())
    }

    /// The account id the applet key was derived with (v1 the owning account, v2 the owner's user id).
    pub fn applet_account_id(&self, id: &str) -> Option<String> {
        let st = lock(&self.shared.state);
        st.study
            .find_applet(id)
            .map(|a| st.study.applets[a].encryption.account_id.clone())
    }

    /// Ids of every answer the applet holds now.
    pub fn answer_ids(&self, applet: &str) -> Vec<String> {
        self.answers(applet).into_iter().map(|a| a.id).collect()
    }

    /// Every answer the applet holds now, decrypted, oldest first.
    pub fn answers(&self, applet: &str) -> Vec<SimAnswer> {
        let st = lock(&self.shared.state);
        let Some(a) = st.study.find_applet(applet) else {
            return Vec::new();
        };
        let applet = &st.study.applets[a];
        applet
            .answers
            .iter()
            .map(|x| SimAnswer {
                id: x.id.clone(),
                created: x.created,
                activity: applet.activities[x.activity].id.clone(),
                values: x.values.clone(),
                encrypted: matches!(x.stored, Stored::Encrypted { .. }),
                review: matches!(x.author, study::Author::Reviewer { .. }),
            })
            .collect()
    }

    /// A respondent submits one answer to `applet` now; returns its id (`None` for an unknown applet).
    pub fn submit(&self, applet: &str) -> Option<String> {
        let mut st = lock(&self.shared.state);
        let a = st.study.find_applet(applet)?;
        Some(st.study.submit(a, Utc::now()))
    }

    /// The Girder structure served now (ground truth for tests of the walk and the loader).
    pub fn girder(&self) -> GirderStructure {
        lock(&self.shared.state).girder.clone()
    }

    /// Adds a document to the Girder structure served (a hostile one, say), after those of its kind.
    pub fn add_girder_document(&self, kind: GirderKind, document: Value) {
        lock(&self.shared.state).girder.of_mut(kind).push(document);
    }

    /// Adds a fault; faults are tried in the order added and the first match applies.
    pub fn set_fault(&self, fault: Fault) {
        lock(&self.shared.state).faults.push(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.state).faults.clear();
    }

    /// Switches live submissions on or off (the background thread only exists if it was in the options).
    pub fn set_live(&self, live: Option<LiveSubmissions>) {
        lock(&self.shared.state).live = live;
    }

    /// Expires every access token issued so far (v2: the next request with one gets 401).
    pub fn expire_access_tokens(&self) {
        for session in lock(&self.shared.state).sessions.values_mut() {
            session.expired = true;
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.state).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.state).requests.clear();
    }
}

fn spawn_live(shared: Arc<Shared>, every: Duration) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("mindlogger-sim-live".into())
        .spawn(move || {
            let step = Duration::from_millis(10).min(every);
            let mut waited = Duration::ZERO;
            while !shared.stopping.load(Ordering::SeqCst) {
                std::thread::sleep(step);
                waited += step;
                if waited < every {
                    continue;
                }
                waited = Duration::ZERO;
                let mut st = lock(&shared.state);
                // `set_live(None)` stops the background submissions too.
                if st.live.is_some() {
                    for a in 0..st.study.applets.len() {
                        st.study.submit(a, Utc::now());
                    }
                }
            }
        })
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Some(h) = self.live.take() {
            let _ = h.join();
        }
    }
}

/// `2024-03-01T08:00:00.123000+00:00`: Python's `isoformat()` of an aware UTC time (v1 `created`).
pub(crate) fn python_iso_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// The body of a response: compact JSON.
pub(crate) fn json_body(value: &Value) -> crate::http::Body {
    crate::http::Body::Bytes(serde_json::to_vec(value).unwrap_or_default())
}
