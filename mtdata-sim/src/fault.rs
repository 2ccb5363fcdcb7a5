//! Faults every simulator injects the same way, and the request log: a [`Fault`] picks requests (method,
//! path, table or applet, DELETE ids, how many times) and its [`FaultAction`] says what happens to them.

use std::time::Duration;

use crate::http::{Delivery, Reply, Request, Response};

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status (e.g. 500, 503) and the server's error body, before authentication.
    Status(u16),
    /// Close the connection after reading the request, without answering.
    ResetBeforeResponse,
    /// Send the headers (correct `Content-Length`) and this many body bytes, then close.
    ResetAfterBodyBytes(usize),
    /// Send the whole body but announce this many more bytes (at least 1) in `Content-Length`, then close.
    TruncatedBody(usize),
    /// Send the body in `chunk`-byte pieces with `delay` after each.
    SlowBody { chunk: usize, delay: Duration },
    /// MindTrails: DELETE answers 200 with an empty body but the row stays (§6 point 6). Matches only DELETE
    /// requests.
    DeleteIgnored,
    /// Answer with this 3xx status and a `Location` header, before authentication (a proxy or a moved
    /// server). A client that follows it with a GET would see a success.
    Redirect { status: u16, location: String },
}

/// An injected fault: an action and which requests it applies to (all conditions must hold).
///
/// ```
/// use mtdata_sim::mindtrails::Fault;
/// use std::time::Duration;
/// let _next_three_fail = Fault::status(503).times(3);
/// let _oa_is_cut = Fault::reset_after_body_bytes(100).on_table("OA");
/// let _delete_of_7_fails = Fault::delete_fails(&[7]);
/// let _slow = Fault::slow_body(64, Duration::from_millis(5)).on_path("/api/export/TaskLog");
/// let _pages_fail = Fault::status(502).on_path_prefix("/api/v1/applet/").times(2);
/// let _no_delete_route = Fault::delete_route_missing();
/// let _moved = Fault::redirect(302, "/api/export/RR").on_method("DELETE");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub action: FaultAction,
    /// Only requests with this method (`GET`, `DELETE`).
    pub method: Option<String>,
    /// Only requests with exactly this path (without query; compared raw and percent-decoded).
    pub path: Option<String>,
    /// Only requests whose path (without query) starts with this.
    pub path_prefix: Option<String>,
    /// Only requests for this table (MindTrails: `GET /api/export/{t}` or `DELETE /api/export/{t}/{id}`,
    /// case-insensitive) or applet (MindLogger: requests naming the applet id in their path).
    pub table: Option<String>,
    /// Only DELETE requests for one of these ids.
    pub ids: Option<Vec<i64>>,
    /// Only the next `n` matching requests; `None` until the simulator's `clear_faults`.
    pub times: Option<usize>,
}

/// What a simulator's route names, for a [`Fault`] to match on.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FaultTarget<'a> {
    /// The table (MindTrails) or applet id (MindLogger) the request is about.
    pub table: Option<&'a str>,
    /// The row id of a DELETE.
    pub delete_id: Option<&'a str>,
}

impl Fault {
    fn new(action: FaultAction) -> Self {
        Self {
            action,
            method: None,
            path: None,
            path_prefix: None,
            table: None,
            ids: None,
            times: None,
        }
    }

    /// Answer with `status` (any code; 5xx for server errors).
    pub fn status(status: u16) -> Self {
        Self::new(FaultAction::Status(status))
    }

    /// Close the socket without answering.
    pub fn reset_before_response() -> Self {
        Self::new(FaultAction::ResetBeforeResponse)
    }

    /// Close the socket after the headers and `bytes` body bytes.
    pub fn reset_after_body_bytes(bytes: usize) -> Self {
        Self::new(FaultAction::ResetAfterBodyBytes(bytes))
    }

    /// Announce `missing` more bytes than sent, then close.
    pub fn truncated_body(missing: usize) -> Self {
        Self::new(FaultAction::TruncatedBody(missing))
    }

    /// Send the body slowly.
    pub fn slow_body(chunk: usize, delay: Duration) -> Self {
        Self::new(FaultAction::SlowBody { chunk, delay })
    }

    /// DELETE answers 200 but does not delete.
    pub fn delete_ignored() -> Self {
        Self {
            method: Some("DELETE".to_owned()),
            ..Self::new(FaultAction::DeleteIgnored)
        }
    }

    /// Every DELETE answers 404 and deletes nothing: a delete route that is missing or misrouted (a proxy
    /// that does not pass DELETE on, a wrong path), which looks like "already deleted".
    pub fn delete_route_missing() -> Self {
        Self::status(404).on_method("DELETE")
    }

    /// Answer with a redirect (`status` 301, 302, 307, 308) to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::new(FaultAction::Redirect {
            status,
            location: location.to_owned(),
        })
    }

    /// DELETE of any of these ids answers 500.
    pub fn delete_fails(ids: &[i64]) -> Self {
        Self::status(500).on_method("DELETE").on_ids(ids)
    }

    /// The next `n` DELETE requests answer 500.
    pub fn delete_fails_next(n: usize) -> Self {
        Self::status(500).on_method("DELETE").times(n)
    }

    /// Restrict to a method.
    pub fn on_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Restrict to an exact path such as `/api/export/OA`.
    pub fn on_path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }

    /// Restrict to paths starting with `prefix`, such as `/answers/applet/`.
    pub fn on_path_prefix(mut self, prefix: &str) -> Self {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    /// Restrict to requests for one table.
    pub fn on_table(mut self, table: &str) -> Self {
        self.table = Some(table.to_owned());
        self
    }

    /// Restrict to requests about one MindLogger applet (its id in the path).
    pub fn on_applet(self, applet_id: &str) -> Self {
        self.on_table(applet_id)
    }

    /// Restrict to DELETE requests for these ids.
    pub fn on_ids(mut self, ids: &[i64]) -> Self {
        self.ids = Some(ids.to_vec());
        self
    }

    /// Apply to the next `n` matching requests only.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    pub(crate) fn matches(&self, req: &Request, target: FaultTarget<'_>) -> bool {
        if self.method.as_deref().is_some_and(|m| m != req.method) {
            return false;
        }
        if let Some(p) = &self.path
            && *p != req.path
            && *p != crate::http::percent_decode(&req.path)
        {
            return false;
        }
        if self
            .path_prefix
            .as_deref()
            .is_some_and(|prefix| !req.path.starts_with(prefix))
        {
            return false;
        }
        if let Some(t) = &self.table
            && !target
                .table
                .is_some_and(|name| name.eq_ignore_ascii_case(t))
        {
            return false;
        }
        if let Some(ids) = &self.ids
            && !target
                .delete_id
                .and_then(|id| id.parse::<i64>().ok())
                .is_some_and(|id| ids.contains(&id))
        {
            return false;
        }
        self.times != Some(0)
    }
}

/// The action of the first fault in `faults` that matches, counting its `times` down (and dropping it at 0).
pub(crate) fn take(
    faults: &mut Vec<Fault>,
    req: &Request,
    target: FaultTarget<'_>,
) -> Option<FaultAction> {
    let i = faults.iter().position(|f| f.matches(req, target))?;
    let fault = &mut faults[i];
    if let Some(n) = fault.times.as_mut() {
        *n -= 1;
    }
    let action = fault.action.clone();
    if fault.times == Some(0) {
        faults.remove(i);
    }
    Some(action)
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `DELETE`, …
    pub method: String,
    /// The request target as sent (percent-encoded, with the query).
    pub path: String,
    /// Status sent (or announced before a cut); 0 when the connection was closed without an answer.
    pub status: u16,
    /// The injected fault that applied, if any.
    pub fault: Option<FaultAction>,
}

/// Answers `req` under `fault`: a status fault answers `injected(status)` and a reset closes, both without
/// calling `respond`; otherwise `respond(ignore_delete)` answers and a delivery fault shapes how its body is
/// sent. Every request goes to `record`.
pub(crate) fn reply_with_fault(
    req: &Request,
    fault: Option<FaultAction>,
    injected: impl FnOnce(u16) -> Response,
    respond: impl FnOnce(bool) -> Response,
    record: impl FnOnce(RequestRecord),
) -> Reply {
    let entry = |status: u16, fault: Option<FaultAction>| RequestRecord {
        method: req.method.clone(),
        path: req.target.clone(),
        status,
        fault,
    };
    let delivery = match &fault {
        None | Some(FaultAction::DeleteIgnored) => Delivery::Normal,
        Some(FaultAction::Status(code)) => {
            record(entry(*code, fault.clone()));
            return Reply::Send(injected(*code), Delivery::Normal);
        }
        Some(FaultAction::ResetBeforeResponse) => {
            record(entry(0, fault));
            return Reply::Close;
        }
        Some(FaultAction::Redirect { status, location }) => {
            let mut response = Response::new(*status, crate::http::Body::Empty);
            response.headers.push(("Location", location.clone()));
            record(entry(*status, fault.clone()));
            return Reply::Send(response, Delivery::Normal);
        }
        Some(FaultAction::ResetAfterBodyBytes(n)) => Delivery::CloseAfter(*n),
        Some(FaultAction::TruncatedBody(n)) => Delivery::Truncated(*n),
        Some(FaultAction::SlowBody { chunk, delay }) => Delivery::Slow {
            chunk: *chunk,
            delay: *delay,
        },
    };
    let response = respond(fault == Some(FaultAction::DeleteIgnored));
    record(entry(response.status, fault));
    Reply::Send(response, delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str) -> Request {
        Request {
            method: method.into(),
            target: path.into(),
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            keep_alive: true,
        }
    }

    #[test]
    fn matching_and_countdown() {
        let req = request("DELETE", "/api/export/RR/7");
        let target = FaultTarget {
            table: Some("RR"),
            delete_id: Some("7"),
        };
        assert!(Fault::delete_fails(&[7]).matches(&req, target));
        assert!(!Fault::delete_fails(&[8]).matches(&req, target));
        assert!(Fault::status(500).on_table("rr").matches(&req, target));
        assert!(
            !Fault::status(500)
                .on_table("rr")
                .matches(&req, FaultTarget::default())
        );
        assert!(!Fault::status(500).on_method("GET").matches(&req, target));
        assert!(
            Fault::status(500)
                .on_path("/api/export/RR/7")
                .matches(&req, target)
        );
        assert!(
            Fault::status(500)
                .on_path_prefix("/api/export/")
                .matches(&req, target)
        );
        assert!(
            !Fault::status(500)
                .on_path_prefix("/api/study")
                .matches(&req, target)
        );
        assert!(!Fault::status(500).times(0).matches(&req, target));
        let mut faults = vec![Fault::status(503).times(2), Fault::status(500)];
        let take = |faults: &mut Vec<Fault>| take(faults, &req, target);
        assert_eq!(take(&mut faults), Some(FaultAction::Status(503)));
        assert_eq!(take(&mut faults), Some(FaultAction::Status(503)));
        assert_eq!(take(&mut faults), Some(FaultAction::Status(500)));
        assert_eq!(faults.len(), 1);
    }
}
