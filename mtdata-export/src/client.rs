//! HTTP for every exporter (blocking reqwest): timeouts, retries with backoff, whole bodies read inside
//! the retry (`Http`, crate-internal); and the MindTrails export API on it ([`ServerClient`]).

use std::time::Duration;

use mtdata_core::config::ServerConfig;
use mtdata_core::limits::{self, MAX_LISTED_TABLES, MAX_TABLE_LIST_BYTES};
use mtdata_core::url::ServerUrl;
use serde::Deserialize;

use crate::error::{Error, Result};

/// How often and how patiently to retry 5xx answers and connection errors.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Wait before the second try; doubled for each further try.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(500),
        }
    }
}

impl RetryPolicy {
    /// The wait before try number `attempt` (1-based; the first try does not wait).
    pub fn delay(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            Duration::ZERO
        } else {
            self.first_delay * 2u32.saturating_pow(attempt - 2)
        }
    }
}

/// One entry of `GET /api/export`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub deleteable: bool,
}

/// What a failed HTTP exchange was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFailure {
    /// 401 or 403 on a read: the credentials are wrong or not an admin's.
    Auth(u16),
    NotFound,
    /// A 3xx: redirects are never followed (a DELETE must not turn into a GET elsewhere).
    Redirect(u16),
    /// Another status, after retries where it was worth retrying.
    Status(u16),
    /// The answer is larger than a limit of [`mtdata_core::limits`]; the text names it.
    TooLarge(String),
    /// No answer: connection refused or reset, timeout, broken body.
    Transport(String),
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::Auth(s) | HttpFailure::Status(s) => write!(f, "HTTP {s}"),
            HttpFailure::NotFound => f.write_str("HTTP 404"),
            HttpFailure::Redirect(s) => write!(
                f,
                "HTTP {s}, a redirect, which mtdata does not follow; check that SERVER is the server's own address (https://, full path)"
            ),
            HttpFailure::TooLarge(what) | HttpFailure::Transport(what) => f.write_str(what),
        }
    }
}

impl HttpFailure {
    /// The failure a status that is not 2xx stands for (401/403 are the credentials', 404 missing).
    pub(crate) fn of_status(status: u16) -> Self {
        match status {
            401 | 403 => HttpFailure::Auth(status),
            404 => HttpFailure::NotFound,
            300..=399 => HttpFailure::Redirect(status),
            other => HttpFailure::Status(other),
        }
    }

    /// "failed after N tries: …" for a failure that was retried, "failed: …" for one that is not
    /// worth retrying (tried once).
    pub(crate) fn failed(&self, attempts: u32) -> String {
        match self.retryable() {
            true => format!("failed after {attempts} tries: {self}"),
            false => format!("failed: {self}"),
        }
    }

    fn retryable(&self) -> bool {
        match self {
            HttpFailure::Status(s) => *s >= 500 || *s == 429 || *s == 408,
            HttpFailure::Transport(_) => true,
            HttpFailure::Auth(_)
            | HttpFailure::NotFound
            | HttpFailure::Redirect(_)
            | HttpFailure::TooLarge(_) => false,
        }
    }
}

/// What became of one DELETE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// 404: the row is not there (deleted by an earlier run whose answer was lost).
    AlreadyGone,
    /// 403: the server keeps this table (`@DoNotDelete`) or the account may not delete.
    Refused,
    Failed(HttpFailure),
}

/// A whole answer: its status and body.
pub(crate) struct Fetched {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The HTTP client of one server: `TIMEOUT` for connecting, for the headers and for every read of the body,
/// retries of 5xx, 408, 429 and connection errors with exponential backoff, and no redirects followed.
pub(crate) struct Http {
    client: reqwest::blocking::Client,
    retry: RetryPolicy,
}

impl Http {
    pub fn new(timeout_secs: u64, retry: RetryPolicy) -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(timeout_secs.min(30)))
            // Blocking reqwest applies this to the headers and to every read of the body, so a
            // slow but moving download of a huge table is never cut, a stalled one is.
            .timeout(Duration::from_secs(timeout_secs))
            .user_agent(concat!("mtdata/", env!("CARGO_PKG_VERSION")))
            // A redirected DELETE comes back as a GET elsewhere (301, 302) that "succeeds"; a
            // redirect is a failure to look into, never followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Client)?;
        Ok(Http { client, retry })
    }

    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Run `attempt` until it succeeds, fails in a way not worth retrying, or the tries are used up.
    pub fn with_retries<T>(
        &self,
        mut attempt: impl FnMut() -> std::result::Result<T, HttpFailure>,
    ) -> std::result::Result<T, HttpFailure> {
        let mut n = 1;
        loop {
            match attempt() {
                Err(failure) if failure.retryable() && n < self.retry.attempts => {
                    n += 1;
                    tracing::debug!("{failure}; retrying (try {n} of {})", self.retry.attempts);
                    std::thread::sleep(self.retry.delay(n));
                }
                other => return other,
            }
        }
    }

    /// Send the request `build` makes and read the whole body, counting bytes into `received`. A 2xx body
    /// must pass `valid` (a body cut short is not valid JSON, say); the whole exchange is retried when the
    /// connection or the body breaks, when `valid` refuses, and on retryable statuses. Other statuses come
    /// back as they are, for the caller to judge.
    pub fn fetch(
        &self,
        build: &dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder,
        received: &mut dyn FnMut(u64),
        valid: &dyn Fn(&[u8]) -> std::result::Result<(), String>,
    ) -> std::result::Result<Fetched, HttpFailure> {
        self.with_retries(|| {
            let mut response = build(&self.client).send().map_err(transport)?;
            let status = response.status().as_u16();
            if HttpFailure::Status(status).retryable() {
                return Err(HttpFailure::Status(status));
            }
            let mut body =
                Vec::with_capacity(response.content_length().unwrap_or(0).min(1 << 26) as usize);
            let mut buf = vec![0; 1 << 16];
            loop {
                let n = std::io::Read::read(&mut response, &mut buf).map_err(|e| {
                    HttpFailure::Transport(format!("the response body broke off ({e})"))
                })?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
                received(n as u64);
            }
            if (200..300).contains(&status) {
                valid(&body).map_err(HttpFailure::Transport)?;
            }
            Ok(Fetched { status, body })
        })
    }
}

/// A connection to one MindTrails study server.
pub struct ServerClient {
    http: Http,
    base: ServerUrl,
    user: String,
    pass: String,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("base", &self.base.to_string())
            .finish_non_exhaustive()
    }
}

impl ServerClient {
    pub fn new(server: &ServerConfig, retry: RetryPolicy) -> Result<Self> {
        Ok(ServerClient {
            http: Http::new(server.timeout_secs, retry)?,
            base: server.server.clone(),
            user: server.user.clone().unwrap_or_default(),
            pass: server
                .pass
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
        })
    }

    pub fn retry(&self) -> &RetryPolicy {
        self.http.retry()
    }

    /// `GET` `path` (relative to the base URL), retrying 5xx and connection errors; the body is
    /// left to the caller.
    pub fn get(&self, path: &str) -> std::result::Result<reqwest::blocking::Response, HttpFailure> {
        self.http.with_retries(|| {
            let response = self
                .http
                .client()
                .get(self.base.join(path))
                .basic_auth(&self.user, Some(&self.pass))
                .send()
                .map_err(transport)?;
            match response.status().as_u16() {
                200..=299 => Ok(response),
                other => Err(HttpFailure::of_status(other)),
            }
        })
    }

    /// `GET` a small JSON document whole: at most `limit` bytes, else [`HttpFailure::TooLarge`] naming
    /// `what` and `limit_name` (the constant of [`mtdata_core::limits`]).
    pub fn get_bytes(
        &self,
        path: &str,
        what: &str,
        limit: usize,
        limit_name: &str,
    ) -> std::result::Result<Vec<u8>, HttpFailure> {
        self.http.with_retries(|| {
            let response = self.get(path)?;
            let mut body = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(response, limit as u64 + 1),
                &mut body,
            )
            .map_err(|e| HttpFailure::Transport(format!("the response body broke off ({e})")))?;
            if body.len() > limit {
                return Err(HttpFailure::TooLarge(format!(
                    "{what} is larger than {}, the limit ({limit_name})",
                    limits::mib(limit)
                )));
            }
            Ok(body)
        })
    }

    /// `GET export/`: the tables and whether they may be deleted.
    pub fn list_tables(&self) -> std::result::Result<Vec<TableInfo>, HttpFailure> {
        let bytes = self.get_bytes(
            "export/",
            "the table list",
            MAX_TABLE_LIST_BYTES,
            "MAX_TABLE_LIST_BYTES",
        )?;
        let tables: Vec<TableInfo> = serde_json::from_slice(&bytes).map_err(|e| {
            HttpFailure::Transport(format!("the table list is not the expected JSON ({e})"))
        })?;
        if tables.len() > MAX_LISTED_TABLES {
            return Err(HttpFailure::TooLarge(format!(
                "the table list has {} tables, more than the limit of {MAX_LISTED_TABLES} (MAX_LISTED_TABLES)",
                tables.len()
            )));
        }
        Ok(tables)
    }

    /// `DELETE export/<table>/<id>`.
    pub fn delete_row(&self, table: &str, id: i64) -> DeleteOutcome {
        let result = self.http.with_retries(|| {
            let response = self
                .http
                .client()
                .delete(self.base.join(&format!("export/{table}/{id}")))
                .basic_auth(&self.user, Some(&self.pass))
                .send()
                .map_err(transport)?;
            match response.status().as_u16() {
                200..=299 => Ok(DeleteOutcome::Deleted),
                404 => Ok(DeleteOutcome::AlreadyGone),
                403 => Ok(DeleteOutcome::Refused),
                other => Err(HttpFailure::of_status(other)),
            }
        });
        result.unwrap_or_else(DeleteOutcome::Failed)
    }
}

/// A transport error in words, without the URL's query or anything secret.
pub(crate) fn transport(e: reqwest::Error) -> HttpFailure {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the response body broke off"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        HttpFailure::Transport(kind.to_owned())
    } else {
        HttpFailure::Transport(format!("{kind}: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_retried_failures_say_how_often_they_were_tried() {
        assert_eq!(
            HttpFailure::Status(503).failed(4),
            "failed after 4 tries: HTTP 503"
        );
        assert_eq!(HttpFailure::Status(400).failed(4), "failed: HTTP 400");
        assert!(
            HttpFailure::TooLarge("an answer over 1 GiB".into())
                .failed(4)
                .starts_with("failed: ")
        );
    }

    #[test]
    fn backoff_doubles() {
        let policy = RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(100),
        };
        let delays: Vec<u128> = (1..=4).map(|a| policy.delay(a).as_millis()).collect();
        assert_eq!(delays, [0, 100, 200, 400]);
    }
}
