//! What the decode benchmarks share: CPU time and load of this process, and the MindTrails decode they are
//! compared with (a table shaped like a MindTrails export: TaskLog/JsPsychTrial columns, no `*RSA`).
#![allow(dead_code)]

use std::time::Instant;

use mtdata_core::layout::StudyLayout;
use mtdata_decode::{DecodeOptions, decode_study};

/// The load average of the machine (1, 5, 15 minutes).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Write a `rows`-row MindTrails raw backup (`JsPsychTrial`) into `layout`'s `raw_data/`; its MB of JSON.
pub fn write_mindtrails_table(layout: &StudyLayout, rows: u64) -> f64 {
    std::fs::create_dir_all(layout.raw_data()).unwrap();
    let mut json = String::with_capacity(rows as usize * 260);
    json.push('[');
    for i in 0..rows {
        if i > 0 {
            json.push(',');
        }
        let ms = 1_488_913_533_000u64 + i * 1000;
        json.push_str(&format!(
            r#"{{"id":{},"date":"Tue, 07 Mar 2017 14:05:33 -0500","session":"SESSION{}","tag":"pre","timeOnPage":{}.{},"participant":{},"rt":{},"stimulus":"scenario {} \"text\"","button_pressed":{},"trial_type":"button-response","trial_index":{},"correct":{},"device":"desktop","dateSubmitted":{ms},"answers":["a","b{}"]}}"#,
            i + 1,
            i % 5,
            i % 100,
            i % 10,
            i % 1700,
            i % 4000,
            i % 40,
            i % 2,
            i % 200,
            i % 2 == 0,
            i % 3
        ));
    }
    json.push(']');
    let mb = json.len() as f64 / 1e6;
    std::fs::write(
        layout
            .raw_data()
            .join("JsPsychTrial_20261122T000000.000000Z.json"),
        &json,
    )
    .unwrap();
    mb
}

/// One MindTrails decode of the study (every table to CSV, fsynced): wall seconds, CPU seconds, rows
/// written.
pub fn decode_mindtrails(layout: &StudyLayout) -> (f64, f64, u64) {
    let cpu = cpu_seconds();
    let start = Instant::now();
    let outcomes = decode_study(layout, None, &DecodeOptions::default()).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let rows = outcomes
        .iter()
        .map(|o| o.result.as_ref().unwrap().rows)
        .sum();
    (seconds, cpu, rows)
}
