//! A study folder opened for reporting: the schedule sheet, TaskLog and Participant, read once,
//! and the per-participant matching of TaskLog rows to schedule slots.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::schedule::Schedule;
use crate::tables::{self, Interner, Loaded, ParticipantRow, TableMap};

/// Options shared by the scale and client reports; `Default` reports everyone with the built-in
/// table-name mapping.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Task → table names where they differ.
    pub table_map: TableMap,
    /// Which study of the schedule sheet (default: the first).
    pub study: Option<String>,
    /// Leave admin accounts out of every count (they are flagged otherwise).
    pub exclude_admins: bool,
    /// Leave test accounts out of every count (they are flagged otherwise).
    pub exclude_test_accounts: bool,
}

/// The state of one (participant, slot) cell of the schedule grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Logged once.
    Done,
    /// Logged more than once.
    Duplicate,
    /// Expected by now and not logged.
    Missing,
    /// Not logged and not expected yet.
    NotDue,
}

/// A study folder's reporting inputs, loaded once and shared by the reports.
#[derive(Debug, Clone)]
pub struct Study {
    pub(crate) active_data: PathBuf,
    pub(crate) schedule: Schedule,
    pub(crate) options: ReportOptions,
    pub(crate) loaded: Loaded,
    pub(crate) excluded: HashSet<u32>,
}

/// One participant's progress through the schedule.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    pub(crate) participant: u32,
    pub(crate) row: Option<ParticipantRow>,
    /// TaskLog rows per slot.
    pub(crate) counts: Vec<u16>,
    /// Slots expected by now (those before the current position).
    pub(crate) expected: usize,
    /// TaskLog rows whose session and task are not in the schedule.
    pub(crate) unscheduled: usize,
}

impl Progress {
    pub(crate) fn cell(&self, slot: usize) -> CellState {
        match self.counts[slot] {
            0 if slot < self.expected => CellState::Missing,
            0 => CellState::NotDue,
            1 => CellState::Done,
            _ => CellState::Duplicate,
        }
    }
}

impl Study {
    /// Open the study folder `root` (MTData's `PATH`): reads `active_data/study.json`,
    /// `active_data/TaskLog.csv` and, when present, `active_data/Participant.csv`.
    pub fn open(root: &Path, options: ReportOptions) -> Result<Self> {
        Self::open_active_data(
            &mtdata_core::layout::StudyLayout::new(root).active_data(),
            options,
        )
    }

    /// Like [`Study::open`] with the `active_data` folder given directly.
    pub fn open_active_data(active_data: &Path, options: ReportOptions) -> Result<Self> {
        let schedule = Schedule::load(&active_data.join("study.json"), options.study.as_deref())?;
        let loaded = tables::load(active_data)?;
        let excluded = loaded
            .participants
            .iter()
            .filter(|(_, p)| {
                (options.exclude_admins && p.admin)
                    || (options.exclude_test_accounts && p.test_account)
            })
            .map(|(id, _)| *id)
            .collect();
        Ok(Study {
            active_data: active_data.to_owned(),
            schedule,
            options,
            loaded,
            excluded,
        })
    }

    /// The schedule sheet in use.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The `active_data` folder.
    pub fn active_data(&self) -> &Path {
        &self.active_data
    }

    pub(crate) fn strings(&self) -> &Interner {
        &self.loaded.strings
    }

    /// Every participant (Participant table first, then ids seen only in TaskLog), excluded ones
    /// left out, with their TaskLog rows matched to slots.
    pub(crate) fn progress(&self) -> Vec<Progress> {
        let strings = &self.loaded.strings;
        let slot_count = self.schedule.slots.len();
        let mut by_pair: HashMap<(u32, u32), &[usize]> = HashMap::new();
        for slot in &self.schedule.slots {
            if let (Some(s), Some(t)) = (strings.get(&slot.session), strings.get(&slot.task)) {
                by_pair.insert((s, t), self.schedule.slots_of(&slot.session, &slot.task));
            }
        }
        let (pre, post) = (strings.get("pre"), strings.get("post"));

        let mut order: Vec<u32> = Vec::new();
        let mut index: HashMap<u32, usize> = HashMap::new();
        let mut rows: Vec<Option<ParticipantRow>> = Vec::new();
        for (id, row) in &self.loaded.participants {
            if self.excluded.contains(id) || index.contains_key(id) {
                continue;
            }
            index.insert(*id, order.len());
            order.push(*id);
            rows.push(Some(row.clone()));
        }
        let mut counts: Vec<Vec<u16>> = vec![vec![0; slot_count]; order.len()];
        let mut unscheduled = vec![0usize; order.len()];
        for log in &self.loaded.log {
            if self.excluded.contains(&log.participant) {
                continue;
            }
            let i = *index.entry(log.participant).or_insert_with(|| {
                order.push(log.participant);
                rows.push(None);
                counts.push(vec![0; slot_count]);
                unscheduled.push(0);
                order.len() - 1
            });
            let Some(slots) = by_pair.get(&(log.session, log.task)) else {
                unscheduled[i] += 1;
                continue;
            };
            let counts = &mut counts[i];
            let tag = Some(log.tag);
            let slot = if tag == pre || slots.len() == 1 {
                slots[0]
            } else if tag == post {
                slots[1]
            } else {
                // Untagged repeats (R34 SUDS) fill the occurrences in file order.
                slots
                    .iter()
                    .copied()
                    .find(|&s| counts[s] == 0)
                    .unwrap_or(slots[slots.len() - 1])
            };
            counts[slot] = counts[slot].saturating_add(1);
        }
        order
            .into_iter()
            .zip(rows)
            .zip(counts)
            .zip(unscheduled)
            .map(|(((participant, row), counts), unscheduled)| {
                let position = row.as_ref().and_then(|r| {
                    self.schedule.position(
                        r.current_session.as_deref()?,
                        r.current_task.as_deref(),
                        r.current_tag.as_deref(),
                    )
                });
                // Without a known position, everything up to the last logged slot is due.
                let expected = position.unwrap_or_else(|| {
                    counts
                        .iter()
                        .rposition(|&c| c > 0)
                        .map_or(0, |last| last + 1)
                });
                Progress {
                    participant,
                    row,
                    counts,
                    expected,
                    unscheduled,
                }
            })
            .collect()
    }
}
