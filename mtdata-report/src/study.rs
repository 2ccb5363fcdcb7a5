//! A study folder opened for reporting: the schedule sheet, TaskLog and Participant, read once,
//! and the per-participant matching of TaskLog rows to schedule slots.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::error::Result;
use crate::scale::{KeyCounter, TaskData};
use crate::tables::{self, Interner, Loaded, ParticipantRow, TableMap};
use mtdata_core::schedule::Schedule;

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

/// The state of one (participant, slot) cell of the schedule grid, from TaskLog and the task's
/// data table matched per participant, session and tag (as in the scale report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Logged once, with one data row (or the task's table was not found, so the data is unknown).
    Done,
    /// Logged more than once, or more than one data row for it.
    Duplicate,
    /// Logged, but the task's table has no row for it: the worst state.
    NoData,
    /// Expected by now and not logged.
    Missing,
    /// Not logged and not expected yet.
    NotDue,
}

/// A study folder's reporting inputs, loaded once and shared by the reports.
#[derive(Debug, Clone)]
pub struct StudyFolder {
    pub(crate) active_data: PathBuf,
    pub(crate) schedule: Schedule,
    pub(crate) options: ReportOptions,
    pub(crate) loaded: Loaded,
    pub(crate) excluded: HashSet<u32>,
    /// The data tables of the schedule's tasks, read on first use (see `StudyFolder::task_data`).
    pub(crate) task_data: OnceLock<Vec<Arc<TaskData>>>,
}

/// One participant's progress through the schedule.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    pub(crate) participant: u32,
    pub(crate) row: Option<ParticipantRow>,
    /// TaskLog rows per slot.
    pub(crate) counts: Vec<u16>,
    /// Data rows per slot: the most rows any of the slot's TaskLog keys has in the task's table.
    pub(crate) data: Vec<u16>,
    /// Slots expected by now (those before the current position).
    pub(crate) expected: usize,
    /// TaskLog rows whose session and task are not in the schedule.
    pub(crate) unscheduled: usize,
}

/// Every participant's progress, and which slots could be checked against data.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    /// Per slot: whether the task's table was found (else its data is unknown, never "no data").
    pub(crate) checked: Vec<bool>,
    pub(crate) rows: Vec<Progress>,
}

impl Progress {
    pub(crate) fn cell(&self, slot: usize, checked: &[bool]) -> CellState {
        let checked = checked[slot];
        match (self.counts[slot], self.data[slot]) {
            (0, _) if slot < self.expected => CellState::Missing,
            (0, _) => CellState::NotDue,
            (_, 0) if checked => CellState::NoData,
            (1, rows) if !checked || rows == 1 => CellState::Done,
            _ => CellState::Duplicate,
        }
    }

    /// Data rows beyond the first for the logged slots whose table was found.
    pub(crate) fn data_duplicates(&self, checked: &[bool]) -> usize {
        self.data
            .iter()
            .zip(checked)
            .filter(|(_, c)| **c)
            .map(|(&d, _)| usize::from(d.saturating_sub(1)))
            .sum()
    }
}

impl StudyFolder {
    /// Open the study folder `root` (MTData's `PATH`): reads `active_data/study.json`,
    /// `active_data/TaskLog.csv` and, when present, `active_data/Participant.csv`.
    pub fn open(root: &Path, options: ReportOptions) -> Result<Self> {
        Self::open_active_data(
            &mtdata_core::layout::StudyLayout::new(root).active_data(),
            options,
        )
    }

    /// Like [`StudyFolder::open`] with the `active_data` folder given directly.
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
        Ok(StudyFolder {
            active_data: active_data.to_owned(),
            schedule,
            options,
            loaded,
            excluded,
            task_data: OnceLock::new(),
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
    /// left out, with their TaskLog rows matched to slots and the slots matched to data rows.
    pub(crate) fn progress(&self) -> Result<Grid> {
        let strings = &self.loaded.strings;
        let slot_count = self.schedule.slots.len();
        // The data of each task, by task symbol, with the TaskLog key counter of the scale report
        // (fed the task's rows in file order, so both reports give a row the same key).
        let task_data = self.task_data()?;
        let mut data_of: HashMap<u32, (&TaskData, KeyCounter)> = HashMap::new();
        for (task, data) in self.schedule.task_names().into_iter().zip(task_data) {
            if let Some(t) = strings.get(task) {
                data_of.insert(t, (data.as_ref(), data.counter()));
            }
        }
        let checked: Vec<bool> = self
            .schedule
            .slots
            .iter()
            .map(|slot| {
                strings
                    .get(&slot.task)
                    .and_then(|t| data_of.get(&t))
                    .is_some_and(|(d, _)| d.found)
            })
            .collect();
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
        let mut data: Vec<Vec<u16>> = vec![vec![0; slot_count]; order.len()];
        let mut unscheduled = vec![0usize; order.len()];
        for log in &self.loaded.log {
            if self.excluded.contains(&log.participant) {
                continue;
            }
            let i = *index.entry(log.participant).or_insert_with(|| {
                order.push(log.participant);
                rows.push(None);
                counts.push(vec![0; slot_count]);
                data.push(vec![0; slot_count]);
                unscheduled.push(0);
                order.len() - 1
            });
            // Every row of a task feeds its key counter, scheduled or not, as in the scale report.
            let data_rows = data_of.get_mut(&log.task).map(|(task_data, counter)| {
                let key = task_data.log_key(counter, *log);
                let rows = task_data.keys.get(&key).copied().unwrap_or(0);
                u16::try_from(rows).unwrap_or(u16::MAX)
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
            if let Some(rows) = data_rows {
                data[i][slot] = data[i][slot].max(rows);
            }
        }
        let rows = order
            .into_iter()
            .zip(rows)
            .zip(counts)
            .zip(data)
            .zip(unscheduled)
            .map(|((((participant, row), counts), data), unscheduled)| {
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
                    data,
                    expected,
                    unscheduled,
                }
            })
            .collect();
        Ok(Grid { checked, rows })
    }
}
