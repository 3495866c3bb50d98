"""Answer quality as users get it (issue "Answers that keep what retrieval found").

    python bench/answers.py --dataset bbc_quotes|squad_it|squad_en [--split even|odd|all]
        [--limit N] [--store DIR] [--out answers.jsonl] [--json]

A thin runner over ``rag.eval.evaluate_answers`` (the same code as ``rag eval answers``):
it ingests ``<data>/<dataset>/articles.jsonl`` into a cached store, reused when it already
holds every article, then asks every dev question and prints the table.

- quote questions (bbc_quotes ``type: quote``): whole-statement recall, the share of the
  gold quote's content words in the answer, "held" at >= 0.70; the right speaker;
- factoid questions (squad): the gold string in the answer ("contain"), also among the
  questions whose gold was in the top-3 retrieved chunks; answers of <= 3 sentences;
- no-gold questions and wrong-topic negatives (a known speaker, another question's topic)
  should be refused;
- top1/top3: the gold in the top retrieved chunks, so a miss shows whose it is.

The data folder is ``../shared/bench`` next to the repository (``BENCH_DATA`` or --data
to change it); stores default to ``bench/.stores/<dataset>`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rag import Assistant
from rag.eval import evaluate_answers, format_answers_table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "bench"))
DATASETS = ("bbc_quotes", "squad_it", "squad_en")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def article_count(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def ready_store(assistant: Assistant, articles: Path) -> None:
    """Ingest ``articles``: only what is missing is embedded, and documents analysed by an
    older ANALYSIS_VERSION are analysed again (a count check alone measured old analysis)."""
    want, have = article_count(articles), assistant.status().documents
    log(f"store {assistant.settings.store} holds {have} of {want} articles: ingesting")
    t0 = time.perf_counter()
    report = assistant.ingest([articles], progress=False)
    log(f"{report.summary()} ({time.perf_counter() - t0:.0f} s)")
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.failed}")


def fill_sentences(assistant: Assistant) -> None:
    """Save the sentence vectors `rag ingest` saves in the background, so that answers are
    measured as a user gets them once it is done (a no-op when all are saved)."""
    t0 = time.perf_counter()
    filled = assistant.fill_sentences()
    log(f"{filled.sentences} sentence vectors saved ({time.perf_counter() - t0:.0f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True, choices=DATASETS)
    ap.add_argument("--split", choices=["all", "even", "odd"], default="all")
    ap.add_argument("--limit", type=int, help="only the first N questions of the split")
    ap.add_argument("--store", type=Path, help="default bench/.stores/<dataset>")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, help="one JSON line per question")
    ap.add_argument("--json", action="store_true", help="print the rates as JSON")
    args = ap.parse_args()

    folder = args.data / args.dataset
    assistant = Assistant(store=args.store or ROOT / "bench" / ".stores" / args.dataset)
    ready_store(assistant, folder / "articles.jsonl")
    fill_sentences(assistant)
    t0 = time.perf_counter()
    result = evaluate_answers(
        assistant,
        folder / "questions.dev.jsonl",
        split=args.split,
        limit=args.limit,
        out=args.out,
    )
    log(f"{len(result.records)} questions in {time.perf_counter() - t0:.0f} s")
    if not result.records:
        raise SystemExit(f"no questions in split {args.split!r}")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"{args.dataset}, split {args.split}")
        print(format_answers_table(result))


if __name__ == "__main__":
    sys.exit(main())
