#!/usr/bin/env python3
"""Export benchmark: a 10^6-row table from the simulator, mtdata vs a buffered baseline.

Run from the repository root:  python3 scripts/bench_export.py [ROWS]
Builds release binaries, starts `mindtrails-sim` in its own process (so its memory is not counted),
then times each exporter over loopback and reads its peak RSS from wait4(). Prints a Markdown table.
"""
import os, shutil, subprocess, sys, tempfile, time

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
TABLE = "BigTrial"
target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.getcwd(), "target"))
env = dict(os.environ, CARGO_TARGET_DIR=target)

subprocess.run(["cargo", "build", "--release", "-q", "-p", "mtdata-sim", "--bin", "mindtrails-sim",
                "-p", "mtdata-export", "--example", "buffered_baseline", "--example", "export_once"],
               check=True, env=env)
rel = os.path.join(target, "release")

sim = subprocess.Popen([os.path.join(rel, "mindtrails-sim"), "--participants", "3",
                        "--big-table", f"{TABLE}:{ROWS}"], stdout=subprocess.PIPE, text=True)
base = sim.stdout.readline().strip()
work = tempfile.mkdtemp(prefix="mtdata-bench-")


def measure(argv):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    if status != 0:
        sys.exit(f"{argv[0]} failed ({status}): {err}")
    return elapsed, usage.ru_maxrss / 1024  # KiB -> MiB


try:
    config = os.path.join(work, "server.config")
    with open(config, "w") as f:
        f.write(f"bench:\n  READY: True\n  SERVER: '{base}'\n  USER: admin@example.org\n"
                f"  PASS: test-password\n  PATH: '{work}/study'\n")
    results = []
    for run in range(2):
        shutil.rmtree(os.path.join(work, "study"), ignore_errors=True)
        t, rss = measure([os.path.join(rel, "examples", "export_once"), config, "bench", TABLE])
        raw = os.path.join(work, "study", "raw_data")
        size = sum(os.path.getsize(os.path.join(raw, n)) for n in os.listdir(raw) if n.endswith(".json"))
        results.append(("mtdata export (streaming to disk, fsync, rename)", t, rss, size))
        out = os.path.join(work, "baseline.json")
        t, rss = measure([os.path.join(rel, "examples", "buffered_baseline"), base, "admin@example.org",
                          "test-password", TABLE, out])
        results.append(("baseline: whole body in memory, parsed whole (MTData's way)", t, rss,
                        os.path.getsize(out)))
    best = {}
    for name, t, rss, size in results:
        if name not in best or t < best[name][0]:
            best[name] = (t, rss, size)
    print(f"table of {ROWS} rows, {results[0][3] / 1e6:.0f} MB of JSON, best of 2 runs each\n")
    print("| exporter | seconds | MB/s | peak RSS (MiB) |")
    print("| --- | --- | --- | --- |")
    for name, (t, rss, size) in best.items():
        print(f"| {name} | {t:.2f} | {size / t / 1e6:.0f} | {rss:.0f} |")
    names = list(best)
    m, b = best[names[0]], best[names[1]]
    print(f"\nmtdata / baseline: throughput x{(m[2] / m[0]) / (b[2] / b[0]):.2f}, peak RSS x{m[1] / b[1]:.2f}")
finally:
    sim.kill()
    shutil.rmtree(work, ignore_errors=True)
