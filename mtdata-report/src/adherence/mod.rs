//! `report adherence`: for a MindLogger study stored as Girder documents, whether each user
//! completed each activity when its notification schedule made it due.
//!
//! # What is due
//!
//! For every Activity Set, every activity and every local date of the report's range (in the
//! study's time zone), the version of the activity **in force that day** is the one with the
//! latest effective date (`effectiveFrom`, else the local date its folder was created) on or
//! before that date; its `userNotifications` are expanded for that date by
//! [`mindlogger_model::girder::expand`] (weekly, monthly and calendar days; a scheduled time is an
//! occurrence due at that instant, a random time an occurrence due in a window). Every user of the
//! set (`members.users`, plus any user holding responses in the set) has every occurrence due from
//! the report's first day. Daylight-saving changes need no special case: occurrences are instants
//! computed from local times, and a completion belongs to the local date of its instant.
//!
//! # Matching rules
//!
//! Per user and activity, with the occurrences ordered by start (a scheduled time, or a window's
//! start) and then by deadline, and identical occurrences merged (two notifications at the same
//! instant are one prompt):
//!
//! 1. **On-time window** of an occurrence: from its start to its scheduled time, or the end of its
//!    random window, plus the reminders of its version (`afterMinutes` × `times`: a reminder
//!    re-sends the same prompt, it is not a new occurrence), plus the grace period
//!    ([`AdherenceOptions::on_time_minutes`], 60 by default). The end is exclusive.
//! 2. **Span** of an occurrence: from its start to the end of its on-time window plus the late
//!    limit ([`AdherenceOptions::late_hours`], 24 by default), cut at the start of the next
//!    occurrence of the same activity (occurrences starting at the same instant share that cut).
//!    Spans of occurrences with different starts never overlap.
//! 3. In order, each occurrence takes the **earliest completion inside its span that no earlier
//!    occurrence took**: one completion never satisfies two occurrences, and a second completion of
//!    one prompt is not credited to the next one. The occurrence is **completed on time** when that
//!    completion is inside its on-time window, **completed late** otherwise.
//! 4. An occurrence that took no completion is **missed** once its span has ended by the cut-off
//!    ([`AdherenceOptions::cut_off`]), **pending** while it is still open; occurrences starting after
//!    the cut-off are not due yet and not counted.
//! 5. A completion that no occurrence took (before the first prompt, after a span's end, a repeat)
//!    is **completed without being due** (`unscheduled`), counted on its own local date when that
//!    date is inside the range. Completions after the cut-off are ignored.
//! 6. The version a user answered (`activityVersion`) does not matter for matching: an occurrence
//!    is satisfied by any completion of its activity. A completion whose record has a `reminded`
//!    time before its `completed` time is also counted as `reminded` (information only).
//! 7. An occurrence is counted on its local date (a late completion the next morning counts on the
//!    day the occurrence was due); `due` = on time + late + missed + pending. Adherence is
//!    (on time + late) / (on time + late + missed), pending occurrences left out.
//!
//! The report is a pure function of the documents and the options: no clock is read (the CLI
//! passes the time it runs as the cut-off).

mod build;
mod classify;
mod compute;
mod counts;
mod html;
mod text;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeStruct};

pub use counts::{Counts, DayState};
pub use html::AdherenceHtml;

/// Options of the adherence report.
#[derive(Debug, Clone)]
pub struct AdherenceOptions {
    /// The study's time zone: local dates and times of the schedules.
    pub time_zone: chrono_tz::Tz,
    /// The first local date (`None`: the earliest effective date of any version of the set's
    /// activities).
    pub from: Option<NaiveDate>,
    /// The last local date, included (`None`: the local date of the cut-off, or of the latest
    /// completion when there is no cut-off).
    pub to: Option<NaiveDate>,
    /// The time the report is made for: later occurrences are not due yet, later completions
    /// are ignored (`None`: everything is settled).
    pub cut_off: Option<DateTime<Utc>>,
    /// Minutes after the scheduled time (or the window's end, and the reminders) a completion is
    /// still on time.
    pub on_time_minutes: u32,
    /// Hours after the on-time window a completion is still late rather than unscheduled.
    pub late_hours: u32,
}

impl Default for AdherenceOptions {
    fn default() -> Self {
        AdherenceOptions {
            time_zone: chrono_tz::UTC,
            from: None,
            to: None,
            cut_off: None,
            on_time_minutes: 60,
            late_hours: 24,
        }
    }
}

/// One (Activity Set, user, activity), all days together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdherenceRow {
    pub activity_set: String,
    /// The Girder user id.
    pub user_id: String,
    /// The user's login (the id when the user document is absent).
    pub user: String,
    pub activity: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// One day of one row (days with nothing due and no completion are left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCell {
    /// Index into [`AdherenceReport::rows`].
    pub row: u32,
    /// Days since [`AdherenceReport::from`].
    pub day: u32,
    pub counts: Counts,
}

/// The adherence report of one study.
#[derive(Debug, Clone, PartialEq)]
pub struct AdherenceReport {
    /// The study (and server) name.
    pub study: String,
    /// The IANA name of the time zone.
    pub time_zone: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cut_off: Option<DateTime<Utc>>,
    pub on_time_minutes: u32,
    pub late_hours: u32,
    pub rows: Vec<AdherenceRow>,
    /// Per row and day, rows in order and days in order within a row.
    pub days: Vec<DayCell>,
    pub totals: Counts,
    /// Problems that did not stop the report (a response naming an unknown activity, ...).
    pub warnings: Vec<String>,
}

impl AdherenceReport {
    /// The local date of a day cell.
    pub fn date(&self, cell: &DayCell) -> NaiveDate {
        self.from + chrono::Days::new(u64::from(cell.day))
    }

    /// The dates of the range, in order.
    pub fn dates(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }

    /// Per date, every user and activity together.
    pub fn per_date(&self) -> Vec<(NaiveDate, Counts)> {
        let dates = self.dates();
        let mut counts = vec![Counts::default(); dates.len()];
        for cell in &self.days {
            if let Some(c) = counts.get_mut(cell.day as usize) {
                c.add(&cell.counts);
            }
        }
        dates.into_iter().zip(counts).collect()
    }

    /// Per user (all sets and activities together), in order of first appearance: the user id,
    /// label, total and per-date counts.
    pub fn per_user(&self) -> Vec<UserDays> {
        let n = self.dates().len();
        let mut users: Vec<UserDays> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut row_user = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let i = *index.entry(row.user_id.as_str()).or_insert_with(|| {
                users.push(UserDays {
                    user_id: row.user_id.clone(),
                    user: row.user.clone(),
                    total: Counts::default(),
                    days: vec![Counts::default(); n],
                });
                users.len() - 1
            });
            users[i].total.add(&row.counts);
            row_user.push(i);
        }
        for cell in &self.days {
            let u = row_user[cell.row as usize];
            if let Some(c) = users[u].days.get_mut(cell.day as usize) {
                c.add(&cell.counts);
            }
        }
        users
    }
}

/// One user's counts, total and per date (see [`AdherenceReport::per_user`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UserDays {
    pub user_id: String,
    pub user: String,
    pub total: Counts,
    pub days: Vec<Counts>,
}

/// The JSON of a report: the parameters, `rows` (overall per user and activity), `days` (per
/// user, activity and date, with names instead of indices) and `totals`.
impl Serialize for AdherenceReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Days<'a>(&'a AdherenceReport);
        struct Day<'a>(&'a AdherenceReport, &'a DayCell);
        impl Serialize for Days<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.days.iter().map(|c| Day(self.0, c)))
            }
        }
        impl Serialize for Day<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let (report, cell) = (self.0, self.1);
                let row = &report.rows[cell.row as usize];
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("activity_set", &row.activity_set)?;
                m.serialize_entry("user_id", &row.user_id)?;
                m.serialize_entry("user", &row.user)?;
                m.serialize_entry("activity", &row.activity)?;
                m.serialize_entry("date", &report.date(cell))?;
                for (name, value) in cell.counts.fields() {
                    m.serialize_entry(name, &value)?;
                }
                m.end()
            }
        }
        let mut s = serializer.serialize_struct("AdherenceReport", 11)?;
        s.serialize_field("study", &self.study)?;
        s.serialize_field("time_zone", &self.time_zone)?;
        s.serialize_field("from", &self.from)?;
        s.serialize_field("to", &self.to)?;
        s.serialize_field("cut_off", &self.cut_off)?;
        s.serialize_field("on_time_minutes", &self.on_time_minutes)?;
        s.serialize_field("late_hours", &self.late_hours)?;
        s.serialize_field("totals", &self.totals)?;
        s.serialize_field("rows", &self.rows)?;
        s.serialize_field("days", &Days(self))?;
        s.serialize_field("warnings", &self.warnings)?;
        s.end()
    }
}
