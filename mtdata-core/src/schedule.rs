//! The study schedule: MindTrails' Standard Schedule Sheet (`GET /api/study`, saved by export as
//! `active_data/study.json`), read by one type for every command that needs it, and flattened into
//! slots: one per (session, task, occurrence), so a task repeated inside a session (Affect pre/post)
//! is expected twice.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the empty session the server appends after the last one.
pub const COMPLETE_SESSION: &str = "COMPLETE";

/// The TaskLog row the server writes when a session ends; it is not a task of the schedule.
pub const SESSION_COMPLETE_TASK: &str = "SESSION_COMPLETE";

/// One study of the sheet (`StudyInfo`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StudyInfo {
    pub name: String,
    #[serde(default)]
    pub sessions: Vec<SessionInfo>,
}

/// One session (`SessionInfo`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub tasks: Vec<TaskInfo>,
}

/// One task (`TaskInfo`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub deleteable: Option<bool>,
}

/// One expected completion: the `occurrence`-th time `task` appears in `session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub session: String,
    pub task: String,
    /// 0-based occurrence of the task inside the session.
    pub occurrence: usize,
    /// How often the task appears in the session.
    pub occurrences: usize,
}

impl Slot {
    /// The tag the server gives this occurrence: `pre`/`post` for a task shown twice.
    pub fn tag(&self) -> Option<&'static str> {
        match (self.occurrences, self.occurrence) {
            (2, 0) => Some("pre"),
            (2, 1) => Some("post"),
            _ => None,
        }
    }

    /// `session/task`, with the tag or occurrence number for a repeated task.
    pub fn label(&self) -> String {
        match (self.tag(), self.occurrences) {
            (Some(tag), _) => format!("{}/{} ({tag})", self.session, self.task),
            (None, 1) => format!("{}/{}", self.session, self.task),
            (None, _) => format!("{}/{} #{}", self.session, self.task, self.occurrence + 1),
        }
    }
}

/// The schedule of one study, flattened into slots in the order participants meet them.
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    pub study: String,
    pub sessions: Vec<SessionInfo>,
    pub slots: Vec<Slot>,
    #[serde(skip)]
    by_session_task: HashMap<(String, String), Vec<usize>>,
    #[serde(skip)]
    session_start: HashMap<String, usize>,
}

impl Schedule {
    /// Read `study.json`; `study` picks one study by name when the sheet lists several (else the first).
    pub fn load(path: &Path, study: Option<&str>) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Schedule {
                    path: path.to_owned(),
                    message: "not found; export the study first (export saves /api/study)".into(),
                }
            } else {
                Error::io("cannot read", path, e)
            }
        })?;
        Self::from_json(&bytes, study).map_err(|message| Error::Schedule {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse the body of `GET /api/study`.
    pub fn from_json(bytes: &[u8], study: Option<&str>) -> std::result::Result<Self, String> {
        let studies: Vec<StudyInfo> = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a list of studies with sessions and tasks: {e}"))?;
        let chosen = match study {
            Some(name) => studies
                .into_iter()
                .find(|s| s.name == name)
                .ok_or_else(|| format!("no study named {name}"))?,
            None => studies
                .into_iter()
                .next()
                .ok_or_else(|| "the list of studies is empty".to_string())?,
        };
        Ok(Self::new(chosen))
    }

    /// Flatten a study into slots.
    pub fn new(study: StudyInfo) -> Self {
        let mut slots = Vec::new();
        let mut by_session_task: HashMap<(String, String), Vec<usize>> = HashMap::new();
        let mut session_start = HashMap::new();
        for session in &study.sessions {
            session_start.insert(session.name.clone(), slots.len());
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for task in &session.tasks {
                *counts.entry(task.name.as_str()).or_default() += 1;
            }
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for task in &session.tasks {
                let occurrence = seen.entry(task.name.as_str()).or_default();
                by_session_task
                    .entry((session.name.clone(), task.name.clone()))
                    .or_default()
                    .push(slots.len());
                slots.push(Slot {
                    session: session.name.clone(),
                    task: task.name.clone(),
                    occurrence: *occurrence,
                    occurrences: counts[task.name.as_str()],
                });
                *occurrence += 1;
            }
        }
        Schedule {
            study: study.name,
            sessions: study.sessions,
            slots,
            by_session_task,
            session_start,
        }
    }

    /// Read a study folder's saved schedule (`active_data/study.json`), the first study of the sheet.
    pub fn load_saved(layout: &crate::layout::StudyLayout) -> Result<Self> {
        Self::load(&layout.schedule(), None)
    }

    /// Session names in the order participants meet them.
    pub fn session_names(&self) -> impl Iterator<Item = &str> {
        self.sessions.iter().map(|s| s.name.as_str())
    }

    /// Slot indices of `task` in `session`, in order.
    pub fn slots_of(&self, session: &str, task: &str) -> &[usize] {
        self.by_session_task
            .get(&(session.to_owned(), task.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// Distinct task names in the order they first appear.
    pub fn task_names(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.slots
            .iter()
            .map(|s| s.task.as_str())
            .filter(|t| seen.insert(*t))
            .collect()
    }

    /// Most times `task` appears in any one session (2 for Affect pre/post).
    pub fn max_occurrences(&self, task: &str) -> usize {
        self.slots
            .iter()
            .filter(|s| s.task == task)
            .map(|s| s.occurrences)
            .max()
            .unwrap_or(0)
    }

    /// How many slots lie before the participant's current position: the tasks expected by now.
    ///
    /// `None` when the session is unknown. In `COMPLETE`, every slot is expected. A task not
    /// found in its session (or none) counts from the session's start.
    pub fn position(&self, session: &str, task: Option<&str>, tag: Option<&str>) -> Option<usize> {
        if session == COMPLETE_SESSION {
            return Some(self.slots.len());
        }
        let start = *self.session_start.get(session)?;
        let Some(task) = task else {
            return Some(start);
        };
        let slots = self.slots_of(session, task);
        let index = match (tag, slots) {
            (_, []) => start,
            (Some("post"), [_, second, ..]) => *second,
            (_, [first, ..]) => *first,
        };
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHEET: &str = r#"[{"name":"S","sessions":[
        {"name":"pre","tasks":[{"name":"A"},{"name":"B"}]},
        {"name":"one","tasks":[{"name":"Affect"},{"name":"T"},{"name":"Affect"}]},
        {"name":"COMPLETE","tasks":[]}]}]"#;

    #[test]
    fn repeated_task_gets_two_slots_with_tags() {
        let s = Schedule::from_json(SHEET.as_bytes(), None).unwrap();
        assert_eq!(s.slots.len(), 5);
        assert_eq!(s.slots_of("one", "Affect"), &[2, 4]);
        assert_eq!(s.slots[2].label(), "one/Affect (pre)");
        assert_eq!(s.slots[4].label(), "one/Affect (post)");
        assert_eq!(s.max_occurrences("Affect"), 2);
        assert_eq!(s.task_names(), ["A", "B", "Affect", "T"]);
    }

    #[test]
    fn position_counts_slots_before_the_current_task() {
        let s = Schedule::from_json(SHEET.as_bytes(), None).unwrap();
        assert_eq!(s.position("pre", Some("A"), None), Some(0));
        assert_eq!(s.position("one", Some("Affect"), Some("post")), Some(4));
        assert_eq!(s.position("one", None, None), Some(2));
        assert_eq!(s.position("COMPLETE", None, None), Some(5));
        assert_eq!(s.position("nowhere", None, None), None);
    }

    #[test]
    fn bad_sheet_is_an_error() {
        assert!(Schedule::from_json(b"{}", None).is_err());
        assert!(Schedule::from_json(b"[]", None).is_err());
    }
}
