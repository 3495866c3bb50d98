"""Ingest and query performance, side by side with the LangChain tutorial pipeline.

    python bench/perf.py [--dataset squad_it] [--articles 150] [--questions 40]

On the first N articles of a shared dataset (default 150 squad_it paragraphs) and in one
run, so every figure has its baseline beside it:

- embedder ceiling: the raw model on exactly the chunks our ingest embeds (chunks/s);
- ours: `rag ingest` as a real process (wall time incl. start-up, docs/s, chunks/s,
  peak RSS), then the same command again on the unchanged corpus;
- tutorial: RecursiveCharacterTextSplitter(1000/200) -> same embedder -> Chroma add_texts;
- queries (warm, in-process): retrieval alone and a full extractive answer, p50/p95;
- cold start: `rag ask` from process start to answer, and `rag --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCH_DATA", "/work/shared/bench"))


def _run(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True)
    return time.perf_counter() - t0, proc


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="squad_it")
    ap.add_argument("--articles", type=int, default=150)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "runs" / "perf")
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
    env_store = str(work / "ours")
    result: dict[str, object] = {"dataset": args.dataset, "articles": len(articles)}

    # ours, as a user runs it (first child process: its peak RSS is ours alone)
    seconds, proc = _run("ingest", str(subset), "--store", env_store, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    chunks = report["chunks_embedded"]
    result["ours_ingest_s"] = round(seconds, 1)
    result["ours_docs_per_s"] = round(len(articles) / seconds, 2)
    result["ours_chunks"] = chunks
    result["ours_chunks_per_s"] = round(chunks / seconds, 2)
    result["ours_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    seconds, proc = _run("ingest", str(subset), "--store", env_store)
    result["reingest_unchanged_s"] = round(seconds, 2)

    # the embedder's ceiling on exactly those chunks
    from rag.chunking import chunk_document
    from rag.documents import load_file
    from rag.embeddings import get_embeddings
    from rag.ingest import _embedding_text

    e5 = get_embeddings("e5-small")
    texts = list(
        dict.fromkeys(
            _embedding_text(c) for d in load_file(subset).documents for c in chunk_document(d)
        )
    )
    t0 = time.perf_counter()
    for i in range(0, len(texts), 32):
        e5.embed_documents(texts[i : i + 32])
    raw = time.perf_counter() - t0
    result["embedder_chunks_per_s"] = round(len(texts) / raw, 2)
    result["ours_share_of_embedder"] = round(
        result["ours_chunks_per_s"] / result["embedder_chunks_per_s"], 2
    )

    # the tutorial pipeline on the same articles
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    t0 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    tut_texts, tut_meta = [], []
    for a in articles:
        for piece in splitter.split_text(a["text"]):
            tut_texts.append(piece)
            tut_meta.append({"id": a["id"]})
    db = Chroma(
        collection_name="tutorial", embedding_function=e5, persist_directory=str(work / "tutorial")
    )
    for i in range(0, len(tut_texts), 64):
        db.add_texts(tut_texts[i : i + 64], metadatas=tut_meta[i : i + 64])
    tut = time.perf_counter() - t0
    result["tutorial_ingest_s"] = round(tut, 1)
    result["tutorial_chunks"] = len(tut_texts)
    result["tutorial_docs_per_s"] = round(len(articles) / tut, 2)
    result["ours_vs_tutorial_docs_per_s"] = round(
        result["ours_docs_per_s"] / result["tutorial_docs_per_s"], 2
    )

    # warm queries, in-process
    from rag import Assistant

    assistant = Assistant(store=env_store, embeddings=e5)
    assistant.ask(questions[0]["question"])  # warm-up: loads Chroma and BM25
    retrieval, answer, tutorial_q = [], [], []
    for q in questions:
        t0 = time.perf_counter()
        assistant.retriever.search(q["question"] + " ")  # a fresh query embedding each time
        retrieval.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assistant.ask(q["question"] + "  ")
        answer.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        db.similarity_search(q["question"] + "   ", k=10)
        tutorial_q.append(time.perf_counter() - t0)
    for name, vals in (
        ("retrieval", retrieval),
        ("answer", answer),
        ("tutorial_query", tutorial_q),
    ):
        result[f"{name}_p50_ms"] = round(1000 * statistics.median(vals), 1)
        result[f"{name}_p95_ms"] = round(1000 * _pct(vals, 0.95), 1)

    # cold start
    colds = [_run("ask", questions[0]["question"], "--store", env_store)[0] for _ in range(3)]
    helps = [_run("--help")[0] for _ in range(3)]
    result["cold_ask_s"] = round(statistics.median(colds), 2)
    result["help_s"] = round(statistics.median(helps), 2)
    print(json.dumps(result, indent=2))
    (work / "perf.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
