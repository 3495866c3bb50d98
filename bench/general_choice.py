"""The general answer's sentence choice, offline: where the misses are and what a reader gets.

    python bench/general_choice.py DUMP.pkl [DUMP.pkl ...] --store DIR [--cache FILE]
        [--misses N] [--variants]

Reads dumps of ``bench/answer_replay.py dump`` (saved retrieval) and keeps the general-path
questions whose gold answer is in the top-3 chunks. Every candidate sentence of the top four
passages is embedded once with the answerer's own sentence model (``ExtractiveAnswerer``'s
``_vectors``, one sentence at a time as it does) and cached, so the code's ranking and its
variants re-score in seconds. Per language pair (question>article) it prints:

- ``cont``: the answer holds the gold (what ``bench/answers.py`` calls cont|top3);
- ``first``: its FIRST sentence holds it (what a reader reads first);
- ``1/2/3/4+``: the share of answers with that many sentences, as a reader counts them;
- the misses classified: refused, gold chunk not among the passages read, gold sentence
  never embedded (outside the 12), gold sentence embedded but outranked (by how much, and
  whether the chosen sentence comes from another chunk).

``--misses N`` prints N misses per pair (question, kind asked, chosen and gold sentence).
``--variants`` also scores the choice rules compared in bench/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import math
import pickle
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag import Assistant
from rag.answer import extractive as ex
from rag.answer.extractive import _candidates, _evidence, _floor, holds
from rag.chunking import split_sentences
from rag.embeddings import cached_query_vector
from rag.eval import contains_answer
from rag.text import cognate, tokenize


@dataclass
class Rec:
    row: dict[str, Any]
    info: Any
    hits: list[Any]
    sentences: list[Any]  # every sentence of the top four passages (``_candidates``)
    cands: list[Any]  # those longer than 25 characters: what ``_general`` ranks
    feats: dict[str, list[float]] = field(default_factory=dict)
    vec: Any = None
    _dense: dict[int, float] = field(default_factory=dict)

    def dense(self, i: int) -> float:
        """Candidate ``i``'s similarity to the question, embedded when first asked for:
        embedding is the slow part, and most variants embed the same dozen sentences."""
        if i not in self._dense:
            self._dense[i] = float(
                self.vec.sentence(self.cands[i].text) @ self.vec.question(self.info.text)
            )
        return self._dense[i]

    @property
    def pair(self) -> str:
        return f"{self.info.lang}>{self.hits[0].metadata.get('lang')}"


def records(dumps: list[Path]) -> list[Rec]:
    out = []
    for path in dumps:
        for row, info, hits in pickle.loads(path.read_bytes())["rows"]:
            if info.names_a_person or (info.asks_who and info.topic):
                continue  # not the general path
            if not any(contains_answer(row["answer"], h.text) for h in hits[:3]):
                continue
            sentences = _candidates(hits[:4], sentences=True)
            cands = [c for c in sentences if len(c.text) > 25]
            if cands:
                out.append(Rec(row, info, hits, sentences, cands))
    return out


class Vectors:
    """The answerer's sentence vectors and question vectors, cached on disk."""

    def __init__(self, store: Path, path: Path) -> None:
        self.path = path
        self.cache: dict[tuple[str, str], Any] = (
            pickle.loads(path.read_bytes()) if path.exists() else {}
        )
        self.store = store
        self._answerer: Any = None

    @property
    def answerer(self) -> Any:
        if self._answerer is None:  # only when something is not cached yet
            self._answerer = Assistant(store=self.store).answerer
        return self._answerer

    def sentence(self, text: str) -> np.ndarray:
        if ("s", text) not in self.cache:
            self.answerer._embed([text])
            # The answerer's own entry (vector, latent code): ``answer_replay.py score
            # --vectors`` preloads it, so a replay embeds nothing twice.
            self.cache[("s", text)] = self.answerer._cache[text]
        return self.cache[("s", text)][0]

    def question(self, text: str) -> np.ndarray:
        if ("q", text) not in self.cache:
            self.cache[("q", text)] = np.asarray(
                cached_query_vector(self.answerer.embeddings, text), dtype=np.float32
            )
        return self.cache[("q", text)]

    def save(self) -> None:
        self.path.write_bytes(pickle.dumps(self.cache))


def prepare(recs: list[Rec], vec: Vectors) -> None:
    """``_score_sentences``'s features for every candidate (not only the 12 it embeds)."""
    for r in recs:
        terms = {cognate(t) for t in tokenize(r.info.text)}
        held = [terms & {cognate(t) for t in tokenize(c.text)} for c in r.cands]
        n = len(r.cands)
        idf = {t: math.log(1 + (n + 1) / (sum(t in h for h in held) + 0.5)) for t in terms}
        total = sum(idf.values()) or 1.0
        rank = {id(h): i for i, h in enumerate(r.hits[:4])}
        r.vec = vec
        f = r.feats
        f["lexical"] = [sum(idf[t] for t in h) / total for h in held]
        f["words"] = [float(len(h)) for h in held]
        f["kind"] = [float(holds(r.info.wants, c.text)) for c in r.cands]
        f["first"] = [float(c.hit is r.hits[0]) for c in r.cands]
        f["rank"] = [float(rank[id(c.hit)]) for c in r.cands]
        f["hitdense"] = [float(c.hit.dense) for c in r.cands]
        f["hitscore"] = [float(c.hit.score) for c in r.cands]
        f["gold"] = [float(contains_answer(r.row["answer"], c.text)) for c in r.cands]
        f["pos"] = [float(i) for i in range(n)]


# A rule maps a record to (prior per candidate, score per candidate, how many are embedded).
Rule = Callable[[Rec], tuple[list[float], list[float]]]


def code_rule(
    lexical: float = ex.LEXICAL_BONUS,
    kind: float | dict[str, float] = ex.ANSWER_KIND_BONUS,
    first: float = ex.FIRST_PASSAGE_BONUS,
    rank: float = 0.0,
) -> Rule:
    def rule(r: Rec) -> tuple[list[float], list[float]]:
        f = r.feats
        k = kind.get(r.pair, ex.ANSWER_KIND_BONUS) if isinstance(kind, dict) else kind
        prior = [
            lexical * f["lexical"][i]
            + k * f["kind"][i]
            + first * f["first"][i]
            - rank * f["rank"][i]
            for i in range(len(r.cands))
        ]
        return prior, prior

    return rule


@dataclass
class Outcome:
    refused: bool
    held: bool
    first_held: bool
    n_sentences: int
    chosen: list[int]
    kept: list[int]
    scores: list[float]


def previous(r: Rec) -> list[int]:
    """Each candidate's previous sentence in the same paragraph (index), or -1."""
    out = []
    for i, c in enumerate(r.cands):
        j = i - 1
        p = r.cands[j] if j >= 0 else None
        ok = p is not None and p.hit is c.hit and p.end <= c.start
        if ok:
            base = int(c.hit.metadata.get("char_start", 0) or 0)
            ok = "\n\n" not in c.hit.text[p.end - base : c.start - base]
        out.append(j if ok else -1)
    return out


def continued(delta: float) -> Callable[[Rec, list[float], list[int]], list[float]]:
    """A sentence scores at least its previous sentence's score less ``delta``."""

    def post(r: Rec, score: list[float], order: list[int]) -> list[float]:
        prev = previous(r)
        out = list(score)
        for i in order:
            j = prev[i]
            if j >= 0 and j in order:
                out[i] = max(score[i], score[j] - delta)
        return out

    return post


def run(
    r: Rec,
    rule: Rule,
    embedded: int = ex.MAX_EMBEDDED_SENTENCES,
    window: float = ex.GENERAL_KEEP_WITHIN,
    budget: int = ex.GENERAL_SENTENCES,
    post: Callable[[Rec, list[float], list[int]], list[float]] | None = None,
) -> Outcome:
    """``_general``'s bar and choice with ``rule``'s prior and score."""
    prior, bonus = rule(r)
    order = sorted(range(len(r.cands)), key=lambda i: (-prior[i], i))[:embedded]
    kept = [r.cands[i] for i in order]
    score = [-9.0] * len(r.cands)
    for i, c in zip(order, kept, strict=True):
        c.dense = r.dense(i)
        c.score = score[i] = c.dense + bonus[i]
        c.topic_words = int(r.feats["words"][i])
    if post is not None:
        score = post(r, score, order)
        for i, c in zip(order, kept, strict=True):
            c.score = score[i]
    strongest = max(kept, key=lambda c: _evidence(c, r.info) - _floor(c, r.info))
    if _evidence(strongest, r.info) < _floor(strongest, r.info):
        return Outcome(True, False, False, 0, [], order, score)
    old = ex.GENERAL_KEEP_WITHIN, ex.GENERAL_SENTENCES
    ex.GENERAL_KEEP_WITHIN, ex.GENERAL_SENTENCES = window, budget
    try:
        chosen = ex.choose_general(kept, r.sentences)
    finally:
        ex.GENERAL_KEEP_WITHIN, ex.GENERAL_SENTENCES = old
    ids = [next((i for i, c in enumerate(r.cands) if c is x), -1) for x in chosen]
    text = "\n".join(c.text for c in chosen)
    # What a reader reads first: the best-scored sentence (with its antecedent, if any,
    # the antecedent is printed first but the answer is the sentence after it).
    lead = max(chosen, key=lambda c: c.score if any(c is k for k in kept) else -9)
    n = sum(len(split_sentences(c.text)) or 1 for c in chosen)
    gold = r.row["answer"]
    return Outcome(
        False, contains_answer(gold, text), contains_answer(gold, lead.text), n, ids, order, score
    )


def table(recs: list[Rec], name: str, **kw: Any) -> dict[str, float]:
    by: dict[str, list[Outcome]] = defaultdict(list)
    rule = kw.pop("rule")
    for r in recs:
        by[r.pair].append(run(r, rule, **kw))
    cells = []
    res = {}
    for p, outs in sorted(by.items()):
        n = len(outs)
        held = sum(o.held for o in outs) / n
        res[p] = held
        first = sum(o.first_held for o in outs) / n
        counts = Counter(min(o.n_sentences, 4) for o in outs if not o.refused)
        given = sum(counts.values()) or 1
        shares = "/".join(f"{counts[k] / given:.2f}" for k in (1, 2, 3, 4))
        cells.append(f"{p} {held:.3f} first {first:.3f} [{shares}] n={n}")
    print(f"{name:<34}" + "  ".join(cells), flush=True)
    if recs:
        recs[0].vec.save()
    return res


def classify(recs: list[Rec], show: int) -> None:
    rule = code_rule()
    by: dict[str, Counter[str]] = defaultdict(Counter)
    gaps: dict[str, list[float]] = defaultdict(list)
    shown: Counter[str] = Counter()
    for r in recs:
        o = run(r, rule)
        p = r.pair
        by[p]["n"] += 1
        if o.held:
            by[p]["held"] += 1
            continue
        if o.refused:
            by[p]["refused"] += 1
            continue
        gold = [i for i, g in enumerate(r.feats["gold"]) if g]
        if not gold:
            by[p]["gold not in one sentence"] += 1
            continue
        best_gold = max(gold, key=lambda i: o.scores[i])
        lead = max(o.chosen, key=lambda i: o.scores[i] if i in o.kept else -9)
        same_chunk = r.cands[lead].hit is r.cands[best_gold].hit
        where = "same chunk" if same_chunk else "other chunk"
        gold_rank = int(r.feats["rank"][best_gold])
        if best_gold not in o.kept:
            by[p][f"gold never embedded ({where})"] += 1
        else:
            by[p][f"gold outranked ({where})"] += 1
            gaps[p].append(o.scores[lead] - o.scores[best_gold])
        by[p][f"gold in passage {gold_rank + 1}"] += 1
        by[p][f"asks {r.info.wants or 'what'}"] += 1
        if r.info.wants:
            by[p][f"asks {r.info.wants}: chosen holds kind {int(r.feats['kind'][lead])}"] += 1
        if shown[p] < show:
            shown[p] += 1
            rank = sorted(range(len(r.cands)), key=lambda i: -o.scores[i]).index(best_gold)
            print(
                f"\n[{p}] {r.info.text}  (wants {r.info.wants or '-'}; gold {r.row['answer']!r})\n"
                f"  chosen (passage {int(r.feats['rank'][lead]) + 1}, "
                f"{o.scores[lead]:.3f}): {r.cands[lead].text[:160]}\n"
                f"  gold   (passage {gold_rank + 1}, {o.scores[best_gold]:.3f}, "
                f"rank {rank + 1}, {'embedded' if best_gold in o.kept else 'NOT embedded'}, "
                f"kind {int(r.feats['kind'][best_gold])}): {r.cands[best_gold].text[:160]}"
            )
    print()
    for p, cnt in sorted(by.items()):
        print(f"{p}: " + ", ".join(f"{k} {v}" for k, v in sorted(cnt.items())))
        g = sorted(gaps[p])
        if g:
            print(f"  outranked by: median {np.median(g):.3f}, " + " ".join(f"{x:.3f}" for x in g))


def kinds(recs: list[Rec]) -> None:
    """How reliable the answer-kind signal is per pair: among questions asking for a kind,
    how often the gold sentence holds one, against the other candidates."""
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in recs:
        if not r.info.wants or not any(r.feats["gold"]):
            continue
        f = r.feats
        gold = [f["kind"][i] for i in range(len(r.cands)) if f["gold"][i]]
        other = [f["kind"][i] for i in range(len(r.cands)) if not f["gold"][i]]
        by[f"{r.pair} {r.info.wants}"].append((max(gold), float(np.mean(other)) if other else 0))
    for k, v in sorted(by.items()):
        g, o = np.mean([x[0] for x in v]), np.mean([x[1] for x in v])
        print(f"kind {k:<16} n={len(v):>3} gold sentence holds it {g:.2f}, others {o:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dumps", type=Path, nargs="+")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=Path("bench/.general_choice.pkl"))
    ap.add_argument("--misses", type=int, default=0)
    ap.add_argument("--variants", action="store_true")
    ap.add_argument("--pairs", nargs="*", help="only these pairs (question>article)")
    args = ap.parse_args()
    recs = [r for r in records(args.dumps) if not args.pairs or r.pair in args.pairs]
    prepare(recs, Vectors(args.store, args.cache))
    table(recs, "the code as is", rule=code_rule())
    classify(recs, args.misses)
    kinds(recs)
    if args.variants:
        variants(recs)


def variants(recs: list[Rec]) -> None:
    for d in (0.0, 0.02, 0.04, 0.06, 0.1):
        table(recs, f"continued -{d}", rule=code_rule(), post=continued(d))
    table(recs, "every sentence embedded", rule=code_rule(), embedded=999)
    for w in (0.01, 0.02, 0.04):
        table(recs, f"passage rank x{w}", rule=code_rule(rank=w))
    for k in (0.0, 0.06, 0.1):
        table(recs, f"kind x{k}", rule=code_rule(kind=k))
    for win in (0.02, 0.04):
        table(recs, f"window {win}", rule=code_rule(), window=win)


if __name__ == "__main__":
    main()
