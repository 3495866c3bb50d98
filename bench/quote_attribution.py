"""Quote attribution alone, without a store: does ingest give the gold quote to its speaker?

    python bench/quote_attribution.py [--data ../shared/bench] [--sample N --seed S]

For every bbc_quotes dev question of type ``quote`` ("What did Osborne say about
clauses?"), runs ``find_quotes`` over the gold article and counts the question as
attributed when a direct quote given to the asked surname covers at least 70% of the
reference answer's words. Also counts the reported statements found in every article and,
with --sample, prints N of them at random with their context, to be judged by eye.
Takes seconds: no embedding, no store.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from rag.lexical import fold
from rag.quotes import Quote, find_quotes

_WORD = re.compile(r"\w+")
_ASKED = re.compile(
    r"What (?:did|was|has) ([A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*)*?)(?:['’]s)? (?:say|comment|said)"
)
MIN_COVER = 0.7


def _surname(question: str) -> str:
    m = _ASKED.match(question)
    return fold(m.group(1).split()[-1]) if m else ""


def _covers(quote: str, answer: str) -> bool:
    gold = [fold(w) for w in _WORD.findall(answer)]
    said = {fold(w) for w in _WORD.findall(quote)}
    return bool(gold) and sum(w in said for w in gold) / len(gold) >= MIN_COVER


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/bench"))
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    folder = args.data / "bbc_quotes"
    articles = {a["id"]: a["text"] for a in map(json.loads, (folder / "articles.jsonl").open())}
    found: dict[str, list[Quote]] = {aid: find_quotes(text) for aid, text in articles.items()}
    questions = [
        q for q in map(json.loads, (folder / "questions.dev.jsonl").open()) if q["type"] == "quote"
    ]
    attributed = 0
    for q in questions:
        surname = _surname(q["question"])
        attributed += any(
            x.kind == "direct"
            and x.speaker
            and fold(x.speaker.split()[-1]) == surname
            and _covers(articles[aid][x.start : x.end], q["answer"])
            for aid in q["gold_article_ids"]
            for x in found[aid]
        )
    reported = [(aid, x) for aid, xs in found.items() for x in xs if x.kind == "reported"]
    print(
        json.dumps(
            {
                "quote_questions": len(questions),
                "attributed": attributed,
                "attributed_share": round(attributed / len(questions), 3),
                "reported_statements": len(reported),
                "articles_with_reported": len({aid for aid, _ in reported}),
            },
            indent=2,
        )
    )
    random.seed(args.seed)
    for aid, x in random.sample(reported, min(args.sample, len(reported))):
        text = articles[aid]
        print(f"--- {aid} | {x.speaker}\n    ...{text[max(0, x.start - 90) : x.start]!r}")
        print(f"    [[{text[x.start : x.end]}]] {text[x.end : x.end + 40]!r}")


if __name__ == "__main__":
    main()
