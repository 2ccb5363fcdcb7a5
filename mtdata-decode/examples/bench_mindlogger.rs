//! MindLogger decode throughput against the MindTrails decode, both measured by this one command, in
//! alternating rounds: 10^5 answers of 1,000 respondents as v2 export pages (the synthetic morning
//! activity of `mindlogger_pages`: eight items, one hidden, with an encrypted events log each), decoded to
//! `responses.csv`, the journey, wide tables and the summary, fsynced; and a 10^6-row MindTrails table
//! (`bench_decode`'s) decoded to CSV, fsynced.
//!
//! ```text
//! cargo run --release -p mtdata-decode --features openssl --example bench_mindlogger
//! ```
//! Options: `--answers N` (100000), `--respondents N` (1000), `--page N` (answers per page, 1000),
//! `--mindtrails-rows N` (1000000), `--rounds R` (3; medians are reported), `--study DIR` (generate the
//! MindLogger pages once and reuse them), `--no-baseline` (MindLogger only, e.g. to profile it),
//! `--phases` (where one MindLogger decode's time goes). Each MindLogger round is one whole decode from the
//! files: listing, parsing, one key derivation, 1,000 exponentiations, every AES decryption, rendering and
//! writing.
//!
//! The metric (`docs/benchmarks.md`): throughput in MB of raw JSON read per second, as the MindTrails
//! decode's throughput is stated, per CPU-second (user + system time of this process, the fair measure on
//! a shared machine) and per wall second; the ratio is MindLogger's over MindTrails' in the same round
//! (target: at least 0.5x). Rows per second are printed beside it (a MindLogger row is an answered item
//! written to `responses.csv`, a MindTrails row a row of its table's CSV). Both decodes run with the
//! `mtdata` binary's allocator.
#![allow(clippy::print_stdout, clippy::print_stderr)]
#![recursion_limit = "256"]

// The allocator of the `mtdata` binary, so that both decodes run as they do for its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "bench_support/mod.rs"]
mod bench_support;
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

use bench_support::{cpu_seconds, decode_mindtrails, load_average, write_mindtrails_table};

const APPLET: &str = "5e1f0c2a-7b3d-4e8f-9a6b-1c2d3e4f5a6b";

/// Arguments, rounds of both decodes, then the medians: one straight script (reason for the length).
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
    let baseline = !args.iter().any(|a| a == "--no-baseline");
    let mindtrails_dir = tempfile::tempdir().unwrap();
    let mindtrails = StudyLayout::new(mindtrails_dir.path());
    let mindtrails_rows = arg("--mindtrails-rows", 1_000_000) as u64;
    let mut mindtrails_mb = 0.0;
    if baseline {
        mindtrails_mb = write_mindtrails_table(&mindtrails, mindtrails_rows);
        eprintln!(
            "generated a {mindtrails_rows}-row MindTrails table, {mindtrails_mb:.0} MB of JSON"
        );
    }
    let mut runs: Vec<Round> = Vec::new();
    for round in 0..rounds {
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let outcomes =
            decode_mindlogger_study(&layout, &passwords, &MindLoggerOptions::default()).unwrap();
        let seconds = wall.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let summary = outcomes[0].result.as_ref().unwrap();
        assert_eq!(summary.decoded, answers as u64, "every answer decrypts");
        let rows = summary.response_rows;
        let all_rows =
            rows + summary.journey_rows + summary.wide.iter().map(|w| w.rows).sum::<u64>();
        println!(
            "round {}: MindLogger {seconds:.2} s wall, {cpu:.2} CPU-s: {:.0} rows/s, {:.0} rows/CPU-s ({rows} responses.csv rows; all tables {all_rows} rows, {:.0}/CPU-s; {:.0} MB/s of pages); load average {}",
            round + 1,
            rows as f64 / seconds,
            rows as f64 / cpu,
            all_rows as f64 / cpu,
            bytes as f64 / 1e6 / seconds,
            load_average()
        );
        let mut this = Round {
            ml: (seconds, cpu, rows),
            ml_all_rows: all_rows,
            mt: None,
        };
        if baseline {
            let (seconds, cpu, rows) = decode_mindtrails(&mindtrails);
            assert_eq!(rows, mindtrails_rows);
            println!(
                "round {}: MindTrails {seconds:.2} s wall, {cpu:.2} CPU-s: {:.0} rows/s, {:.0} rows/CPU-s; ratio MindLogger/MindTrails {:.2}x per CPU-second, {:.2}x per wall second; load average {}",
                round + 1,
                rows as f64 / seconds,
                rows as f64 / cpu,
                this.ratio_cpu((seconds, cpu, rows)),
                this.ratio_wall((seconds, cpu, rows)),
                load_average()
            );
            this.mt = Some((seconds, cpu, rows));
        }
        runs.push(this);
    }
    if args.iter().any(|a| a == "--phases") {
        phases(&layout, &passwords);
    }
    let ml_seconds = median(runs.iter().map(|r| r.ml.0));
    let ml_cpu = median(runs.iter().map(|r| r.ml.1));
    let rows = runs[0].ml.2;
    println!(
        "median of {rounds}: MindLogger {ml_seconds:.2} s wall = {:.0} rows/s, {ml_cpu:.2} CPU-s = {:.0} rows/CPU-s ({rows} responses.csv rows, {} rows in all tables; {:.0} MB of pages, {answers} answers); {} threads",
        rows as f64 / ml_seconds,
        rows as f64 / ml_cpu,
        runs[0].ml_all_rows,
        bytes as f64 / 1e6,
        rayon::current_num_threads()
    );
    if baseline {
        let mt_seconds = median(runs.iter().filter_map(|r| r.mt).map(|mt| mt.0));
        let mt_cpu = median(runs.iter().filter_map(|r| r.mt).map(|mt| mt.1));
        let ratio_cpu = median(runs.iter().map(|r| r.ratio_cpu(r.mt.unwrap())));
        let ratio_wall = median(runs.iter().map(|r| r.ratio_wall(r.mt.unwrap())));
        let all_cpu = median(runs.iter().map(|r| {
            let (_, c, n) = r.mt.unwrap();
            (r.ml_all_rows as f64 / r.ml.1) / (n as f64 / c)
        }));
        println!(
            "median of {rounds}: MindTrails {mt_seconds:.2} s wall = {:.0} rows/s, {mt_cpu:.2} CPU-s = {:.0} rows/CPU-s ({mindtrails_rows} rows)",
            mindtrails_rows as f64 / mt_seconds,
            mindtrails_rows as f64 / mt_cpu,
        );
        println!(
            "ratio MindLogger/MindTrails in rows (median of the rounds' ratios): {ratio_cpu:.2}x per CPU-second, {ratio_wall:.2}x per wall second; counting the rows of all MindLogger tables: {all_cpu:.2}x per CPU-second"
        );
        // Throughput as the MindTrails decode states it: MB of raw JSON read per second.
        let ml_mb = bytes as f64 / 1e6;
        let mb_cpu = median(runs.iter().map(|r| {
            let (_, c, _) = r.mt.unwrap();
            (ml_mb / r.ml.1) / (mindtrails_mb / c)
        }));
        let mb_wall = median(runs.iter().map(|r| {
            let (w, _, _) = r.mt.unwrap();
            (ml_mb / r.ml.0) / (mindtrails_mb / w)
        }));
        println!(
            "ratio MindLogger/MindTrails in MB of raw JSON read (median of the rounds' ratios): {mb_cpu:.2}x per CPU-second, {mb_wall:.2}x per wall second (target: at least 0.5x)"
        );
    }
}

/// One round: the MindLogger decode and the MindTrails decode after it, each (wall s, CPU-s, rows).
struct Round {
    ml: (f64, f64, u64),
    ml_all_rows: u64,
    mt: Option<(f64, f64, u64)>,
}

impl Round {
    /// MindLogger's rows per CPU-second over MindTrails' (`mt`: wall s, CPU-s, rows).
    fn ratio_cpu(&self, mt: (f64, f64, u64)) -> f64 {
        (self.ml.2 as f64 / self.ml.1) / (mt.2 as f64 / mt.1)
    }

    /// MindLogger's rows per wall second over MindTrails'.
    fn ratio_wall(&self, mt: (f64, f64, u64)) -> f64 {
        (self.ml.2 as f64 / self.ml.0) / (mt.2 as f64 / mt.0)
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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
