#!/bin/sh
# The runs recorded in bench/BENCHMARKS.md, one after the other (logs in bench/runs/).
set -e
cd "$(dirname "$0")/.."
PY=${PY:-/work/venv/bin/python}
mkdir -p bench/runs
for ds in squad_it squad_en; do
  nice -n 10 "$PY" bench/retrieval.py --dataset "$ds" --systems ours,bm25,tutorial \
    > "bench/runs/$ds.out" 2> "bench/runs/$ds.log"
done
nice -n 10 "$PY" bench/retrieval.py --dataset bbc_quotes --limit-articles 400 \
  --systems ours,bm25,tutorial > bench/runs/bbc_quotes.a400.out 2> bench/runs/bbc_quotes.a400.log
