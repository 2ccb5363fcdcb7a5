//! The HTML report: structure checks always; rendering in headless Chromium when installed.

use mtdata_report::{
    ClientReport, HtmlReport, ReportOptions, ScaleReport, StatusOptions, StatusReport,
};

use crate::{fixture, open};

fn page() -> String {
    let study = open("templeton", ReportOptions::default());
    let scale = ScaleReport::build(&study).unwrap();
    let client = ClientReport::build(&study).unwrap();
    let status = StatusReport::for_folder(
        &fixture("templeton").join("active_data"),
        &StatusOptions::default(),
    )
    .unwrap();
    HtmlReport {
        title: "templeton",
        generated: "2024-01-15T00:00:00Z",
        scale: Some(&scale),
        client: Some(&client),
        status: Some(&status),
    }
    .render()
}

#[test]
fn html_is_self_contained() {
    let html = page();
    assert_eq!(html.matches("class=\"hm-row\"").count(), 6);
    assert!(!html.contains("<script"));
    assert!(!html.contains("src="));
    assert!(!html.contains("href="));
    assert!(!html.contains("url("));
    assert!(html.contains("default-src 'none'"));
    assert!(html.contains("RecognitionRatings → RR"));
    assert!(html.contains("<td>important</td><td>7</td>"));
    // Participant 3 misses preTest/Phq4 and 5 misses preTest/Credibility.
    assert_eq!(html.matches("<rect class=\"missing\"").count(), 2);
    // 2's Affect post and 99's Credibility were logged without a data row.
    assert_eq!(html.matches("<rect class=\"no_data\"").count(), 2);
    // 2's Phq4 (logged twice) and 3's JsPsychTrial (submitted twice).
    assert_eq!(html.matches("<rect class=\"duplicate\"").count(), 2);
    assert!(html.contains("no data (logged, no row in its table)"));
    assert!(html.contains("99: 1 done, 1 due, 1 missing (1 logged without data)"));
}

/// The Debian `chromium` binary, if installed.
fn chromium() -> Option<std::path::PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|dir| std::path::Path::new(dir).join(name))
                .find(|p| p.is_file())
        })
}

/// Run headless Chromium with the fixed isolation flags plus `extra`, killing it after 90 s.
fn run_chromium(binary: &std::path::Path, profile: &std::path::Path, extra: &[String]) -> String {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            child.kill().unwrap();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

#[test]
fn html_renders_in_headless_chromium_without_network() {
    let Some(binary) = chromium() else {
        println!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("report.html");
    std::fs::write(&page_path, page()).unwrap();
    let url = format!("file://{}", page_path.display());
    let net_log = dir.path().join("netlog.json");

    let dom = run_chromium(
        &binary,
        &dir.path().join("profile-dom"),
        &[
            format!("--log-net-log={}", net_log.display()),
            "--dump-dom".into(),
            url.clone(),
        ],
    );
    // The browser parsed the page: one heatmap row per participant, labels in place.
    assert_eq!(dom.matches("class=\"hm-row\"").count(), 6, "{dom}");
    for id in ["1", "2", "3", "4", "5", "99"] {
        assert!(dom.contains(&format!("data-participant=\"{id}\"")), "{id}");
    }

    // Nothing but the page itself was requested.
    let fetched = page_requests(&net_log);
    let remote: Vec<&String> = fetched
        .iter()
        .filter(|u| !(u.starts_with("file:") || u.starts_with("data:") || u.starts_with("about:")))
        .collect();
    assert!(remote.is_empty(), "the page fetched {remote:?}");

    // Control: the same check does see a page that loads an external image.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><img src=\"http://example.invalid/x.png\">",
    )
    .unwrap();
    let control_log = dir.path().join("control-netlog.json");
    run_chromium(
        &binary,
        &dir.path().join("profile-control"),
        &[
            format!("--log-net-log={}", control_log.display()),
            "--dump-dom".into(),
            format!("file://{}", control.display()),
        ],
    );
    assert!(
        page_requests(&control_log)
            .iter()
            .any(|u| u.contains("example.invalid")),
        "the network check missed an external image"
    );

    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-heatmap.png");
    let _ = std::fs::remove_file(&screenshot);
    run_chromium(
        &binary,
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1100,1400".into(),
            "--hide-scrollbars".into(),
            url,
        ],
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    println!("screenshot: {}", screenshot.display());
}

/// URLs the page asked for, from a Chromium NetLog: `URL_REQUEST_START_JOB` events whose initiator
/// is an origin (the page's `file:` origin shows as `null`). The browser's own background requests
/// (time, accounts, updates) have the initiator `not an origin` and are not the page's doing.
fn page_requests(net_log: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).unwrap();
    let log: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| {
        // Chromium may leave the closing brackets out when it exits quickly.
        let trimmed = text.trim_end().trim_end_matches(',');
        serde_json::from_str(&format!("{trimmed}]}}")).unwrap()
    });
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start_job)
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .collect()
}

/// The adherence page of the hand-counted study: self-contained, one heatmap row per user with
/// the day states of its README, and it renders in headless Chromium without any request.
#[test]
fn adherence_page_renders_in_headless_chromium_without_network() {
    let report = crate::adherence::report();
    let html = mtdata_report::adherence::AdherenceHtml {
        report: &report,
        generated: "2026-03-12 15:00:00 UTC",
    }
    .render();
    assert!(!html.contains("<script"));
    assert!(!html.contains("src="));
    assert!(!html.contains("href="));
    assert!(html.contains("default-src 'none'"));
    assert_eq!(html.matches("class=\"hm-row\"").count(), 3);
    // carol: all missed from the 5th to the 11th (one run), open on the 12th.
    assert!(html.contains("<title>carol: 13 due: 0 on time, 0 late, 11 missed, 2 pending; 0 not due; adherence 0.0%</title>"), "{html}");
    let carol = &html[html.find("data-user=\"6500000000000000000000c3\"").unwrap()..];
    let carol = &carol[..carol.find("</g>").unwrap()];
    assert_eq!(carol.matches("<rect").count(), 2, "{carol}");
    assert!(
        carol.contains("<rect class=\"all_missed\" x=\"130\""),
        "{carol}"
    );
    assert!(carol.contains("<rect class=\"open\""), "{carol}");
    // alice has one partly missed day (03-10), bob none.
    assert_eq!(html.matches("<rect class=\"partly_missed\"").count(), 1);
    assert!(
        html.contains("<td>bob</td><td>Morning</td><td class=\"n\">8</td>"),
        "{html}"
    );

    let Some(binary) = chromium() else {
        println!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page_path = dir.path().join("adherence.html");
    std::fs::write(&page_path, &html).unwrap();
    let url = format!("file://{}", page_path.display());
    let net_log = dir.path().join("netlog.json");
    let dom = run_chromium(
        &binary,
        &dir.path().join("profile-dom"),
        &[
            format!("--log-net-log={}", net_log.display()),
            "--dump-dom".into(),
            url.clone(),
        ],
    );
    assert_eq!(dom.matches("class=\"hm-row\"").count(), 3, "{dom}");
    for id in ["a1", "b2", "c3"] {
        assert!(
            dom.contains(&format!("data-user=\"6500000000000000000000{id}\"")),
            "{id}"
        );
    }
    // Eight date labels above the grid.
    assert!(dom.contains(">2026-03-05</text>") && dom.contains(">2026-03-12</text>"));
    let fetched = page_requests(&net_log);
    let remote: Vec<&String> = fetched
        .iter()
        .filter(|u| !(u.starts_with("file:") || u.starts_with("data:") || u.starts_with("about:")))
        .collect();
    assert!(remote.is_empty(), "the page fetched {remote:?}");
    let screenshot =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("adherence-heatmap.png");
    let _ = std::fs::remove_file(&screenshot);
    run_chromium(
        &binary,
        &dir.path().join("profile-shot"),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1000,900".into(),
            "--hide-scrollbars".into(),
            url,
        ],
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    println!("screenshot: {}", screenshot.display());
}
