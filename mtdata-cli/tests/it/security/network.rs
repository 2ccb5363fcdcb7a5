//! An attacker on the network, or a server that misbehaves: plain HTTP, secrets in URLs, redirects, and
//! deletes that answer success but delete nothing.

use mtdata_sim::mindtrails::{Fault, Simulator};

use super::{run, study};
use crate::export::tiny_study;
use crate::support::{render, snapshot_settings, write_owner_only};

/// Fix 1: `http://` to another computer is refused; `ALLOW_HTTP: True` lets it through with a warning
/// on every run that uses the block; MTData's `.../api/export` and the blocks a run does not use say
/// nothing.
#[test]
fn plain_http_to_another_computer_needs_allow_http_and_warns_on_every_run() {
    let sim = Simulator::start(tiny_study()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let remote_study = dir.path().join("remote");
    std::fs::create_dir_all(remote_study.join("raw_data")).unwrap();
    let blocks = |allow: &str| {
        format!(
            "remote:\n  SERVER: 'http://192.0.2.10/mindtrails/api/'\n  PATH: '{}'\n{allow}\
             sim:\n  READY: True\n  SERVER: '{}export'\n  USER: {}\n  PASS: {}\n  PATH: '{}'\n  TIMEOUT: 5\n\
             unused:\n  SERVER: 'https://other.example.org/api/export'\n  PATH: '{}'\n  COLOUR: blue\n",
            remote_study.display(),
            sim.base_url(),
            sim.user(),
            sim.password(),
            dir.path().join("study").display(),
            dir.path().join("unused").display()
        )
    };
    let config = dir.path().join("server.config");
    write_owner_only(&config, &blocks(""));
    let refused = run(&config, &["decode", "remote"]);
    write_owner_only(&config, &blocks("  ALLOW_HTTP: True\n"));
    let allowed = run(&config, &["decode", "remote"]);
    let again = run(&config, &["decode", "remote"]);
    // The MindTrails export of `sim` (SERVER in MTData's `.../api/export` form) warns about nothing:
    // neither about its own URL nor about the blocks it does not use.
    let export = run(&config, &["export", "sim", "all"]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(allowed.status.code(), Some(0), "{}", render(&allowed));
    assert_eq!(
        render(&again),
        render(&allowed),
        "the warning comes on every run"
    );
    assert_eq!(export.status.code(), Some(0), "{}", render(&export));
    assert!(export.stderr.is_empty(), "{}", render(&export));
    snapshot_settings(dir.path()).bind(|| {
        insta::assert_snapshot!(
            "plain_http",
            format!("{}\n{}", render(&refused), render(&allowed))
        );
    });
}

/// Fix 1: a URL with a user and password, a query or a fragment is refused, and the message shows only
/// scheme, host and path.
#[test]
fn server_urls_with_secrets_queries_or_fragments_are_refused_without_showing_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.config");
    let mut shown = String::new();
    for url in [
        "https://admin:hunter2-in-url@mindtrails.example.org/api/",
        "https://mindtrails.example.org/api/?token=hunter2-in-url",
        "https://mindtrails.example.org/api/#hunter2-in-url",
    ] {
        write_owner_only(
            &config,
            &format!("lab:\n  READY: True\n  SERVER: '{url}'\n  PATH: study\n"),
        );
        let out = run(&config, &["export"]);
        let text = render(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("admin"),
            "{text}"
        );
        shown.push_str(&text);
    }
    snapshot_settings(dir.path()).bind(|| insta::assert_snapshot!("urls_with_secrets", shown));
}

/// Fix 3: a delete route that answers 404 for every row (missing or misrouted) while the rows stay is a
/// failure with the count, on every run; never a clean run.
#[test]
fn deletes_answered_404_while_the_rows_stay_are_a_failure() {
    let (sim, dir, config) = study(true);
    let rows = sim.row_count("RR");
    assert!(rows > 0);
    sim.set_fault(Fault::delete_route_missing());
    let first = run(&config, &["export", "sim", "RR"]);
    let second = run(&config, &["export", "sim", "RR"]);
    assert_eq!(first.status.code(), Some(1), "{}", render(&first));
    assert_eq!(second.status.code(), Some(1), "{}", render(&second));
    assert_eq!(sim.row_count("RR"), rows, "nothing was deleted");
    assert!(
        render(&second).contains(&format!("{rows} rows are still on the server although")),
        "{}",
        render(&second)
    );
    snapshot_settings(dir.path()).bind(|| {
        insta::assert_snapshot!("delete_route_missing", render(&first));
    });
}

/// Fix 3: a redirect is never followed: a DELETE redirected to the table (which a client following it
/// would GET, with success) is a failure, and the list answered with a redirect stops the server.
#[test]
fn redirects_are_never_followed() {
    let (sim, dir, config) = study(true);
    let rows = sim.row_count("RR");
    sim.set_fault(Fault::redirect(302, "/api/export/RR").on_method("DELETE"));
    let deletes = run(&config, &["export", "sim", "RR"]);
    let text = render(&deletes);
    assert_eq!(deletes.status.code(), Some(1), "{text}");
    assert!(text.contains("HTTP 302, a redirect"), "{text}");
    assert_eq!(sim.row_count("RR"), rows);
    let gets = sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/export/RR")
        .count();
    assert_eq!(
        gets, 1,
        "only the download; no redirected DELETE became a GET"
    );
    sim.clear_faults();
    sim.set_fault(Fault::redirect(301, "http://127.0.0.1:9/api/export/").on_path("/api/export/"));
    let list = run(&config, &["export", "sim", "RR"]);
    assert_eq!(list.status.code(), Some(2), "{}", render(&list));
    snapshot_settings(dir.path()).bind(|| {
        insta::assert_snapshot!("redirects", format!("{text}\n{}", render(&list)));
    });
}
