"""Extractive answer latency on an ingested store, side by side with another checkout.

    python bench/answer_latency.py --store STORE --questions Q.jsonl [--n 150]
        [--baseline PATH_TO_OTHER_CHECKOUT] [--rounds 2]

Each round runs this checkout and the baseline (when given) in fresh processes, one after
the other, on the same questions (the first ``--n`` of the file) after one warm-up
question, and prints p50/p95 of ``Assistant.ask`` in milliseconds. Rounds alternate which
goes first, so a noisy neighbour hurts both alike. It also says how many of the questions
the two sides answered differently (answer text or refusal): a speed-up that changes no
answer shows 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys, time
from rag import Assistant
store, qfile, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
qs = [json.loads(l)["question"] for l in open(qfile, encoding="utf-8") if l.strip()][:n]
a = Assistant(store=store)
a.ask(qs[0])
times, answers = [], []
for q in qs:
    t = time.perf_counter(); ans = a.ask(q); times.append(1000 * (time.perf_counter() - t))
    answers.append([ans.text, ans.refused])
times.sort()
print(json.dumps({"p50": times[len(times) // 2], "p95": times[int(0.95 * (len(times) - 1))], "n": len(times), "answers": answers}))
"""


def run(code: Path, store: str, questions: str, n: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, store, questions, str(n)],
        env=env,
        cwd=code,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Resolved here: each side runs in its own checkout's folder, where a relative path
    # would name another (empty) store and make that side look fast.
    ap.add_argument("--store", required=True, type=lambda p: str(Path(p).resolve()))
    ap.add_argument("--questions", required=True, type=lambda p: str(Path(p).resolve()))
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    sides = [("this", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    for r in range(args.rounds):
        got = {}
        for name, code in sides if r % 2 == 0 else sides[::-1]:
            res = got[name] = run(code, args.store, args.questions, args.n)
            print(
                f"round {r + 1} {name:8} p50 {res['p50']:.0f} ms  p95 {res['p95']:.0f} ms  (n={res['n']})",
                flush=True,
            )
        if len(got) == 2:
            pairs = zip(got["this"]["answers"], got["baseline"]["answers"], strict=True)
            differ = sum(a != b for a, b in pairs)
            ratio = got["this"]["p95"] / got["baseline"]["p95"]
            print(
                f"round {r + 1} answered differently: {differ}; p95 ratio {ratio:.2f}", flush=True
            )


if __name__ == "__main__":
    main()
