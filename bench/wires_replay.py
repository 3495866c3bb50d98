"""Wire dev set answers replayed on saved retrieval: compare answerers on identical hits.

    python bench/wires_replay.py dump --split even --store DIR --out hits.pkl
    python bench/wires_replay.py score hits.pkl --store DIR [-v]

``dump`` runs each question's analysis and retrieval (``Assistant.question`` with its
history, ``Assistant.hits``: what ``ask`` runs) once and pickles them with the question
rows; ``score`` runs this checkout's answerer (``Assistant.answer``) on the saved hits and
checks each answer as ``bench/wires.py`` does. A change to the answerer alone is measured
in a minute instead of a full run; a change to the question analysis or retrieval needs a
new dump. ``-v`` lists the failures with the answer-or-refuse signals: use it on the tuning
half only.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wires  # noqa: E402


def dump(args: argparse.Namespace) -> None:
    assistant = wires.open_assistant(args.store)
    _, questions = wires.load_set()
    rows = []
    for q in questions:
        if wires.in_split(q["file"], args.split):
            info = assistant.question(q["question"], chat_history=q.get("history") or [])
            rows.append((q, info, assistant.hits(info)))
    args.out.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} questions dumped to {args.out}")


def score(args: argparse.Namespace) -> None:
    from rag import Assistant

    assistant = Assistant(store=args.store)
    rows = pickle.loads(args.dump.read_bytes())
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for q, info, hits in rows:
        answer = assistant.answer(info, hits)
        ok, why = wires.check_answer(answer, q)
        half = "even" if wires.in_split(q["file"], "even") else "odd"
        for group in ("all", f"half {half}", f"half {half} {q['type']}", f"type {q['type']}"):
            total[group] += 1
            right[group] += ok
        if not ok and args.verbose:
            signals = {k: round(float(v), 3) for k, v in (answer.signals or {}).items()}
            print(f"{q['id']} [{q['type']}] {q['question']}\n  {why}\n  {signals}")
            print(f"  answer: {answer.text[:240]!r}")
    for group in sorted(total, key=lambda g: (g != "all", not g.startswith("half"), g)):
        print(
            f"  {group:<24}{right[group]:>4}/{total[group]:<4}{100 * right[group] / total[group]:6.1f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--split", choices=["all", "even", "odd"], default="even")
    d.add_argument("--store", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("score")
    s.add_argument("dump", type=Path)
    s.add_argument("--store", type=Path, required=True, help="the store the dump was made on")
    s.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    dump(args) if args.cmd == "dump" else score(args)


if __name__ == "__main__":
    main()
