//! MindLogger decryption throughput: 1,000 respondents' keys, 10^5 answers encrypted under them.
//!
//! ```text
//! python3 scripts/bench_mindlogger.py        # both sides, same input, prints the ratio
//! cargo run --release -p mtdata-crypto --features openssl --example bench_mindlogger -- generate FILE
//! cargo run --release -p mtdata-crypto --features openssl --example bench_mindlogger -- decrypt FILE [--backend rust|openssl] [--rounds 3]
//! ```
//! `generate` writes the applet (a test-only password), the respondents' public keys (JSON text, as v2 stores
//! them) and the answers (`[respondent index, "iv:ct"]`); options `--respondents N` (1000), `--answers N`
//! (100000). `decrypt` times, from the parsed file in memory to every outcome: the applet key from the
//! password, the respondents' keys parsed, and every answer decrypted on all cores through one `KeyRing`
//! (1,000 modular exponentiations, 10^5 AES decryptions and JSON checks). It prints `seconds=` lines for the
//! runner and keeps the best of `--rounds`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Instant;

use mindlogger_model::{AppletEncryption, UserPublicKey, byte_array_json_text};
use mtdata_crypto::Backend;
use mtdata_crypto::encrypt_payload;
use mtdata_crypto::mindlogger::{AppletKey, KeyRing, RespondentKey};
use rayon::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

/// Test-only: the admin mock's applet (mindlogger.md §9.1), prime #8.
const OFFICIAL: &str = include_str!("../../fixtures/mindlogger/official_vectors.json");

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let option = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let number =
        |name: &str, default: usize| option(name).map_or(default, |v| v.parse().expect(name));
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("generate"), Some(file)) => {
            generate(
                file,
                number("--respondents", 1000),
                number("--answers", 100_000),
            );
        }
        (Some("decrypt"), Some(file)) => {
            let backend = match option("--backend").map(String::as_str) {
                None => Backend::DEFAULT,
                Some("rust") => Backend::RustCrypto,
                Some("openssl") => Backend::OpenSsl,
                Some(other) => panic!("unknown backend {other}"),
            };
            decrypt(file, backend, number("--rounds", 3));
        }
        _ => eprintln!(
            "usage: bench_mindlogger generate FILE | decrypt FILE [--backend rust|openssl]"
        ),
    }
}

/// Deterministic bytes from a label.
fn bytes_for(label: &str) -> [u8; 64] {
    Sha512::digest(format!("bench-mindlogger|{label}")).into()
}

/// One answer array like v2's (reference §5): options, multi-select with text, free text, a skipped item.
fn answer_json(respondent: usize, index: usize) -> String {
    json!([
        {"value": (respondent + index) % 5},
        {"value": [index % 3, 2], "text": "other"},
        format!("free text of respondent {respondent}, answer {index}"),
        null,
        {"value": {"day": 1 + index % 28, "month": index % 12, "year": 2024}},
        {"value": (index % 100) as f64 / 10.0, "edited": 1_717_500_000_000u64 + index as u64},
    ])
    .to_string()
}

fn generate(file: &str, respondents: usize, answers: usize) {
    let official: Value = serde_json::from_str(OFFICIAL).unwrap();
    let mock = &official["admin_mock"];
    let encryption = AppletEncryption::from_v2(&mock["encryption"]).unwrap();
    let started = Instant::now();
    let keys: Vec<(Vec<u8>, [u8; 32])> = (0..respondents)
        .into_par_iter()
        .map(|r| {
            let respondent = RespondentKey::new(
                &encryption,
                &bytes_for(&format!("respondent {r}")),
                Backend::DEFAULT,
            )
            .unwrap();
            (
                respondent.public_key(),
                *respondent.aes_keys(&encryption.public_key).padded.bytes(),
            )
        })
        .collect();
    let rows: Vec<Value> = (0..answers)
        .into_par_iter()
        .map(|a| {
            let r = a % respondents;
            let iv: [u8; 16] = bytes_for(&format!("iv {a}"))[..16].try_into().unwrap();
            let stored = encrypt_payload(&keys[r].1, iv, answer_json(r, a).as_bytes());
            json!([r, stored.to_string()])
        })
        .collect();
    let document = json!({
        "about": "mtdata MindLogger benchmark input: synthetic answers, test-only applet password",
        "encryption": mock["encryption"],
        "password": mock["password"],
        "respondents": keys.iter().map(|(public, _)| byte_array_json_text(public)).collect::<Vec<_>>(),
        "answers": rows,
    });
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .unwrap();
    out.write_all(document.to_string().as_bytes()).unwrap();
    eprintln!(
        "generated {respondents} respondents, {answers} answers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn decrypt(file: &str, backend: Backend, rounds: usize) {
    let document: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let respondents: Vec<&str> = document["respondents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let answers: Vec<(usize, &str)> = document["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row[0].as_u64().unwrap() as usize, row[1].as_str().unwrap()))
        .collect();
    let encryption = AppletEncryption::from_v2(&document["encryption"]).unwrap();
    let password = document["password"].as_str().unwrap();
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let started = Instant::now();
        let ring = KeyRing::new(vec![
            AppletKey::derive_with(&encryption, password, backend).unwrap(),
        ]);
        let users: Vec<UserPublicKey> = respondents
            .par_iter()
            .map(|text| UserPublicKey::parse(text).unwrap())
            .collect();
        let statuses: Vec<&'static str> = answers
            .par_iter()
            .map(|(respondent, stored)| {
                ring.decrypt_answer(Some(&users[*respondent]), stored)
                    .status()
                    .as_str()
            })
            .collect();
        let seconds = started.elapsed().as_secs_f64();
        best = best.min(seconds);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        statuses
            .iter()
            .for_each(|s| *counts.entry(s).or_default() += 1);
        assert_eq!(
            counts.get("decrypted"),
            Some(&answers.len()),
            "every answer decrypts: {counts:?}"
        );
        println!(
            "round: seconds={seconds:.3} answers={} respondents={} backend={backend}",
            answers.len(),
            users.len()
        );
    }
    let library = match backend {
        Backend::RustCrypto => "crypto-bigint 0.7".to_owned(),
        Backend::OpenSsl => backend.describe(),
    };
    let threads = rayon::current_num_threads();
    println!("seconds={best:.3} backend={backend} ({library}) threads={threads}");
}
