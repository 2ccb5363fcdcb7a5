//! Benchmark: adherence for 2,000 users × 10 activities × 90 days of schedules (every kind:
//! weekly, monthly, calendar, scheduled and random times, reminders, a version change, a
//! daylight-saving change), against a straightforward baseline run by the same command: per user,
//! expand each day's schedule again, and for each occurrence scan all of the user's completions.
//! The baseline must give the same counts, row by row and day by day.
//!
//! ```text
//! cargo run --release -p mtdata-report --example bench_adherence [-- USERS [RUNS]]
//! ```
#![allow(clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use mindlogger_model::girder::meta::{NotificationSpec, Reminders, TimeOfDaySpec, VersionMeta};
use mindlogger_model::girder::schedule::local_instant;
use mindlogger_model::girder::{
    Activity, ActivitySet, ActivityVersion, Due, GirderTree, Notifications, ResponseRecord, User,
    VersionStart, expand,
};
use mtdata_report::adherence::{AdherenceOptions, AdherenceReport, Counts};

const ACTIVITIES: usize = 10;
const DAYS: u64 = 90;

/// splitmix64: deterministic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: i64) -> i64 {
        i64::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn at(t: &str) -> TimeOfDaySpec {
    TimeOfDaySpec::Scheduled(t.to_owned())
}

fn random(from: &str, to: &str) -> TimeOfDaySpec {
    TimeOfDaySpec::Random {
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

fn weekly(days: &[&str], times: Vec<TimeOfDaySpec>) -> NotificationSpec {
    NotificationSpec::Weekly {
        days: days.iter().map(|d| (*d).to_owned()).collect(),
        time_of_day: times,
    }
}

const EVERY_DAY: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// One version of an activity: its first day (from the first day of the range), notifications and
/// reminders.
type Version = (u64, Vec<NotificationSpec>, Option<Reminders>);

/// The ten activities' versions.
fn schedules(first: NaiveDate) -> Vec<Vec<Version>> {
    let calendar: Vec<String> = (0..10)
        .map(|i| (first + chrono::Days::new(3 + 9 * i)).to_string())
        .collect();
    vec![
        vec![(0, vec![weekly(EVERY_DAY, vec![at("09:00 AM")])], None)],
        vec![(
            0,
            vec![weekly(EVERY_DAY, vec![random("12:00 PM", "02:00 PM")])],
            None,
        )],
        vec![(0, vec![weekly(EVERY_DAY, vec![at("08:00 PM")])], None)],
        vec![(
            0,
            vec![weekly(
                &["Mon", "Wed", "Fri"],
                vec![at("10:00 AM"), at("04:00 PM")],
            )],
            None,
        )],
        vec![(
            0,
            vec![NotificationSpec::Monthly {
                days: vec![1, 15],
                time_of_day: vec![at("11:00 AM")],
            }],
            None,
        )],
        vec![(
            0,
            vec![NotificationSpec::Calendar {
                dates: calendar,
                time_of_day: vec![at("03:00 PM")],
            }],
            None,
        )],
        vec![
            (
                0,
                vec![weekly(
                    EVERY_DAY,
                    vec![at("07:00 AM"), random("06:00 PM", "08:00 PM")],
                )],
                None,
            ),
            (
                45,
                vec![weekly(
                    EVERY_DAY,
                    vec![at("08:00 AM"), random("06:00 PM", "08:00 PM")],
                )],
                None,
            ),
        ],
        vec![(0, vec![weekly(&["Tue", "Thu"], vec![at("06:00 PM")])], None)],
        vec![(
            0,
            vec![weekly(EVERY_DAY, vec![random("09:00 AM", "11:00 AM")])],
            Some(Reminders {
                after_minutes: 30,
                times: 2,
            }),
        )],
        vec![(0, vec![weekly(&["Sat", "Sun"], vec![at("10:00 AM")])], None)],
    ]
}

/// A tree of one Activity Set with `users` users whose responses answer about 80 % of their
/// occurrences on time, 8 % late, leave the rest missed, and add 5 % not due.
fn tree(users: usize, first: NaiveDate, last: NaiveDate, tz: Tz) -> GirderTree {
    let mut rng = Rng(7);
    let set_id = "650000000000000000000001".to_owned();
    let mut activities = Vec::new();
    for (a, versions) in schedules(first).into_iter().enumerate() {
        let versions = versions
            .into_iter()
            .enumerate()
            .map(|(v, (start, specs, reminders))| ActivityVersion {
                id: format!("6520000000000000000{a:02}{v:03}"),
                name: format!("{}.0.0", v + 1),
                notifications: Notifications::parse(&specs).expect("valid schedules"),
                meta: VersionMeta {
                    user_notifications: specs,
                    reminders,
                    ..VersionMeta::default()
                },
                start: VersionStart::Date(first + chrono::Days::new(start)),
                created: None,
                screens: Vec::new(),
            })
            .collect();
        activities.push(Activity {
            id: format!("6510000000000000000000{a:02}"),
            name: format!("Activity {a:02}"),
            versions,
        });
    }
    // Every user gets the same occurrences; expanded once here to make the responses.
    let due: Vec<Vec<(i64, i64)>> = activities
        .iter()
        .map(|activity: &Activity| {
            activity
                .periods(first, last, tz)
                .iter()
                .flat_map(|p| expand(&p.version.notifications, p.from, p.to, tz))
                .map(|o| match o.due {
                    Due::At(t) => (t.timestamp(), t.timestamp()),
                    Due::Window { from, to } => (from.timestamp(), to.timestamp()),
                })
                .collect()
        })
        .collect();
    let mut responses = BTreeMap::new();
    let mut user_docs = BTreeMap::new();
    let mut n = 0u64;
    for u in 0..users {
        let user = format!("66{u:022}");
        user_docs.insert(
            user.clone(),
            User {
                id: user.clone(),
                login: format!("user{u:05}"),
                email: None,
                groups: Vec::new(),
                other: BTreeMap::new(),
            },
        );
        let mut records = Vec::new();
        for (a, occurrences) in due.iter().enumerate() {
            for &(start, end) in occurrences {
                let roll = rng.below(100);
                let completed = if roll < 80 {
                    start + rng.below(end - start + 50 * 60)
                } else if roll < 88 {
                    end + 2 * 3600 + rng.below(12 * 3600)
                } else {
                    continue;
                };
                let reminded = (a == 8 && rng.chance(30)).then_some(start + 1800);
                let mut push = |t: i64, reminded: Option<i64>| {
                    n += 1;
                    records.push(ResponseRecord {
                        id: format!("{n:024x}"),
                        name: String::new(),
                        user: user.clone(),
                        activity_set: set_id.clone(),
                        activity: activities[a].id.clone(),
                        version: None,
                        notified: None,
                        reminded: reminded.and_then(|r| DateTime::from_timestamp(r, 0)),
                        completed: DateTime::from_timestamp(t, 0).expect("in range"),
                        date: None,
                        device: serde_json::Value::Null,
                        prompts: Vec::new(),
                        options: Vec::new(),
                        responses: Vec::new(),
                    });
                };
                push(completed, reminded);
                if rng.chance(5) {
                    push(completed + rng.below(6 * 3600), None);
                }
            }
        }
        records.sort_by(|a, b| (a.completed, &a.id).cmp(&(b.completed, &b.id)));
        responses.insert(user, records);
    }
    let users_set: BTreeSet<String> = user_docs.keys().cloned().collect();
    GirderTree {
        activity_sets: vec![ActivitySet {
            id: set_id,
            name: "Synthetic EMA".into(),
            meta: Default::default(),
            activities,
            groups: users_set.iter().map(|u| (u.clone(), Vec::new())).collect(),
            users: users_set,
            responses,
        }],
        users: user_docs,
        warnings: Vec::new(),
    }
}

/// The baseline: the same rules, done the obvious way. Per (user, activity): expand every day
/// again, then for each occurrence scan all of the user's completions for the earliest one inside
/// its span not taken yet; completions left over are local-dated one by one. Kept in one piece so it
/// can be read against the rules (reason for the length).
fn baseline(
    tree: &GirderTree,
    options: &AdherenceOptions,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(Counts, BTreeMap<u32, Counts>)> {
    let tz = options.time_zone;
    let grace = i64::from(options.on_time_minutes) * 60;
    let late = i64::from(options.late_hours) * 3600;
    let cut_off = options.cut_off.map_or(i64::MAX, |c| c.timestamp());
    let mut out = Vec::new();
    for set in &tree.activity_sets {
        let mut users: Vec<(&str, &str)> = set
            .users
            .iter()
            .map(|u| {
                (
                    tree.users.get(u).map_or(u.as_str(), |d| d.login.as_str()),
                    u.as_str(),
                )
            })
            .collect();
        users.sort_unstable();
        for (_, user) in users {
            let records = set.responses_of(user);
            for activity in &set.activities {
                let mut due: Vec<(i64, i64, u32)> = Vec::new();
                for (d, date) in from.iter_days().take_while(|d| *d <= to).enumerate() {
                    let Some(version) = activity.version_on(date, tz) else {
                        continue;
                    };
                    let reminders = version
                        .meta
                        .reminders
                        .as_ref()
                        .map_or(0, |r| i64::from(r.after_minutes) * i64::from(r.times) * 60);
                    for o in expand(&version.notifications, date, date, tz) {
                        let (s, e) = match o.due {
                            Due::At(t) => (t.timestamp(), t.timestamp()),
                            Due::Window { from, to } => (from.timestamp(), to.timestamp()),
                        };
                        due.push((s, e + reminders, u32::try_from(d).unwrap_or(0)));
                    }
                }
                due.sort_unstable();
                due.dedup_by(|b, a| a.0 == b.0 && a.1 == b.1);
                let mut taken = vec![false; records.len()];
                let mut days: BTreeMap<u32, Counts> = BTreeMap::new();
                for (k, &(start, end, day)) in due.iter().enumerate() {
                    if start > cut_off {
                        continue;
                    }
                    let next = due[k + 1..]
                        .iter()
                        .map(|o| o.0)
                        .find(|&s| s > start)
                        .unwrap_or(i64::MAX);
                    let span_end = (end + grace + late).min(next);
                    let mut best: Option<usize> = None;
                    for (i, r) in records.iter().enumerate() {
                        let t = r.completed.timestamp();
                        if r.activity == activity.id
                            && !taken[i]
                            && t >= start
                            && t < span_end
                            && t <= cut_off
                        {
                            let key = |j: usize| {
                                (
                                    records[j].completed,
                                    records[j]
                                        .reminded
                                        .is_some_and(|x| x <= records[j].completed),
                                )
                            };
                            if best.is_none_or(|b| key(i) < key(b)) {
                                best = Some(i);
                            }
                        }
                    }
                    let c = days.entry(day).or_default();
                    c.due += 1;
                    match best {
                        Some(i) => {
                            taken[i] = true;
                            if records[i].completed.timestamp() < end + grace {
                                c.on_time += 1;
                            } else {
                                c.late += 1;
                            }
                            if records[i]
                                .reminded
                                .is_some_and(|x| x <= records[i].completed)
                            {
                                c.reminded += 1;
                            }
                        }
                        None if cut_off < span_end => c.pending += 1,
                        None => c.missed += 1,
                    }
                }
                for (i, r) in records.iter().enumerate() {
                    if r.activity != activity.id || taken[i] || r.completed.timestamp() > cut_off {
                        continue;
                    }
                    let date = r.completed.with_timezone(&tz).date_naive();
                    if date >= from && date <= to {
                        let d = u32::try_from((date - from).num_days()).unwrap_or(0);
                        days.entry(d).or_default().unscheduled += 1;
                    }
                }
                let mut total = Counts::default();
                for c in days.values() {
                    total.add(c);
                }
                out.push((total, days));
            }
        }
    }
    out
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort_unstable();
    runs[runs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let users: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let tz: Tz = "America/New_York".parse().expect("known zone");
    let first = NaiveDate::from_ymd_opt(2026, 1, 15).expect("date");
    let last = first + chrono::Days::new(DAYS - 1);
    let started = Instant::now();
    let tree = tree(users, first, last, tz);
    let records: usize = tree.activity_sets[0].records().count();
    println!(
        "{users} users × {ACTIVITIES} activities × {DAYS} days ({first} to {last}, {tz}); {records} responses; made in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let cut_off = local_instant(last, NaiveTime::from_hms_opt(12, 0, 0).expect("noon"), tz);
    let options = AdherenceOptions {
        time_zone: tz,
        cut_off: Some(cut_off),
        ..AdherenceOptions::default()
    };
    let mut ours = Vec::new();
    let mut report = None;
    for _ in 0..runs {
        let t = Instant::now();
        report = Some(AdherenceReport::build(&tree, "bench", &options).expect("report"));
        ours.push(t.elapsed());
    }
    let report = report.expect("at least one run");
    let mut base = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        expected = baseline(&tree, &options, report.from, report.to);
        base.push(t.elapsed());
    }
    // The same counts, row by row and day by day.
    assert_eq!(expected.len(), report.rows.len());
    let mut cells = report.days.iter().peekable();
    for (row, (total, days)) in report.rows.iter().zip(&expected) {
        assert_eq!(&row.counts, total, "{} {}", row.user, row.activity);
        for (&day, counts) in days {
            let cell = cells.next().expect("a day cell");
            assert_eq!(
                (cell.day, &cell.counts),
                (day, counts),
                "{} {}",
                row.user,
                row.activity
            );
        }
    }
    assert!(cells.next().is_none());
    let t = &report.totals;
    println!(
        "occurrences due {}: {} on time, {} late, {} missed, {} pending; {} not due; {} day cells",
        t.due,
        t.on_time,
        t.late,
        t.missed,
        t.pending,
        t.unscheduled,
        report.days.len()
    );
    let (ours, base) = (median(ours), median(base));
    println!(
        "mtdata adherence: median of {runs} runs {:.3} s",
        ours.as_secs_f64()
    );
    println!(
        "baseline (expand per user, scan all completions per occurrence): median of {runs} runs {:.3} s",
        base.as_secs_f64()
    );
    println!(
        "speed-up x{:.1}; same counts in every row and day",
        base.as_secs_f64() / ours.as_secs_f64()
    );
}
