#!/usr/bin/env python3
"""Paired runs: `jixiao score` against the pandas/numpy peer (`bench/score_pandas.py`) on the
same synthetic district files, interleaved, each timed end to end (process start to exit) with
its peak resident memory; the two outputs are compared unit by unit (rank, total to two
decimals, grade) and any difference is printed and fails the run.

    cargo build --release -p jixiao && cargo build --release -p jixiao-core --example synth_files
    python3 bench/score_compare.py [--rounds 3] [--sizes 500x50,2000x100,5000x200] [--dir /tmp/jixiao-score-bench]

Needs pandas and numpy (`pip install pandas numpy`).
"""

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd, out_path):
    """Runs cmd with stdout to out_path; returns (seconds, peak RSS in MiB)."""
    with open(out_path, "wb") as out:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out)
        _, status, ru = os.wait4(p.pid, 0)
        secs = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed ({status}): {' '.join(map(str, cmd))}")
    return secs, ru.ru_maxrss / 1024


def rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {r["unit_code"]: (r["rank"], r["total"], r["grade"]) for r in csv.DictReader(f)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="500x50,2000x100,5000x200")
    ap.add_argument("--dir", default="/tmp/jixiao-score-bench")
    ap.add_argument("--period", default="2025Q2")
    ap.add_argument(
        "--bin",
        default=str(ROOT / "target" / "release"),
        help="where jixiao and examples/synth_files are (tools/peer-check.sh: the debug build)",
    )
    a = ap.parse_args()
    JIXIAO = Path(a.bin) / "jixiao"
    SYNTH = Path(a.bin) / "examples" / "synth_files"
    for tool in (JIXIAO, SYNTH):
        if not tool.exists():
            sys.exit(f"{tool} is missing: build it first (see the top of this file)")
    print(f"{'size':>10} {'values':>9} {'round':>5} {'jixiao s':>9} {'MiB':>6} {'pandas s':>9} {'MiB':>6} {'pandas ÷ jixiao':>15}")
    for size in a.sizes.split(","):
        units, inds = (int(x) for x in size.split("x"))
        d = Path(a.dir) / size
        if not (d / "data.csv").exists():
            subprocess.run([SYNTH, d, str(units), str(inds)], check=True, stdout=subprocess.DEVNULL)
        files = ["--scheme", d / "scheme.json", "--org", d / "org.json", "--data", d / "data.csv", "--period", a.period]
        values = units * inds * 4
        for r in range(a.rounds):
            js, jm = run([JIXIAO, "score", *files, "--format", "csv", "--lang", "en"], d / "jixiao.csv")
            ps, pm = run([sys.executable, ROOT / "bench" / "score_pandas.py", *files], d / "pandas.csv")
            print(f"{size:>10} {values:>9} {r:>5} {js:>9.2f} {jm:>6.0f} {ps:>9.2f} {pm:>6.0f} {ps / js:>15.2f}", flush=True)
        j, p = rows(d / "jixiao.csv"), rows(d / "pandas.csv")
        if j.keys() != p.keys():
            sys.exit(f"{size}: the two outputs list different units")
        diff = [(u, j[u], p[u]) for u in j if j[u] != p[u]]
        for u, x, y in diff[:10]:
            print(f"  {u}: jixiao (rank, total, grade) {x} · pandas {y}")
        if diff:
            sys.exit(f"{size}: {len(diff)} of {len(j)} units differ")
        print(f"{size:>10}: all {len(j)} units agree on rank, total and grade")


if __name__ == "__main__":
    main()
