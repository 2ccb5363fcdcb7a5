//! MindLogger decode throughput: 10^5 answers of 1,000 respondents as v2 export pages (the synthetic
//! morning activity of `mindlogger_pages`: eight items, one hidden, with an encrypted events log each),
//! decoded to `responses.csv`, the journey, wide tables and the summary, fsynced.
//!
//! ```text
//! cargo run --release -p mtdata-decode --features openssl --example bench_mindlogger
//! ```
//! Options: `--answers N` (100000), `--respondents N` (1000), `--page N` (answers per page, 1000),
//! `--rounds R` (3; the median is reported). Each round is one whole decode from the files: listing, parsing,
//! one key derivation, 1,000 exponentiations, every AES decryption, rendering and writing.
#![allow(clippy::print_stdout, clippy::print_stderr)]
#![recursion_limit = "256"]

#[path = "mindlogger_pages/mod.rs"]
mod pages;

use std::time::Instant;

use mtdata_core::Secret;
use mtdata_core::config::{AppletPassword, AppletPasswords, SecretLocation};
use mtdata_core::layout::StudyLayout;
use mtdata_core::mindlogger::AppletId;
use mtdata_decode::mindlogger::{
    MindLoggerOptions, applet_key_ring, decode_applet, decode_mindlogger_study, read_raw_applet,
    write_applet,
};
use pages::*;
use rayon::prelude::*;

const APPLET: &str = "5e1f0c2a-7b3d-4e8f-9a6b-1c2d3e4f5a6b";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (answers, respondents, per_page) = (
        arg("--answers", 100_000),
        arg("--respondents", 1000),
        arg("--page", 1000),
    );
    let rounds = arg("--rounds", 3);
    // `--study DIR`: generate into DIR once and reuse it (to profile the decode alone).
    let temp = tempfile::tempdir().unwrap();
    let study = args
        .iter()
        .position(|a| a == "--study")
        .and_then(|i| args.get(i + 1))
        .map_or_else(|| temp.path().to_owned(), std::path::PathBuf::from);
    let layout = StudyLayout::new(&study);
    let started = Instant::now();
    let applet = TestApplet::official();
    let bytes = match layout.raw_data().join("mindlogger").join(APPLET).exists() {
        true => page_bytes(&layout),
        false => generate(&layout, &applet, answers, respondents, per_page),
    };
    eprintln!(
        "generated {answers} answers of {respondents} respondents, {:.0} MB of pages, in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mut passwords = AppletPasswords::default();
    passwords.push(
        AppletId::parse_any(APPLET).unwrap(),
        AppletPassword {
            password: Secret::new(applet.password.clone()),
            account_id: None,
            source: SecretLocation::Env("TEST_ONLY".to_owned()),
        },
    );
    let mut runs = Vec::new();
    for round in 0..rounds {
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let outcomes =
            decode_mindlogger_study(&layout, &passwords, &MindLoggerOptions::default()).unwrap();
        let seconds = wall.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let summary = outcomes[0].result.as_ref().unwrap();
        assert_eq!(summary.decoded, answers as u64, "every answer decrypts");
        println!(
            "round {}: {seconds:.2} s wall, {cpu:.2} CPU-s = {:.0} MB/s of pages, {:.0} answers/s; {} response rows, {} journey rows; load average {}",
            round + 1,
            bytes as f64 / 1e6 / seconds,
            answers as f64 / seconds,
            summary.response_rows,
            summary.journey_rows,
            load_average()
        );
        runs.push((seconds, cpu));
    }
    if args.iter().any(|a| a == "--phases") {
        phases(&layout, &passwords);
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (seconds, cpu) = runs[runs.len() / 2];
    println!(
        "median of {rounds}: {seconds:.2} s wall = {:.0} MB/s of pages ({:.0} MB), {:.0} answers/s, {cpu:.2} CPU-s, {} threads",
        bytes as f64 / 1e6 / seconds,
        bytes as f64 / 1e6,
        answers as f64 / seconds,
        rayon::current_num_threads()
    );
}

/// Where the time of one decode goes: reading the folder, the keys, parse + decrypt + render, writing.
fn phases(layout: &StudyLayout, passwords: &AppletPasswords) {
    let applet = AppletId::parse_any(APPLET).unwrap();
    let t = Instant::now();
    let raw = read_raw_applet(&layout.raw_data().join("mindlogger").join(APPLET)).unwrap();
    let listed = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let encryption = raw
        .document
        .as_ref()
        .and_then(|d| d.encryption())
        .unwrap()
        .unwrap();
    let options = MindLoggerOptions::default();
    let ring = applet_key_ring(
        APPLET,
        Some(&encryption),
        passwords.for_applet(&applet),
        options.backend,
    )
    .unwrap();
    let keys = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let decoded = decode_applet(&raw, &ring, &options);
    let decode = t.elapsed().as_secs_f64();
    let t = Instant::now();
    write_applet(&decoded, &layout.mindlogger_active(&applet)).unwrap();
    let write = t.elapsed().as_secs_f64();
    let out: usize = decoded.responses.len()
        + decoded.journey.len()
        + decoded.wide.iter().map(|w| w.1.len()).sum::<usize>();
    println!(
        "phases: list {listed:.2} s, applet key {keys:.2} s, parse + decrypt + render {decode:.2} s, write {write:.2} s ({:.0} MB of CSV)",
        out as f64 / 1e6
    );
}

/// Write the applet document and one complete run of pages; the pages' total bytes.
fn generate(
    layout: &StudyLayout,
    applet: &TestApplet,
    answers: usize,
    respondents: usize,
    per_page: usize,
) -> u64 {
    let raw = layout.raw_data().join("mindlogger").join(APPLET);
    write_applet_document(
        &raw,
        stamp(1, 0),
        &v2_applet_document(APPLET, &applet.encryption),
    );
    let activity = v2_morning(APPLET, "1.0.0");
    let keys: Vec<(Vec<u8>, [u8; 32])> = (0..respondents)
        .into_par_iter()
        .map(|r| applet.respondent(&format!("bench respondent {r}")))
        .collect();
    let rows: Vec<serde_json::Value> = (0..answers)
        .into_par_iter()
        .map(|a| {
            let r = a % respondents;
            let (public, aes) = &keys[r];
            let values = v2_morning_answers(r, a / respondents);
            let start = 1_767_254_400.0 + a as f64 * 37.25;
            let events = v2_morning_events(&activity, &values, (start * 1000.0) as u64);
            let id = uuid_for(&format!("bench answer {a}"));
            V2Answer {
                answer: encrypt(aes, &format!("{id} a"), &values.to_string()),
                events: Some(encrypt(aes, &format!("{id} e"), &events.to_string())),
                id,
                applet_id: APPLET,
                activity: &activity,
                respondent: r,
                user_public_key: key_text(public),
                start,
                reviewed_answer_id: None,
                secret_id: format!("P-{r:04}"),
            }
            .to_json()
        })
        .collect();
    let pages: Vec<serde_json::Value> = rows
        .chunks(per_page)
        .map(|chunk| v2_page(chunk, &[&activity], answers))
        .collect();
    write_run(&raw, stamp(1, 0), "mindlogger-v2", APPLET, &pages, true);
    page_bytes(layout)
}

fn page_bytes(layout: &StudyLayout) -> u64 {
    std::fs::read_dir(layout.raw_data().join("mindlogger").join(APPLET))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("data_")
        })
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
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
