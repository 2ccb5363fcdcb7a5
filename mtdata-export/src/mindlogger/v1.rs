//! The v1 (Girder) API (reference §2): `Girder-Authorization: Basic` login, `Girder-Token` sessions scoped to
//! one account at a time, chunked applet documents and pages of 500 answers, newest first.

use chrono::{DateTime, Utc};
use mindlogger_model::AppletEncryption;
use mtdata_core::Secret;
use mtdata_core::config::ServerConfig;
use mtdata_core::mindlogger::{AppletId, MindLoggerApi};
use serde::Deserialize;
use serde_json::Value;

use super::girder::GirderRest;
use super::run::{from_date, parse_server_time};
use super::{
    Api, AppletDocument, Listed, Outcome, PageFacts, PageSink, ServerPage, applet_failure,
    json_body, page_through,
};
use crate::client::{Fetched, Http, HttpFailure};
use crate::error::{Error, Result};
use crate::export::server_failure;

/// The v1 server's page size (`RESPONSE_ITEM_PAGINATION`), for pages that do not say theirs.
const RECORDS_PER_PAGE: u64 = 500;

/// A logged-in Girder session.
pub(crate) struct Girder<'a> {
    server: &'a ServerConfig,
    http: Http,
    token: Secret,
    /// The account the token is scoped to.
    account: Option<String>,
}

#[derive(Deserialize)]
struct AuthToken {
    token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Login {
    auth_token: AuthToken,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    account_id: String,
}

#[derive(Deserialize)]
struct SwitchedApplet {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct SwitchedAccount {
    #[serde(default)]
    applets: Vec<SwitchedApplet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Switched {
    account: SwitchedAccount,
    auth_token: AuthToken,
}

#[derive(Deserialize)]
struct PageResponse {
    #[serde(default)]
    created: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    #[serde(default)]
    records_per_page: Option<u64>,
    #[serde(default)]
    return_count: Option<u64>,
}

#[derive(Deserialize)]
struct Page {
    responses: Vec<PageResponse>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

/// What the stop rule needs of a v1 page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V1Page {
    pub facts: PageFacts,
    pub return_count: u64,
    pub records_per_page: u64,
}

impl ServerPage for V1Page {
    fn facts(&self) -> &PageFacts {
        &self.facts
    }

    fn parse(body: &[u8]) -> std::result::Result<Self, String> {
        let page: Page = serde_json::from_slice(body)
            .map_err(|e| format!("the answer page is not the expected JSON ({e})"))?;
        let created: Vec<Option<DateTime<Utc>>> = page
            .responses
            .iter()
            .map(|r| r.created.as_deref().and_then(parse_server_time))
            .collect();
        let pagination = page.pagination.as_ref();
        Ok(V1Page {
            return_count: pagination
                .and_then(|p| p.return_count)
                .unwrap_or(created.len() as u64),
            records_per_page: pagination
                .and_then(|p| p.records_per_page)
                .unwrap_or(RECORDS_PER_PAGE),
            facts: PageFacts {
                answers: created.len() as u64,
                created,
            },
        })
    }
}

/// The v1 stop rule (`docs/mindlogger.md`): the server has no date filter and sorts by `created`
/// descending, so page on until the last page (fewer answers than a full page) or until a page lies wholly
/// before `cutoff` (the mark minus `OVERLAP`). A page with a time that cannot be read is never "before".
pub(crate) fn keep_paging(page: &V1Page, cutoff: Option<DateTime<Utc>>) -> bool {
    if page.return_count == 0 || page.return_count < page.records_per_page {
        return false;
    }
    let Some(cutoff) = cutoff else {
        return true;
    };
    let wholly_before = page
        .facts
        .created
        .iter()
        .all(|t| t.is_some_and(|t| t < cutoff));
    !wholly_before
}

impl<'a> Girder<'a> {
    /// `GET user/authentication` with the account's e-mail and password.
    pub fn login(server: &'a ServerConfig, http: Http) -> Result<Self> {
        let user = server.user.clone().unwrap_or_default();
        let pass = server.pass.clone().unwrap_or_default();
        let url = server.server.join("user/authentication");
        let fetched = http
            .fetch(
                &|client| {
                    client
                        .get(&url)
                        .query(&[("lang", "en")])
                        .header("Girder-Authorization", basic(&user, pass.expose()).expose())
                },
                &mut |_| {},
                &json_body,
            )
            .and_then(ok_status)
            .map_err(|failure| server_failure(server, "cannot log in", failure))?;
        let login: Login = parse(server, "the login answer", &fetched.body)?;
        Ok(Girder {
            server,
            http,
            token: Secret::new(login.auth_token.token),
            account: None,
        })
    }

    fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
        received: &mut dyn FnMut(u64),
    ) -> std::result::Result<Fetched, HttpFailure> {
        self.get_checked(path, query, received, &json_body)
    }

    /// `GET path?query` with the session's token; a 2xx body must pass `valid`.
    fn get_checked(
        &self,
        path: &str,
        query: &[(&str, &str)],
        received: &mut dyn FnMut(u64),
        valid: &dyn Fn(&[u8]) -> std::result::Result<(), String>,
    ) -> std::result::Result<Fetched, HttpFailure> {
        let url = self.server.server.join(path);
        self.http
            .fetch(
                &|client| {
                    client
                        .get(&url)
                        .query(query)
                        .header("Girder-Token", self.token.expose())
                },
                received,
                valid,
            )
            .and_then(ok_status)
    }

    /// `PUT user/switchAccount`: scope the session to `account` (a new token).
    fn switch(&mut self, account: &str) -> Result<Switched> {
        let url = self.server.server.join("user/switchAccount");
        let fetched = self
            .http
            .fetch(
                &|client| {
                    client
                        .put(&url)
                        .query(&[("accountId", account)])
                        .header("Girder-Token", self.token.expose())
                },
                &mut |_| {},
                &json_body,
            )
            .and_then(ok_status)
            .map_err(|failure| {
                server_failure(self.server, "cannot switch to an account", failure)
            })?;
        let switched: Switched = parse(self.server, "the account", &fetched.body)?;
        self.token = Secret::new(switched.auth_token.token.clone());
        self.account = Some(account.to_owned());
        Ok(switched)
    }

    /// Switch to the applet's account unless the session is there already.
    fn enter(&mut self, applet: &Listed) -> Result<()> {
        match &applet.account {
            Some(account) if self.account.as_ref() != Some(account) => {
                self.switch(account).map(|_| ())
            }
            _ => Ok(()),
        }
    }
}

impl Api for Girder<'_> {
    fn girder(&mut self) -> Option<&mut dyn GirderRest> {
        Some(self)
    }

    fn applets(&mut self) -> Result<Vec<Listed>> {
        let fetched = self
            .get("user/accounts", &[], &mut |_| {})
            .map_err(|failure| server_failure(self.server, "cannot list the accounts", failure))?;
        let accounts: Vec<Account> = parse(self.server, "the account list", &fetched.body)?;
        let mut listed = Vec::new();
        for account in accounts {
            let switched = self.switch(&account.account_id)?;
            for applet in switched.account.applets {
                let exports = applet
                    .roles
                    .iter()
                    .any(|r| matches!(r.as_str(), "owner" | "manager" | "reviewer"));
                if !exports {
                    continue;
                }
                let id = AppletId::new(MindLoggerApi::V1, &applet.id).map_err(|invalid| {
                    Error::Server {
                        server: self.server.name.clone(),
                        what: format!("the applet list has {invalid}; skipped nothing, stopped"),
                    }
                })?;
                if !listed.iter().any(|l: &Listed| l.id == id) {
                    listed.push(Listed {
                        name: applet.name.unwrap_or_else(|| id.to_string()),
                        id,
                        account: Some(account.account_id.clone()),
                    });
                }
            }
        }
        Ok(listed)
    }

    fn document(
        &mut self,
        applet: &Listed,
        received: &mut dyn FnMut(u64),
    ) -> Outcome<AppletDocument> {
        self.enter(applet)?;
        let path = format!("applet/{}", applet.id);
        let mut chunks = Vec::new();
        let mut encryption = None;
        let mut next: Option<String> = None;
        loop {
            let mut query = vec![
                ("retrieveSchedule", "false"),
                ("retrieveAllEvents", "false"),
                ("retrieveItems", "true"),
            ];
            if let Some(next) = &next {
                query.push(("nextActivity", next.as_str()));
            }
            let fetched = match self.get(&path, &query, received) {
                Ok(fetched) => fetched,
                Err(failure) => {
                    let attempts = self.http.retry().attempts;
                    return applet_failure(
                        self.server,
                        &applet.id,
                        "fetching the applet",
                        attempts,
                        failure,
                    );
                }
            };
            let chunk: Value = serde_json::from_slice(&fetched.body).unwrap_or_default();
            if chunks.is_empty() {
                encryption = encryption_of(&chunk).map_err(|why| Error::Server {
                    server: self.server.name.clone(),
                    what: format!("applet {}: {why}", applet.id),
                })?;
            }
            next = chunk["nextActivity"]
                .as_str()
                .map(str::to_owned)
                .filter(|n| !n.is_empty());
            chunks.push(fetched.body);
            if next.is_none() {
                break;
            }
            if chunks.len() > 10_000 {
                return Ok(Err(
                    "the applet's chunks do not end (nextActivity loops)".into()
                ));
            }
        }
        Ok(Ok(AppletDocument { chunks, encryption }))
    }

    fn pages(
        &mut self,
        applet: &Listed,
        from: Option<DateTime<Utc>>,
        sink: &mut PageSink<'_>,
        received: &mut dyn FnMut(u64),
    ) -> Outcome<Option<String>> {
        self.enter(applet)?;
        let path = format!("applet/{}/data", applet.id);
        let attempts = self.http.retry().attempts;
        let fetch = |index: u64| {
            let pagination = format!("{{\"allow\":true,\"pageIndex\":{index}}}");
            self.get(
                &path,
                &[("users", ""), ("pagination", &pagination)],
                received,
            )
        };
        let keep = |_, page: &V1Page| keep_paging(page, from);
        if let Err(why) = page_through(self.server, &applet.id, attempts, fetch, keep, sink)? {
            return Ok(Err(why));
        }
        Ok(Ok(from.map(from_date)))
    }
}

impl GirderRest for Girder<'_> {
    fn list(
        &mut self,
        route: &str,
        query: &[(&str, &str)],
        received: &mut dyn FnMut(u64),
        valid: &dyn Fn(&[u8]) -> std::result::Result<(), String>,
    ) -> std::result::Result<Fetched, HttpFailure> {
        self.get_checked(route, query, received, valid)
    }

    fn attempts(&self) -> u32 {
        self.http.retry().attempts
    }
}

/// `applet.encryption` with the top-level `accountId`, or `None` for an unencrypted applet.
fn encryption_of(document: &Value) -> std::result::Result<Option<AppletEncryption>, String> {
    match document.get("applet").and_then(|a| a.get("encryption")) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => AppletEncryption::from_v1_applet(document)
            .map(Some)
            .map_err(|e| format!("its encryption cannot be read ({e})")),
    }
}

fn basic(user: &str, pass: &str) -> Secret {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    Secret::new(format!("Basic {encoded}"))
}

/// A 2xx answer, or the failure its status stands for.
pub(crate) fn ok_status(fetched: Fetched) -> std::result::Result<Fetched, HttpFailure> {
    match fetched.status {
        200..=299 => Ok(fetched),
        other => Err(HttpFailure::of_status(other)),
    }
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    server: &ServerConfig,
    what: &str,
    body: &[u8],
) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Server {
        server: server.name.clone(),
        what: format!("{what} is not the expected JSON ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn page(created: &[&str], return_count: u64) -> V1Page {
        let responses: Vec<Value> = created
            .iter()
            .map(|c| serde_json::json!({"_id": "x", "created": c}))
            .collect();
        let body = serde_json::json!({"responses": responses, "keys": [], "pagination": {"pageIndex": 0, "recordsPerPage": 3, "returnCount": return_count}});
        V1Page::parse(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn pages_until_the_last_or_one_wholly_before_the_cutoff() {
        let cutoff = Some(Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap());
        let after = "2024-03-01T10:30:00.000000+00:00";
        let before = "2024-03-01T09:30:00.000000+00:00";
        let full_after = page(&[after, after, after], 3);
        let straddling = page(&[after, before, before], 3);
        let all_before = page(&[before, before, before], 3);
        let short = page(&[after], 1);
        assert!(keep_paging(&full_after, cutoff));
        assert!(
            keep_paging(&straddling, cutoff),
            "the next page may still hold answers at the cutoff"
        );
        assert!(!keep_paging(&all_before, cutoff));
        assert!(!keep_paging(&short, cutoff));
        assert!(!keep_paging(&page(&[], 0), None));
        assert!(
            keep_paging(&all_before, None),
            "a first run reads everything"
        );
        let unreadable = page(&["yesterday", before, before], 3);
        assert!(keep_paging(&unreadable, cutoff));
    }

    #[test]
    fn page_facts_fall_back_to_the_server_page_size() {
        let body = br#"{"responses": [{"created": "2024-03-01T10:30:00+00:00"}]}"#;
        let page = V1Page::parse(body).unwrap();
        assert_eq!(
            (page.return_count, page.records_per_page, page.facts.answers),
            (1, 500, 1)
        );
        assert!(V1Page::parse(b"[]").is_err());
    }
}
