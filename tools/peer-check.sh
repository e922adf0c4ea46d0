#!/usr/bin/env bash
# The pandas/numpy peer of `jixiao score` (bench/score_pandas.py) must agree with it on every
# unit's rank, total and grade: an independent implementation of the rules checking the engine,
# and the benchmark's peer kept honest. Small districts, one round, the debug build; the timing
# comparison itself is a benchmark (BENCHMARKS.md, P14), not part of the tests.
#
# pandas and numpy come from PyPI into a virtual environment of their own (PEER_VENV, default
# ~/.cache/jixiao-pandas).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${PEER_VENV:-$HOME/.cache/jixiao-pandas}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pandas, numpy' 2>/dev/null; then
    echo "== installing pandas and numpy into $venv"
    python3 -m venv "$venv" 2>/dev/null || {
        rm -rf "$venv"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    }
    "$venv/bin/pip" install -q "pandas>=2.2,<4" "numpy>=1.26,<3"
fi

cargo build -q -p jixiao
cargo build -q -p jixiao-core --example synth_files
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== the pandas peer agrees with jixiao score"
"$venv/bin/python" bench/score_compare.py --bin target/debug --rounds 1 \
    --sizes 120x20,400x40 --dir "$work"
