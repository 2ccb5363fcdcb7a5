//! From the Girder tree to the plan of [`super::compute`]: the range, the occurrences of each
//! activity from the version in force each day, and each user's completions.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use mindlogger_model::girder::schedule::local_instant;
use mindlogger_model::girder::{ActivitySet, Due, GirderTree, expand};

use super::compute::{ActivityPlan, Days, SetPlan, Timing, UserPlan, compute};
use super::counts::Counts;
use super::{AdherenceOptions, AdherenceReport};
use crate::error::{Error, Result};

impl AdherenceReport {
    /// Build the report of every Activity Set of `tree` (see the module documentation for the
    /// rules). `study` names the study in the report.
    pub fn build(tree: &GirderTree, study: &str, options: &AdherenceOptions) -> Result<Self> {
        if tree.activity_sets.is_empty() {
            return Err(Error::NoActivitySet);
        }
        let tz = options.time_zone;
        let (from, to) = range(tree, options);
        let days = Days {
            starts: from
                .iter_days()
                .take_while(|d| *d <= to.succ_opt().unwrap_or(to))
                .map(|d| local_instant(d, NaiveTime::MIN, tz).timestamp())
                .collect(),
        };
        let minute = 60i64;
        let timing = Timing {
            grace: i64::from(options.on_time_minutes) * minute,
            late_limit: i64::from(options.late_hours) * 60 * minute,
            cut_off: options.cut_off.map_or(i64::MAX, |c| c.timestamp()),
        };
        let sets: Vec<SetPlan> = tree
            .activity_sets
            .iter()
            .map(|set| plan(tree, set, from, to, tz))
            .collect();
        let mut report = AdherenceReport {
            study: study.to_owned(),
            time_zone: tz.name().to_owned(),
            from,
            to,
            cut_off: options.cut_off,
            on_time_minutes: options.on_time_minutes,
            late_hours: options.late_hours,
            rows: Vec::new(),
            days: Vec::new(),
            totals: Counts::default(),
            warnings: tree.warnings.iter().map(ToString::to_string).collect(),
        };
        compute(&sets, &days, timing, &mut report);
        Ok(report)
    }
}

/// The report's dates: as given, else from the first version in force (or the first completion)
/// to the cut-off's date (or the last completion).
fn range(tree: &GirderTree, options: &AdherenceOptions) -> (NaiveDate, NaiveDate) {
    let tz = options.time_zone;
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let completions = || {
        tree.activity_sets
            .iter()
            .flat_map(ActivitySet::records)
            .map(|r| local(r.completed))
    };
    let from = options.from.unwrap_or_else(|| {
        tree.activity_sets
            .iter()
            .flat_map(|s| &s.activities)
            .flat_map(|a| &a.versions)
            .filter_map(|v| v.start.first_date(tz))
            .min()
            .or_else(|| completions().min())
            .unwrap_or(NaiveDate::MIN)
    });
    let to = options
        .to
        .or_else(|| options.cut_off.map(local))
        .or_else(|| completions().max())
        .unwrap_or(from)
        .max(from);
    (from, to)
}

fn plan(tree: &GirderTree, set: &ActivitySet, from: NaiveDate, to: NaiveDate, tz: Tz) -> SetPlan {
    let day = |date: NaiveDate| u32::try_from((date - from).num_days()).unwrap_or(0);
    let activities = set
        .activities
        .iter()
        .map(|activity| {
            let mut due = Vec::new();
            for period in activity.periods(from, to, tz) {
                let reminders = period
                    .version
                    .meta
                    .reminders
                    .as_ref()
                    .map_or(0, |r| i64::from(r.after_minutes) * i64::from(r.times) * 60);
                for o in expand(&period.version.notifications, period.from, period.to, tz) {
                    let (start, end) = match o.due {
                        Due::At(at) => (at, at),
                        Due::Window { from, to } => (from, to),
                    };
                    due.push((start.timestamp(), end.timestamp() + reminders, day(o.date)));
                }
            }
            ActivityPlan {
                name: activity.name.clone(),
                due,
            }
        })
        .collect();
    let index: HashMap<&str, usize> = set
        .activities
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    let mut users: Vec<UserPlan> = set
        .users
        .iter()
        .map(|id| {
            let mut completions = vec![Vec::new(); set.activities.len()];
            for record in set.responses_of(id) {
                if let Some(&a) = index.get(record.activity.as_str()) {
                    let reminded = record.reminded.is_some_and(|r| r <= record.completed);
                    completions[a].push((record.completed.timestamp(), reminded));
                }
            }
            UserPlan {
                id: id.clone(),
                label: tree
                    .users
                    .get(id)
                    .map_or_else(|| id.clone(), |u| u.login.clone()),
                completions,
            }
        })
        .collect();
    users.sort_by(|a, b| (&a.label, &a.id).cmp(&(&b.label, &b.id)));
    SetPlan {
        name: set.name.clone(),
        activities,
        users,
    }
}
