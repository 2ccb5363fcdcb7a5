//! `report client`: per participant, progress against the schedule.

use std::fmt::{self, Write as _};

use serde::Serialize;

use mtdata_core::csv_cell::CsvCells;

use crate::error::{Error, Result};
use crate::study::{CellState, StudyFolder};
use crate::tables::write_cells;
use crate::text::{TextOptions, TextTable, Tone};
use mtdata_core::schedule::COMPLETE_SESSION;

/// One participant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientRow {
    /// The participant id (Participant `id`, TaskLog `participantId`).
    pub participant: String,
    pub admin: bool,
    pub test_account: bool,
    /// False when the id appears in TaskLog but not in the Participant table.
    pub in_participant_table: bool,
    /// The current session, from the Participant table's `study` column.
    pub current_session: Option<String>,
    /// The current task (with ` (tag)` when tagged).
    pub current_task: Option<String>,
    /// Schedule slots logged at least once (with or without a data row).
    pub completed: usize,
    /// Slots expected by now: those before the current task (all when `COMPLETE`; up to the last
    /// logged slot when the current position is unknown).
    pub expected: usize,
    /// In slot order: expected slots with no TaskLog row, as `session/task` (with the tag for
    /// repeats), and logged slots whose table has no row for them, as `session/task (no data)`.
    pub missing: Vec<String>,
    /// How many of `missing` are logged slots without a data row ([`CellState::NoData`]).
    pub no_data: usize,
    /// TaskLog rows beyond the first for a slot.
    pub duplicates: usize,
    /// Data rows beyond the first for a logged slot.
    pub data_duplicates: usize,
    /// TaskLog rows whose session and task are not in the schedule.
    pub unscheduled: usize,
    /// `SESSION_COMPLETE` rows.
    pub sessions_completed: u32,
    /// The newest `dateCompleted` in TaskLog (ISO text when decode gave one).
    pub last_activity: Option<String>,
    /// The schedule grid of this participant (one cell per slot); left out of JSON and CSV.
    #[serde(skip)]
    pub cells: Vec<CellState>,
}

impl ClientRow {
    /// In the `COMPLETE` session.
    pub fn finished(&self) -> bool {
        self.current_session.as_deref() == Some(COMPLETE_SESSION)
    }
}

/// The client report of one study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientReport {
    pub study: String,
    /// Labels of the schedule slots (the heatmap columns).
    pub slots: Vec<String>,
    /// False when `active_data/Participant.csv` is absent (current positions are then unknown).
    pub participant_table_found: bool,
    /// Tasks whose table was not found: their logged slots show as done, the data being unknown.
    pub unchecked_tasks: Vec<String>,
    pub rows: Vec<ClientRow>,
}

/// The suffix of a `missing` entry for a slot logged without a data row.
pub const NO_DATA_SUFFIX: &str = " (no data)";

impl ClientReport {
    /// Build the report: one row per participant, Participant table order, then ids found only
    /// in TaskLog.
    pub fn build(study: &StudyFolder) -> Result<Self> {
        let strings = study.strings();
        let schedule = &study.schedule;
        let grid = study.progress()?;
        let checked = &grid.checked;
        let rows = grid
            .rows
            .iter()
            .map(|p| {
                let cells: Vec<CellState> =
                    (0..p.counts.len()).map(|s| p.cell(s, checked)).collect();
                let missing = cells
                    .iter()
                    .enumerate()
                    .filter_map(|(s, c)| match c {
                        CellState::Missing => Some(schedule.slots[s].label()),
                        CellState::NoData => {
                            Some(format!("{}{NO_DATA_SUFFIX}", schedule.slots[s].label()))
                        }
                        _ => None,
                    })
                    .collect();
                let row = p.row.clone().unwrap_or_default();
                let current_task = row.current_task.as_ref().map(|t| match &row.current_tag {
                    Some(tag) => format!("{t} ({tag})"),
                    None => t.clone(),
                });
                ClientRow {
                    participant: strings.name(p.participant).to_owned(),
                    admin: row.admin,
                    test_account: row.test_account,
                    in_participant_table: p.row.is_some(),
                    current_session: row.current_session.clone(),
                    current_task,
                    completed: p.counts.iter().filter(|&&c| c > 0).count(),
                    expected: p.expected,
                    missing,
                    no_data: cells.iter().filter(|c| **c == CellState::NoData).count(),
                    duplicates: p
                        .counts
                        .iter()
                        .map(|&c| usize::from(c.saturating_sub(1)))
                        .sum(),
                    data_duplicates: p.data_duplicates(checked),
                    unscheduled: p.unscheduled,
                    sessions_completed: study
                        .loaded
                        .sessions_completed
                        .get(&p.participant)
                        .copied()
                        .unwrap_or(0),
                    last_activity: study.loaded.last_activity.get(&p.participant).cloned(),
                    cells,
                }
            })
            .collect();
        Ok(ClientReport {
            study: schedule.study.clone(),
            slots: schedule.slots.iter().map(|s| s.label()).collect(),
            participant_table_found: study.loaded.participant_table_found,
            unchecked_tasks: schedule
                .task_names()
                .into_iter()
                .zip(study.task_data()?)
                .filter(|(_, data)| !data.found)
                .map(|(task, _)| task.to_owned())
                .collect(),
            rows,
        })
    }

    /// Draw the report as a text table.
    pub fn to_text(&self, options: TextOptions) -> String {
        let mut t = TextTable::new(
            &[
                "participant",
                "flags",
                "session",
                "task",
                "done",
                "due",
                "dups",
                "data dups",
                "last activity",
                "missing",
            ],
            &[
                false, false, false, false, true, true, true, true, false, false,
            ],
        )
        .flexible(9);
        for r in &self.rows {
            let tone = |bad: bool, tone: Tone| if bad { tone } else { Tone::Plain };
            t.push(vec![
                (r.participant.clone(), Tone::Plain),
                (flags(r), Tone::Dim),
                (
                    r.current_session.clone().unwrap_or_else(|| "-".into()),
                    tone(r.finished(), Tone::Good),
                ),
                (
                    r.current_task.clone().unwrap_or_else(|| "-".into()),
                    Tone::Plain,
                ),
                (r.completed.to_string(), Tone::Plain),
                (r.expected.to_string(), Tone::Plain),
                (r.duplicates.to_string(), tone(r.duplicates > 0, Tone::Warn)),
                (
                    r.data_duplicates.to_string(),
                    tone(r.data_duplicates > 0, Tone::Warn),
                ),
                (
                    r.last_activity
                        .as_deref()
                        .map_or_else(|| "-".into(), short_time),
                    Tone::Plain,
                ),
                (
                    if r.missing.is_empty() {
                        "-".into()
                    } else {
                        format!("{}: {}", r.missing.len(), r.missing.join(", "))
                    },
                    tone(!r.missing.is_empty(), Tone::Bad),
                ),
            ]);
        }
        let mut text = t.render(options);
        if !self.unchecked_tasks.is_empty() {
            let _ = writeln!(
                text,
                "no data file for {}: its logged slots count as done (data unknown)",
                self.unchecked_tasks.join(", ")
            );
        }
        text
    }

    /// Write the report as CSV (one row per participant; missing tasks joined by `; `), text cells as
    /// `cells` says.
    pub fn write_csv(&self, out: impl std::io::Write, cells: CsvCells) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let err = |e| Error::csv("<output>", e);
        w.write_record([
            "participant",
            "admin",
            "test_account",
            "in_participant_table",
            "current_session",
            "current_task",
            "completed",
            "expected",
            "missing_count",
            "no_data_count",
            "missing",
            "duplicates",
            "data_duplicates",
            "unscheduled",
            "sessions_completed",
            "last_activity",
        ])
        .map_err(err)?;
        for r in &self.rows {
            let missing = r.missing.join("; ");
            let record = [
                r.participant.as_str(),
                bool_text(r.admin),
                bool_text(r.test_account),
                bool_text(r.in_participant_table),
                r.current_session.as_deref().unwrap_or(""),
                r.current_task.as_deref().unwrap_or(""),
                &r.completed.to_string(),
                &r.expected.to_string(),
                &r.missing.len().to_string(),
                &r.no_data.to_string(),
                &missing,
                &r.duplicates.to_string(),
                &r.data_duplicates.to_string(),
                &r.unscheduled.to_string(),
                &r.sessions_completed.to_string(),
                r.last_activity.as_deref().unwrap_or(""),
            ];
            write_cells(&mut w, cells, record).map_err(err)?;
        }
        w.flush()
            .map_err(|e| Error::io("cannot write", "<output>", e))?;
        Ok(())
    }
}

/// `2024-01-10T10:35:10Z` → `2024-01-10 10:35` for the terminal (CSV and JSON keep the full text).
fn short_time(iso: &str) -> String {
    match (iso.get(..10), iso.get(10..11), iso.get(11..16)) {
        (Some(date), Some("T"), Some(time)) => format!("{date} {time}"),
        _ => iso.to_owned(),
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn flags(r: &ClientRow) -> String {
    let mut f = Vec::new();
    if r.admin {
        f.push("admin");
    }
    if r.test_account {
        f.push("test");
    }
    if !r.in_participant_table {
        f.push("no-account");
    }
    f.join(",")
}

impl fmt::Display for ClientReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text(TextOptions {
            width: None,
            color: false,
        }))
    }
}
