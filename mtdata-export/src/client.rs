//! The MindTrails export API over HTTP (blocking reqwest), with timeouts and retries.

use std::time::Duration;

use mtdata_core::config::ServerConfig;
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
    /// Another status, after retries where it was worth retrying.
    Status(u16),
    /// No answer: connection refused or reset, timeout, broken body.
    Transport(String),
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpFailure::Auth(s) | HttpFailure::Status(s) => write!(f, "HTTP {s}"),
            HttpFailure::NotFound => f.write_str("HTTP 404"),
            HttpFailure::Transport(what) => f.write_str(what),
        }
    }
}

impl HttpFailure {
    fn retryable(&self) -> bool {
        match self {
            HttpFailure::Status(s) => *s >= 500 || *s == 429 || *s == 408,
            HttpFailure::Transport(_) => true,
            HttpFailure::Auth(_) | HttpFailure::NotFound => false,
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

/// A connection to one study server.
pub struct ServerClient {
    http: reqwest::blocking::Client,
    base: String,
    user: String,
    pass: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ServerClient {
    pub fn new(server: &ServerConfig, retry: RetryPolicy) -> Result<Self> {
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(server.timeout_secs.min(30)))
            // Blocking reqwest applies this to the headers and to every read of the body, so a
            // slow but moving download of a huge table is never cut, a stalled one is.
            .timeout(Duration::from_secs(server.timeout_secs))
            .user_agent(concat!("mtdata/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Client)?;
        Ok(ServerClient {
            http,
            base: server.server.clone(),
            user: server.user.clone().unwrap_or_default(),
            pass: server
                .pass
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
            retry,
        })
    }

    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// `GET` `path` (relative to the base URL), retrying 5xx and connection errors; the body is
    /// left to the caller.
    pub fn get(&self, path: &str) -> std::result::Result<reqwest::blocking::Response, HttpFailure> {
        self.with_retries(|| {
            let response = self
                .http
                .get(format!("{}{path}", self.base))
                .basic_auth(&self.user, Some(&self.pass))
                .send()
                .map_err(transport)?;
            match response.status().as_u16() {
                200..=299 => Ok(response),
                401 | 403 => Err(HttpFailure::Auth(response.status().as_u16())),
                404 => Err(HttpFailure::NotFound),
                other => Err(HttpFailure::Status(other)),
            }
        })
    }

    /// `GET` a small JSON document whole.
    pub fn get_bytes(&self, path: &str) -> std::result::Result<Vec<u8>, HttpFailure> {
        self.with_retries(|| {
            let response = self.get(path)?;
            response.bytes().map(|b| b.to_vec()).map_err(transport)
        })
    }

    /// `GET export/`: the tables and whether they may be deleted.
    pub fn list_tables(&self) -> std::result::Result<Vec<TableInfo>, HttpFailure> {
        let bytes = self.get_bytes("export/")?;
        serde_json::from_slice(&bytes).map_err(|e| {
            HttpFailure::Transport(format!("the table list is not the expected JSON ({e})"))
        })
    }

    /// `DELETE export/<table>/<id>`.
    pub fn delete_row(&self, table: &str, id: i64) -> DeleteOutcome {
        let result = self.with_retries(|| {
            let response = self
                .http
                .delete(format!("{}export/{table}/{id}", self.base))
                .basic_auth(&self.user, Some(&self.pass))
                .send()
                .map_err(transport)?;
            match response.status().as_u16() {
                200..=299 => Ok(DeleteOutcome::Deleted),
                404 => Ok(DeleteOutcome::AlreadyGone),
                403 => Ok(DeleteOutcome::Refused),
                other => Err(HttpFailure::Status(other)),
            }
        });
        result.unwrap_or_else(DeleteOutcome::Failed)
    }

    fn with_retries<T>(
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
    fn backoff_doubles() {
        let policy = RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(100),
        };
        let delays: Vec<u128> = (1..=4).map(|a| policy.delay(a).as_millis()).collect();
        assert_eq!(delays, [0, 100, 200, 400]);
    }
}
