"""Scale curve: query latency and memory at growing store sizes (issue "Performance").

    python bench/scale.py [--sizes 10000 100000] [--server] [--queries 40]

Synthetic chunks (random unit vectors, texts drawn from a Zipf vocabulary with a few
names) go through the real code paths: ``Store.upsert_chunks`` into Chroma, the real
BM25 index rebuild, and ``HybridRetriever.search`` (dense + BM25 + fusion) with real e5
query embeddings. ``--server`` runs the same against a local ``chroma run``.
Reports insert rate, BM25 build time, retrieval p50/p95 and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.embeddings import get_embeddings
from rag.retrieval import HybridRetriever
from rag.store import Store

DIM = 384
QUERIES = [
    "What did Rutte say about deterrence?",
    "bilancio del porto",
    "energy prices in winter",
    "Cosa ha detto il ministro sulla scuola?",
]


def _latencies(call: Callable[[str], object], n: int) -> list[float]:
    """Seconds per call over ``n`` questions, sorted, after one warm pass over QUERIES
    (query embeddings cached, indexes loaded)."""
    for q in QUERIES:
        call(q)
    out = []
    for i in range(n):
        t = time.perf_counter()
        call(QUERIES[i % len(QUERIES)])
        out.append(time.perf_counter() - t)
    return sorted(out)


def _p50_p95_ms(sorted_seconds: list[float]) -> tuple[float, float]:
    n = len(sorted_seconds)
    return (
        round(1000 * sorted_seconds[n // 2], 1),
        round(1000 * sorted_seconds[int(0.95 * (n - 1))], 1),
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fill(store: Store, n: int, rng: np.random.Generator, batch: int = 5000) -> float:
    vocab = [f"w{i}" for i in range(50000)] + ["rutte", "deterrenza", "porto", "bilancio"]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    started = time.perf_counter()
    for start in range(0, n, batch):
        m = min(batch, n - start)
        vecs = rng.standard_normal((m, DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        words = rng.choice(len(vocab), size=(m, 60), p=weights)
        texts = [" ".join(vocab[w] for w in row) for row in words]
        ids = [f"c{start + i}" for i in range(m)]
        metas = [
            {"doc_id": f"d{(start + i) // 3}", "source": ["Italpress", "ANSA", "BBC"][i % 3],
             "date_key": 20260101 + (i % 28), "lang": "it" if i % 2 else "en", "title": f"t{i}"}
            for i in range(m)
        ]  # fmt: skip
        store.upsert_chunks(ids, vecs.tolist(), texts, metas)
    store.bump_generation()
    return n / (time.perf_counter() - started)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(size: int, *, server: bool, queries: int, e5) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"scale{size}-"))
    proc = None
    try:
        url = None
        if server:
            port = _free_port()
            chroma = Path(sys.executable).with_name("chroma")
            proc = subprocess.Popen(
                [str(chroma), "run", "--path", str(tmp / "server"), "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            url = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.2)
        store = Store(tmp / "store", embeddings=e5, chroma_url=url, collection=f"scale{size}")
        rate = _fill(store, size, np.random.default_rng(size))
        retriever = HybridRetriever(store=store, embeddings=e5, k=6, fetch_k=40)
        t0 = time.perf_counter()
        retriever.lexical  # noqa: B018 - builds the BM25 index
        bm25_build = time.perf_counter() - t0
        lat = _latencies(retriever.search, queries)
        # the full extractive answer over the same store (question analysis, retrieval,
        # sentence scoring and composition), warm
        from rag import Assistant
        from rag.config import Settings

        settings = Settings(store=tmp / "store", chroma_url=url, collection=f"scale{size}")
        assistant = Assistant(settings=settings, embeddings=e5)
        answer = _latencies(assistant.ask, queries)
        (r50, r95), (a50, a95) = _p50_p95_ms(lat), _p50_p95_ms(answer)
        return {
            "chunks": size,
            "mode": "server" if server else "embedded",
            "insert_chunks_per_s": round(rate),
            "bm25_build_s": round(bm25_build, 1),
            "retrieval_p50_ms": r50,
            "retrieval_p95_ms": r95,
            "answer_p50_ms": a50,
            "answer_p95_ms": a95,
            "peak_rss_mb": round(_rss_mb()),
        }
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--server", action="store_true", help="also against a local chroma run")
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    e5 = get_embeddings("e5-small")
    for size in args.sizes:
        for server in [False, True] if args.server else [False]:
            print(json.dumps(run(size, server=server, queries=args.queries, e5=e5)), flush=True)


if __name__ == "__main__":
    main()
