#!/usr/bin/env python3
"""MindLogger decryption benchmark: mtdata-crypto (both backends) against a Python baseline, same input.

Run from the repository root:  python3 scripts/bench_mindlogger.py [RESPONDENTS ANSWERS]   (default 1000 100000)
Builds the `bench_mindlogger` example (release, `openssl` feature), generates the input once into a private
temporary folder (synthetic answers, test-only password), then runs `bench_mindlogger decrypt` on each backend
and scripts/mindlogger_baseline.py (needs `pip install cryptography`), best of 3 rounds each, and prints a
Markdown table with the ratios.
"""
import os, re, shutil, subprocess, sys, tempfile

respondents, answers = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("1000", "100000")
target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.getcwd(), "target"))
env = dict(os.environ, CARGO_TARGET_DIR=target)
subprocess.run(["cargo", "build", "--release", "-q", "-p", "mtdata-crypto", "--features", "openssl",
                "--example", "bench_mindlogger"], check=True, env=env)
bench = os.path.join(target, "release", "examples", "bench_mindlogger")
here = os.path.dirname(os.path.abspath(__file__))


def best_seconds(argv):
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    last = out.strip().splitlines()[-1]
    return float(re.search(r"^seconds=([0-9.]+)", last).group(1)), last.split(" ", 1)[1]


work = tempfile.mkdtemp(prefix="mtdata-bench-mindlogger-")  # mode 0700
try:
    data = os.path.join(work, "input.json")
    subprocess.run([bench, "generate", data, "--respondents", respondents, "--answers", answers], check=True)
    load_before = os.getloadavg()[0]
    rows = [("mtdata-crypto, OpenSSL backend (the CLI's)", *best_seconds([bench, "decrypt", data, "--backend", "openssl"])),
            ("mtdata-crypto, pure-Rust backend", *best_seconds([bench, "decrypt", data, "--backend", "rust"])),
            ("Python baseline (pow, cryptography)",
             *best_seconds([sys.executable, os.path.join(here, "mindlogger_baseline.py"), data, "3"]))]
    load_after = os.getloadavg()[0]
finally:
    shutil.rmtree(work)

python = rows[-1][1]
print(f"{answers} answers of {respondents} respondents (one 1024-bit modexp per respondent), best of 3 rounds;"
      f" load average {load_before:.2f} before, {load_after:.2f} after\n")
print("| decryptor | seconds | answers/s | Python / this |")
print("| --- | --- | --- | --- |")
for name, seconds, detail in rows:
    print(f"| {name} ({detail}) | {seconds:.3f} | {int(answers) / seconds:,.0f} | x{python / seconds:.1f} |")
