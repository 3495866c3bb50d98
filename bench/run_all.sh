#!/bin/sh
# The runs recorded in bench/BENCHMARKS.md, one after the other (output and logs in bench/runs/).
# Cheap systems first; the tutorial baseline (a second full embedding pass) last.
set -e
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
mkdir -p bench/runs
run() {  # run NAME ARGS...: one harness invocation, stdout to NAME.out, log to NAME.log
  name=$1; shift
  nice -n 10 "$PY" bench/retrieval.py "$@" > "bench/runs/$name.out" 2> "bench/runs/$name.log"
}
run squad_it --dataset squad_it --systems ours,bm25,tutorial
run squad_en --dataset squad_en --systems ours,bm25
run bbc_quotes.full.bm25 --dataset bbc_quotes --systems bm25
run bbc_quotes.a400 --dataset bbc_quotes --limit-articles 400 --systems ours,bm25
run squad_en.tutorial --dataset squad_en --systems tutorial
run bbc_quotes.a400.tutorial --dataset bbc_quotes --limit-articles 400 --systems tutorial
