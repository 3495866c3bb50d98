"""Retrieval and answer metrics on JSONL question sets (the format of ../shared/bench).

Question lines: {"id","question","lang","answer","gold_article_ids","type"}.

Retrieval: ranked output lines {"id","ranked_doc_ids"}: distinct documents, best first.
Metrics match ../shared/bench/score_retrieval.py: Hits@1/4/10, Recall@10, MRR@10;
questions with no gold are scored on refusal instead.

Answers: what ``Assistant.ask`` returns, against the gold answer and against the passages
the answer was built on (so a miss shows whether retrieval or the answerer lost it).
Quote questions (``type: quote``) are scored on whole-statement recall, factoid questions on
containment of the gold string; no-gold and wrong-topic questions should be refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rag.chunking import split_sentences
from rag.errors import ConfigError
from rag.lexical import fold, tokenize
from rag.query import analyse

if TYPE_CHECKING:
    from rag.assistant import Assistant

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


def ranked_doc_ids(assistant: Assistant, question: str, k: int) -> list[str]:
    """Distinct documents, best first, from a deep chunk ranking."""
    # The question goes through the same analysis as ``ask``; only the depth differs.
    hits = assistant.retriever.search(assistant.question(question), k=max(4 * k, 40))
    return list(dict.fromkeys(h.metadata.get("doc_id", "") for h in hits))[:k]


def evaluate_retrieval(
    assistant: Assistant, questions: Path, *, k: int = 10, out: Path | None = None
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


# --------------------------------------------------------------------------- answers

HELD_RECALL = 0.70  # a quote is "held" when the text has this share of its content words
SHORT_SENTENCES = 3  # a factoid answer this long or shorter is "short"
TOP_K = (1, 3)
WRONG_TOPIC_OFFSET = 7  # wrong-topic question i takes the topic of quote question i+7
Split = Literal["even", "odd", "all"]
Kind = Literal["quote", "factoid", "refuse"]

# A lead line frames the quotes ("Mark Rutte said (Italpress, 11 Feb 2026):",
# "According to Italpress:"); claim lines end with their citation numbers ("... [1]").
_CITATIONS = re.compile(r"(?:\s*\[\d+\])+\s*$")
_QUOTE_MARKS = '“”«»"‘’'


def in_split(qid: str, split: Split) -> bool:
    """Parity of sha256(id)'s first byte: two fixed halves to tune on one and check on the
    other. (sha1's last bit was tried first: every bbc_quotes dev id has an even one.)"""
    if split == "all":
        return True
    even = hashlib.sha256(qid.encode()).digest()[0] % 2 == 0
    return even if split == "even" else not even


def answer_lines(text: str) -> list[str]:
    """The claims of an answer text: lead lines dropped, citation markers and the quote
    marks the answerer adds stripped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or (line.endswith(":") and not _CITATIONS.search(line)):
            continue
        out.append(_CITATIONS.sub("", line).strip().strip(_QUOTE_MARKS).strip())
    return [line for line in out if line]


def answer_body(text: str) -> str:
    return "\n".join(answer_lines(text))


def sentence_count(text: str) -> int:
    """Sentences in the claims of an answer text (the lead line is not one)."""
    return sum(len(split_sentences(line)) for line in answer_lines(text))


def content_words(text: str) -> set[str]:
    return set(tokenize(text))


def statement_recall(gold: str, text: str) -> float:
    """Share of the gold statement's content words present in ``text``."""
    want = content_words(gold)
    if not want:
        return 0.0
    return len(want & content_words(text)) / len(want)


def _normalised(text: str) -> str:
    return " ".join(fold(text).split())


def contains_answer(gold: str, text: str) -> bool:
    """The gold answer string occurs in ``text``, accents, case and spacing aside."""
    want = _normalised(gold)
    return bool(want) and want in _normalised(text)


def question_kind(row: dict[str, Any]) -> Kind:
    if not row.get("gold_article_ids"):
        return "refuse"
    return "quote" if row.get("type") == "quote" else "factoid"


def wrong_topic_questions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Negatives a known speaker should refuse: the speaker of quote question i asked about
    the topic of quote question i+7 (someone else's), as bench/answers.py built them."""
    quotes = [r for r in rows if question_kind(r) == "quote"]
    out: list[dict[str, Any]] = []
    for i, row in enumerate(quotes):
        info = analyse(str(row["question"]))
        other = analyse(str(quotes[(i + WRONG_TOPIC_OFFSET) % len(quotes)]["question"]))
        if info.speaker and other.topic and fold(other.speaker) != fold(info.speaker):
            out.append(
                {
                    "id": f"{row['id']}-wrong",
                    "question": f"What did {info.speaker} say about {other.topic}?",
                    "lang": "en",  # the template is English, whatever the source question
                    "answer": None,
                    "gold_article_ids": [],
                    "type": "wrong_topic",
                }
            )
    return out


def _surname(name: str) -> str:
    return fold(name.split()[-1]) if name.strip() else ""


def gold_in_passage(kind: Kind, gold: str, passage: str) -> bool:
    if kind == "quote":
        return statement_recall(gold, passage) >= HELD_RECALL
    return contains_answer(gold, passage)


@dataclass
class AnswerRecord:
    """One question's outcome: what the user got and what retrieval had found."""

    id: str
    question: str
    type: str
    lang: str
    kind: Kind
    gold: str | None
    refused: bool
    text: str
    sentences: int
    latency_ms: float
    gold_top1: bool | None  # None when there is no gold to find
    gold_top3: bool | None
    recall: float | None = None  # quote questions
    held: bool | None = None
    right_speaker: bool | None = None
    contained: bool | None = None  # factoid questions
    short: bool | None = None
    speaker: str = ""
    doc_ids: list[str] = field(default_factory=list)  # the cited articles
    top_doc_ids: list[str] = field(default_factory=list)  # the top-3 retrieved chunks' articles
    # What the answer-or-refuse decision weighed, for calibrating it on one half.
    signals: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_answer(
    row: dict[str, Any], answer: Any, passages: list[str], latency_ms: float = 0.0
) -> AnswerRecord:
    """Score ``answer`` (an ``Answer``) to question ``row``, given the ranked passage texts
    it was built on."""
    kind = question_kind(row)
    gold = row.get("answer") if kind != "refuse" else None
    body = "" if answer.refused else answer_body(answer.text)
    rec = AnswerRecord(
        id=str(row["id"]),
        question=str(row["question"]),
        type=str(row.get("type", "-")),
        lang=str(row.get("lang", "-")),
        kind=kind,
        gold=gold,
        refused=bool(answer.refused),
        text=answer.text,
        sentences=sentence_count(answer.text),
        latency_ms=round(latency_ms, 1),
        gold_top1=None,
        gold_top3=None,
        speaker=answer.speaker,
        doc_ids=list(dict.fromkeys(s.doc_id for s in answer.sources)),
        signals={k: round(float(v), 5) for k, v in getattr(answer, "signals", {}).items()},
    )
    if gold:
        rec.gold_top1 = any(gold_in_passage(kind, gold, p) for p in passages[:1])
        rec.gold_top3 = any(gold_in_passage(kind, gold, p) for p in passages[:3])
    if kind == "quote" and gold:
        rec.recall = round(statement_recall(gold, body), 4) if body else 0.0
        rec.held = rec.recall >= HELD_RECALL
        asked = _surname(analyse(rec.question).speaker)
        said = [answer.speaker] if answer.speaker else [s.speaker for s in answer.sources]
        rec.right_speaker = bool(asked) and any(_surname(s) == asked for s in said if s)
    elif kind == "factoid" and gold:
        rec.contained = bool(body) and contains_answer(gold, body)
        rec.short = not answer.refused and rec.sentences <= SHORT_SENTENCES
    return rec


@dataclass
class AnswerStats:
    """Rates over one group of questions; None where the group has nothing to measure."""

    n: int
    answerable: int
    should_refuse: int
    top1: float | None = None  # gold in the top-1 / top-3 retrieved chunks (answerable)
    top3: float | None = None
    held: float | None = None  # quote questions: whole statement in the answer
    recall: float | None = None  # mean whole-statement recall
    right_speaker: float | None = None
    contained: float | None = None  # factoid: gold string in the answer
    contained_top3: float | None = None  # ... among questions whose gold was in the top 3
    short: float | None = None  # factoid answers given: <= SHORT_SENTENCES sentences
    false_refusals: float | None = None  # refused among answerable
    refusal_recall: float | None = None  # refused among should-refuse
    refusal_precision: float | None = None  # should-refuse among refused
    p50_ms: float = 0.0
    p95_ms: float = 0.0


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))], 1)


def refusal_scores(records: list[AnswerRecord]) -> tuple[float | None, float | None]:
    """(recall, precision) of refusing: refused should-refuse questions over all of them,
    and over every refusal (false refusals of answerable questions lower precision)."""
    negatives = [r for r in records if r.kind == "refuse"]
    refused = [r for r in records if r.refused]
    hits = sum(r.refused for r in negatives)
    recall = round(hits / len(negatives), 4) if negatives else None
    precision = round(hits / len(refused), 4) if refused else None
    return recall, precision


def aggregate(records: list[AnswerRecord]) -> AnswerStats:
    answerable = [r for r in records if r.kind != "refuse"]
    quotes = [r for r in answerable if r.kind == "quote"]
    factoids = [r for r in answerable if r.kind == "factoid"]
    found = [r for r in factoids if r.gold_top3]
    refusal_recall, refusal_precision = refusal_scores(records)
    latencies = [r.latency_ms for r in records]
    return AnswerStats(
        n=len(records),
        answerable=len(answerable),
        should_refuse=len(records) - len(answerable),
        top1=_rate([bool(r.gold_top1) for r in answerable]),
        top3=_rate([bool(r.gold_top3) for r in answerable]),
        held=_rate([bool(r.held) for r in quotes]),
        recall=round(statistics.fmean(r.recall or 0.0 for r in quotes), 4) if quotes else None,
        right_speaker=_rate([bool(r.right_speaker) for r in quotes]),
        contained=_rate([bool(r.contained) for r in factoids]),
        contained_top3=_rate([bool(r.contained) for r in found]),
        short=_rate([bool(r.short) for r in factoids if not r.refused]),
        false_refusals=_rate([r.refused for r in answerable]),
        refusal_recall=refusal_recall,
        refusal_precision=refusal_precision,
        p50_ms=_percentile(latencies, 0.50),
        p95_ms=_percentile(latencies, 0.95),
    )


@dataclass
class AnswersResult:
    split: str
    groups: dict[str, AnswerStats] = field(default_factory=dict)  # "all", "type=..", "lang=.."
    records: list[AnswerRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"split": self.split, "groups": {g: asdict(s) for g, s in self.groups.items()}}


def select_questions(
    questions: Path, *, split: Split = "all", limit: int | None = None, wrong_topic: bool = True
) -> list[dict[str, Any]]:
    """The questions of ``split`` (the first ``limit`` of them), then, when the set has quote
    questions and ``wrong_topic`` is on, the wrong-topic negatives made from them."""
    rows = [r for r in read_questions(questions) if in_split(str(r["id"]), split)]
    if limit is not None:
        rows = rows[:limit]
    return rows + (wrong_topic_questions(rows) if wrong_topic else [])


def evaluate_answers(
    assistant: Assistant,
    questions: Path,
    *,
    split: Split = "all",
    limit: int | None = None,
    wrong_topic: bool = True,
    out: Path | None = None,
) -> AnswersResult:
    """Ask every question as a user would and score the answer (see the module docstring)."""
    rows = select_questions(questions, split=split, limit=limit, wrong_topic=wrong_topic)
    result = AnswersResult(split=split)
    if rows:
        # Models and indexes load on first use: keep that out of the first latency.
        assistant.ask(str(rows[0]["question"]))
    out_fh = out.open("w", encoding="utf-8") if out else None
    try:
        for row in rows:
            question = str(row["question"])
            t0 = time.perf_counter()
            answer = assistant.ask(question)
            latency = 1000 * (time.perf_counter() - t0)
            # The same ranking ask() used: the chain's own question and retrieval steps.
            hits = assistant.hits(assistant.question(question))[: max(TOP_K)]
            rec = score_answer(row, answer, [h.text for h in hits], latency)
            rec.top_doc_ids = [h.metadata.get("doc_id", "") for h in hits]
            result.records.append(rec)
            if out_fh:
                out_fh.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
                out_fh.flush()
    finally:
        if out_fh:
            out_fh.close()
    by_group: dict[str, list[AnswerRecord]] = defaultdict(list)
    for rec in result.records:
        for group in ("all", f"type={rec.type}", f"lang={rec.lang}"):
            by_group[group].append(rec)
    result.groups = {g: aggregate(recs) for g, recs in by_group.items()}
    return result


_ANSWER_COLUMNS = (
    ("top1", "top1"), ("top3", "top3"), ("held", "held"), ("recall", "recall"),
    ("right_speaker", "speaker"), ("contained", "contain"), ("contained_top3", "cont|top3"),
    ("short", "short"), ("false_refusals", "falseref"), ("refusal_recall", "refuseR"),
    ("refusal_precision", "refuseP"),
)  # fmt: skip


def format_answers_table(result: AnswersResult) -> str:
    """One row per group; '-' where a rate does not apply (no such questions)."""
    header = (
        f"{'group':<20}{'n':>5}"
        + "".join(f"{label:>10}" for _, label in _ANSWER_COLUMNS)
        + f"{'p50ms':>8}{'p95ms':>8}"
    )
    lines = [header, "-" * len(header)]
    for group in sorted(result.groups, key=lambda g: (g != "all", g)):
        st = result.groups[group]
        cells = []
        for attr, _ in _ANSWER_COLUMNS:
            v = getattr(st, attr)
            cells.append(f"{'-' if v is None else f'{v:.3f}':>10}")
        lines.append(
            f"{group:<20}{st.n:>5}" + "".join(cells) + f"{st.p50_ms:>8.0f}{st.p95_ms:>8.0f}"
        )
    return "\n".join(lines)
