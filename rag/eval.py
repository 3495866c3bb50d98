"""Retrieval metrics on JSONL question sets (the format of ../shared/bench).

Question lines: {"id","question","lang","answer","gold_article_ids","type"}.
Ranked output lines: {"id","ranked_doc_ids"}: distinct documents, best first.
Metrics match ../shared/bench/score_retrieval.py: Hits@1/4/10, Recall@10, MRR@10;
questions with no gold are scored on refusal instead.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

METRICS = ("hits@1", "hits@4", "hits@10", "recall@10", "mrr@10")


def read_questions(path: Path) -> Iterator[dict[str, Any]]:
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read questions {path}: {exc.strerror}") from exc
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if "id" not in row or "question" not in row:
                    raise ValueError("needs 'id' and 'question'")
            except ValueError as exc:
                raise ConfigError(f"{path}:{lineno}: bad question line ({exc})") from exc
            yield row


def score(gold: list[str], ranked: list[str]) -> dict[str, float]:
    gold_set = set(gold)
    top10 = ranked[:10]
    rr = next((1.0 / i for i, d in enumerate(top10, 1) if d in gold_set), 0.0)
    return {
        "hits@1": float(any(d in gold_set for d in ranked[:1])),
        "hits@4": float(any(d in gold_set for d in ranked[:4])),
        "hits@10": float(any(d in gold_set for d in ranked[:10])),
        "recall@10": len(gold_set & set(top10)) / len(gold_set),
        "mrr@10": rr,
    }


@dataclass
class EvalResult:
    k: int
    groups: dict[str, dict[str, float]] = field(default_factory=dict)  # group -> metric -> mean
    counts: dict[str, int] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)  # no-gold: asked / refused


def ranked_doc_ids(assistant: Any, question: str, k: int) -> list[str]:
    """Distinct documents, best first, from a deep chunk ranking."""
    # The question goes through the same analysis as ``ask``; only the depth differs.
    hits = assistant.retriever.search(assistant.question(question), k=max(4 * k, 40))
    return list(dict.fromkeys(str(h.metadata.get("doc_id", "")) for h in hits))[:k]


def evaluate_retrieval(
    assistant: Any, questions: Path, *, k: int = 10, out: Path | None = None
) -> EvalResult:
    sums: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(METRICS, 0.0))
    counts: dict[str, int] = defaultdict(int)
    result = EvalResult(k=k, refusals={"asked": 0, "refused": 0})
    out_fh = out.open("w", encoding="utf-8") if out else None
    try:
        for row in read_questions(questions):
            ranked = ranked_doc_ids(assistant, str(row["question"]), k)
            if out_fh:
                out_fh.write(json.dumps({"id": row["id"], "ranked_doc_ids": ranked}) + "\n")
            gold = [str(g) for g in row.get("gold_article_ids") or []]
            if not gold:
                result.refusals["asked"] += 1
                result.refusals["refused"] += int(assistant.ask(str(row["question"])).refused)
                continue
            s = score(gold, ranked)
            for group in ("all", f"type={row.get('type', '-')}", f"lang={row.get('lang', '-')}"):
                counts[group] += 1
                for m in METRICS:
                    sums[group][m] += s[m]
    finally:
        if out_fh:
            out_fh.close()
    result.counts = dict(counts)
    result.groups = {g: {m: v / counts[g] for m, v in ms.items()} for g, ms in sums.items()}
    return result


def format_table(result: EvalResult) -> str:
    header = f"{'group':<24}{'n':>6}" + "".join(f"{m:>11}" for m in METRICS)
    lines = [header, "-" * len(header)]
    for group in sorted(result.groups, key=lambda g: (g != "all", g)):
        ms = result.groups[group]
        lines.append(
            f"{group:<24}{result.counts[group]:>6}" + "".join(f"{ms[m]:>11.3f}" for m in METRICS)
        )
    if result.refusals.get("asked"):
        lines.append(
            f"no-gold questions refused: {result.refusals['refused']}/{result.refusals['asked']}"
        )
    return "\n".join(lines)
