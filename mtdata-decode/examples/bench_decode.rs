//! Decryption and decode throughput, against OpenSSL and a Python baseline run in the same command.
//!
//! ```text
//! cargo run --release -p mtdata-decode --features openssl --example bench_decode
//! ```
//! Options: `--rows N` (decode table size, default 1000000), `--seconds S` (per RSA measurement, default 3),
//! `--rounds R` (interleaved RSA rounds, best kept, default 3), `--decode-only` (skip the RSA and Python
//! measurements, e.g. to profile the decode).
//! Prints a Markdown section for docs/benchmarks.md.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "bench_support/mod.rs"]
mod bench_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use mtdata_core::layout::StudyLayout;
use mtdata_crypto::{Backend, FieldOutcome, PrivateKey};
use rsa::pkcs8::DecodePublicKey;

use bench_support::{cpu_seconds, decode_mindtrails, load_average, write_mindtrails_table};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rows = arg("--rows", 1_000_000);
    let seconds = arg("--seconds", 3);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let keys = root.join("fixtures/keys");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    if args.iter().any(|a| a == "--decode-only") {
        let (mb, secs, cpu) = decode_rate(rows);
        println!(
            "decode {rows} rows ({mb:.0} MB JSON): {secs:.2} s wall = {:.0} MB/s, {cpu:.2} CPU-s; load average {}",
            mb / secs,
            load_average()
        );
        return;
    }
    eprintln!("making ciphertexts ...");
    let ciphertexts = make_ciphertexts(&keys.join("test_public.der"), 4000);

    let mut lines = Vec::new();
    lines.push("| measurement | result | ratio |".to_owned());
    lines.push("| --- | ---: | ---: |".to_owned());

    let rounds = arg("--rounds", 3);
    let backends = Backend::available();
    let RsaRounds {
        openssl_1,
        ours,
        availability,
    } = rsa_rounds(&keys, &ciphertexts, &backends, rounds, seconds, cores);
    eprintln!("openssl speed -multi 2 ...");
    let openssl_2 = if cores > 1 {
        openssl_speed(seconds, 2)
    } else {
        None
    };
    if let Some(ops) = openssl_1 {
        lines.push(format!("| `openssl speed -seconds {seconds} rsa2048`, private ops per CPU-second (its default divisor), 1 process | {ops:.0} | 1.00 (baseline) |"));
    }
    if let Some(ops) = openssl_2 {
        lines.push(format!(
            "| `openssl speed -multi 2 rsa2048`, private ops/s | {ops:.0} | {:.2} |",
            ratio(ops, openssl_1)
        ));
    }

    eprintln!("python rsa loop ...");
    let python = python_baseline(
        &root,
        &keys.join("test_private_pkcs1.pem"),
        &ciphertexts,
        seconds,
    );
    match &python {
        Ok(ops) => lines.push(format!("| Python `rsa` package loop (key loaded once), decryptions per CPU-second | {ops:.0} | {:.3} of openssl |", ratio(*ops, openssl_1))),
        Err(why) => lines.push(format!("| Python `rsa` package loop | not run: {why} | |")),
    }
    for ((b, threads), (wall, per_cpu)) in &ours {
        let backend = backends[*b];
        let vs_python = python
            .as_ref()
            .map(|p| format!(", {:.0}x Python", per_cpu / p))
            .unwrap_or_default();
        let scaling = ours
            .get(&(*b, 1))
            .filter(|_| *threads > 1)
            .map(|one| {
                format!(
                    "; wall {:.2}x its 1 thread, using {:.2} cores while a spinning 2-thread process got {:.2}",
                    wall / one.0,
                    wall / per_cpu,
                    availability.get(b).copied().unwrap_or(f64::NAN)
                )
            })
            .unwrap_or_default();
        lines.push(format!(
            "| mtdata-crypto `decrypt_field`, {backend} backend ({}), {threads} thread{}: decryptions per CPU-second (wall /s) | {per_cpu:.0} ({wall:.0}) | {:.2} of openssl{vs_python}{scaling} |",
            backend.describe(),
            if *threads == 1 { "" } else { "s" },
            ratio(*per_cpu, openssl_1),
        ));
    }

    lines.extend(decode_lines(rows, cores));

    println!(
        "Machine: {cores} cores; {}",
        mtdata_crypto::Backend::OpenSsl.describe()
    );
    println!();
    for line in lines {
        println!("{line}");
    }
}

/// The best of each RSA figure over interleaved rounds.
struct RsaRounds {
    /// `openssl speed` on one process, private operations per CPU-second.
    openssl_1: Option<f64>,
    /// (backend index, threads) to (decryptions per wall second, per CPU-second).
    ours: std::collections::BTreeMap<(usize, usize), (f64, f64)>,
    /// Cores a spinning 2-thread process got right after each backend's 2-thread run.
    availability: std::collections::BTreeMap<usize, f64>,
}

/// The machine may be shared: measure in interleaved rounds and keep each figure's best round.
fn rsa_rounds(
    keys: &Path,
    ciphertexts: &[String],
    backends: &[Backend],
    rounds: u64,
    seconds: u64,
    cores: usize,
) -> RsaRounds {
    let mut openssl_1: Option<f64> = None;
    let mut ours: std::collections::BTreeMap<(usize, usize), (f64, f64)> = Default::default();
    let mut availability: std::collections::BTreeMap<usize, f64> = Default::default();
    let thread_counts: Vec<usize> = if cores > 1 { vec![1, 2] } else { vec![1] };
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}: openssl speed -seconds {seconds} rsa2048 ...");
        if let Some(ops) = openssl_speed(seconds, 1) {
            openssl_1 = Some(openssl_1.map_or(ops, |b: f64| b.max(ops)));
        }
        for (b, backend) in backends.iter().enumerate() {
            let key =
                PrivateKey::load_with(&keys.join("test_private_pkcs1.pem"), *backend).unwrap();
            for &threads in &thread_counts {
                eprintln!("round {round}/{rounds}: {backend} on {threads} thread(s) ...");
                let (wall, per_cpu) =
                    decrypt_rate(&key, ciphertexts, threads, Duration::from_secs(seconds));
                let best = ours.entry((b, threads)).or_insert((0.0, 0.0));
                *best = (best.0.max(wall), best.1.max(per_cpu));
                if threads > 1 {
                    let available = core_availability();
                    let entry = availability.entry(b).or_insert(0.0);
                    *entry = f64::max(*entry, available);
                }
            }
        }
    }
    RsaRounds {
        openssl_1,
        ours,
        availability,
    }
}

/// The decode measurement, as table lines.
fn decode_lines(rows: u64, cores: usize) -> Vec<String> {
    let mut lines = Vec::new();
    eprintln!("decode of a {rows}-row table ...");
    let (mb, secs, cpu) = decode_rate(rows);
    let mbps = mb / secs;
    lines.push(format!(
        "| decode {rows} rows without encrypted fields ({mb:.0} MB JSON -> CSV, fsync'd), {cores} threads, best of 3 | {secs:.2} s wall = {mbps:.0} MB/s | {:.2} of the 150 MB/s target |",
        mbps / 150.0
    ));
    lines.push(format!(
        "| same, CPU time of that run (user + system) | {cpu:.2} CPU-s = {:.0} MB per CPU-second | |",
        mb / cpu
    ));
    lines.push(format!(
        "| load average while running | {} | |",
        load_average()
    ));
    lines.push(format!(
        "| cores this process actually got: 2 spinning threads vs 1 (1.0 = a busy machine, 2.0 = idle) | {:.2} | |",
        core_availability()
    ));

    lines
}

fn ratio(ops: f64, base: Option<f64>) -> f64 {
    base.map_or(f64::NAN, |b| ops / b)
}

fn make_ciphertexts(public_der: &Path, n: usize) -> Vec<String> {
    let public =
        rsa::RsaPublicKey::from_public_key_der(&std::fs::read(public_der).unwrap()).unwrap();
    let mut rng = rsa::rand_core::OsRng;
    (0..n)
        .map(|i| {
            let id = (1000 + i).to_string();
            let ct = public
                .encrypt(&mut rng, rsa::Pkcs1v15Encrypt, id.as_bytes())
                .unwrap();
            base64::engine::general_purpose::STANDARD.encode(ct)
        })
        .collect()
}

/// Decryptions per second of wall time and per CPU-second of this process (`openssl speed` divides by CPU
/// time too, so the second figure is the fair comparison on a machine shared with other work).
fn decrypt_rate(
    key: &PrivateKey,
    ciphertexts: &[String],
    threads: usize,
    time: Duration,
) -> (f64, f64) {
    let cpu = cpu_seconds();
    let start = Instant::now();
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let key = key.fork();
                    let mut done = 0usize;
                    let mut i = t;
                    while start.elapsed() < time {
                        let outcome = key.decrypt_field(&ciphertexts[i % ciphertexts.len()]);
                        assert!(matches!(outcome, FieldOutcome::Decrypted(_)));
                        done += 1;
                        i += threads;
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let cpu = cpu_seconds() - cpu;
    (
        total as f64 / start.elapsed().as_secs_f64(),
        total as f64 / cpu,
    )
}

/// `openssl speed` (RSA 2048 private-key operations per second); `multi` > 1 runs that many processes.
fn openssl_speed(seconds: u64, multi: usize) -> Option<f64> {
    let mut cmd = Command::new("openssl");
    cmd.arg("speed").args(["-seconds", &seconds.to_string()]);
    if multi > 1 {
        cmd.args(["-multi", &multi.to_string()]);
    }
    let out = cmd.arg("rsa2048").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000236s 0.000007s   4236.0 141567.0" (sign/s, verify/s) or "+F2:..." with -multi.
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with("rsa 2048 bits") && fields.len() >= 6 {
            return fields[5].parse().ok();
        }
        if let Some(rest) = line.strip_prefix("+F2:") {
            let parts: Vec<&str> = rest.split(':').collect();
            if parts.len() >= 4 && parts[1] == "2048" {
                return parts[2].parse::<f64>().ok().map(|s| 1.0 / s);
            }
        }
    }
    None
}

const PYTHON_LOOP: &str = r#"
import base64, sys, time, rsa
key = rsa.PrivateKey.load_pkcs1(open(sys.argv[1], 'rb').read())
cts = [base64.b64decode(line) for line in open(sys.argv[2]) if line.strip()]
limit = float(sys.argv[3])
n = 0
start = time.process_time()
while time.process_time() - start < limit:
    int(rsa.decrypt(cts[n % len(cts)], key).decode('utf8'))
    n += 1
print(n / (time.process_time() - start))
"#;

/// A Python loop with the `rsa` package, as MTData decrypted (but loading the key once).
/// Uses the system python3 if it has `rsa`, else a venv under target/.
fn python_baseline(
    root: &Path,
    key: &Path,
    ciphertexts: &[String],
    seconds: u64,
) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cts = dir.path().join("cts.txt");
    std::fs::write(&cts, ciphertexts[..200].join("\n")).map_err(|e| e.to_string())?;
    let mut python = PathBuf::from("python3");
    let has_rsa = |py: &Path| {
        Command::new(py)
            .args(["-c", "import rsa"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has_rsa(&python) {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let venv = target.join("bench-venv");
        python = venv.join("bin/python");
        if !has_rsa(&python) {
            eprintln!("installing the rsa package into {} ...", venv.display());
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success())
                && Command::new(venv.join("bin/pip"))
                    .args(["install", "-q", "rsa"])
                    .status()
                    .is_ok_and(|s| s.success());
            if !ok {
                return Err("python3 -m venv / pip install rsa failed".into());
            }
        }
    }
    let out = Command::new(&python)
        .args(["-c", PYTHON_LOOP])
        .arg(key)
        .arg(&cts)
        .arg(seconds.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("{e}"))
}

/// How many cores a CPU-bound process gets right now: iterations of 2 spinning threads over 1 thread.
fn core_availability() -> f64 {
    let spin = |threads: usize| -> u64 {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let start = Instant::now();
                        let mut n = 0u64;
                        while start.elapsed() < Duration::from_secs(1) {
                            n = std::hint::black_box(n + 1);
                        }
                        n
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        })
    };
    let one = spin(1);
    spin(2) as f64 / one as f64
}

/// Decode MB/s of a table shaped like a MindTrails export (TaskLog/JsPsychTrial columns, no `*RSA`).
fn decode_rate(rows: u64) -> (f64, f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let layout = StudyLayout::new(dir.path());
    let mb = write_mindtrails_table(&layout, rows);
    let mut best = (f64::INFINITY, 0.0);
    for _ in 0..3 {
        let (secs, cpu, written) = decode_mindtrails(&layout);
        assert_eq!(written, rows);
        if secs < best.0 {
            best = (secs, cpu);
        }
    }
    (mb, best.0, best.1)
}
