//! The Girder model on fixture documents (`tests/fixtures/girder/`): the structure of a study, the role
//! table, the validation errors (one fixture and one snapshot per case), and the properties of schedule
//! expansion and serde.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use mindlogger_model::girder::{
    ActivitySetMeta, Days, Due, Folder, GirderDocuments, GirderTree, Item, Members,
    NotificationSpec, Notifications, ParentType, Reason, ResponseItemMeta, Schedule, TimeOfDaySpec,
    User, VersionMeta, expand, visible_users,
};
use proptest::prelude::*;
use serde_json::json;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/girder")
}

fn load(path: &Path) -> GirderDocuments {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn study() -> GirderTree {
    GirderTree::build(&load(&fixtures().join("study.json"))).unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn new_york() -> Tz {
    "America/New_York".parse().unwrap()
}

#[test]
fn validation_errors_name_document_and_field() {
    let mut cases: Vec<_> = std::fs::read_dir(fixtures().join("invalid"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixture cases missing");
    for case in cases {
        let name = case.file_stem().unwrap().to_str().unwrap().to_owned();
        let error = GirderTree::build(&load(&case))
            .expect_err(&name)
            .to_string();
        assert!(!error.contains('\n'), "{name}: one line: {error}");
        insta::assert_snapshot!(format!("invalid_{name}"), error);
    }
}

#[test]
fn study_structure() {
    let tree = study();
    let names: Vec<_> = tree.activity_sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["EMA study", "Other study"]);
    let ema = tree.activity_set("set-ema").unwrap();
    assert_eq!(ema.meta.short_name.as_deref(), Some("EMA"));
    assert_eq!(ema.meta.respondent.as_deref(), Some("self"));
    // u5 answered without being in `members.users`.
    let users: Vec<_> = ema.users.iter().map(String::as_str).collect();
    assert_eq!(users, ["u1", "u2", "u3", "u4", "u5"]);
    let activities: Vec<_> = ema.activities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(activities, ["Check-in", "Morning"]);
    let morning = ema.activity("morning").unwrap();
    let versions: Vec<_> = morning.versions.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
    let screens: Vec<_> = morning.versions[0]
        .screens
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(screens, ["mood", "why", "sleep"]);
    assert_eq!(
        morning.versions[0]
            .meta
            .reminders
            .as_ref()
            .unwrap()
            .after_minutes,
        30
    );

    let u1 = ema.responses_of("u1");
    assert_eq!(u1.len(), 2);
    assert_eq!(u1[0].version.as_deref(), Some("morning-1"));
    assert_eq!(u1[0].date, Some(date("2026-03-02")));
    assert_eq!(u1[0].responses[1], "tired after the night shift");
    assert_eq!(u1[1].activity, "morning", "found by the item's name");
    assert_eq!(u1[1].version.as_deref(), Some("morning-2"));
    assert_eq!(u1[1].reminded, Some(utc("2026-03-09T13:30:00Z")));
    assert_eq!(
        ema.responses_of("u2").len(),
        1,
        "the malformed one is left out"
    );
    assert_eq!(ema.responses_of("u2")[0].version, None);
    assert_eq!(ema.responses_of("u5")[0].activity, "check");
    assert!(ema.responses_of("u3").is_empty());
    // Across sets: u1's response in the other study names no activity of it, so it is left out.
    assert_eq!(tree.responses_of("u1").count(), 2);
    let other = tree.activity_set("set-other").unwrap();
    assert!(other.activities.is_empty());

    let warnings: Vec<_> = tree.warnings.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!("study_warnings", warnings.join("\n"));
}

#[test]
fn versions_in_force() {
    let tree = study();
    let morning = tree
        .activity_set("set-ema")
        .unwrap()
        .activity("morning")
        .unwrap();
    let tz = new_york();
    // 1.0.0 was created 2026-03-01 15:00 UTC (10:00 EST): from March 1st; 1.1.0 says March 9th.
    assert_eq!(morning.version_on(date("2026-02-28"), tz), None);
    assert_eq!(
        morning.version_on(date("2026-03-01"), tz).unwrap().name,
        "1.0.0"
    );
    assert_eq!(
        morning.version_on(date("2026-03-08"), tz).unwrap().name,
        "1.0.0"
    );
    assert_eq!(
        morning.version_on(date("2026-03-09"), tz).unwrap().name,
        "1.1.0"
    );
    let periods: Vec<_> = morning
        .periods(date("2026-02-25"), date("2026-03-20"), tz)
        .into_iter()
        .map(|p| {
            (
                p.from.to_string(),
                p.to.to_string(),
                p.version.name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("2026-03-01".into(), "2026-03-08".into(), "1.0.0"),
            ("2026-03-09".into(), "2026-03-20".into(), "1.1.0"),
        ]
    );
    // In Tokyo, 15:00 UTC on March 1st is already March 2nd.
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    assert_eq!(morning.version_on(date("2026-03-01"), tokyo), None);
}

#[test]
fn expansion_across_the_version_change_and_daylight_saving() {
    let tree = study();
    let ema = tree.activity_set("set-ema").unwrap();
    let tz = new_york();
    let morning = ema.activity("morning").unwrap();
    let mut due = Vec::new();
    for period in morning.periods(date("2026-03-05"), date("2026-03-11"), tz) {
        due.extend(expand(
            &period.version.notifications,
            period.from,
            period.to,
            tz,
        ));
    }
    let shown: Vec<_> = due
        .iter()
        .map(|o| match o.due {
            Due::At(at) => format!("{} at {}", o.date, at.to_rfc3339()),
            Due::Window { from, to } => {
                format!(
                    "{} between {} and {}",
                    o.date,
                    from.to_rfc3339(),
                    to.to_rfc3339()
                )
            }
        })
        .collect();
    // Thu 5, Fri 6 (EST, 14:00 UTC); the clocks change on Sunday 8; Mon 9, Wed 11 under 1.1.0 (EDT).
    assert_eq!(
        shown,
        [
            "2026-03-05 at 2026-03-05T14:00:00+00:00",
            "2026-03-06 at 2026-03-06T14:00:00+00:00",
            "2026-03-09 at 2026-03-09T13:00:00+00:00",
            "2026-03-09 between 2026-03-09T22:00:00+00:00 and 2026-03-10T00:00:00+00:00",
            "2026-03-11 at 2026-03-11T13:00:00+00:00",
            "2026-03-11 between 2026-03-11T22:00:00+00:00 and 2026-03-12T00:00:00+00:00",
        ]
    );
    // The check-in: the 1st and the 15th at 10:00, and 2:30 AM on the 8th, a time that does not exist in
    // New York that day: read as EST, 07:30 UTC.
    let check = ema.activity("check").unwrap();
    let version = check.version_on(date("2026-03-01"), tz).unwrap();
    let due = expand(
        &version.notifications,
        date("2026-03-01"),
        date("2026-03-31"),
        tz,
    );
    let instants: Vec<_> = due.iter().map(|o| o.due.start().to_rfc3339()).collect();
    assert_eq!(
        instants,
        [
            "2026-03-01T15:00:00+00:00",
            "2026-03-08T07:30:00+00:00",
            "2026-03-15T14:00:00+00:00",
        ]
    );
}

/// Activity Set, account, and the users the account sees with the reason.
type RoleCase = (&'static str, &'static str, Vec<(&'static str, Reason)>);

/// The role table: who sees whose responses, and why.
#[test]
fn roles_table() {
    let tree = study();
    let viewer = |viewer: &str, grant: &str| Reason::Viewer {
        viewer: viewer.into(),
        grant: grant.into(),
    };
    let everyone = |reason: Reason| {
        ["u1", "u2", "u3", "u4", "u5"]
            .into_iter()
            .map(|u| (u, reason.clone()))
            .collect::<Vec<_>>()
    };
    let cases: Vec<RoleCase> = vec![
        ("set-ema", "pi", everyone(Reason::Owner)),
        ("set-ema", "mgr", everyone(Reason::Manager)),
        ("set-ema", "ed", vec![]),
        (
            "set-ema",
            "ra",
            vec![
                ("u1", viewer("ra", "u1")),
                ("u2", viewer("ra", "group/g-site-a")),
                ("u4", viewer("ra", "group/g-site-a")),
            ],
        ),
        (
            "set-ema",
            "mon",
            everyone(viewer("group/g-monitors", "folder/set-ema")),
        ),
        (
            "set-ema",
            "u3",
            vec![("u3", Reason::Own), ("u4", viewer("u3", "u4"))],
        ),
        ("set-ema", "u1", vec![("u1", Reason::Own)]),
        ("set-ema", "u5", vec![("u5", Reason::Own)]),
        ("set-ema", "outsider", vec![]),
        ("set-ema", "pi2", vec![]),
        (
            "set-other",
            "pi2",
            vec![("u1", Reason::Owner), ("u6", Reason::Owner)],
        ),
        ("set-other", "pi", vec![]),
        ("set-other", "ra", vec![]),
        ("set-other", "u1", vec![("u1", Reason::Own)]),
    ];
    for (set, account, expected) in cases {
        let seen = visible_users(tree.activity_set(set).unwrap(), &tree.users[account]);
        let expected: BTreeMap<String, Reason> = expected
            .into_iter()
            .map(|(user, reason)| (user.to_owned(), reason))
            .collect();
        assert_eq!(seen.users, expected, "{account} in {set}");
        assert_eq!(
            (seen.account.as_str(), seen.activity_set.as_str()),
            (account, set)
        );
    }
}

#[test]
fn visibility_serializes_for_a_manifest() {
    let tree = study();
    let seen = visible_users(tree.activity_set("set-ema").unwrap(), &tree.users["ra"]);
    insta::assert_json_snapshot!("visibility_ra", seen);
}

fn weekday_name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Monday", "tuesday", "WED", "Thursday", "fri", "Saturday", "sun",
    ])
    .prop_map(str::to_owned)
}

fn clock() -> impl Strategy<Value = String> {
    (1u32..=12, 0u32..60, prop::bool::ANY)
        .prop_map(|(h, m, pm)| format!("{h:02}:{m:02} {}", if pm { "PM" } else { "AM" }))
}

fn time_of_day() -> impl Strategy<Value = TimeOfDaySpec> {
    prop_oneof![
        clock().prop_map(TimeOfDaySpec::Scheduled),
        (clock(), clock()).prop_map(|(a, b)| {
            let key = |t: &str| mindlogger_model::girder::ClockTime::parse(t).unwrap();
            let (from, to) = if key(&a) <= key(&b) { (a, b) } else { (b, a) };
            TimeOfDaySpec::Random { from, to }
        }),
    ]
}

fn spec() -> impl Strategy<Value = NotificationSpec> {
    let times = || prop::collection::vec(time_of_day(), 0..3);
    prop_oneof![
        (prop::collection::vec(weekday_name(), 0..4), times())
            .prop_map(|(days, time_of_day)| NotificationSpec::Weekly { days, time_of_day }),
        (prop::collection::vec(1i64..=28, 0..4), times())
            .prop_map(|(days, time_of_day)| NotificationSpec::Monthly { days, time_of_day }),
        (prop::collection::vec(0i64..120, 0..4), times()).prop_map(|(offsets, time_of_day)| {
            let dates = offsets
                .iter()
                .map(|d| (date("2026-01-01") + chrono::Days::new(*d as u64)).to_string())
                .collect();
            NotificationSpec::Calendar { dates, time_of_day }
        }),
    ]
}

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(vec![
        "UTC",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Apia",
    ])
    .prop_map(|name| name.parse().unwrap())
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 /é]{0,12}"
}

fn id() -> impl Strategy<Value = String> {
    "[a-f0-9]{24}"
}

fn parent() -> impl Strategy<Value = ParentType> {
    prop::sample::select(vec![
        ParentType::Collection,
        ParentType::Folder,
        ParentType::User,
    ])
}

/// Fields the model does not name, kept as they are.
fn extra() -> impl Strategy<Value = BTreeMap<String, serde_json::Value>> {
    prop::collection::btree_map(
        "x[a-zA-Z]{1,6}",
        prop_oneof![
            text().prop_map(|t| json!(t)),
            (0i64..1000).prop_map(|n| json!(n)),
            Just(json!(null)),
            Just(json!({"a": [1, true]}))
        ],
        0..3,
    )
}

fn id_list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-f0-9]{4}", 0..3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn expansion_properties(
        specs in prop::collection::vec(spec(), 0..4),
        start in 0u64..110,
        first in 0u64..20,
        second in 0u64..20,
        tz in zone(),
    ) {
        let notifications = Notifications::parse(&specs).unwrap();
        let from = date("2026-01-01") + chrono::Days::new(start);
        let middle = from + chrono::Days::new(first);
        let to = middle + chrono::Days::new(second);
        let whole = expand(&notifications, from, to, tz);
        for occurrence in &whole {
            prop_assert!(from <= occurrence.date && occurrence.date <= to);
            if let Due::Window { from, to } = occurrence.due {
                prop_assert!(from <= to);
            }
            // A schedule that fires that day explains the occurrence.
            prop_assert!(notifications.schedules.iter().any(|s| s.fires_on(occurrence.date) && !s.times.is_empty()));
        }
        for schedule in &notifications.schedules {
            if let Days::Weekly(days) = &schedule.days {
                let only = Notifications { schedules: vec![Schedule { days: Days::Weekly(days.clone()), times: schedule.times.clone() }] };
                for occurrence in expand(&only, from, to, tz) {
                    prop_assert!(days.contains(&occurrence.date.weekday()));
                }
            }
        }
        let mut halves = expand(&notifications, from, middle, tz);
        halves.extend(expand(&notifications, middle + chrono::Days::new(1), to, tz));
        prop_assert_eq!(&halves, &whole);
        prop_assert!(whole.windows(2).all(|pair| pair[0] < pair[1]), "ordered, no duplicates");
    }

    #[test]
    fn weekly_occurrences_fall_on_their_weekday(
        days in prop::collection::vec(weekday_name(), 1..4),
        start in 0u64..365,
        tz in zone(),
    ) {
        let spec = NotificationSpec::Weekly { days: days.clone(), time_of_day: vec![TimeOfDaySpec::Scheduled("12:00 PM".into())] };
        let notifications = Notifications::parse(&[spec]).unwrap();
        let from = date("2026-01-01") + chrono::Days::new(start);
        let to = from + chrono::Days::new(13);
        let due = expand(&notifications, from, to, tz);
        let wanted: Vec<Weekday> = days.iter().map(|d| mindlogger_model::girder::schedule::parse_weekday(d).unwrap()).collect();
        let mut distinct = wanted.clone();
        distinct.sort_by_key(Weekday::num_days_from_monday);
        distinct.dedup();
        prop_assert_eq!(due.len(), 2 * distinct.len(), "two weeks, each day once");
        for occurrence in due {
            prop_assert!(wanted.contains(&occurrence.date.weekday()));
            // Noon never falls in a daylight-saving gap: the due instant is on the local date.
            prop_assert_eq!(occurrence.due.start().with_timezone(&tz).date_naive(), occurrence.date);
        }
    }

    #[test]
    fn version_meta_round_trips(
        abbreviation in prop::option::of(text()),
        description in prop::option::of(text()),
        user_notifications in prop::collection::vec(spec(), 0..3),
        screens in prop::collection::vec(text(), 0..4),
        extra in prop::option::of(text()),
    ) {
        let mut other = BTreeMap::new();
        if let Some(extra) = extra {
            other.insert("builderNote".to_owned(), json!(extra));
        }
        let meta = VersionMeta { abbreviation, description, effective_from: None, user_notifications, reminders: None, screens, other };
        let value = serde_json::to_value(&meta).unwrap();
        prop_assert_eq!(serde_json::from_value::<VersionMeta>(value.clone()).unwrap(), meta);
        let text = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }

    #[test]
    fn activity_set_meta_round_trips(
        owners in id_list(), managers in id_list(), editors in id_list(), users in id_list(),
        viewers in prop::collection::btree_map("(group/)?[a-f0-9]{4}", id_list(), 0..3),
        short_name in prop::option::of(text()),
        respondent in prop::option::of(text()),
    ) {
        let meta = ActivitySetMeta {
            description: None,
            members: Members { owners, managers, editors, users, viewers, other: BTreeMap::new() },
            respondent,
            short_name,
            other: BTreeMap::new(),
        };
        let value = serde_json::to_value(&meta).unwrap();
        prop_assert_eq!(serde_json::from_value::<ActivitySetMeta>(value).unwrap(), meta);
    }

    #[test]
    fn response_meta_round_trips(
        seconds in 1_700_000_000i64..1_900_000_000,
        notified in prop::option::of(0i64..7200),
        answers in prop::collection::vec(prop_oneof![text().prop_map(|t| json!(t)), (0i64..10).prop_map(|n| json!(n)), Just(json!(null))], 0..4),
    ) {
        let completed = DateTime::from_timestamp(seconds, 0).unwrap();
        let meta = ResponseItemMeta {
            activity: Some("a1".into()),
            activity_version: Some("1.0.0".into()),
            notified: notified.map(|before| completed - chrono::Duration::seconds(before)),
            reminded: None,
            completed,
            device: json!({"os": "android"}),
            prompts: vec![],
            options: vec![],
            responses: answers,
            other: BTreeMap::new(),
        };
        let value = serde_json::to_value(&meta).unwrap();
        prop_assert_eq!(serde_json::from_value::<ResponseItemMeta>(value).unwrap(), meta);
    }

    #[test]
    fn documents_round_trip(
        folders in prop::collection::vec((id(), text(), id(), parent(), prop::option::of(text()), extra()), 0..4),
        items in prop::collection::vec((id(), text(), id(), extra()), 0..4),
        users in prop::collection::vec((id(), text(), prop::option::of(text()), id_list(), extra()), 0..3),
    ) {
        let folders = folders.into_iter().map(|(id, name, parent_id, parent_collection, created, other)| Folder {
            id, name, parent_id, parent_collection, base_parent_id: None, base_parent_type: Some(parent_collection),
            meta: json!({"shortName": "x"}), created, updated: None, other,
        }).collect();
        let items = items.into_iter().map(|(id, name, folder_id, other)| Item {
            id, name, folder_id, meta: serde_json::Value::Null, created: None, updated: None, other,
        }).collect();
        let users = users.into_iter().map(|(id, login, email, groups, other)| User { id, login, email, groups, other }).collect();
        let documents = GirderDocuments { collections: vec![], folders, items, users };
        let text = serde_json::to_string(&documents).unwrap();
        prop_assert_eq!(serde_json::from_str::<GirderDocuments>(&text).unwrap(), documents);
        // The fixture study, written and read back, is the same documents.
        let study = load(&fixtures().join("study.json"));
        let value = serde_json::to_value(&study).unwrap();
        prop_assert_eq!(serde_json::from_value::<GirderDocuments>(value).unwrap(), study);
    }
}
