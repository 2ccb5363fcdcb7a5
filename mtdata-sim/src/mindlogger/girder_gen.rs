//! The synthetic Girder structure of the v1 simulator (`mindlogger_model::girder` describes it): an
//! `Activity Sets` collection with several Activity Sets (owners, managers, editors, users, and viewers by
//! user, by group and by `folder/<id>`), activities with one or two versions and schedules of every kind
//! (weekly with scheduled times, monthly with a random window, calendar dates, none), screens with
//! `nextScreen` branching, and for every respondent a `Responses` folder with one item per submitted
//! activity: on time, late (after a reminder), missed, or done without a notification. Everything is drawn
//! from one seed; due times come from the model's own schedule expansion (in UTC).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mindlogger_model::girder::{Due, NotificationSpec, Notifications, TimeOfDaySpec, expand};
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use super::girder::GirderStructure;

/// What the generator makes.
#[derive(Debug, Clone)]
pub struct GirderOptions {
    pub seed: u64,
    /// Activity Sets (each with four activities).
    pub activity_sets: usize,
    /// Respondents (each a user of most sets).
    pub respondents: usize,
    /// The first day of the study (UTC).
    pub start: NaiveDate,
    /// Days of responses.
    pub days: u32,
    /// Percent of due notifications answered.
    pub answered_percent: u32,
}

impl Default for GirderOptions {
    fn default() -> Self {
        GirderOptions {
            seed: 20_260_301,
            activity_sets: 3,
            respondents: 6,
            start: NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date"),
            days: 90,
            answered_percent: 80,
        }
    }
}

struct Gen {
    rng: StdRng,
    prefix: u32,
    next: u64,
    out: GirderStructure,
}

impl Gen {
    fn id(&mut self) -> String {
        self.next += 1;
        format!("{:08x}{:016x}", self.prefix, self.next)
    }

    fn folder(
        &mut self,
        name: &str,
        parent: (&str, &str),
        base: (&str, &str),
        created: DateTime<Utc>,
        meta: Value,
    ) -> String {
        let id = self.id();
        self.out.folders.push(json!({
            "_id": id, "name": name, "description": "", "public": false, "size": 0,
            "parentId": parent.1, "parentCollection": parent.0,
            "baseParentId": base.1, "baseParentType": base.0,
            "created": girder_time(created), "updated": girder_time(created), "meta": meta,
        }));
        id
    }

    fn item(&mut self, name: &str, folder: &str, created: DateTime<Utc>, meta: Value) -> String {
        let id = self.id();
        self.out.items.push(json!({
            "_id": id, "name": name, "description": "", "size": 0, "folderId": folder,
            "created": girder_time(created), "updated": girder_time(created), "meta": meta,
        }));
        id
    }

    fn user(&mut self, login: &str, groups: &[&str]) -> String {
        let id = self.id();
        self.out.users.push(json!({
            "_id": id, "login": login, "email": format!("{login}@lab.example.org"),
            "firstName": login, "lastName": "Sim", "admin": false, "public": false,
            "groups": groups, "created": "2026-01-05T09:00:00.000000+00:00",
        }));
        id
    }
}

/// Girder's `isoformat()` of a UTC time.
fn girder_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One activity: its name, the schedules of its versions (the second from `effective` days in), and its
/// screens' input types.
struct ActivityPlan {
    name: &'static str,
    versions: Vec<(u32, Vec<NotificationSpec>)>,
}

fn scheduled(times: &[&str]) -> Vec<TimeOfDaySpec> {
    times
        .iter()
        .map(|t| TimeOfDaySpec::Scheduled((*t).to_owned()))
        .collect()
}

fn plans(days: u32, start: NaiveDate) -> Vec<ActivityPlan> {
    let every_day: Vec<String> = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    .map(str::to_owned)
    .to_vec();
    let calendar: Vec<String> = [3, 10, 24]
        .iter()
        .map(|d| (start + Duration::days(*d)).format("%Y-%m-%d").to_string())
        .collect();
    vec![
        ActivityPlan {
            name: "Daily Mood",
            versions: vec![
                (
                    0,
                    vec![NotificationSpec::Weekly {
                        days: every_day.clone(),
                        time_of_day: scheduled(&["09:00 AM", "07:00 PM"]),
                    }],
                ),
                (
                    days / 2,
                    vec![NotificationSpec::Weekly {
                        days: vec!["Mon".into(), "wed".into(), "FRIDAY".into()],
                        time_of_day: scheduled(&["10:30 AM"]),
                    }],
                ),
            ],
        },
        ActivityPlan {
            name: "Evening Check",
            versions: vec![(
                0,
                vec![NotificationSpec::Monthly {
                    days: vec![1, 5, 9, 13, 17, 21, 25],
                    time_of_day: vec![TimeOfDaySpec::Random {
                        from: "06:00 PM".into(),
                        to: "08:00 PM".into(),
                    }],
                }],
            )],
        },
        ActivityPlan {
            name: "Clinic Visit",
            versions: vec![(
                0,
                vec![NotificationSpec::Calendar {
                    dates: calendar,
                    time_of_day: scheduled(&["12:00 PM"]),
                }],
            )],
        },
        ActivityPlan {
            name: "Journal",
            versions: vec![(0, Vec::new())],
        },
    ]
}

/// Generate the structure. One function on purpose (reason for the length): it reads top to bottom as
/// the study it describes (sets, members, activities and versions, then users and their responses).
pub fn generate(opts: &GirderOptions) -> GirderStructure {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(opts.seed),
        prefix: 0x6400_0000 | (opts.seed as u32 & 0x00ff_ffff),
        next: 0,
        out: GirderStructure::default(),
    };
    let start = opts.start;
    let end = start + Duration::days(i64::from(opts.days.max(1)) - 1);
    let t0 = start.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - Duration::days(14);

    // Girder groups: a research-assistant team and a clinic.
    let (team, clinic) = (g.id(), g.id());
    let owner = g.user("pi", &[]);
    let manager = g.user("manager", &[]);
    let editor = g.user("editor", &[]);
    let viewer = g.user("viewer", &[]);
    // The research assistant sees every user of every set through the team's `folder/<id>` grant.
    g.user("ra", &[&team]);
    let clinician = g.user("clinician", &[]);
    let respondents: Vec<String> = (0..opts.respondents)
        .map(|r| {
            let groups: Vec<&str> = match r % 2 {
                0 => vec![clinic.as_str()],
                _ => Vec::new(),
            };
            g.user(&format!("respondent{r:03}"), &groups)
        })
        .collect();

    let collection = g.id();
    g.out.collections.push(json!({
        "_id": collection, "name": "Activity Sets", "description": "MindLogger Activity Sets",
        "public": false, "size": 0, "created": girder_time(t0), "meta": {},
    }));

    // Responses folders, one per respondent, made when the first set needs one.
    let mut responses: Vec<Option<String>> = vec![None; respondents.len()];
    for s in 0..opts.activity_sets {
        let users: Vec<usize> = (0..respondents.len())
            .filter(|r| (r + s) % 3 != 2 || respondents.len() < 3)
            .collect();
        let user_ids: Vec<&str> = users.iter().map(|&r| respondents[r].as_str()).collect();
        let name = format!("EMA Study {}", s + 1);
        let set = g.id();
        let mut viewers = serde_json::Map::new();
        viewers.insert(
            viewer.clone(),
            json!(user_ids.iter().take(2).collect::<Vec<_>>()),
        );
        viewers.insert(format!("group/{team}"), json!([format!("folder/{set}")]));
        viewers.insert(clinician.clone(), json!([format!("group/{clinic}")]));
        g.out.folders.push(json!({
            "_id": set, "name": name, "description": "", "public": false, "size": 0,
            "parentId": collection, "parentCollection": "collection",
            "baseParentId": collection, "baseParentType": "collection",
            "created": girder_time(t0), "updated": girder_time(t0),
            "meta": {
                "description": format!("Synthetic Activity Set {}", s + 1),
                "shortName": format!("EMA{}", s + 1),
                "respondent": if s % 2 == 0 { "self" } else { "parent" },
                "members": {
                    "owners": [owner], "managers": [manager], "editors": [editor],
                    "users": user_ids, "viewers": viewers,
                },
            },
        }));
        let base = ("collection", collection.as_str());
        let activities = g.folder(
            "Activities",
            ("folder", &set),
            base,
            t0,
            Value::Object(Default::default()),
        );
        let mut schedule = Vec::new();
        for plan in plans(opts.days, start) {
            let activity = g.folder(plan.name, ("folder", &activities), base, t0, json!({}));
            let mut versions = Vec::new();
            for (v, (from_day, specs)) in plan.versions.iter().enumerate() {
                let effective = start + Duration::days(i64::from(*from_day));
                let created = t0 + Duration::days(i64::from(*from_day));
                let meta = json!({
                    "abbreviation": plan.name.split(' ').next().unwrap_or(plan.name),
                    "description": format!("{} version {}", plan.name, v + 1),
                    "effectiveFrom": effective.format("%Y-%m-%d").to_string(),
                    "userNotifications": specs,
                    "reminders": {"afterMinutes": 60, "times": 1},
                    "screens": ["q1", "q2", "q3"],
                });
                let version = g.folder(
                    &format!("1.{v}.0"),
                    ("folder", &activity),
                    base,
                    created,
                    meta,
                );
                screens(&mut g, &version, plan.name, created);
                let until = plan
                    .versions
                    .get(v + 1)
                    .map(|(d, _)| start + Duration::days(i64::from(*d) - 1))
                    .unwrap_or(end);
                let notifications = Notifications::parse(specs).expect("valid synthetic schedules");
                versions.push((version, effective, until.min(end), notifications));
            }
            schedule.push((plan.name, activity, versions));
        }
        for &r in &users {
            let user = respondents[r].clone();
            let folder = match &responses[r] {
                Some(folder) => folder.clone(),
                None => {
                    let folder = g.folder(
                        "Responses",
                        ("user", &user),
                        ("user", &user),
                        t0,
                        json!({"responseFolder": true}),
                    );
                    responses[r] = Some(folder.clone());
                    folder
                }
            };
            let set_folder = g.folder(
                &name,
                ("folder", &folder),
                ("user", &user),
                t0,
                json!({"activitySet": set}),
            );
            for (activity_name, activity, versions) in &schedule {
                for (version, from, to, notifications) in versions {
                    respond(
                        &mut g,
                        opts,
                        &set_folder,
                        (activity_name, activity, version),
                        (*from, *to),
                        notifications,
                    );
                }
            }
        }
    }
    g.out
}

/// Three screens; the first branches past the second when its answer is 0.
fn screens(g: &mut Gen, version: &str, activity: &str, created: DateTime<Utc>) {
    let options = json!([{"name": "No", "value": 0}, {"name": "Yes", "value": 1}]);
    g.item(
        "q1",
        version,
        created,
        json!({"prompt": format!("{activity}: anything to report?"), "inputType": "radio",
               "options": options, "nextScreen": [{"when": 0, "screen": "q3"}]}),
    );
    g.item(
        "q2",
        version,
        created,
        json!({"prompt": "How strong was it (0-10)?", "inputType": "slider",
               "options": [{"name": "0", "value": 0}, {"name": "10", "value": 10}]}),
    );
    g.item(
        "q3",
        version,
        created,
        json!({"prompt": "Anything else?", "inputType": "text"}),
    );
}

/// The response items of one user, activity version and period: answered on time, late after a reminder,
/// missed; and for an activity without notifications, a few done unprompted.
fn respond(
    g: &mut Gen,
    opts: &GirderOptions,
    folder: &str,
    (activity_name, activity, version): (&str, &str, &str),
    (from, to): (NaiveDate, NaiveDate),
    notifications: &Notifications,
) {
    if from > to {
        return;
    }
    let occurrences = expand(notifications, from, to, chrono_tz::UTC);
    let submit = |g: &mut Gen, date: NaiveDate, notified: Option<DateTime<Utc>>, late: bool| {
        let base = notified.unwrap_or_else(|| {
            date.and_hms_opt(13, 0, 0).expect("a time").and_utc()
                + Duration::minutes(g.rng.gen_range(0..300))
        });
        let (reminded, completed) = match late {
            true => (
                Some(base + Duration::minutes(60)),
                base + Duration::minutes(g.rng.gen_range(90..400)),
            ),
            false => (None, base + Duration::minutes(g.rng.gen_range(1..45))),
        };
        let first: i64 = g.rng.gen_range(0..2);
        let (prompts, answers) = match first {
            0 => (
                json!(["anything to report?", "Anything else?"]),
                json!([0, "nothing"]),
            ),
            _ => (
                json!([
                    "anything to report?",
                    "How strong was it (0-10)?",
                    "Anything else?"
                ]),
                json!([1, g.rng.gen_range(0..=10), "a note"]),
            ),
        };
        let mut meta = json!({
            "activity": activity, "activityVersion": version,
            "completed": rfc3339(completed),
            "device": {"os": "iOS 17", "appVersion": "1.8.2"},
            "prompts": prompts, "options": [["No", "Yes"], ["0", "10"], []], "responses": answers,
        });
        if let Some(n) = notified {
            meta["notified"] = json!(rfc3339(n));
        }
        if let Some(r) = reminded {
            meta["reminded"] = json!(rfc3339(r));
        }
        let name = format!("{} {activity_name}", date.format("%Y-%m-%d"));
        g.item(&name, folder, completed, meta);
    };
    if occurrences.is_empty() {
        let mut date = from;
        while date <= to {
            if g.rng.gen_range(0..7) == 0 {
                submit(g, date, None, false);
            }
            date += Duration::days(1);
        }
        return;
    }
    for occurrence in occurrences {
        let notified = match occurrence.due {
            Due::At(t) => t,
            Due::Window { from, to } => {
                let span = (to - from).num_minutes().max(1);
                from + Duration::minutes(g.rng.gen_range(0..span))
            }
        };
        let roll = g.rng.gen_range(0..100);
        if roll >= opts.answered_percent {
            continue;
        }
        let late = roll < opts.answered_percent / 5;
        submit(g, occurrence.date, Some(notified), late);
    }
}

#[cfg(test)]
mod tests {
    use mindlogger_model::girder::{GirderDocuments, GirderTree};

    use super::*;

    #[test]
    fn the_synthetic_structure_is_a_valid_model() {
        let structure = generate(&GirderOptions::default());
        let documents: GirderDocuments = serde_json::from_value(json!({
            "collections": structure.collections, "folders": structure.folders,
            "items": structure.items, "users": structure.users,
        }))
        .unwrap();
        let tree = GirderTree::build(&documents).unwrap();
        assert_eq!(tree.activity_sets.len(), 3);
        let set = &tree.activity_sets[0];
        assert_eq!(set.activities.len(), 4);
        let mood = set
            .activities
            .iter()
            .find(|a| a.name == "Daily Mood")
            .unwrap();
        assert_eq!(mood.versions.len(), 2);
        assert!(set.records().count() > 100, "{}", set.records().count());
        assert!(tree.warnings.is_empty(), "{:?}", tree.warnings);
        // Some folder holds more items than a page of the export (100), so the walk pages.
        let mut per_folder = std::collections::BTreeMap::<&str, usize>::new();
        for item in &structure.items {
            *per_folder
                .entry(item["folderId"].as_str().unwrap())
                .or_default() += 1;
        }
        let most = per_folder.values().max().copied().unwrap_or(0);
        assert!(most > 100, "{most}");
        let again = generate(&GirderOptions::default());
        assert_eq!(again, structure, "one seed, one structure");
        // Every id is a Girder ObjectId, unique.
        let mut ids: Vec<String> = super::super::GirderKind::ALL
            .iter()
            .flat_map(|k| structure.ids(*k))
            .collect();
        assert!(ids.iter().all(|id| id.len() == 24));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
