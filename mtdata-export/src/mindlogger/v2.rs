//! The v2 API (reference §3): `POST /auth/login`, bearer tokens renewed with `POST /auth/token/refresh` when
//! one is refused, workspaces and their applets, and `GET /answers/applet/{id}/data` paged with `fromDate`.

use chrono::{DateTime, Utc};
use mindlogger_model::AppletEncryption;
use mtdata_core::Secret;
use mtdata_core::config::{MindLoggerConfig, ServerConfig};
use mtdata_core::mindlogger::{AppletId, MindLoggerApi};
use serde::Deserialize;
use serde_json::{Value, json};

use super::run::{from_date, parse_server_time};
use super::v1::{ok_status, parse};
use super::{
    Api, AppletDocument, Listed, Outcome, PageFacts, PageSink, ServerPage, applet_failure,
    json_body, page_through,
};
use crate::client::{Fetched, Http, HttpFailure};
use crate::error::{Error, Result};
use crate::export::server_failure;

/// Applets asked per page of a workspace's list.
const APPLETS_PER_PAGE: usize = 100;

/// A logged-in v2 session.
pub(crate) struct Client<'a> {
    server: &'a ServerConfig,
    http: Http,
    access: Secret,
    refresh: Secret,
    page_size: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tokens {
    access_token: String,
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginResult {
    #[serde(default)]
    token: Option<Tokens>,
    #[serde(default)]
    mfa_required: bool,
}

#[derive(Deserialize)]
struct Wrapped<T> {
    result: T,
    #[serde(default)]
    count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Workspace {
    owner_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceApplet {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageAnswer {
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct PageResult {
    answers: Vec<PageAnswer>,
}

/// What the stop rule needs of a v2 page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V2Page {
    pub facts: PageFacts,
    /// The answers matching the query, on all pages.
    pub count: u64,
}

impl ServerPage for V2Page {
    fn facts(&self) -> &PageFacts {
        &self.facts
    }

    fn parse(body: &[u8]) -> std::result::Result<Self, String> {
        let page: Wrapped<PageResult> = serde_json::from_slice(body)
            .map_err(|e| format!("the answer page is not the expected JSON ({e})"))?;
        let created: Vec<Option<DateTime<Utc>>> = page
            .result
            .answers
            .iter()
            .map(|a| a.created_at.as_deref().and_then(parse_server_time))
            .collect();
        Ok(V2Page {
            count: page.count.unwrap_or(0),
            facts: PageFacts {
                answers: created.len() as u64,
                created,
            },
        })
    }
}

/// The v2 stop rule: page `page` (from 1) of `limit` answers was the last when it was empty or the pages so
/// far cover `count` (the admin panel's `ceil(count / limit)` pages; a count that grew while paging, from
/// new submissions, is followed).
pub(crate) fn keep_paging(page: u64, limit: u32, fetched: &V2Page) -> bool {
    fetched.facts.answers > 0 && page.saturating_mul(u64::from(limit)) < fetched.count
}

fn is_login_refusal(failure: &HttpFailure) -> bool {
    matches!(
        failure,
        HttpFailure::Auth(_) | HttpFailure::Status(400 | 422)
    )
}

impl<'a> Client<'a> {
    /// `POST auth/login` with the account's e-mail and password.
    pub fn login(server: &'a ServerConfig, config: &MindLoggerConfig, http: Http) -> Result<Self> {
        let (access, refresh) = log_in(server, &http)?;
        Ok(Client {
            server,
            http,
            access,
            refresh,
            page_size: config.page_size,
        })
    }

    /// A new access token: from the refresh token, else by logging in again.
    fn renew(&mut self) -> std::result::Result<(), HttpFailure> {
        let url = self.server.server.join("auth/token/refresh");
        let body = json!({"refreshToken": self.refresh.expose()}).to_string();
        let refreshed = post_json(&self.http, &url, &body).and_then(|fetched| {
            serde_json::from_slice::<Wrapped<Tokens>>(&fetched.body).map_err(|e| {
                HttpFailure::Transport(format!(
                    "the refreshed token is not the expected JSON ({e})"
                ))
            })
        });
        let (access, refresh) = match refreshed {
            Ok(tokens) => (
                Secret::new(tokens.result.access_token),
                Secret::new(tokens.result.refresh_token),
            ),
            Err(failure) => {
                tracing::debug!(
                    "{}: refreshing the token failed ({failure}); logging in again",
                    self.server.name
                );
                log_in(self.server, &self.http).map_err(|_| HttpFailure::Auth(401))?
            }
        };
        self.access = access;
        self.refresh = refresh;
        Ok(())
    }

    /// `GET` with the bearer token; a 401 renews the token once and asks again, a second 401 is the
    /// caller's to report.
    fn get(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        received: &mut dyn FnMut(u64),
    ) -> std::result::Result<Fetched, HttpFailure> {
        let url = self.server.server.join(path);
        for renewed in [false, true] {
            let fetched = self.http.fetch(
                &|client| {
                    client
                        .get(&url)
                        .query(query)
                        .bearer_auth(self.access.expose())
                },
                received,
                &json_body,
            )?;
            if fetched.status == 401 && !renewed {
                tracing::debug!(
                    "{}: the access token was refused; renewing it",
                    self.server.name
                );
                self.renew()?;
                continue;
            }
            return ok_status(fetched);
        }
        unreachable!("the second pass returns")
    }

    fn get_listing<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<Wrapped<T>> {
        let fetched = self.get(path, query, &mut |_| {}).map_err(|failure| {
            server_failure(self.server, &format!("cannot list {what}"), failure)
        })?;
        parse(self.server, what, &fetched.body)
    }
}

fn post_json(http: &Http, url: &str, body: &str) -> std::result::Result<Fetched, HttpFailure> {
    http.fetch(
        &|client| {
            client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_owned())
        },
        &mut |_| {},
        &json_body,
    )
    .and_then(ok_status)
}

/// `POST auth/login`: (access token, refresh token).
fn log_in(server: &ServerConfig, http: &Http) -> Result<(Secret, Secret)> {
    let url = server.server.join("auth/login");
    let pass = server.pass.clone().unwrap_or_default();
    let body = json!({"email": server.user.clone().unwrap_or_default(), "password": pass.expose(), "deviceId": null})
        .to_string();
    let fetched = post_json(http, &url, &body).map_err(|failure| {
        let failure = match failure {
            HttpFailure::Status(status) if is_login_refusal(&HttpFailure::Status(status)) => {
                HttpFailure::Auth(status)
            }
            other => other,
        };
        server_failure(server, "cannot log in", failure)
    })?;
    let login: Wrapped<LoginResult> = parse(server, "the login answer", &fetched.body)?;
    match login.result {
        LoginResult { token: Some(tokens), .. } => Ok((Secret::new(tokens.access_token), Secret::new(tokens.refresh_token))),
        LoginResult { mfa_required: true, .. } => Err(Error::Server {
            server: server.name.clone(),
            what: "the account logs in with a second factor, which mtdata cannot give; use an account without it".into(),
        }),
        LoginResult { .. } => Err(Error::Server {
            server: server.name.clone(),
            what: "the login answer has no token".into(),
        }),
    }
}

impl Api for Client<'_> {
    fn applets(&mut self) -> Result<Vec<Listed>> {
        let workspaces: Wrapped<Vec<Workspace>> =
            self.get_listing("workspaces", &[], "the workspaces")?;
        let mut listed: Vec<Listed> = Vec::new();
        for workspace in workspaces.result {
            for page in 1.. {
                let query = [
                    ("page", page.to_string()),
                    ("limit", APPLETS_PER_PAGE.to_string()),
                ];
                let path = format!("workspaces/{}/applets", workspace.owner_id);
                let applets: Wrapped<Vec<WorkspaceApplet>> =
                    self.get_listing(&path, &query, "the applets of a workspace")?;
                let got = applets.result.len();
                for applet in applets.result {
                    let exports = applet.role.as_deref().is_none_or(|r| {
                        matches!(r, "owner" | "manager" | "reviewer" | "super_admin")
                    });
                    if !exports {
                        continue;
                    }
                    let id = AppletId::new(MindLoggerApi::V2, &applet.id).map_err(|invalid| {
                        Error::Server {
                            server: self.server.name.clone(),
                            what: format!("the applet list has {invalid}"),
                        }
                    })?;
                    if !listed.iter().any(|l| l.id == id) {
                        listed.push(Listed {
                            name: applet.display_name.unwrap_or_else(|| id.to_string()),
                            id,
                            account: None,
                        });
                    }
                }
                let covered = page * APPLETS_PER_PAGE as u64;
                if got == 0 || covered >= applets.count.unwrap_or(0) {
                    break;
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
        let fetched = match self.get(&format!("applets/{}", applet.id), &[], received) {
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
        let document: Value = serde_json::from_slice(&fetched.body).unwrap_or_default();
        let encryption = match document.pointer("/result/encryption") {
            None | Some(Value::Null) => None,
            Some(value) => Some(AppletEncryption::from_v2(value).map_err(|e| Error::Server {
                server: self.server.name.clone(),
                what: format!("applet {}: its encryption cannot be read ({e})", applet.id),
            })?),
        };
        Ok(Ok(AppletDocument {
            chunks: vec![fetched.body],
            encryption,
        }))
    }

    fn pages(
        &mut self,
        applet: &Listed,
        from: Option<DateTime<Utc>>,
        sink: &mut PageSink<'_>,
        received: &mut dyn FnMut(u64),
    ) -> Outcome<Option<String>> {
        let from = from.map(from_date);
        let path = format!("answers/applet/{}/data", applet.id);
        let (attempts, limit, server) = (self.http.retry().attempts, self.page_size, self.server);
        let fetch = |n: u64| {
            // The server counts pages from 1.
            let mut query = vec![("page", (n + 1).to_string()), ("limit", limit.to_string())];
            if let Some(from) = &from {
                query.push(("fromDate", from.clone()));
            }
            self.get(&path, &query, received)
        };
        let keep = |n: u64, page: &V2Page| keep_paging(n + 1, limit, page);
        if let Err(why) = page_through(server, &applet.id, attempts, fetch, keep, sink)? {
            return Ok(Err(why));
        }
        Ok(Ok(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(answers: usize, count: u64) -> V2Page {
        let answers: Vec<Value> = (0..answers)
            .map(|_| json!({"id": "x", "createdAt": "2025-06-05T15:50:02.936000"}))
            .collect();
        let body = json!({"result": {"answers": answers, "activities": []}, "count": count});
        V2Page::parse(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn pages_until_the_count_is_covered() {
        assert!(keep_paging(1, 250, &page(250, 600)));
        assert!(keep_paging(2, 250, &page(250, 600)));
        assert!(!keep_paging(3, 250, &page(100, 600)));
        assert!(!keep_paging(1, 250, &page(250, 250)));
        assert!(
            keep_paging(1, 250, &page(250, 251)),
            "a count that grew is followed"
        );
        assert!(
            !keep_paging(1, 250, &page(0, 600)),
            "an empty page ends the run"
        );
        assert!(!keep_paging(1, 10_000, &page(3, 3)));
        let facts = &page(2, 2).facts;
        assert_eq!(facts.answers, 2);
        assert!(facts.created.iter().all(Option::is_some));
        assert!(V2Page::parse(br#"{"result": []}"#).is_err());
    }
}
