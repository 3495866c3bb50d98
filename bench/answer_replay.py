"""Answers replayed on saved retrieval: compare answerers on identical hits, fast.

    python bench/answer_replay.py dump --dataset squad_it --split even --store DIR --out hits.pkl
    python bench/answer_replay.py score hits.pkl [--out answers.jsonl] [--lang en]
    python bench/answer_replay.py compare answers.jsonl other.jsonl

``dump`` runs each question's analysis and retrieval (``Assistant.question``,
``Assistant.hits``: what ``ask`` runs) once and pickles them with the question rows;
``score`` runs this checkout's extractive answerer (``Assistant.answer``) on the saved hits
and scores each answer with ``rag.eval.score_answer``, as ``bench/answers.py`` does. Only
the answerer runs again, so variants of it are compared on the same hits in a minute
instead of the 45+ minutes a half's retrieval takes on a loaded machine. The store is only
read for its retriever's models: pass the same store to both steps. ``dump --wrong-topic``
adds the wrong-topic negatives of quote questions (what the refusal of an off-topic
question about a person is measured on). ``compare`` lists the questions two ``score
--out`` files answer differently (text or refusal) and both sides' answer latency over the
questions both answered (the first one's includes loading the models).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections import defaultdict
from pathlib import Path

from rag import Assistant
from rag.eval import TOP_K, aggregate, score_answer, select_questions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answers import DEFAULT_DATA, log  # noqa: E402


def dump(args: argparse.Namespace) -> None:
    assistant = Assistant(store=args.store)
    rows = select_questions(
        args.data / args.dataset / "questions.dev.jsonl",
        split=args.split,
        wrong_topic=args.wrong_topic,
    )
    saved = []
    t0 = time.perf_counter()
    for i, row in enumerate(rows):
        info = assistant.question(str(row["question"]))
        saved.append((row, info, assistant.hits(info)))
        if i % 50 == 0:
            log(f"{i}/{len(rows)} ({time.perf_counter() - t0:.0f} s)")
            args.out.write_bytes(pickle.dumps({"store": str(args.store), "rows": saved}))
    args.out.write_bytes(pickle.dumps({"store": str(args.store), "rows": saved}))
    log(f"{len(saved)} questions dumped in {time.perf_counter() - t0:.0f} s")


def score(args: argparse.Namespace) -> None:
    data = pickle.loads(args.dump.read_bytes())
    assistant = Assistant(store=data["store"])
    records = []
    t0 = time.perf_counter()
    out = args.out.open("w", encoding="utf-8") if args.out else None
    for row, info, hits in data["rows"]:
        if args.lang and row.get("lang") != args.lang:
            continue
        t = time.perf_counter()
        answer = assistant.answer(info, hits)
        latency = 1000 * (time.perf_counter() - t)
        rec = score_answer(row, answer, [h.text for h in hits[: max(TOP_K)]], latency)
        records.append(rec)
        if out:
            out.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
    if out:
        out.close()
    log(f"{len(records)} answers in {time.perf_counter() - t0:.0f} s")
    groups = defaultdict(list)
    for rec in records:
        groups[f"lang={rec.lang}"].append(rec)
        groups[f"type={rec.type}"].append(rec)
        groups["all"].append(rec)
    print(f"{'group':<14}{'n':>5}{'top3':>8}{'contain':>9}{'cont|top3':>10}{'short':>7}"
          f"{'held':>7}{'falseref':>9}{'refused':>8}{'p50ms':>7}")  # fmt: skip
    for name in sorted(groups):
        st = aggregate(groups[name])
        print(
            f"{name:<14}{st.n:>5}{st.top3 or 0:>8.3f}{st.contained or 0:>9.3f}"
            f"{st.contained_top3 or 0:>10.3f}{st.short or 0:>7.3f}{st.held or 0:>7.3f}"
            f"{st.false_refusals or 0:>9.3f}{st.refusal_recall or 0:>8.3f}{st.p50_ms:>7.0f}"
        )


def _answers(path: Path) -> dict[tuple[str, str], dict]:
    out = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            out[(str(rec["id"]), str(rec["question"]))] = rec
    return out


def compare(args: argparse.Namespace) -> None:
    a, b = _answers(args.a), _answers(args.b)
    common = [k for k in a if k in b]
    changed = [
        k for k in common if (a[k]["text"], a[k]["refused"]) != (b[k]["text"], b[k]["refused"])
    ]

    def pct(recs: dict, q: float) -> float:
        v = sorted(float(recs[k]["latency_ms"]) for k in common)
        return v[int(q * (len(v) - 1))] if v else float("nan")

    for path, recs in ((args.a, a), (args.b, b)):
        print(f"{path}: answer p50 {pct(recs, 0.5):.0f} ms, p95 {pct(recs, 0.95):.0f} ms")
    print(f"{len(common)} questions in both, {len(changed)} answered differently")
    for k in changed:
        print(f"- {k[1]}\n  {args.a}: {a[k]['text']!r}\n  {args.b}: {b[k]['text']!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--dataset", required=True)
    d.add_argument("--split", choices=["all", "even", "odd"], default="even")
    d.add_argument("--store", type=Path, required=True)
    d.add_argument("--data", type=Path, default=DEFAULT_DATA)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument(
        "--wrong-topic",
        action="store_true",
        help="also the wrong-topic negatives bench/answers.py asks (quote sets)",
    )
    s = sub.add_parser("score")
    s.add_argument("dump", type=Path)
    s.add_argument("--out", type=Path, help="one JSON line per question")
    s.add_argument("--lang", help="only the questions in this language")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args()
    {"dump": dump, "score": score, "compare": compare}[args.cmd](args)


if __name__ == "__main__":
    main()
