//! What decoding one applet found: `summary.json` beside its tables. Never a decrypted value.

use std::collections::BTreeMap;

use serde::Serialize;

use super::raw::IncompleteRun;
use crate::summary::FileProblem;

/// An answer (or its events) that did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerFailure {
    /// The answer (submission) id, not a participant id.
    pub answer_id: String,
    /// `answer` or `events`.
    pub part: &'static str,
    /// `wrong key`, `bad padding`, `not JSON`, `malformed` or `missing key`.
    pub status: &'static str,
    pub reason: String,
}

/// A wide table written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WideTable {
    pub activity_id: String,
    pub activity_name: String,
    /// The file name inside `wide/`.
    pub file: String,
    pub rows: u64,
    pub columns: usize,
}

/// The outcome of decoding one applet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppletSummary {
    pub applet: String,
    /// `mindlogger-v1` or `mindlogger-v2` (from the pages), `unknown` without any.
    pub platform: String,
    /// Complete runs read.
    pub runs: usize,
    /// Runs without a run file (a killed export): their pages were not read.
    pub incomplete_runs_ignored: Vec<IncompleteRun>,
    /// Pages read, and their bytes.
    pub pages: usize,
    pub bytes: u64,
    /// Answers in all pages read, copies included.
    pub answers_read: u64,
    /// Distinct answers (by id): each is one submission in the tables.
    pub answers: u64,
    /// Copies of an answer dropped for the copy of a newer run.
    pub duplicates: u64,
    /// Answers whose copies differ in content (the newest run's copy was kept), and their ids.
    pub conflicts: u64,
    pub conflicting_answer_ids: Vec<String>,
    /// Answers by status (`decrypted`, `plain`, `wrong key`, ...).
    pub answers_by_status: BTreeMap<&'static str, u64>,
    /// Submissions' events by status (submissions without events are not counted).
    pub events_by_status: BTreeMap<&'static str, u64>,
    /// Answers whose values are in the tables (`decrypted` and `plain`).
    pub decoded: u64,
    pub failures: Vec<AnswerFailure>,
    /// Rows of `responses.csv` and of `activity_user_journey.csv`.
    pub response_rows: u64,
    pub journey_rows: u64,
    pub wide: Vec<WideTable>,
    /// Files that could not be read (a page, a run file, an applet document).
    pub bad_files: Vec<FileProblem>,
}

impl AppletSummary {
    /// Whether the applet needs attention: an answer or its events did not decrypt, or a file is damaged.
    pub fn has_problems(&self) -> bool {
        !self.failures.is_empty() || !self.bad_files.is_empty()
    }

    /// One-line explanations of the problems, with what to do.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let applet = &self.applet;
        let mut by_status: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for failure in &self.failures {
            *by_status.entry((failure.part, failure.status)).or_default() += 1;
        }
        for ((part, status), count) in by_status {
            let hint = match status {
                "missing key" => "give the applet's password (or the answer has no public key)",
                "wrong key" => {
                    "no password given opens it: an older password, or a previous owner's password with \
                     its account id, may"
                }
                "bad padding" => "the right key opens its start but the end is damaged",
                "not JSON" => "the right key opens it but it is not JSON",
                _ => "the stored value is not of MindLogger's form",
            };
            let (what, table) = match part {
                "answer" => (
                    "answers",
                    format!(
                        "their rows in responses.csv have an empty item_response and answer_status \"{status}\""
                    ),
                ),
                _ => (
                    "event logs",
                    format!(
                        "activity_user_journey.csv has one row for each, with events_status \"{status}\""
                    ),
                ),
            };
            out.push(format!(
                "applet {applet}: {count} {what} {status}: {hint}; {table}; ids in summary.json"
            ));
        }
        for bad in &self.bad_files {
            out.push(format!(
                "applet {applet}: {}: {}; the file is left untouched",
                bad.file, bad.problem
            ));
        }
        out
    }
}
