//! The adherence report of the hand-counted study `fixtures/report/mindlogger_adherence/`: every
//! count of its README, asserted one by one, plus snapshots of the text and CSV.

use chrono::{DateTime, NaiveDate, Utc};
use mindlogger_model::girder::{GirderDocuments, GirderTree};
use mtdata_report::adherence::{AdherenceOptions, AdherenceReport, Counts, DayState};
use mtdata_report::{CsvCells, TextOptions};

use crate::fixture;

/// The fixture's documents, read from its four files as the simulator serves them.
pub fn documents() -> GirderDocuments {
    let dir = fixture("mindlogger_adherence");
    let read = |name: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    serde_json::from_value(serde_json::json!({
        "collections": read("collection"),
        "folders": read("folder"),
        "items": read("item"),
        "users": read("user"),
    }))
    .unwrap()
}

pub fn cut_off() -> DateTime<Utc> {
    "2026-03-12T15:00:00Z".parse().unwrap()
}

pub fn report() -> AdherenceReport {
    let tree = GirderTree::build(&documents()).unwrap();
    let options = AdherenceOptions {
        time_zone: "America/New_York".parse().unwrap(),
        cut_off: Some(cut_off()),
        ..AdherenceOptions::default()
    };
    AdherenceReport::build(&tree, "mindlogger_adherence", &options).unwrap()
}

/// due, on time, late, missed, pending, unscheduled, reminded.
fn counts(c: [u32; 7]) -> Counts {
    Counts {
        due: c[0],
        on_time: c[1],
        late: c[2],
        missed: c[3],
        pending: c[4],
        unscheduled: c[5],
        reminded: c[6],
    }
}

#[test]
fn per_user_and_activity_matches_the_readme() {
    let r = report();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.time_zone, "America/New_York");
    assert_eq!(r.from, NaiveDate::from_ymd_opt(2026, 3, 5).unwrap());
    assert_eq!(r.to, NaiveDate::from_ymd_opt(2026, 3, 12).unwrap());
    let rows: Vec<(&str, &str, Counts)> = r
        .rows
        .iter()
        .map(|row| (row.user.as_str(), row.activity.as_str(), row.counts))
        .collect();
    let expected = [
        ("alice", "Check-in", [2, 2, 0, 0, 0, 0, 0]),
        ("alice", "Diary", [0, 0, 0, 0, 0, 1, 0]),
        ("alice", "Evening", [3, 2, 0, 1, 0, 0, 0]),
        ("alice", "Morning", [8, 6, 2, 0, 0, 1, 1]),
        ("bob", "Check-in", [2, 0, 1, 1, 0, 1, 0]),
        ("bob", "Diary", [0, 0, 0, 0, 0, 0, 0]),
        ("bob", "Evening", [3, 0, 2, 1, 0, 0, 0]),
        ("bob", "Morning", [8, 2, 1, 4, 1, 1, 1]),
        ("carol", "Check-in", [2, 0, 0, 1, 1, 0, 0]),
        ("carol", "Diary", [0, 0, 0, 0, 0, 0, 0]),
        ("carol", "Evening", [3, 0, 0, 3, 0, 0, 0]),
        ("carol", "Morning", [8, 0, 0, 7, 1, 0, 0]),
    ]
    .map(|(u, a, c)| (u, a, counts(c)));
    assert_eq!(rows, expected);
    assert_eq!(r.totals, counts([39, 12, 6, 18, 3, 4, 2]));
    assert_eq!(r.totals.adherence(), Some(0.5));
    let bob_morning = &r.rows[7].counts;
    assert_eq!(bob_morning.adherence(), Some(3.0 / 7.0));
}

#[test]
fn per_user_and_day_matches_the_readme() {
    let r = report();
    let users = r.per_user();
    let names: Vec<&str> = users.iter().map(|u| u.user.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    // due / on time / late / missed / pending / unscheduled per date 03-05 .. 03-12, and state.
    use DayState::{
        AllDoneSomeLate as Late, AllMissed as Missed, AllOnTime as OnTime, Open,
        PartlyMissed as Partly,
    };
    let expected: [[([u32; 6], DayState); 8]; 3] = [
        [
            ([1, 1, 0, 0, 0, 0], OnTime),
            ([2, 2, 0, 0, 0, 0], OnTime),
            ([2, 1, 1, 0, 0, 0], Late),
            ([2, 2, 0, 0, 0, 0], OnTime),
            ([1, 1, 0, 0, 0, 2], OnTime),
            ([2, 1, 0, 1, 0, 0], Partly),
            ([2, 1, 1, 0, 0, 0], Late),
            ([1, 1, 0, 0, 0, 0], OnTime),
        ],
        [
            ([1, 0, 0, 1, 0, 0], Missed),
            ([2, 0, 2, 0, 0, 0], Late),
            ([2, 0, 0, 2, 0, 1], Missed),
            ([2, 1, 1, 0, 0, 0], Late),
            ([1, 0, 0, 1, 0, 1], Missed),
            ([2, 0, 0, 2, 0, 0], Missed),
            ([2, 1, 1, 0, 0, 0], Late),
            ([1, 0, 0, 0, 1, 0], Open),
        ],
        [
            ([1, 0, 0, 1, 0, 0], Missed),
            ([2, 0, 0, 2, 0, 0], Missed),
            ([2, 0, 0, 2, 0, 0], Missed),
            ([2, 0, 0, 2, 0, 0], Missed),
            ([1, 0, 0, 1, 0, 0], Missed),
            ([2, 0, 0, 2, 0, 0], Missed),
            ([2, 0, 0, 1, 1, 0], Missed),
            ([1, 0, 0, 0, 1, 0], Open),
        ],
    ];
    for (user, days) in users.iter().zip(expected) {
        let got: Vec<([u32; 6], DayState)> = user
            .days
            .iter()
            .map(|c| {
                (
                    [c.due, c.on_time, c.late, c.missed, c.pending, c.unscheduled],
                    DayState::of(c),
                )
            })
            .collect();
        assert_eq!(got, days, "{}", user.user);
    }
    // alice's and bob's Morning completions of 03-06 came after a reminder.
    assert_eq!(users[0].days[1].reminded, 1);
    assert_eq!(users[1].days[1].reminded, 1);
    assert_eq!(users[0].total.reminded + users[1].total.reminded, 2);
}

#[test]
fn per_date_matches_the_readme() {
    let r = report();
    let got: Vec<(String, [u32; 7])> = r
        .per_date()
        .iter()
        .map(|(d, c)| (d.to_string(), c.fields().map(|(_, v)| v)))
        .collect();
    let expected = [
        ("2026-03-05", [3, 1, 0, 2, 0, 0, 0]),
        ("2026-03-06", [6, 2, 2, 2, 0, 0, 2]),
        ("2026-03-07", [6, 1, 1, 4, 0, 1, 0]),
        ("2026-03-08", [6, 3, 1, 2, 0, 0, 0]),
        ("2026-03-09", [3, 1, 0, 2, 0, 3, 0]),
        ("2026-03-10", [6, 1, 0, 5, 0, 0, 0]),
        ("2026-03-11", [6, 2, 2, 1, 1, 0, 0]),
        ("2026-03-12", [3, 1, 0, 0, 2, 0, 0]),
    ]
    .map(|(d, c)| (d.to_owned(), c));
    assert_eq!(got, expected);
}

#[test]
fn adherence_text_csv_and_json() {
    let r = report();
    insta::assert_snapshot!(
        "adherence_text",
        r.to_text(TextOptions {
            width: None,
            color: false
        })
    );
    let narrow = r.to_text(TextOptions {
        width: Some(80),
        color: false,
    });
    assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
    let mut csv = Vec::new();
    r.write_csv(&mut csv, CsvCells::SpreadsheetSafe).unwrap();
    insta::assert_snapshot!("adherence_csv", String::from_utf8(csv).unwrap());
    let mut days = Vec::new();
    r.write_days_csv(&mut days, CsvCells::SpreadsheetSafe)
        .unwrap();
    let days = String::from_utf8(days).unwrap();
    // One line per (user, activity, date) with something due or done, plus the header:
    // alice 8 + 3 + 2 + 1 (Diary on 03-09, Morning's repeat is on a due day), bob 8 + 3 + 3
    // (Check-in: 03-07, 03-09 not due, 03-11), carol 8 + 3 + 2.
    assert_eq!(days.lines().count(), 1 + 14 + 14 + 13, "{days}");
    assert!(
        days.contains(
            "EMA study,6500000000000000000000b2,bob,Check-in,2026-03-09,0,0,0,0,0,1,0,none_due"
        ),
        "{days}"
    );
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["totals"]["missed"], 18);
    assert_eq!(json["rows"].as_array().unwrap().len(), 12);
    assert_eq!(json["days"].as_array().unwrap().len(), 41);
    assert_eq!(json["days"][0]["date"], "2026-03-07");
    assert_eq!(json["days"][0]["activity"], "Check-in");
}
