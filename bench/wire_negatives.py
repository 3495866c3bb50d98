"""Off-topic negatives for the wire dev set's even half, built the way bench/answers.py
builds bbc_quotes' wrong-topic questions: a known person asked about another person's topic.

    PYTHONPATH=. python bench/wire_negatives.py --root bench/wires --store DIR [--json out.json]

The even half has too few off-topic questions (33) to set a threshold on. Each answerable
"what did X say about Y" / reported / role question of the even half gives its gold
speaker X; the topic Y' of a question about another person (one from the same briefing,
the hard case, and others from other even briefings) is read with the project's own
parser (``rag.query.analyse``) and asked of X in Y''s question language: "What did X say
about Y'?" / "Cosa ha detto X su Y'?". A pair is skipped where X plausibly did speak of
Y' (a content word of Y' in X's gold statements). Only the even half is ever read.

The even answerable questions are asked too, and the topic decision (``_on_topic``) is
replayed over the saved signals at a few settings: the trade-off curve. At 0926d6a
(2026-12-02): 231/263 negatives refused (same language 111/112, cross 120/151), 17/230
answerable wrongly refused; no setting refuses more negatives without refusing more
answerable questions but MAX_BELOW_ELSEWHERE 0.03 (+2 negatives, at the edge of the
answerable questions' range), so the thresholds were left as they are.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wires import ROOT, in_split, load_set, open_assistant  # noqa: E402

from rag.lexical import fold  # noqa: E402
from rag.query import analyse  # noqa: E402
from rag.text import cognate, question_language, tokenize  # noqa: E402

Row = dict[str, Any]
TYPES = ("what_said", "reported", "role")
OTHER_BRIEFINGS = 1  # topics from other briefings per question, besides the same-briefing one
SEED = 14
PREFIX = 4
MAX_TOPIC_WORDS = 6
_CLAUSE = re.compile(
    r"\b(?:would|will|is|are|was|were|should|could|do|does|did|has|have|è|sono|sarà|ha|hanno|che)\b",
    re.I,
)


def _keys(text: str) -> set[str]:
    # A loose match (four letters) on purpose: a pair is dropped on any hint that X spoke
    # of Y' ("decree" / "decreto" share no cognate key but are one word).
    return {fold(t)[:PREFIX] for t in tokenize(text)} | {cognate(t) for t in tokenize(text)}


def _template(person: str, topic: str, lang: str) -> str:
    return (
        f"Cosa ha detto {person} su {topic}?"
        if lang == "it"
        else (f"What did {person} say about {topic}?")
    )


def build(root: Path = ROOT) -> list[Row]:
    """The negatives of the even half: question, person, topic, where the topic came from."""
    annotations, questions = load_set(root)
    doc_lang = {a["file"]: a["lang"] for a in annotations}
    said: dict[tuple[str, str], str] = defaultdict(str)  # (file, speaker) -> gold statements
    for a in annotations:
        if in_split(a["file"], "even"):
            for s in a["statements"]:
                said[(a["file"], s["speaker"])] += " " + s["text"]
    said_by: dict[str, str] = defaultdict(str)  # speaker -> all their gold statements
    for (_, who), text in said.items():
        said_by[who] += text
    asked = [
        q
        for q in questions
        if in_split(q["file"], "even")
        and q["type"] in TYPES
        and not q["expect"]["refused"]
        and q["expect"].get("speaker")
        and not q.get("history")
    ]
    topics: list[Row] = []
    for q in asked:
        topic = analyse(q["question"]).topic
        # Only a topic the question asks "about" (a noun phrase), not a clause or a
        # question left whole where the parser found no person to strip.
        if (
            topic
            and topic[0].islower()
            and len(topic.split()) <= MAX_TOPIC_WORDS
            and not (_CLAUSE.search(topic))
        ):
            topics.append(
                {
                    "file": q["file"],
                    "speaker": q["expect"]["speaker"],
                    "topic": topic,
                    "lang": question_language(q["question"]),
                    "from": q["id"],
                }
            )
    rng = random.Random(SEED)
    out: list[Row] = []
    seen: set[tuple[str, str]] = set()
    for q in asked:
        person = q["expect"]["speaker"]
        own = _keys(said_by[person])

        def fits(t: Row, person: str = person, own: set[str] = own) -> bool:
            return t["speaker"] != person and not (_keys(t["topic"]) & own)

        same = [t for t in topics if t["file"] == q["file"] and fits(t)]
        other = [t for t in topics if t["file"] != q["file"] and fits(t)]
        picks = rng.sample(same, min(1, len(same))) + rng.sample(
            other, min(OTHER_BRIEFINGS, len(other))
        )
        for t in picks:
            if (person, t["topic"]) in seen:
                continue
            seen.add((person, t["topic"]))
            out.append(
                {
                    "question": _template(person, t["topic"], t["lang"]),
                    "person": person,
                    "topic": t["topic"],
                    "lang": t["lang"],
                    "doc_lang": doc_lang[q["file"]],
                    "same_briefing": t["file"] == q["file"],
                    "from": q["id"],
                    "topic_from": t["from"],
                }
            )
    return out


def _rate(rows: Sequence[Row]) -> str:
    n = len(rows)
    return (
        f"{sum(r['refused'] for r in rows)}/{n} ({sum(r['refused'] for r in rows) / n:.3f})"
        if n
        else "-"
    )


# Settings of the topic decision replayed over the saved signals (name -> constants of
# rag/answer/extractive.py): the trade-off between refused negatives and wrongly refused
# answerable questions, without asking again.
SETTINGS: dict[str, dict[str, Any]] = {
    "as is": {},
    "MIN_WORD_ALIGNMENT 0.45": {"MIN_WORD_ALIGNMENT": 0.45},
    "MIN_WORD_ALIGNMENT 0.50": {"MIN_WORD_ALIGNMENT": 0.50},
    "MIN_TOPIC_EVIDENCE cross 0.30": {"MIN_TOPIC_EVIDENCE": {"same": 0.25, "cross": 0.30}},
    "MIN_TOPIC_EVIDENCE cross 0.33": {"MIN_TOPIC_EVIDENCE": {"same": 0.25, "cross": 0.33}},
    "MIN_TOPIC_EVIDENCE cross 0.36": {"MIN_TOPIC_EVIDENCE": {"same": 0.25, "cross": 0.36}},
    "MIN_TOPIC_EVIDENCE same 0.28": {"MIN_TOPIC_EVIDENCE": {"same": 0.28, "cross": 0.27}},
    "MAX_BELOW_ELSEWHERE 0.03": {"MAX_BELOW_ELSEWHERE": 0.03},
    "MAX_BELOW_ELSEWHERE 0.00": {"MAX_BELOW_ELSEWHERE": 0.00},
    "MAX_BELOW_ELSEWHERE -0.02": {"MAX_BELOW_ELSEWHERE": -0.02},
}


def replay(rows: Sequence[Row], constants: dict[str, Any]) -> int:
    """How many of ``rows`` are refused with ``constants`` set in the answerer. Only an
    answer that reached the topic decision (its signals hold "coverage") can change."""
    from unittest import mock

    from rag.answer import extractive

    refused = 0
    with mock.patch.multiple(extractive, **constants) if constants else _nothing():
        for r in rows:
            s = r["signals"]
            refused += (not extractive._on_topic(s)) if "coverage" in s else r["refused"]
    return refused


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def curve(negatives: Sequence[Row], answerable: Sequence[Row]) -> None:
    cross = [r for r in negatives if r["lang"] != r["doc_lang"]]
    print("trade-off (replayed): refused negatives (cross language) / answerable wrongly refused")
    for name, constants in SETTINGS.items():
        n, c, a = (replay(x, constants) for x in (negatives, cross, answerable))
        print(
            f"  {name:32s} {n}/{len(negatives)} ({n / len(negatives):.3f}) "
            f"(cross {c}/{len(cross)})  {a}/{len(answerable)} ({a / len(answerable):.3f})"
        )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--root", type=Path, default=ROOT)
    p.add_argument("--store", type=Path, required=True)
    p.add_argument("--json", type=Path)
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args(argv)
    rows = build(args.root)
    if args.limit:
        rows = rows[: args.limit]
    assistant = open_assistant(args.store, args.root)
    for r in rows:
        a = assistant.ask(r["question"])
        r["refused"] = bool(a.refused)
        r["signals"] = dict(getattr(a, "signals", {}) or {})
        r["answer"] = str(a.text)[:200]
    same_lang = [r for r in rows if r["lang"] == r["doc_lang"]]
    cross = [r for r in rows if r["lang"] != r["doc_lang"]]
    print(f"negatives: {len(rows)}")
    print(f"  refused, all              {_rate(rows)}")
    print(f"  refused, same language    {_rate(same_lang)}")
    print(f"  refused, cross language   {_rate(cross)}")
    print(f"  refused, same briefing    {_rate([r for r in rows if r['same_briefing']])}")
    print(f"  refused, other briefing   {_rate([r for r in rows if not r['same_briefing']])}")
    # The other side of the trade-off: the even answerable questions, whose wrongly
    # refused rate a stricter decision must not raise (bench/wires.py even).
    _, questions = load_set(args.root)
    answerable = [
        q for q in questions if in_split(q["file"], "even") and not q["expect"]["refused"]
    ]
    kept: list[Row] = []
    for q in answerable:
        a = assistant.ask(q["question"], chat_history=q.get("history") or [])
        kept.append(
            {
                "id": q["id"],
                "type": q["type"],
                "refused": bool(a.refused),
                "signals": dict(getattr(a, "signals", {}) or {}),
            }
        )
    print(f"answerable wrongly refused  {_rate(kept)}")
    curve(rows, kept)
    if args.json:
        rows = rows + [{**r, "answerable": True} for r in kept]
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
