"""Answers replayed on saved retrieval: compare answerers on identical hits, fast.

    python bench/answer_replay.py dump --dataset squad_it --split even --store DIR --out hits.pkl
    python bench/answer_replay.py score hits.pkl [--out answers.jsonl] [--lang en]
        [--vectors cache.pkl ...] [--save-vectors cache.pkl]
    python bench/answer_replay.py compare answers.jsonl other.jsonl
    python bench/answer_replay.py reader answers.jsonl [...]

``dump`` runs each question's analysis and retrieval (``Assistant.question``,
``Assistant.hits``: what ``ask`` runs) once and pickles them with the question rows;
``score`` runs this checkout's extractive answerer (``Assistant.answer``) on the saved hits
and scores each answer with ``rag.eval.score_answer``, as ``bench/answers.py`` does. Only
the answerer runs again, so variants of it are compared on the same hits in a minute
instead of the 45+ minutes a half's retrieval takes on a loaded machine. The store is only
read for its retriever's models: pass the same store to both steps. ``dump --wrong-topic``
adds the wrong-topic negatives of quote questions (what the refusal of an off-topic
question about a person is measured on); ``dump --without-gold`` saves instead each
question's hits with its own article taken out (retrieved 40 deep, the gold article's
chunks dropped, the first six kept): an unanswerable question among articles of the same
kind, what the general answer's refusal bar is calibrated on. ``compare`` lists the questions two ``score
--out`` files answer differently (text or refusal) and both sides' answer latency over the
questions both answered (the first one's includes loading the models).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from rag import Assistant
from rag.config import DEFAULT_K
from rag.eval import TOP_K, aggregate, contains_answer, score_answer, select_questions

# Hits retrieved for a question asked without its own article: this deep, then the gold
# article's chunks dropped and the first DEFAULT_K kept (the `squad` branch's negatives).
WITHOUT_GOLD_DEPTH = 40

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
        if args.without_gold:
            # A question on a subject the store does not cover, among articles of the same
            # kind: the hits it would get with its own article taken out of the store.
            # Every paragraph of it: squad's ids are "sq-<article>-<paragraph>".
            gold = {_article(str(g)) for g in row.get("gold_article_ids") or []}
            deep = assistant.retriever.search(info, k=WITHOUT_GOLD_DEPTH)
            hits = [h for h in deep if _article(str(h.metadata.get("doc_id"))) not in gold]
            hits = hits[:DEFAULT_K]
            row = {**row, "answer": "", "without_gold": True}
        else:
            hits = assistant.hits(info)
        saved.append((row, info, hits))
        if i % 50 == 0:
            log(f"{i}/{len(rows)} ({time.perf_counter() - t0:.0f} s)")
            args.out.write_bytes(pickle.dumps({"store": str(args.store), "rows": saved}))
    args.out.write_bytes(pickle.dumps({"store": str(args.store), "rows": saved}))
    log(f"{len(saved)} questions dumped in {time.perf_counter() - t0:.0f} s")


def _article(doc_id: str) -> str:
    return doc_id.rsplit("-", 1)[0]


def _preload(assistant: Assistant, paths: list[Path] | None) -> None:
    """Sentences already embedded (``score --save-vectors``, ``bench/general_choice.py``:
    the answerer's own entries, each sentence embedded alone as it does): nothing is
    embedded twice."""
    cache = assistant.answerer._cache
    for path in paths or []:
        for (kind, text), entry in pickle.loads(path.read_bytes()).items():
            if kind == "s":
                cache[text] = entry


def score(args: argparse.Namespace) -> None:
    data = pickle.loads(args.dump.read_bytes())
    assistant = Assistant(store=data["store"])
    _preload(assistant, args.vectors)
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
    if args.save_vectors:
        cache = assistant.answerer._cache
        args.save_vectors.write_bytes(pickle.dumps({("s", t): e for t, e in cache.items()}))
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
    reader([rec.to_dict() for rec in records])


def first_claim(text: str) -> str:
    """The answer's first cited sentence (or statement): what a reader reads first."""
    return next((line for line in text.splitlines() if line.rstrip().endswith("[1]")), "")


def reader(records: list[dict]) -> None:
    """What a reader gets, per question language, over the questions whose gold is in the
    top-3 chunks: the answer holds it, its FIRST sentence holds it, and how many sentences
    answers have (1/2/3/4+; refusals left out)."""
    groups = defaultdict(list)
    for r in records:
        if r.get("gold_top3") and r.get("kind") == "factoid":
            groups[f"lang={r['lang']}"].append(r)
    print(
        f"{'group':<10}{'n':>5}{'cont':>8}{'first':>8}{'refused':>9}{'mean':>6}  sentences 1/2/3/4+"
    )
    for name in sorted(groups):
        rs = groups[name]
        n = len(rs)
        first = sum(
            contains_answer(r["gold"], first_claim(r["text"])) for r in rs if not r["refused"]
        )
        given = [r for r in rs if not r["refused"]]
        counts = Counter(min(r["sentences"], 4) for r in given)
        shares = "/".join(f"{counts[k] / (len(given) or 1):.3f}" for k in (1, 2, 3, 4))
        mean = sum(r["sentences"] for r in given) / (len(given) or 1)
        print(
            f"{name:<10}{n:>5}{sum(bool(r['contained']) for r in rs) / n:>8.3f}{first / n:>8.3f}"
            f"{sum(r['refused'] for r in rs) / n:>9.3f}{mean:>6.2f}  {shares}"
        )


def misses(args: argparse.Namespace) -> None:
    """The general-path misses whose gold is in the top-3 chunks, classified with the real
    answerer's own ranking (``_score_sentences``, ``choose_general``): refused; the gold in
    no single candidate sentence; a chosen sentence holds it but the answer text does not
    (trimmed); the gold sentence not among those embedded; outranked in the chunk of the
    answer's first sentence (its rank) or in another chunk. Only ``--lang`` questions."""
    from rag.answer.extractive import _candidates, choose_general

    data = pickle.loads(args.dump.read_bytes())
    assistant = Assistant(store=data["store"])
    answerer = assistant.answerer
    _preload(assistant, args.vectors)
    counts: Counter[str] = Counter()
    ranks: Counter[int] = Counter()
    for row, info, hits in data["rows"]:
        if args.lang and row.get("lang") != args.lang:
            continue
        if info.names_a_person or (info.asks_who and info.topic):
            continue
        gold = str(row.get("answer") or "")
        if not gold or not any(contains_answer(gold, h.text) for h in hits[: max(TOP_K)]):
            continue
        answer = assistant.answer(info, hits)
        rec = score_answer(row, answer, [h.text for h in hits[: max(TOP_K)]])
        counts["n"] += 1
        if rec.contained:
            counts["held"] += 1
            continue
        if answer.refused:
            counts["refused"] += 1
            continue
        sentences = _candidates(hits[:4], sentences=True)
        cands = [c for c in sentences if len(c.text) > 25]
        kept = answerer._score_sentences(info, cands, hits[0])
        chosen = choose_general(kept, sentences)
        golds = [c for c in cands if contains_answer(gold, c.text)]
        if not golds:
            counts["gold in no single sentence"] += 1
            continue
        if any(any(g is c for g in golds) for c in chosen):
            counts["gold sentence chosen, answer text trimmed"] += 1
            continue
        embedded = [g for g in golds if any(g is k for k in kept)]
        if not embedded:
            counts["gold sentence not embedded"] += 1
            continue
        ranked = sorted(kept, key=lambda c: -c.score)
        g = min(embedded, key=lambda c: ranked.index(c))
        rank = ranked.index(g) + 1
        lead = max(chosen, key=lambda c: c.score)
        where = "same chunk" if g.hit is lead.hit else "other chunk"
        counts[f"outranked, {where}"] += 1
        ranks[rank] += 1
        if args.show:
            print(
                f"- [{where}, rank {rank}, gap {lead.score - g.score:.3f}] {info.text} "
                f"(wants {info.wants or '-'}; gold {gold!r})\n"
                f"  chosen: {lead.text[:200]!r}\n  gold:   {g.text[:200]!r}"
            )
    print(dict(counts))
    print("gold sentence rank when outranked:", dict(sorted(ranks.items())))


def summary(args: argparse.Namespace) -> None:
    reader([json.loads(line) for path in args.jsonl for line in path.open(encoding="utf-8")])


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
    d.add_argument(
        "--without-gold",
        action="store_true",
        help="negatives: each question's hits with its own article taken out (squad sets)",
    )
    s = sub.add_parser("score")
    s.add_argument("dump", type=Path)
    s.add_argument("--out", type=Path, help="one JSON line per question")
    s.add_argument("--lang", help="only the questions in this language")
    s.add_argument("--vectors", type=Path, nargs="*", help="sentence caches to preload")
    s.add_argument("--save-vectors", type=Path, help="save the sentence cache here")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    m = sub.add_parser("misses", help="the general-path misses classified")
    m.add_argument("dump", type=Path)
    m.add_argument("--lang", help="only the questions in this language")
    m.add_argument("--show", action="store_true", help="print each outranked miss")
    m.add_argument("--vectors", type=Path, nargs="*", help="sentence caches to preload")
    r = sub.add_parser("reader", help="what a reader gets, from score --out files")
    r.add_argument("jsonl", type=Path, nargs="+")
    args = ap.parse_args()
    {"dump": dump, "score": score, "compare": compare, "reader": summary, "misses": misses}[
        args.cmd
    ](args)


if __name__ == "__main__":
    main()
