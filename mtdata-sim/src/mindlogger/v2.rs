//! The v2 API of the MindLogger simulator, at the root (reference §3). Every answer is wrapped in
//! `{"result": …}` (lists also carry `"count"`); requests after login send `Authorization: Bearer <token>`.
//!
//! - `POST /auth/login` `{"email", "password", "deviceId"}`: `{result: {token: {accessToken, refreshToken,
//!   tokenType}, user}}`; bad credentials 400.
//! - `POST /auth/token/refresh` `{"refreshToken"}`: `{result: {accessToken, refreshToken, tokenType}}`.
//! - `GET /workspaces`: `{result: [{ownerId, workspaceName}], count}`, the workspaces where the user has more
//!   than a respondent's role.
//! - `GET /workspaces/{ownerId}/applets?page&limit`: `{result: [{type, id, displayName, role}], count}`.
//! - `GET /applets/{id}`: `{result: {id, displayName, version, encryption: {publicKey, prime, base,
//!   accountId} (JSON text of byte arrays), activities: [{id, name, items: [{id, name, question,
//!   responseType, responseValues, isHidden}]}]}}`.
//! - `GET /answers/applet/{id}/data?page&limit&fromDate&toDate`: `{result: {answers, activities}, count}`,
//!   answers newest `createdAt` first, `fromDate`/`toDate` as `YYYY-MM-DDTHH:MM:SS` (UTC, inclusive), pages
//!   from 1, `limit` 10000 by default.
//!
//! Access tokens expire as [`super::TokenLifetime`] says: 401 with the server's
//! `{"result": [{"type", "message", "path"}]}` body, as for an unknown token. A respondent gets 403 on
//! applets and answers.

use chrono::{DateTime, NaiveDateTime, Utc};
use mindlogger_model::byte_array_json_text;
use serde_json::{Value, json};

use super::study::{Activity, Applet, Author, ItemKind, Stored, Study};
use super::{Shared, State, TokenProblem, json_body};
use crate::http::{Reply, Request, Response};
use crate::lock;

/// The v2 error body: `{"result": [{"type", "message", "path"}]}`.
pub(crate) fn error(status: u16, message: &str) -> Response {
    let kind = match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "ACCESS_DENIED",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        _ => "INTERNAL_SERVER_ERROR",
    };
    Response::new(
        status,
        json_body(&json!({"result": [{"type": kind, "message": message, "path": []}]})),
    )
}

enum Route {
    Login,
    Refresh,
    Workspaces,
    WorkspaceApplets(String),
    Applet(String),
    Answers(String),
    NotAllowed,
    NotFound,
}

fn route(req: &Request) -> Route {
    let parts: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let route = match parts.as_slice() {
        ["auth", "login"] => (Route::Login, "POST"),
        ["auth", "token", "refresh"] => (Route::Refresh, "POST"),
        ["workspaces"] => (Route::Workspaces, "GET"),
        ["workspaces", owner, "applets"] => (Route::WorkspaceApplets((*owner).to_owned()), "GET"),
        ["applets", id] => (Route::Applet((*id).to_owned()), "GET"),
        ["answers", "applet", id, "data"] => (Route::Answers((*id).to_owned()), "GET"),
        _ => return Route::NotFound,
    };
    match route {
        (route, method) if method == req.method => route,
        _ => Route::NotAllowed,
    }
}

pub(crate) fn reply(shared: &Shared, req: &Request) -> Reply {
    let route = route(req);
    let applet = match &route {
        Route::Applet(id) | Route::Answers(id) => Some(id.as_str()),
        _ => None,
    };
    shared.serve(req, applet, error, || respond(shared, req, &route))
}

fn ok(result: Value) -> Response {
    Response::new(200, json_body(&json!({"result": result})))
}

fn ok_list(result: Vec<Value>, count: usize) -> Response {
    Response::new(200, json_body(&json!({"result": result, "count": count})))
}

fn body_field(req: &Request, field: &str) -> Option<String> {
    let value: Value = serde_json::from_slice(&req.body).ok()?;
    value.get(field)?.as_str().map(str::to_owned)
}

fn respond(shared: &Shared, req: &Request, route: &Route) -> Response {
    let mut st = lock(&shared.state);
    match route {
        Route::Login => login(&mut st, req),
        Route::Refresh => refresh(&mut st, req),
        Route::NotFound => error(404, "Not found."),
        Route::NotAllowed => error(405, "Method Not Allowed"),
        Route::Workspaces | Route::WorkspaceApplets(_) | Route::Applet(_) | Route::Answers(_) => {
            let token = req
                .header("authorization")
                .and_then(|h| h.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim());
            let user = match st.session(token, shared.token_lifetime) {
                Ok(session) => session.user,
                Err(TokenProblem::Missing | TokenProblem::Unknown | TokenProblem::Expired) => {
                    return error(401, "Could not validate credentials.");
                }
            };
            match route {
                Route::Workspaces => workspaces(&st.study, user),
                Route::WorkspaceApplets(owner) => workspace_applets(&st.study, user, owner, req),
                Route::Applet(id) => match exportable(&st.study, user, id) {
                    Ok(a) => ok(applet_document(&st.study.applets[a])),
                    Err(denied) => denied,
                },
                Route::Answers(id) => answers(&mut st, user, id, req),
                _ => unreachable!("matched above"),
            }
        }
    }
}

fn tokens(st: &mut State, user: usize) -> Value {
    let access = st.open_session(user, None);
    let refresh = st.study.token();
    st.refresh_tokens.insert(refresh.clone(), user);
    json!({"accessToken": access, "refreshToken": refresh, "tokenType": "Bearer"})
}

fn login(st: &mut State, req: &Request) -> Response {
    let (Some(email), Some(password)) = (body_field(req, "email"), body_field(req, "password"))
    else {
        return error(400, "Field required: email, password.");
    };
    let Some(user) = st.study.login(&email, &password) else {
        return error(400, "Bad credentials.");
    };
    let token = tokens(st, user);
    let u = &st.study.users[user];
    ok(json!({
        "token": token,
        "user": {"id": u.id, "email": u.email.to_ascii_lowercase(), "firstName": u.first_name, "lastName": "Example"},
    }))
}

fn refresh(st: &mut State, req: &Request) -> Response {
    let Some(user) = body_field(req, "refreshToken").and_then(|t| st.refresh_tokens.remove(&t))
    else {
        return error(401, "Could not validate credentials.");
    };
    ok(tokens(st, user))
}

fn workspaces(study: &Study, user: usize) -> Response {
    let list: Vec<Value> = study
        .accounts
        .iter()
        .enumerate()
        .filter(|&(k, _)| {
            (0..study.applets.len())
                .any(|a| study.applets[a].account == k && study.may_export(user, a))
        })
        .map(|(_, w)| json!({"ownerId": w.id, "workspaceName": w.name}))
        .collect();
    let count = list.len();
    ok_list(list, count)
}

fn number_param(req: &Request, name: &str, default: usize) -> Result<usize, Response> {
    match req.param(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| error(422, &format!("{name} must be a whole number of at least 1"))),
    }
}

fn workspace_applets(study: &Study, user: usize, owner: &str, req: &Request) -> Response {
    let Some(k) = study.accounts.iter().position(|w| w.id == owner) else {
        return error(404, "Workspace not found.");
    };
    let (page, limit) = match (
        number_param(req, "page", 1),
        number_param(req, "limit", 10_000),
    ) {
        (Ok(page), Ok(limit)) => (page, limit),
        (Err(bad), _) | (_, Err(bad)) => return bad,
    };
    let listed: Vec<Value> = (0..study.applets.len())
        .filter(|&a| study.applets[a].account == k && !study.roles(user, a).is_empty())
        .map(|a| {
            let applet = &study.applets[a];
            json!({"type": "applet", "id": applet.id, "displayName": applet.name, "role": study.roles(user, a)[0]})
        })
        .collect();
    let count = listed.len();
    let page: Vec<Value> = listed
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    ok_list(page, count)
}

fn exportable(study: &Study, user: usize, id: &str) -> Result<usize, Response> {
    let a = study
        .find_applet(id)
        .ok_or_else(|| error(404, "Applet not found."))?;
    match study.may_export(user, a) {
        true => Ok(a),
        false => Err(error(403, "Access denied.")),
    }
}

fn items(activity: &Activity) -> Vec<Value> {
    activity
        .items
        .iter()
        .map(|item| {
            let values = match item.kind {
                ItemKind::Text => Value::Null,
                _ => json!({"options": item.options.iter().map(|c| json!({"id": c.id, "text": c.name, "value": c.value, "score": c.score})).collect::<Vec<_>>()}),
            };
            json!({
                "id": item.id, "name": item.name, "question": {"en": item.question},
                "responseType": item.kind.v2_response_type(), "responseValues": values, "isHidden": false,
            })
        })
        .collect()
}

fn applet_document(applet: &Applet) -> Value {
    let e = &applet.encryption;
    let activities: Vec<Value> = applet
        .activities
        .iter()
        .map(|x| json!({"id": x.id, "name": x.name, "items": items(x)}))
        .collect();
    json!({
        "id": applet.id,
        "displayName": applet.name,
        "version": applet.version,
        "encryption": {
            "publicKey": byte_array_json_text(&e.public_key),
            "prime": byte_array_json_text(&e.prime),
            "base": byte_array_json_text(&e.base),
            "accountId": e.account_id,
        },
        "activities": activities,
        "activityFlows": [],
    })
}

/// `fromDate`/`toDate` in the admin's `yyyy-MM-dd'T'HH:mm:ss` (UTC), or with fractional seconds.
fn date_param(req: &Request, name: &str) -> Result<Option<DateTime<Utc>>, Response> {
    let Some(text) = req.param(name) else {
        return Ok(None);
    };
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| Some(t.and_utc()))
        .map_err(|_| error(422, &format!("{name} is not a valid datetime")))
}

/// v2 `createdAt`: naive UTC with microseconds.
fn created_at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn answers(st: &mut State, user: usize, id: &str, req: &Request) -> Response {
    let a = match exportable(&st.study, user, id) {
        Ok(a) => a,
        Err(denied) => return denied,
    };
    let filter = (
        number_param(req, "page", 1),
        number_param(req, "limit", 10_000),
        date_param(req, "fromDate"),
        date_param(req, "toDate"),
    );
    let (page, limit, from, to) = match filter {
        (Ok(p), Ok(l), Ok(f), Ok(t)) => (p, l, f, t),
        (Err(bad), ..) | (_, Err(bad), ..) | (_, _, Err(bad), _) | (.., Err(bad)) => return bad,
    };
    let study = &st.study;
    let applet = &study.applets[a];
    let matching: Vec<_> = applet
        .newest_first()
        .into_iter()
        .filter(|x| from.is_none_or(|f| x.created >= f) && to.is_none_or(|t| x.created <= t))
        .collect();
    let count = matching.len();
    let mut used = Vec::new();
    let answers: Vec<Value> = matching
        .into_iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(|x| {
            if !used.contains(&x.activity) {
                used.push(x.activity);
            }
            answer_json(study, applet, x)
        })
        .collect();
    let activities: Vec<Value> = used
        .into_iter()
        .map(|i| {
            let x = &applet.activities[i];
            json!({"id": x.id, "idVersion": format!("{}_{}", x.id, applet.version), "name": x.name,
                   "version": applet.version, "items": items(x), "subscaleSetting": null, "scoresAndReports": null})
        })
        .collect();
    let body = json!({"result": {"answers": answers, "activities": activities}, "count": count});
    st.after_data_page(a);
    Response::new(200, json_body(&body))
}

fn answer_json(study: &Study, applet: &Applet, x: &super::study::Answer) -> Value {
    let activity = &applet.activities[x.activity];
    let (respondent, secret, reviewed) = match &x.author {
        Author::Respondent(r) => {
            let r = &applet.respondents[*r];
            (r.profile_id.clone(), r.secret_id.clone(), Value::Null)
        }
        Author::Reviewer { reviewed } => {
            let manager = &study.users[super::MANAGER];
            (
                manager.id.clone(),
                format!("[admin account] ({})", manager.email),
                json!(reviewed),
            )
        }
    };
    let (key, answer, events) = match &x.stored {
        Stored::Encrypted {
            user_key,
            answer,
            events,
        } => {
            let key = match user_key {
                mindlogger_model::UserPublicKey::Key(bytes) => byte_array_json_text(bytes),
                mindlogger_model::UserPublicKey::ReviewerId(id) => id.clone(),
            };
            (json!(key), json!(answer), json!(events))
        }
        Stored::Plain => (
            Value::Null,
            json!(x.values.to_string()),
            json!(x.events.to_string()),
        ),
    };
    let end = x.created.timestamp_millis() as f64 / 1000.0;
    json!({
        "id": x.id, "submitId": x.id, "version": applet.version,
        "respondentId": respondent, "respondentSecretId": secret,
        "sourceSubjectId": respondent, "sourceSecretId": secret,
        "targetSubjectId": respondent, "targetSecretId": secret,
        "inputSubjectId": respondent, "relation": "self", "legacyProfileId": null,
        "userPublicKey": key, "answer": answer, "events": events,
        "itemIds": activity.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        "scheduledDatetime": null, "startDatetime": end - 60.0, "endDatetime": end,
        "migratedDate": null, "tzOffset": -240,
        "scheduledEventId": null, "scheduledEventHistoryId": null,
        "appletHistoryId": format!("{}_{}", applet.id, applet.version),
        "activityHistoryId": format!("{}_{}", activity.id, applet.version),
        "flowHistoryId": null, "flowName": null,
        "reviewedAnswerId": reviewed, "reviewedFlowSubmitId": null,
        "createdAt": created_at(x.created), "migratedData": null,
        "client": {"appId": "mindlogger-mobile", "appVersion": "1.0.0", "width": 390, "height": 844},
        "appletId": applet.id, "activityId": activity.id, "flowId": null,
    })
}
