//! Benchmark: a synthetic study of 5,000 participants and about 10^6 TaskLog rows (plus as many
//! data rows across 19 tables); times every report against a baseline that only reads the same
//! CSV files.
//!
//! ```text
//! cargo run --release -p mtdata-report --example bench_reports [-- PARTICIPANTS]
//! ```
#![allow(clippy::print_stdout)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use mtdata_report::{
    ClientReport, HtmlReport, ReportOptions, ScaleReport, StatusOptions, StatusReport, StudyFolder,
};

const SESSIONS: usize = 10;
const QUESTIONNAIRES: usize = 18;
const ITEMS: usize = 5;

fn questionnaire(q: usize) -> String {
    format!("Scale{q:02}")
}

/// The schedule: 10 sessions of Affect (pre), 18 questionnaires, Affect (post): 200 slots.
fn write_schedule(active: &Path) -> std::io::Result<()> {
    let mut sessions = Vec::new();
    for s in 0..SESSIONS {
        let mut tasks = vec![serde_json::json!({"name": "Affect", "type": "questions"})];
        for q in 0..QUESTIONNAIRES {
            tasks.push(serde_json::json!({"name": questionnaire(q), "type": "questions"}));
        }
        tasks.push(serde_json::json!({"name": "Affect", "type": "questions"}));
        sessions.push(serde_json::json!({"name": format!("session{s}"), "tasks": tasks}));
    }
    sessions.push(serde_json::json!({"name": "COMPLETE", "tasks": []}));
    let study = serde_json::json!([{"name": "Synthetic", "sessions": sessions}]);
    std::fs::write(active.join("study.json"), study.to_string())
}

/// TaskLog, Participant and one table per questionnaire (plus Affect). About 1 % of slots are
/// missing from TaskLog, 1 % logged twice, 2 % missing from the data; some 555 and 9 values.
fn write_study(active: &Path, participants: usize) -> std::io::Result<usize> {
    write_schedule(active)?;
    let open = |name: &str| -> std::io::Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(active.join(format!("{name}.csv")))?,
        ))
    };
    let mut log = open("TaskLog")?;
    writeln!(
        log,
        "id,study,sessionName,taskName,dateCompleted,dateCompleted_iso,tag,timeOnTask,participantId"
    )?;
    let mut people = open("Participant")?;
    writeln!(people, "id,admin,testAccount,study")?;
    let items: Vec<String> = (0..ITEMS).map(|i| format!("item{i}")).collect();
    let mut tables = Vec::new();
    for q in 0..QUESTIONNAIRES {
        let mut w = open(&questionnaire(q))?;
        writeln!(
            w,
            "id,participantRSA,participantRSA_status,session,tag,date_iso,{}",
            items.join(",")
        )?;
        tables.push(w);
    }
    let mut affect = open("Affect")?;
    writeln!(
        affect,
        "id,participantRSA,participantRSA_status,session,tag,posFeelings,negFeelings"
    )?;
    let (mut log_id, mut data_id) = (0usize, 0usize);
    for p in 0..participants {
        // Most finish; every 5th stops somewhere in the schedule.
        let reached = if p % 5 == 0 {
            (p / 5) % SESSIONS
        } else {
            SESSIONS
        };
        let session_json = if reached == SESSIONS {
            "COMPLETE".to_owned()
        } else {
            format!("session{reached}")
        };
        writeln!(
            people,
            "{p},{},false,\"{{\"\"currentSession\"\":{{\"\"name\"\":\"\"{session_json}\"\",\"\"currentTask\"\":{{\"\"name\"\":\"\"Affect\"\",\"\"tag\"\":\"\"pre\"\"}}}}}}\"",
            p == 0
        )?;
        // Those who stopped early still did a few extra sessions' worth of repeats, so the
        // TaskLog reaches about 10^6 rows.
        for s in 0..SESSIONS {
            let extra = usize::from(s >= reached);
            for slot in 0..QUESTIONNAIRES + 2 {
                let k = p * 211 + s * 23 + slot;
                if k % 97 == 0 {
                    continue;
                }
                let repeats = 1 + usize::from(k % 89 == 0) + extra;
                let (task, tag) = match slot {
                    0 => ("Affect".to_owned(), "pre"),
                    x if x == QUESTIONNAIRES + 1 => ("Affect".to_owned(), "post"),
                    x => (questionnaire(x - 1), ""),
                };
                for _ in 0..repeats {
                    log_id += 1;
                    writeln!(
                        log,
                        "{log_id},Synthetic,session{s},{task},{log_id}000,2024-01-01T00:00:00Z,{tag},30,{p}"
                    )?;
                }
                if k % 53 == 0 {
                    continue;
                }
                data_id += 1;
                if slot == 0 || slot == QUESTIONNAIRES + 1 {
                    writeln!(
                        affect,
                        "{data_id},{p},decrypted,session{s},{tag},{},{}",
                        k % 21,
                        k % 19
                    )?;
                } else {
                    let w = &mut tables[slot - 1];
                    write!(
                        w,
                        "{data_id},{p},decrypted,session{s},,2024-01-01T00:00:00Z"
                    )?;
                    for i in 0..ITEMS {
                        let v = match (k + i) % 211 {
                            0 => 555,
                            1 => 9,
                            x => x % 5,
                        };
                        write!(w, ",{v}")?;
                    }
                    writeln!(w)?;
                }
            }
        }
    }
    for mut w in tables.into_iter().chain([log, people, affect]) {
        w.flush()?;
    }
    Ok(log_id)
}

fn time<T>(label: &str, rows: &mut Vec<(String, Duration)>, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    rows.push((label.to_owned(), start.elapsed()));
    out
}

fn main() {
    let participants: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let dir = tempfile::tempdir().expect("temporary folder");
    let active = dir.path().join("active_data");
    std::fs::create_dir(&active).expect("active_data");
    let start = Instant::now();
    let log_rows = write_study(&active, participants).expect("write the synthetic study");
    println!(
        "synthetic study: {participants} participants, {log_rows} TaskLog rows, written in {:.2?}",
        start.elapsed()
    );

    let mut rows = Vec::new();
    // Baseline: read every CSV once with the csv crate, touching each field.
    time("baseline: read every CSV", &mut rows, || {
        let mut fields = 0usize;
        for entry in std::fs::read_dir(&active).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "csv") {
                let mut r = csv::Reader::from_path(&path).unwrap();
                let mut rec = csv::StringRecord::new();
                while r.read_record(&mut rec).unwrap() {
                    fields += rec.iter().map(str::len).sum::<usize>();
                }
            }
        }
        fields
    });
    let study = time("open (schedule, TaskLog, Participant)", &mut rows, || {
        StudyFolder::open(dir.path(), ReportOptions::default()).unwrap()
    });
    let scale = time("report scale", &mut rows, || {
        ScaleReport::build(&study).unwrap()
    });
    let client = time("report client", &mut rows, || {
        ClientReport::build(&study).unwrap()
    });
    let status = time("status all", &mut rows, || {
        StatusReport::for_folder(&active, &StatusOptions::default()).unwrap()
    });
    let html = time("HTML page", &mut rows, || {
        HtmlReport {
            title: "synthetic",
            generated: "now",
            scale: Some(&scale),
            client: Some(&client),
            status: Some(&status),
        }
        .render()
    });
    let text = time("terminal text (scale + client + status)", &mut rows, || {
        scale.to_string().len() + client.to_string().len() + status.to_string().len()
    });

    let baseline = rows[0].1;
    let total: Duration = rows[1..].iter().map(|(_, d)| *d).sum();
    println!("\n| step | time | × baseline |\n|---|---:|---:|");
    for (label, d) in &rows {
        println!(
            "| {label} | {:.3} s | {:.2} |",
            d.as_secs_f64(),
            d.as_secs_f64() / baseline.as_secs_f64()
        );
    }
    println!(
        "| **all reports (open + scale + client + status + HTML + text)** | **{:.3} s** | **{:.2}** |",
        total.as_secs_f64(),
        total.as_secs_f64() / baseline.as_secs_f64()
    );
    // `mtdata report client` alone: nothing read before, so the client report reads the data
    // tables itself (with `--html`, scale and client share one read, as above).
    let start = Instant::now();
    let fresh = StudyFolder::open(dir.path(), ReportOptions::default()).unwrap();
    let alone = ClientReport::build(&fresh).unwrap();
    let alone_time = start.elapsed();
    assert_eq!(
        alone, client,
        "the client report does not depend on what ran before"
    );
    println!(
        "| report client alone (open + client, reading the data tables) | {:.3} s | {:.2} |",
        alone_time.as_secs_f64(),
        alone_time.as_secs_f64() / baseline.as_secs_f64()
    );
    let no_data: usize = client.rows.iter().map(|r| r.no_data).sum();
    let not_logged: usize = client
        .rows
        .iter()
        .map(|r| r.missing.len() - r.no_data)
        .sum();
    println!(
        "\nscale rows {}, client rows {}, tables {}, HTML {:.1} MB, text {} bytes",
        scale.rows.len(),
        client.rows.len(),
        status.tables.len(),
        html.len() as f64 / 1e6,
        text
    );
    println!("client cells: {no_data} logged without a data row, {not_logged} due and not logged");
}
