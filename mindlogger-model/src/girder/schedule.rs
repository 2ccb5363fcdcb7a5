//! Schedules: `userNotifications` checked ([`Notifications::parse`]) and expanded into the occurrences due in
//! a date range ([`expand`]).
//!
//! Local times become instants in the study's time zone. Around a daylight-saving change:
//!
//! * a local time that happens twice (the hour repeated when clocks go back) is its **first** occurrence;
//! * a local time that does not exist (the hour skipped when clocks go forward, 2:30 AM on 2026-03-08 in
//!   America/New_York) is read with the offset in force **before** the change, so it lands as far after the
//!   gap's start as it was asked for: 2:30 AM EST = 07:30 UTC = 3:30 AM EDT. The date of the occurrence stays
//!   the day it was scheduled for.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::meta::{NotificationSpec, TimeOfDaySpec};
use crate::error::GirderProblem;

/// A time of day as MindLogger writes it, `HH:MM AM` or `HH:MM PM` (`12:00 AM` is midnight, `12:00 PM`
/// noon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(pub NaiveTime);

impl ClockTime {
    /// Reads `HH:MM AM` / `HH:MM PM` (hour 1 to 12, one or two digits; minutes two digits; `am`/`pm` in any
    /// case).
    pub fn parse(text: &str) -> Result<ClockTime, GirderProblem> {
        let malformed = || GirderProblem::MalformedTime(text.to_owned());
        let (clock, half) = text.trim().split_once(' ').ok_or_else(malformed)?;
        let (hour, minute) = clock.split_once(':').ok_or_else(malformed)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(hour) || hour.len() > 2 || !digits(minute) || minute.len() != 2 {
            return Err(malformed());
        }
        let hour: u32 = hour.parse().map_err(|_| malformed())?;
        let minute: u32 = minute.parse().map_err(|_| malformed())?;
        if !(1..=12).contains(&hour) || minute > 59 {
            return Err(malformed());
        }
        let hour = match half.trim().to_ascii_uppercase().as_str() {
            "AM" => hour % 12,
            "PM" => hour % 12 + 12,
            _ => return Err(malformed()),
        };
        NaiveTime::from_hms_opt(hour, minute, 0)
            .map(ClockTime)
            .ok_or_else(malformed)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%I:%M %p"))
    }
}

/// A checked time of day of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeOfDay {
    Scheduled(ClockTime),
    /// A random time between `from` and `to` (inclusive, `from <= to`, the same day).
    Random {
        from: ClockTime,
        to: ClockTime,
    },
}

/// On which days a schedule fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Days {
    Weekly(Vec<Weekday>),
    /// Days of the month, 1 to 28.
    Monthly(Vec<u32>),
    Calendar(Vec<NaiveDate>),
}

/// One checked schedule of `userNotifications`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub days: Days,
    pub times: Vec<TimeOfDay>,
}

/// The checked `userNotifications` of an activity version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifications {
    pub schedules: Vec<Schedule>,
}

/// When an occurrence is due: at a scheduled instant, or somewhere in a random window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Due {
    At(DateTime<Utc>),
    Window {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

impl Due {
    /// The earliest instant of the occurrence (the scheduled time, or the window's start).
    pub fn start(&self) -> DateTime<Utc> {
        match *self {
            Due::At(at) => at,
            Due::Window { from, .. } => from,
        }
    }
}

/// One due notification: the local date it was scheduled for, and when it is due. The caller attaches the
/// user and activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Occurrence {
    pub date: NaiveDate,
    pub due: Due,
}

/// A weekday name: `Monday` to `Sunday` or `Mon` to `Sun`, in any case.
pub fn parse_weekday(text: &str) -> Result<Weekday, GirderProblem> {
    let lower = text.trim().to_ascii_lowercase();
    let day = match lower.as_str() {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return Err(GirderProblem::UnknownWeekday(text.to_owned())),
    };
    Ok(day)
}

/// A date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, GirderProblem> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| GirderProblem::MalformedDate(text.to_owned()))
}

impl Notifications {
    /// Checks `userNotifications`. On error, the path of the field at fault below `userNotifications`
    /// (`[0].days[1]`) and the problem.
    pub fn parse(specs: &[NotificationSpec]) -> Result<Notifications, (String, GirderProblem)> {
        let mut schedules = Vec::with_capacity(specs.len());
        for (index, spec) in specs.iter().enumerate() {
            let at = |field: String, problem| (format!("[{index}].{field}"), problem);
            let (days, time_of_day) = match spec {
                NotificationSpec::Weekly { days, time_of_day } => {
                    let days = days
                        .iter()
                        .enumerate()
                        .map(|(i, d)| parse_weekday(d).map_err(|p| at(format!("days[{i}]"), p)))
                        .collect::<Result<_, _>>()?;
                    (Days::Weekly(days), time_of_day)
                }
                NotificationSpec::Monthly { days, time_of_day } => {
                    let days = days
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| match u32::try_from(d) {
                            Ok(day @ 1..=28) => Ok(day),
                            _ => Err(at(format!("days[{i}]"), GirderProblem::MonthlyDay(d))),
                        })
                        .collect::<Result<_, _>>()?;
                    (Days::Monthly(days), time_of_day)
                }
                NotificationSpec::Calendar { dates, time_of_day } => {
                    let dates = dates
                        .iter()
                        .enumerate()
                        .map(|(i, d)| parse_date(d).map_err(|p| at(format!("dates[{i}]"), p)))
                        .collect::<Result<_, _>>()?;
                    (Days::Calendar(dates), time_of_day)
                }
            };
            let times = time_of_day
                .iter()
                .enumerate()
                .map(|(i, t)| parse_time_of_day(t).map_err(|p| at(format!("timeOfDay[{i}]"), p)))
                .collect::<Result<_, _>>()?;
            schedules.push(Schedule { days, times });
        }
        Ok(Notifications { schedules })
    }
}

fn parse_time_of_day(spec: &TimeOfDaySpec) -> Result<TimeOfDay, GirderProblem> {
    match spec {
        TimeOfDaySpec::Scheduled(at) => ClockTime::parse(at).map(TimeOfDay::Scheduled),
        TimeOfDaySpec::Random { from, to } => {
            let (start, end) = (ClockTime::parse(from)?, ClockTime::parse(to)?);
            if end < start {
                return Err(GirderProblem::EmptyWindow {
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            Ok(TimeOfDay::Random {
                from: start,
                to: end,
            })
        }
    }
}

impl Schedule {
    /// Whether the schedule fires on local date `date`.
    pub fn fires_on(&self, date: NaiveDate) -> bool {
        match &self.days {
            Days::Weekly(days) => days.contains(&date.weekday()),
            Days::Monthly(days) => days.contains(&date.day()),
            Days::Calendar(dates) => dates.contains(&date),
        }
    }
}

/// The occurrences of `notifications` on the local dates `from` to `to` (both included) in time zone `tz`,
/// ordered by date then due time. Two schedules due at the same time on the same date are one occurrence.
/// An empty range (`to < from`) has none.
pub fn expand(
    notifications: &Notifications,
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
) -> Vec<Occurrence> {
    let mut occurrences = Vec::new();
    let mut day = Vec::new();
    for date in from.iter_days().take_while(|date| *date <= to) {
        day.clear();
        for schedule in &notifications.schedules {
            if !schedule.fires_on(date) {
                continue;
            }
            for time in &schedule.times {
                let due = match *time {
                    TimeOfDay::Scheduled(at) => Due::At(local_instant(date, at.0, tz)),
                    TimeOfDay::Random { from, to } => Due::Window {
                        from: local_instant(date, from.0, tz),
                        to: local_instant(date, to.0, tz),
                    },
                };
                day.push(Occurrence { date, due });
            }
        }
        day.sort_unstable();
        day.dedup();
        occurrences.extend_from_slice(&day);
    }
    occurrences
}

/// The instant of local time `time` on `date` in `tz`: the first of two when the time happens twice, and read
/// with the offset before the change when it does not exist (see the module documentation).
pub fn local_instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Find the first local minute after the gap; the offset in force just before it is the one
            // before the change.
            let after_gap = (1..=48 * 60)
                .find_map(|minutes| {
                    tz.from_local_datetime(&(local + Duration::minutes(minutes)))
                        .earliest()
                })
                .map(|at| at.with_timezone(&Utc));
            match after_gap {
                Some(end) => {
                    let before =
                        tz.offset_from_utc_datetime(&(end - Duration::seconds(1)).naive_utc());
                    let offset = chrono::Offset::fix(&before);
                    (local - Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc()
                }
                // No zone has a gap of two days; read the time as UTC rather than fail.
                None => local.and_utc(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> NaiveTime {
        ClockTime::parse(text).unwrap().0
    }

    #[test]
    fn clock_times() {
        assert_eq!(time("09:00 AM"), NaiveTime::from_hms_opt(9, 0, 0).unwrap());
        assert_eq!(time("9:05 pm"), NaiveTime::from_hms_opt(21, 5, 0).unwrap());
        assert_eq!(time("12:00 AM"), NaiveTime::from_hms_opt(0, 0, 0).unwrap());
        assert_eq!(
            time("12:30 PM"),
            NaiveTime::from_hms_opt(12, 30, 0).unwrap()
        );
        for bad in [
            "", "9:00", "13:00 PM", "00:10 AM", "9:5 AM", "09:60 AM", "09:00 XM", "0900 AM",
            "+9:00 AM",
        ] {
            assert_eq!(
                ClockTime::parse(bad),
                Err(GirderProblem::MalformedTime(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            ClockTime::parse("07:45 PM").unwrap().to_string(),
            "07:45 PM"
        );
    }

    #[test]
    fn weekdays() {
        assert_eq!(parse_weekday("Monday"), Ok(Weekday::Mon));
        assert_eq!(parse_weekday("sun"), Ok(Weekday::Sun));
        assert_eq!(
            parse_weekday("Funday"),
            Err(GirderProblem::UnknownWeekday("Funday".into()))
        );
    }

    #[test]
    fn daylight_saving_start_in_new_york() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let saturday = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        let sunday = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let utc = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        // 9:00 AM stays 9:00 local: 14:00 UTC under EST, 13:00 UTC under EDT.
        assert_eq!(
            local_instant(saturday, time("09:00 AM"), tz),
            utc("2026-03-07T14:00:00Z")
        );
        assert_eq!(
            local_instant(sunday, time("09:00 AM"), tz),
            utc("2026-03-08T13:00:00Z")
        );
        // 2:30 AM does not exist that Sunday: read as EST, 07:30 UTC (3:30 AM EDT).
        assert_eq!(
            local_instant(sunday, time("02:30 AM"), tz),
            utc("2026-03-08T07:30:00Z")
        );
        // 1:30 AM on 2026-11-01 happens twice: the first (EDT) is taken.
        let fall = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            local_instant(fall, time("01:30 AM"), tz),
            utc("2026-11-01T05:30:00Z")
        );
    }
}
