//! The v1 (Girder) API of the MindLogger simulator, under `/api/v1/` (reference §2):
//!
//! - `GET /user/authentication` with `Girder-Authorization: Basic base64(email:password)` (or
//!   `Authorization`): `{user, account, authToken: {token, expires, scope}, message}`. Later requests send
//!   the token in `Girder-Token`.
//! - `GET /user/accounts`: `[{accountName, accountId, owned}]`, the accounts where the user has more than a
//!   respondent's role (none for the plain user).
//! - `PUT /user/switchAccount?accountId=`: `{account: {accountId, accountName, applets: [{id, name, roles,
//!   encryption, …}]}, authToken}`; the new token is scoped to that account.
//! - `GET /applet/{id}?retrieveSchedule=…&retrieveAllEvents=…&retrieveItems=true[&nextActivity=IRI]`: the
//!   JSON-LD applet (`applet.encryption` as byte arrays, top-level `accountId`, `activities` with
//!   `reprolib:terms/order`, `items` with `reprolib:terms/inputType`, `schema:question` and
//!   `reprolib:terms/responseOptions`), in chunks of [`super::SimOptions::v1_activities_per_chunk`] activities
//!   linked by `nextActivity`.
//! - `GET /applet/{id}/data?users=&pagination={"allow":true,"pageIndex":N}`: a page of answers, newest
//!   `created` first, with per-page `keys`, `dataSources`, `eventSources`, `subScaleSources`, `responses`,
//!   `items`, `activities`, `itemReferences` and `pagination {pageIndex, recordsPerPage, returnCount}`.
//!
//! - `GET /collection`, `/folder`, `/item`, `/user`: the generic Girder listings ([`super::girder`]).
//!
//! Errors are Girder's `{"message", "type"}`: 401 without a valid token or with bad credentials, 403 for an
//! applet outside the token's account or without export rights.

use serde_json::{Map, Value, json};

use super::girder::GirderKind;
use super::study::{Activity, Applet, Author, Item, ItemKind, Stored, Study};
use super::{Shared, State, TokenProblem, json_body, python_iso_utc};
use crate::http::{Reply, Request, Response};
use crate::lock;

/// A Girder error body.
pub(crate) fn error(status: u16, message: &str) -> Response {
    let kind = match status {
        401 | 403 => "access",
        400 => "validation",
        _ => "rest",
    };
    Response::new(
        status,
        json_body(&json!({"message": message, "type": kind})),
    )
}

enum Route {
    Login,
    Accounts,
    Switch,
    Applet(String),
    Data(String),
    Girder(GirderKind),
    NotAllowed,
    NotFound,
}

fn route(req: &Request) -> Route {
    let Some(rest) = req.path.strip_prefix("/api/v1/") else {
        return Route::NotFound;
    };
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let get = req.method == "GET";
    match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["user", "authentication"]) => Route::Login,
        ("GET", ["user", "accounts"]) => Route::Accounts,
        ("PUT", ["user", "switchAccount"]) => Route::Switch,
        ("GET", ["applet", id]) => Route::Applet((*id).to_owned()),
        ("GET", ["applet", id, "data"]) => Route::Data((*id).to_owned()),
        ("GET", ["collection"]) => Route::Girder(GirderKind::Collection),
        ("GET", ["folder"]) => Route::Girder(GirderKind::Folder),
        ("GET", ["item"]) => Route::Girder(GirderKind::Item),
        ("GET", ["user"]) => Route::Girder(GirderKind::User),
        (_, ["collection" | "folder" | "item" | "user", ..]) if !get => Route::NotAllowed,
        (_, ["user", "authentication" | "accounts" | "switchAccount"] | ["applet", ..]) if !get => {
            Route::NotAllowed
        }
        _ => Route::NotFound,
    }
}

pub(crate) fn reply(shared: &Shared, req: &Request) -> Reply {
    let route = route(req);
    let applet = match &route {
        Route::Applet(id) | Route::Data(id) => Some(id.as_str()),
        _ => None,
    };
    shared.serve(req, applet, error, || respond(shared, req, &route))
}

fn respond(shared: &Shared, req: &Request, route: &Route) -> Response {
    let mut st = lock(&shared.state);
    match route {
        Route::Login => login(&mut st, req),
        Route::NotFound => error(
            404,
            &format!("No matching route for \"{} {}\"", req.method, req.path),
        ),
        Route::NotAllowed => error(405, &format!("Method {} is not allowed here", req.method)),
        Route::Girder(kind) => super::girder::list(
            &mut st,
            req,
            *kind,
            shared.token_lifetime,
            shared.girder_ignore_offset,
        ),
        Route::Accounts | Route::Switch | Route::Applet(_) | Route::Data(_) => {
            let token = req.header("girder-token");
            let (user, account) = match st.session(token, shared.token_lifetime) {
                Ok(session) => (session.user, session.account),
                Err(TokenProblem::Missing) => return error(401, "You must be logged in."),
                Err(_) => return error(401, "Invalid or expired token."),
            };
            let account = account.unwrap_or_else(|| own_account(&st.study, user));
            match route {
                Route::Accounts => accounts(&st.study, user),
                Route::Switch => switch(&mut st, req, user),
                Route::Applet(id) => applet_chunk(shared, &st.study, id, user, account, req),
                Route::Data(id) => data_page(shared, &mut st, id, user, account, req),
                _ => unreachable!("matched above"),
            }
        }
    }
}

fn own_account(study: &Study, user: usize) -> usize {
    study
        .accounts
        .iter()
        .position(|a| a.owner == user)
        .unwrap_or(0)
}

fn basic_credentials(req: &Request) -> Option<(String, String)> {
    use base64::Engine as _;
    let header = req
        .header("girder-authorization")
        .or_else(|| req.header("authorization"))?;
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

fn auth_token(token: &str) -> Value {
    json!({"token": token, "expires": "2099-01-01T00:00:00+00:00", "scope": ["core.user_auth"]})
}

fn login(st: &mut State, req: &Request) -> Response {
    let Some(user) = basic_credentials(req).and_then(|(e, p)| st.study.login(&e, &p)) else {
        return error(401, "Login failed.");
    };
    let account = own_account(&st.study, user);
    let token = st.open_session(user, None);
    let study = &st.study;
    let roles = |wanted: &str| -> Vec<&str> {
        (0..study.applets.len())
            .filter(|&a| {
                study.applets[a].account == account && study.roles(user, a).contains(&wanted)
            })
            .map(|a| study.applets[a].id.as_str())
            .collect()
    };
    let u = &study.users[user];
    Response::new(
        200,
        json_body(&json!({
            "user": {"_id": u.id, "email": u.email, "firstName": u.first_name, "accountName": study.accounts[account].name},
            "account": {
                "accountId": study.accounts[account].id,
                "accountName": study.accounts[account].name,
                "applets": {"owner": roles("owner"), "manager": roles("manager"), "reviewer": roles("reviewer"), "user": roles("user")},
                "isDefaultName": false,
            },
            "authToken": auth_token(&token),
            "message": "Login succeeded.",
        })),
    )
}

/// Accounts where the user may do more than answer.
fn export_accounts(study: &Study, user: usize) -> Vec<usize> {
    (0..study.accounts.len())
        .filter(|&k| {
            (0..study.applets.len())
                .any(|a| study.applets[a].account == k && study.may_export(user, a))
        })
        .collect()
}

fn accounts(study: &Study, user: usize) -> Response {
    let list: Vec<Value> = export_accounts(study, user)
        .into_iter()
        .map(|k| {
            let account = &study.accounts[k];
            json!({"accountName": account.name, "accountId": account.id, "owned": account.owner == user})
        })
        .collect();
    Response::new(200, json_body(&Value::Array(list)))
}

fn switch(st: &mut State, req: &Request, user: usize) -> Response {
    let wanted = req.param("accountId").unwrap_or_default();
    let Some(k) = st.study.accounts.iter().position(|a| a.id == wanted) else {
        return error(400, "Invalid accountId.");
    };
    if !export_accounts(&st.study, user).contains(&k) {
        return error(403, "You do not have access to this account.");
    }
    let token = st.open_session(user, Some(k));
    let study = &st.study;
    let applets: Vec<Value> = (0..study.applets.len())
        .filter(|&a| study.applets[a].account == k && !study.roles(user, a).is_empty())
        .map(|a| {
            let applet = &study.applets[a];
            json!({
                "id": applet.id, "name": applet.name, "updated": "2024-02-01T00:00:00+00:00",
                "roles": study.roles(user, a), "encryption": encryption(applet),
                "hasUrl": false, "published": false, "welcomeApplet": false,
            })
        })
        .collect();
    let account = &study.accounts[k];
    Response::new(
        200,
        json_body(&json!({
            "account": {"accountId": account.id, "accountName": account.name, "folders": [], "alerts": {}, "applets": applets},
            "authToken": auth_token(&token),
        })),
    )
}

fn encryption(applet: &Applet) -> Value {
    let e = &applet.encryption;
    json!({"appletPublicKey": e.public_key, "appletPrime": e.prime, "base": e.base})
}

/// The applet (by id) in the session's account that the user may read, or the error to send.
fn readable_applet(
    study: &Study,
    id: &str,
    user: usize,
    account: usize,
) -> Result<usize, Response> {
    let denied = || error(403, &format!("Read access denied for folder {id}."));
    let a = study
        .find_applet(id)
        .ok_or_else(|| error(400, &format!("Invalid ObjectId: {id}")))?;
    if study.applets[a].account != account || !study.may_export(user, a) {
        return Err(denied());
    }
    Ok(a)
}

fn lang(text: &str) -> Value {
    json!([{"@language": "en", "@value": text}])
}

fn item_document(activity: &Activity, item: &Item) -> Value {
    let mut doc = json!({
        "@id": activity.item_iri(item),
        "_id": format!("screen/{}", item.id),
        "@type": ["reprolib:schemas/Field"],
        "http://www.w3.org/2004/02/skos/core#prefLabel": lang(&item.name),
        "schema:question": lang(&item.question),
        "reprolib:terms/inputType": [{"@value": item.kind.v1_input_type()}],
    });
    if item.kind != ItemKind::Text {
        let choices: Vec<Value> = item
            .options
            .iter()
            .map(|c| {
                json!({
                    "@type": ["schema:option"],
                    "schema:name": lang(&c.name),
                    "schema:value": [{"@value": c.value}],
                    "schema:score": [{"@value": c.score}],
                })
            })
            .collect();
        doc["reprolib:terms/responseOptions"] = json!([{"schema:itemListElement": choices}]);
    }
    doc
}

fn activity_document(activity: &Activity) -> Value {
    let order: Vec<Value> = activity
        .items
        .iter()
        .map(|item| json!({"@id": activity.item_iri(item)}))
        .collect();
    json!({
        "@id": activity.id,
        "_id": format!("activity/{}", activity.id),
        "@type": ["reprolib:schemas/Activity"],
        "http://www.w3.org/2004/02/skos/core#prefLabel": lang(&activity.name),
        "reprolib:terms/order": [{"@list": order}],
    })
}

fn applet_chunk(
    shared: &Shared,
    study: &Study,
    id: &str,
    user: usize,
    account: usize,
    req: &Request,
) -> Response {
    let a = match readable_applet(study, id, user, account) {
        Ok(a) => a,
        Err(denied) => return denied,
    };
    let applet = &study.applets[a];
    let per_chunk = shared.v1_activities_per_chunk;
    let first = match req.param("nextActivity") {
        None | Some("") => 0,
        Some(iri) => match applet.activities.iter().position(|x| x.id == iri) {
            Some(i) => i,
            None => return error(400, &format!("Invalid nextActivity: {iri}")),
        },
    };
    let chunk = &applet.activities[first..(first + per_chunk).min(applet.activities.len())];
    let next = applet
        .activities
        .get(first + per_chunk)
        .map(|x| x.id.clone());
    let mut activities = Map::new();
    let mut items = Map::new();
    for activity in chunk {
        activities.insert(activity.id.clone(), activity_document(activity));
        for item in &activity.items {
            items.insert(activity.item_iri(item), item_document(activity, item));
        }
    }
    let order: Vec<Value> = applet
        .activities
        .iter()
        .map(|x| json!({"@id": x.id}))
        .collect();
    let protocol_id = format!("{}p", &applet.id[..23]);
    Response::new(
        200,
        json_body(&json!({
            "accountId": applet.encryption.account_id,
            "activities": activities,
            "activityFlows": {},
            "applet": {
                "_id": format!("applet/{}", applet.id),
                "@id": applet.id,
                "displayName": applet.name,
                "http://www.w3.org/2004/02/skos/core#prefLabel": lang(&applet.name),
                "schema:version": [{"@value": applet.version}],
                "encryption": encryption(applet),
                "reprolib:terms/order": [{"@list": order.clone()}],
            },
            "items": items,
            "nextActivity": next,
            "protocol": {"_id": format!("protocol/{protocol_id}"), "@id": protocol_id, "reprolib:terms/order": [{"@list": order}]},
            "updated": "2024-02-01T00:00:00+00:00",
            "user": {"id": study.users[user].id, "MRN": null},
        })),
    )
}

/// `pagination={"allow":true,"pageIndex":N}`: `Some(N)`, or `None` for everything in one answer.
fn page_index(req: &Request) -> Result<Option<usize>, Response> {
    let Some(text) = req.param("pagination") else {
        return Ok(None);
    };
    let bad = || error(400, "Invalid JSON passed in pagination parameter.");
    let value: Value = serde_json::from_str(text).map_err(|_| bad())?;
    if value.get("allow").and_then(Value::as_bool) != Some(true) {
        return Ok(None);
    }
    let index = value
        .get("pageIndex")
        .and_then(Value::as_u64)
        .ok_or_else(bad)?;
    Ok(Some(index as usize))
}

fn data_page(
    shared: &Shared,
    st: &mut State,
    id: &str,
    user: usize,
    account: usize,
    req: &Request,
) -> Response {
    let a = match readable_applet(&st.study, id, user, account) {
        Ok(a) => a,
        Err(denied) => return denied,
    };
    let page = match page_index(req) {
        Ok(page) => page,
        Err(bad) => return bad,
    };
    let body = render_page(&st.study, a, page, shared.v1_page_size);
    st.after_data_page(a);
    Response::new(200, json_body(&body))
}

/// One data page as `getResponseData` builds it: indices into `keys` and `eventSources` restart per page.
fn render_page(study: &Study, a: usize, page: Option<usize>, per_page: usize) -> Value {
    let applet = &study.applets[a];
    let newest_first = applet.newest_first();
    let (start, size) = match page {
        Some(index) => (index.saturating_mul(per_page), per_page),
        None => (0, newest_first.len()),
    };
    let answers = newest_first.iter().skip(start).take(size);
    let mut keys: Vec<Value> = Vec::new();
    let mut data_sources = Map::new();
    let mut event_sources = Vec::new();
    let mut responses = Vec::new();
    let mut references = Map::new();
    for answer in answers {
        let activity = &applet.activities[answer.activity];
        for item in &activity.items {
            references.insert(activity.item_iri(item), Value::Null);
        }
        let (data, events) = match &answer.stored {
            Stored::Encrypted {
                user_key,
                answer: sealed,
                events,
            } => {
                let key = serde_json::to_value(user_key).unwrap_or_default();
                let k = keys.iter().position(|x| *x == key).unwrap_or_else(|| {
                    keys.push(key);
                    keys.len() - 1
                });
                data_sources.insert(answer.id.clone(), json!({"key": k, "data": sealed}));
                event_sources.push(json!({"key": k, "data": events}));
                let pointers: Map<String, Value> = activity
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (activity.item_iri(item), json!({"src": answer.id, "ptr": i})))
                    .collect();
                (Value::Object(pointers), json!(event_sources.len() - 1))
            }
            Stored::Plain => {
                let values: Map<String, Value> = activity
                    .items
                    .iter()
                    .zip(answer.values.as_array().into_iter().flatten())
                    .map(|(item, value)| (activity.item_iri(item), value.clone()))
                    .collect();
                (Value::Object(values), answer.events.clone())
            }
        };
        let (profile, mrn, reviewing) = match &answer.author {
            Author::Respondent(r) => {
                let respondent = &applet.respondents[*r];
                (
                    respondent.profile_id.clone(),
                    respondent.secret_id.clone(),
                    Value::Null,
                )
            }
            Author::Reviewer { reviewed } => {
                let manager = &study.users[super::MANAGER];
                (
                    format!("{}r", &manager.id[..23]),
                    format!("[admin account] ({})", manager.email),
                    json!({"userProfileId": applet.respondents[0].profile_id, "responseId": reviewed}),
                )
            }
        };
        responses.push(json!({
            "_id": answer.id,
            "activity": {"@id": activity.id, "name": activity.name, "url": null},
            "userId": profile,
            "MRN": mrn,
            "data": data,
            "subScales": {},
            "created": python_iso_utc(answer.created),
            "responseStarted": answer.created.timestamp_millis() - 60_000,
            "responseCompleted": answer.created.timestamp_millis(),
            "responseScheduled": "",
            "timeout": 0,
            "version": applet.version,
            "reviewing": reviewing,
            "activityFlow": null,
            "events": events,
        }));
    }
    let return_count = responses.len();
    json!({
        "keys": keys,
        "dataSources": data_sources,
        "subScaleSources": {},
        "eventSources": event_sources,
        "responses": responses,
        "items": {},
        "activities": {},
        "itemReferences": {applet.version.clone(): references},
        "pagination": {"pageIndex": page.unwrap_or(0), "recordsPerPage": size, "returnCount": return_count},
    })
}
