//! An alert as a person reads it (e-mail, the command's stdin) and as a program reads it (the JSON in
//! `MTDATA_ALERT`).
//!
//! What goes in: the study, the server block, the machine, and per problem its kind, table, counts and the
//! libraries' own words about it, which name no password, key, ciphertext or participant id. The
//! [`Redactor`] is a second line: it removes every secret the program knows (server, SMTP and applet
//! passwords) and any long base64 run (a ciphertext or key text) from what is sent.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::state::{Change, Event, ProblemKind};

/// Removes secrets and anything that looks like a ciphertext or key from alert text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these secrets (empty ones are ignored).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // The longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// `text` without the secrets and without base64 runs of 40 characters or more.
    pub fn clean(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), "***");
        }
        strip_base64_runs(&text)
    }
}

/// Replace every run of 40 or more base64 characters (a 2048-bit ciphertext is 344, a PEM line 64) with
/// `[redacted]`, unless it reads as a path: words of under 32 characters between slashes, no `+` or `=`.
fn strip_base64_runs(text: &str) -> String {
    const LONGEST_KEPT: usize = 39;
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let is_path = |run: &str| {
        run.contains('/') && !run.contains(['+', '=']) && run.split('/').all(|part| part.len() < 32)
    };
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() > LONGEST_KEPT && !is_path(run) {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_b64(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Everything one run has to tell about one study, in one message.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The study's display name (`NAME`, else the block name).
    pub study: String,
    /// The server block.
    pub server: String,
    /// The machine mtdata runs on.
    pub host: String,
    /// The study folder (its `logs/` holds the details).
    pub study_folder: String,
    pub at: DateTime<Utc>,
    pub events: Vec<Event>,
    /// A test sent by `mtdata doctor --send-test-alert`.
    pub test: bool,
}

impl Notification {
    /// A notification of `events`, with their details cleaned by `redactor`.
    pub fn new(
        study: &str,
        server: &str,
        host: &str,
        study_folder: &str,
        at: DateTime<Utc>,
        events: &[Event],
        redactor: &Redactor,
    ) -> Self {
        let events = events
            .iter()
            .map(|e| Event {
                detail: redactor.clean(&e.detail),
                subject: redactor.clean(&e.subject),
                ..e.clone()
            })
            .collect();
        Notification {
            study: study.to_owned(),
            server: server.to_owned(),
            host: host.to_owned(),
            study_folder: study_folder.to_owned(),
            at,
            events,
            test: false,
        }
    }

    /// The test message of `mtdata doctor --send-test-alert`.
    pub fn test(
        study: &str,
        server: &str,
        host: &str,
        study_folder: &str,
        at: DateTime<Utc>,
    ) -> Self {
        Notification {
            study: study.to_owned(),
            server: server.to_owned(),
            host: host.to_owned(),
            study_folder: study_folder.to_owned(),
            at,
            events: Vec::new(),
            test: true,
        }
    }

    fn count(&self, changes: &[Change]) -> usize {
        self.events
            .iter()
            .filter(|e| changes.contains(&e.change))
            .count()
    }

    /// The e-mail subject, e.g. `[mtdata] Templeton: 2 problems, 1 cleared`.
    pub fn subject(&self) -> String {
        if self.test {
            return format!("[mtdata] {}: test alert", self.study);
        }
        let problems = self.count(&[Change::New, Change::Reminder]);
        let cleared = self.count(&[Change::Recovered]);
        let mut parts = Vec::new();
        if problems > 0 {
            parts.push(plural(problems, "problem", "problems"));
        }
        if cleared > 0 {
            parts.push(format!("{cleared} cleared"));
        }
        match (problems + cleared, self.events.first()) {
            (1, Some(event)) if event.change == Change::Recovered => {
                format!("[mtdata] {}: cleared: {}", self.study, title(event))
            }
            (1, Some(event)) => format!("[mtdata] {}: {}", self.study, title(event)),
            _ => format!("[mtdata] {}: {}", self.study, parts.join(", ")),
        }
    }

    /// The text for a person.
    pub fn text(&self) -> String {
        let mut text = format!(
            "mtdata on {}, study {} (server block {}), {} UTC\n",
            self.host,
            self.study,
            self.server,
            self.at.format("%Y-%m-%d %H:%M")
        );
        if self.test {
            text.push_str(
                "\nThis is a test alert from `mtdata doctor --send-test-alert`: alerts of this study reach you.\n",
            );
        }
        for event in &self.events {
            let label = match event.change {
                Change::New => "PROBLEM",
                Change::Reminder => "STILL",
                Change::Recovered => "CLEARED",
            };
            text.push_str(&format!("\n{label}: {}\n", title(event)));
            text.push_str(&format!("  {}\n", event.detail));
            match event.cleared {
                Some(cleared) => text.push_str(&format!(
                    "  from {} to {} UTC\n",
                    event.since.format("%Y-%m-%d %H:%M"),
                    cleared.format("%Y-%m-%d %H:%M")
                )),
                None => {
                    text.push_str(&format!(
                        "  since {} UTC\n",
                        event.since.format("%Y-%m-%d %H:%M")
                    ));
                    text.push_str(&format!("  what to do: {}\n", event.kind.advice()));
                }
            }
        }
        text.push_str(&format!(
            "\nDetails: {}/logs/. Check the setup: mtdata doctor {}\n",
            self.study_folder.trim_end_matches('/'),
            self.server
        ));
        text
    }

    /// The JSON for a program (the command hook's `MTDATA_ALERT`).
    pub fn json(&self) -> serde_json::Value {
        let events: Vec<serde_json::Value> = self
            .events
            .iter()
            .map(|e| {
                json!({
                    "key": e.key,
                    "kind": e.kind.name(),
                    "change": e.change,
                    "title": title(e),
                    "subject": e.subject,
                    "detail": e.detail,
                    "since": e.since,
                    "cleared": e.cleared,
                    "magnitude": e.magnitude,
                    "advice": e.kind.advice(),
                })
            })
            .collect();
        json!({
            "subject": self.subject(),
            "study": self.study,
            "server": self.server,
            "host": self.host,
            "study_folder": self.study_folder,
            "at": self.at,
            "test": self.test,
            "events": events,
        })
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A problem in a few words.
pub fn title(event: &Event) -> String {
    let subject = &event.subject;
    match event.kind {
        ProblemKind::RunStopped => format!("mtdata {subject} stopped with an error"),
        ProblemKind::TableFailed => format!("{subject} failed"),
        ProblemKind::DeletesFailing => {
            format!("rows of {subject} cannot be deleted from the server")
        }
        ProblemKind::DecryptFailed => {
            format!("{} fields of {subject} do not decrypt", event.magnitude)
        }
        ProblemKind::ServerUnreachable => "the server does not answer".to_owned(),
        ProblemKind::Backlog => format!("{} deleteable rows wait on the server", event.magnitude),
        ProblemKind::NoExport => format!(
            "no successful export for {}",
            duration_words(event.magnitude)
        ),
    }
}

/// `45 minutes`, `3 hours`, `2 days`.
fn duration_words(minutes: u64) -> String {
    match minutes {
        m if m < 120 => plural(m as usize, "minute", "minutes"),
        m if m < 48 * 60 => plural((m / 60) as usize, "hour", "hours"),
        m => plural((m / (24 * 60)) as usize, "day", "days"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn event(kind: ProblemKind, change: Change, subject: &str, detail: &str) -> Event {
        let since = Utc.with_ymd_and_hms(2026, 3, 1, 11, 0, 0).unwrap();
        Event {
            key: match subject {
                "" => kind.name().to_owned(),
                subject => format!("{}:{subject}", kind.name()),
            },
            kind,
            change,
            subject: subject.into(),
            detail: detail.into(),
            since,
            cleared: (change == Change::Recovered).then(|| since + chrono::Duration::hours(2)),
            magnitude: 150,
        }
    }

    #[test]
    fn text_and_json_of_a_notification() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 13, 0, 0).unwrap();
        let events = [
            event(
                ProblemKind::TableFailed,
                Change::New,
                "export RR",
                "download failed after 4 tries: HTTP 503; the next run tries again",
            ),
            event(
                ProblemKind::NoExport,
                Change::Recovered,
                "",
                "the last export that went through ended 2026-03-01 11:00 UTC",
            ),
        ];
        let n = Notification::new(
            "Templeton",
            "templeton",
            "labpc",
            "/lab/data/templeton/",
            at,
            &events,
            &Redactor::default(),
        );
        assert_eq!(n.subject(), "[mtdata] Templeton: 1 problem, 1 cleared");
        insta::assert_snapshot!(n.text());
        insta::assert_json_snapshot!(n.json());
        let cleared = Notification::new(
            "Templeton",
            "templeton",
            "labpc",
            "/lab/data/templeton/",
            at,
            &events[1..],
            &Redactor::default(),
        );
        assert_eq!(
            cleared.subject(),
            "[mtdata] Templeton: cleared: no successful export for 2 hours"
        );
    }

    #[test]
    fn secrets_and_ciphertexts_never_reach_the_message() {
        let ciphertext = "k3Jx9Qm2+/".repeat(30) + "==";
        let detail = format!("wrong password hunter2 for row with {ciphertext}");
        let events = [event(
            ProblemKind::RunStopped,
            Change::New,
            "export",
            &detail,
        )];
        let n = Notification::new(
            "S",
            "s",
            "h",
            "/s",
            Utc::now(),
            &events,
            &Redactor::new(["hunter2".to_owned(), String::new()]),
        );
        let all = format!("{}{}{}", n.subject(), n.text(), n.json());
        assert!(
            !all.contains("hunter2") && !all.contains("k3Jx9Qm2"),
            "{all}"
        );
        assert!(
            n.text()
                .contains("wrong password *** for row with [redacted]")
        );
        // Short words and table names stay.
        assert_eq!(
            Redactor::default().clean("table DASS21_AS: 12 rows"),
            "table DASS21_AS: 12 rows"
        );
        let path = "cannot write /home/researchassistant/BoxSync/MindTrailsData/templeton/raw";
        assert_eq!(Redactor::default().clean(path), path);
        let pem_line = "MIIEowIBAAKCAQEAwJ0Yq2fDxU8f6y3GbFq7c9Vd1cQ2xY5k3n9kq8r1aZ0w";
        assert_eq!(Redactor::default().clean(pem_line), "[redacted]");
    }
}
