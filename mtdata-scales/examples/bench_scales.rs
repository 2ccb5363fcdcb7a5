//! Benchmark: scoring plus long-to-wide of a 10^6-row OASIS table, against the pandas port of
//! MTData's arithmetic (tests/mtdata_port/scales_port.py) on the same file, in one command:
//!
//! ```text
//! cargo run -p mtdata-scales --release --example bench_scales [-- ROWS]
//! ```
//!
//! Both sides are timed from a table already in memory, best of the same number of runs (read with its item columns as numbers,
//! as pandas' `read_csv` does) to the wide table; reading the CSV is reported separately. The port runs only when python3 with pandas is available.
#![allow(clippy::print_stdout)]

use std::process::Command;
use std::time::Instant;

use mtdata_scales::jobs::{JobOptions, Verb, run_table};
use mtdata_scales::{
    Codebook, PrepareOptions, ScoreOptions, Study, WideOptions, long_to_wide, prepare,
    read_scale_table, score,
};

// The allocator the `mtdata` binary uses: it keeps freed memory for reuse, where the system
// allocator returns each large table to the kernel and pays page faults to get it back.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs of each in-memory measure, here and in the pandas port; the best of each is compared.
const RUNS: usize = 10;

const SESSIONS: [&str; 8] = [
    "PRE", "SESSION1", "SESSION2", "SESSION3", "SESSION4", "SESSION5", "SESSION6", "POST",
];

/// Deterministic table: `rows / 8` participants × 8 sessions, about 3% PNA (555) answers.
fn generate(rows: usize) -> String {
    let mut out = String::with_capacity(rows * 64);
    out.push_str("id,participant,session,date_iso,anxious_freq,anxious_sev,avoid,interfere,interfere_social\n");
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..rows {
        let p = i / SESSIONS.len();
        let s = SESSIONS[i % SESSIONS.len()];
        out.push_str(&format!(
            "{i},{},{s},2020-01-{:02}T10:00:00Z",
            1000 + p,
            1 + i % SESSIONS.len()
        ));
        for _ in 0..5 {
            let r = next();
            if r % 33 == 0 {
                out.push_str(",555");
            } else {
                out.push_str(&format!(",{}", r % 5));
            }
        }
        out.push('\n');
    }
    out
}

/// One measurement after the other, each printed as it ends, so the output follows the code
/// (reason for the length).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("OA.csv");
    std::fs::write(&path, generate(rows))?;

    let codebook = Codebook::builtin(Study::R34);
    let oa = codebook.scale("OA")?;
    let start = Instant::now();
    let df = read_scale_table(&path, oa)?;
    let read_s = start.elapsed().as_secs_f64();

    // Same arithmetic as MTData (mean x 5), but with PNA removed, and every column kept.
    let options = ScoreOptions {
        variant: Some("mtdata".into()),
        ..ScoreOptions::default()
    };
    let mut best = f64::INFINITY;
    let mut shape = (0, 0);
    let mut parts = (f64::INFINITY, f64::INFINITY);
    for _ in 0..RUNS {
        let start = Instant::now();
        let scored = score(&df, oa, &options)?;
        let scored_at = start.elapsed().as_secs_f64();
        let wide = long_to_wide(&scored.data, "OA", &WideOptions::default())?;
        let total = start.elapsed().as_secs_f64();
        best = best.min(total);
        parts = (parts.0.min(scored_at), parts.1.min(total - scored_at));
        shape = (wide.data.height(), wide.data.width());
    }
    // MTData's prepare verb also removes duplicates first: compare that path too.
    let prepare_options = PrepareOptions {
        score: options.clone(),
        ..PrepareOptions::default()
    };
    let mut best_prepare = f64::INFINITY;
    for _ in 0..RUNS {
        let start = Instant::now();
        let prepared = prepare(&df, oa, &prepare_options)?;
        best_prepare = best_prepare.min(start.elapsed().as_secs_f64());
        assert_eq!(prepared.wide.data.height(), shape.0);
    }
    // The `prepare` verb with files, as `mtdata prepare OA <csv>` runs it (one library call):
    // read, clean, score, reshape, and write the cleaned, scored and wide tables and the rules,
    // each fsynced and renamed into place.
    let active = dir.path().join("study/active_data");
    std::fs::create_dir_all(&active)?;
    let decoded = active.join("OA.csv");
    std::fs::rename(&path, &decoded)?;
    let path = decoded;
    let job = JobOptions {
        study: Some(Study::R34),
        variant: Some("mtdata".into()),
        ..JobOptions::default()
    };
    let start = Instant::now();
    let report = run_table(Verb::Prepare, "OA", &path, &job)?;
    let verb = start.elapsed().as_secs_f64();
    let done = report.tables[0]
        .result
        .as_ref()
        .map_err(|e| e.to_string())?;
    assert_eq!(done.wide.map(|w| w.participants), Some(shape.0));
    println!("  score {:.3} s, long-to-wide {:.3} s", parts.0, parts.1);
    println!(
        "rows {rows}: mtdata read {read_s:.3} s; score + long-to-wide {best:.3} s; prepare (clean + score + long-to-wide) {best_prepare:.3} s (best of {RUNS}) -> {} x {}",
        shape.0, shape.1
    );

    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mtdata_port/scales_port.py");
    match Command::new("python3")
        .arg(&script)
        .args(["bench", "OA"])
        .arg(&path)
        .output()
    {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut numbers = text.split_whitespace().map(str::parse::<f64>);
            let mut next = || numbers.next().ok_or("short output from the port");
            let pandas = next()??;
            let pandas_e2e = next()??;
            let pandas_prepare = next()??;
            let pandas_verb = next()??;
            println!(
                "pandas port of MTData score + pivot_table: {pandas:.3} s; prepare (drop_duplicates, drop_dup, score, pivot_table) {pandas_prepare:.3} s (best of {RUNS})"
            );
            println!(
                "ratio pandas / mtdata, score + long-to-wide in memory: {:.1}x",
                pandas / best
            );
            println!(
                "ratio pandas / mtdata, prepare in memory: {:.1}x",
                pandas_prepare / best_prepare
            );
            println!(
                "end to end (read CSV + score + reshape): mtdata {:.3} s, pandas {pandas_e2e:.3} s, ratio {:.1}x",
                read_s + best,
                pandas_e2e / (read_s + best)
            );
            println!(
                "prepare verb with files (mtdata: read, clean, score, reshape, write cleaned, scored, rules and wide, fsynced; pandas: read, clean, score, reshape, write scored and wide): mtdata {verb:.3} s, pandas {pandas_verb:.3} s, ratio {:.1}x",
                pandas_verb / verb
            );
        }
        Ok(o) => println!(
            "prepare verb with files: mtdata {verb:.3} s; pandas port not run: {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or("python3 failed")
        ),
        Err(e) => println!(
            "prepare verb with files: mtdata {verb:.3} s; pandas port not run: python3: {e}"
        ),
    }
    Ok(())
}
