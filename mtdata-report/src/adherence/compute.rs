//! From the plan (occurrences due per activity, completions per user) to the report: the
//! schedule of an activity is turned into slots once and shared by every user of its Activity
//! Set; each (user, activity) is then one linear pass of [`Matcher::run`].

use super::classify::{Matcher, SlotState, slots};
use super::counts::Counts;
use super::{AdherenceReport, AdherenceRow, DayCell};

/// One Activity Set, ready for matching.
#[derive(Debug, Clone, Default)]
pub(crate) struct SetPlan {
    pub(crate) name: String,
    pub(crate) activities: Vec<ActivityPlan>,
    pub(crate) users: Vec<UserPlan>,
}

/// One activity: its occurrences due in the report's range, from the version in force each day.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActivityPlan {
    pub(crate) name: String,
    /// (start, end of the scheduled time or window plus the reminders, day index).
    pub(crate) due: Vec<(i64, i64, u32)>,
}

/// One user of a set: completions per activity (same order as the set's activities).
#[derive(Debug, Clone, Default)]
pub(crate) struct UserPlan {
    pub(crate) id: String,
    pub(crate) label: String,
    /// Per activity: (completed, reminded before completing), in any order.
    pub(crate) completions: Vec<Vec<(i64, bool)>>,
}

/// The time parameters, in seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) grace: i64,
    pub(crate) late_limit: i64,
    pub(crate) cut_off: i64,
}

/// Local midnights: `starts[d]` is the first instant of day `d` of the range, and the last entry the
/// end of the range (so there is one more entry than days).
#[derive(Debug, Clone)]
pub(crate) struct Days {
    pub(crate) starts: Vec<i64>,
}

impl Days {
    pub(crate) fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// The day of instant `t`, `None` outside the range.
    pub(crate) fn day_of(&self, t: i64) -> Option<u32> {
        let after = self.starts.partition_point(|&s| s <= t);
        (after >= 1 && after < self.starts.len()).then(|| u32::try_from(after - 1).unwrap_or(0))
    }
}

/// Match every (user, activity) of every set; rows in set, user, activity order, day cells of
/// each row in date order.
pub(crate) fn compute(sets: &[SetPlan], days: &Days, timing: Timing, report: &mut AdherenceReport) {
    let mut matcher = Matcher::default();
    let mut per_day = vec![Counts::default(); days.len()];
    let mut times: Vec<i64> = Vec::new();
    let mut reminded: Vec<bool> = Vec::new();
    let mut order: Vec<(i64, bool)> = Vec::new();
    for set in sets {
        let shared: Vec<_> = set
            .activities
            .iter()
            .map(|a| slots(a.due.clone(), timing.grace, timing.late_limit))
            .collect();
        for user in &set.users {
            for (a, activity) in set.activities.iter().enumerate() {
                let slots = &shared[a];
                order.clear();
                if let Some(c) = user.completions.get(a) {
                    order.extend(c.iter().filter(|(t, _)| *t <= timing.cut_off));
                }
                order.sort_unstable();
                times.clear();
                times.extend(order.iter().map(|(t, _)| *t));
                reminded.clear();
                reminded.extend(order.iter().map(|(_, r)| *r));
                matcher.run(slots, &times, timing.cut_off);
                per_day.iter_mut().for_each(|c| *c = Counts::default());
                for (slot, state) in slots.iter().zip(&matcher.states) {
                    let c = &mut per_day[slot.day as usize];
                    match state {
                        SlotState::NotDue => continue,
                        SlotState::OnTime => c.on_time += 1,
                        SlotState::Late => c.late += 1,
                        SlotState::Missed => c.missed += 1,
                        SlotState::Pending => c.pending += 1,
                    }
                    c.due += 1;
                }
                for (i, taken) in matcher.taken_by.iter().enumerate() {
                    match taken {
                        Some(k) if reminded[i] => {
                            per_day[slots[*k as usize].day as usize].reminded += 1
                        }
                        Some(_) => {}
                        None => {
                            if let Some(d) = days.day_of(times[i]) {
                                per_day[d as usize].unscheduled += 1;
                            }
                        }
                    }
                }
                let row = u32::try_from(report.rows.len()).unwrap_or(u32::MAX);
                let mut total = Counts::default();
                for (d, c) in per_day.iter().enumerate() {
                    if !c.is_empty() {
                        total.add(c);
                        report.days.push(DayCell {
                            row,
                            day: u32::try_from(d).unwrap_or(u32::MAX),
                            counts: *c,
                        });
                    }
                }
                report.totals.add(&total);
                report.rows.push(AdherenceRow {
                    activity_set: set.name.clone(),
                    user_id: user.id.clone(),
                    user: user.label.clone(),
                    activity: activity.name.clone(),
                    counts: total,
                });
            }
        }
    }
}
