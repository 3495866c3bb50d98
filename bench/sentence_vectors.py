"""Saved sentence vectors (rag/sentence_vectors.py): the fill's cost, and that they are exact.

    python bench/sentence_vectors.py fill --store DIR [--questions Q.jsonl --n 100]
    python bench/sentence_vectors.py verify --store DIR [--n 300]

``fill`` saves the vectors of every chunk's sentences (what `rag ingest` starts in the
background) and prints sentences, seconds and sentences/s; with ``--questions``, only of
the chunks the first ``--n`` questions retrieve (the rows a full fill would give those
questions, for a latency run on a store too large to fill in the time at hand).

``verify`` re-embeds ``--n`` saved sentences chosen at random, with the answerer's model
and call (``embed_documents``, or ``embed_documents_sparse`` for rows with a code), and
counts those whose vector or code is not equal bit for bit: the answerer is a function of
the hits and these vectors, so 0 means answers from saved vectors are the answers it
would compute.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from rag import Assistant
from rag.embeddings import scoring_embeddings
from rag.sentence_vectors import SentenceVectors, fill, model_identity, sentences_to_save


def _fill(args: argparse.Namespace) -> None:
    a = Assistant(store=args.store)
    if args.questions:
        rows = [json.loads(x) for x in args.questions.open(encoding="utf-8") if x.strip()]
        chunks: dict[str, tuple[str, str, dict]] = {}
        t0 = time.perf_counter()
        for row in rows[: args.n]:
            for h in a.hits(a.question(str(row["question"]))):
                chunks[h.chunk_id] = (h.chunk_id, h.text, dict(h.metadata))
        print(
            f"{len(chunks)} chunks retrieved by {args.n} questions ({time.perf_counter() - t0:.0f} s)"
        )
        source = list(chunks.values())
    else:
        source = list(a.store.iter_chunks())
    t0 = time.perf_counter()
    report = fill(a.store.dir, source, scoring_embeddings(a.embeddings))
    s = time.perf_counter() - t0
    print(
        f"{len(source)} chunks: {report.sentences} sentences saved ({report.already} already) in "
        f"{s:.0f} s, {report.sentences / max(s, 1e-9):.1f} sentences/s"
    )


def _verify(args: argparse.Namespace) -> None:
    a = Assistant(store=args.store)
    model = scoring_embeddings(a.embeddings)
    saved = SentenceVectors(a.store.dir, model_identity(model))
    texts = sorted(sentences_to_save(a.store.iter_chunks()))
    found = saved.lookup(texts)
    sample = random.Random(args.seed).sample(sorted(found), min(args.n, len(found)))
    plain = [t for t in sample if found[t].code is None]
    coded = [t for t in sample if found[t].code is not None]
    vecs = model.embed_documents(plain) if plain else []
    more, codes = model.embed_documents_sparse(coded) if coded else ([], [])  # type: ignore[attr-defined]
    wrong = sum(
        not np.array_equal(found[t].vector, np.asarray(v, np.float32))
        for t, v in zip(plain + coded, list(vecs) + list(more), strict=True)
    )
    wrong_codes = sum(
        not (np.array_equal(found[t].code[0], c[0]) and np.array_equal(found[t].code[1], c[1]))
        for t, c in zip(coded, codes, strict=True)
    )
    print(
        f"{len(found)} of {len(texts)} sentences saved; re-embedded {len(sample)} "
        f"({len(coded)} with codes): {wrong} vectors and {wrong_codes} codes differ"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill")
    f.add_argument("--store", required=True, type=Path)
    f.add_argument("--questions", type=Path)
    f.add_argument("--n", type=int, default=100)
    v = sub.add_parser("verify")
    v.add_argument("--store", required=True, type=Path)
    v.add_argument("--n", type=int, default=300)
    v.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    _fill(args) if args.cmd == "fill" else _verify(args)


if __name__ == "__main__":
    main()
