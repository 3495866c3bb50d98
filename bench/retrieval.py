"""Retrieval benchmark: our hybrid retriever vs a LangChain "tutorial" RAG vs plain BM25.

    python bench/retrieval.py --dataset squad_it [--limit-articles N] [--limit-questions N]
        [--systems ours,tutorial,bm25] [--workdir bench/runs]

Datasets are the shared benchmark folders (``<data-dir>/<dataset>/{articles,questions.dev}.jsonl``,
see ../shared/bench/README.md). Every system writes ``ranked.<system>.jsonl``
(``{"id", "ranked_doc_ids"}``, distinct documents, best first, 10 per question) and
``perf.<system>.json``; every ranked file is scored by the independent
``score_retrieval.py --json`` and the results are printed side by side.

Systems (all with the same multilingual-e5-small embedder where one is used):

- ``ours``: ``rag.Assistant`` ingest of the articles (JSONL ids become doc ids), ranking by
  ``rag.eval.ranked_doc_ids`` (the same function as ``rag eval retrieval``).
- ``tutorial``: RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over each
  article's ``text`` (no title), embedded Chroma via ``langchain_chroma.Chroma.add_texts`` with
  metadata ``{"id": article id}``, ``similarity_search(question, k=30)``, chunks mapped to
  distinct article ids in rank order; if 30 chunks give fewer than 10 distinct articles the
  search is repeated with k=100.
- ``bm25``: bm25s over whole articles (title + text), lower-cased, tokenised by
  ``bm25s.tokenize`` with the union of the English and Italian stopword lists (questions and
  articles can be in either language), no stemming; top 10.

Stores are cached under ``<workdir>/<dataset>/<subset>/<system>/``: a finished ingest writes
``ingest.json`` and is skipped next time; an interrupted one resumes (and is flagged
``resumed`` in its timings).

``--limit-articles N`` keeps a meaningful subset: walking the (possibly ``--limit-questions``
truncated) questions in order, their gold articles are taken while they fit in
``N * --gold-share`` articles; the rest of the N are distractors, the first other articles by
sha1(id). Only questions whose gold articles are all kept (plus no-gold questions) are asked.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path(
    os.environ.get("BENCH_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "bench")
)
SYSTEMS = ("ours", "tutorial", "bm25")
K = 10
TUTORIAL_FETCH = (30, 100)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(path)


def sha1(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- subset
def select(
    articles: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    limit_articles: int | None,
    limit_questions: int | None,
    gold_share: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if limit_questions:
        questions = questions[:limit_questions]
    if not limit_articles or limit_articles >= len(articles):
        return articles, questions
    budget = max(1, int(limit_articles * gold_share))
    keep: list[str] = []
    kept: set[str] = set()
    for q in questions:
        new = [g for g in dict.fromkeys(q.get("gold_article_ids") or []) if g not in kept]
        if len(keep) + len(new) > budget:
            continue
        keep += new
        kept.update(new)
    distractors = sorted((a["id"] for a in articles if a["id"] not in kept), key=sha1)
    kept.update(distractors[: limit_articles - len(keep)])
    arts = [a for a in articles if a["id"] in kept]
    qs = [q for q in questions if set(q.get("gold_article_ids") or []) <= kept]
    return arts, qs


# --------------------------------------------------------------------------- helpers
def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    vs = sorted(values)
    idx = min(len(vs) - 1, max(0, round(p / 100 * (len(vs) - 1))))
    return vs[idx]


def run_queries(questions: list[dict[str, Any]], rank) -> tuple[list[dict[str, Any]], dict]:
    rows, lat = [], []
    for i, q in enumerate(questions, 1):
        t0 = time.perf_counter()
        ranked = rank(str(q["question"]))
        lat.append(time.perf_counter() - t0)
        rows.append({"id": q["id"], "ranked_doc_ids": ranked[:K]})
        if i % 100 == 0:
            log(f"  {i}/{len(questions)} questions")
    return rows, {
        "questions": len(questions),
        "query_p50_ms": 1000 * statistics.median(lat) if lat else None,
        "query_p95_ms": 1000 * percentile(lat, 95) if lat else None,
        "query_total_s": sum(lat),
    }


def load_meta(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def ingest_once(
    ctx: dict[str, Any], sysdir: Path, name: str, build: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """A system's ingest, skipped when ``sysdir/ingest.json`` says a complete one holds
    every article; ``build`` ingests (resuming what is stored) and returns its figures."""
    meta_path = sysdir / "ingest.json"
    meta = load_meta(meta_path)
    if meta and meta.get("complete") and meta.get("docs") == len(ctx["articles"]):
        log(f"{name}: complete ({meta['docs']} docs, {meta['chunks']} chunks), skip ingest")
        return {**meta, "cached": True}
    meta = build()
    meta_path.write_text(json.dumps(meta, indent=2))
    return {**meta, "cached": False}


# --------------------------------------------------------------------------- systems
def system_ours(ctx: dict[str, Any], sysdir: Path) -> tuple[list[dict], dict]:
    from rag import Assistant
    from rag.eval import ranked_doc_ids

    assistant = Assistant(store=sysdir / "store", embeddings=ctx["emb"])
    n_docs = len(ctx["articles"])

    def build() -> dict[str, Any]:
        before = assistant.store.doc_count()
        log(f"ours: ingest {n_docs} articles ({before} already stored)")
        t0 = time.perf_counter()
        seen = {"next": 0}

        def on_progress(done: int, total: int, what: str) -> None:
            if done >= seen["next"]:
                log(f"  ours: {what} {done}/{total} chunks")
                seen["next"] = done + 256

        report = assistant.ingest([ctx["articles_path"]], progress=False, on_progress=on_progress)
        secs = time.perf_counter() - t0
        if report.failed:
            raise SystemExit(f"ours: ingest failures: {report.failed[:5]}")
        docs, chunks = assistant.store.doc_count(), assistant.store.chunk_count()
        if docs != n_docs:
            raise SystemExit(f"ours: store has {docs} documents, expected {n_docs}")
        return {
            "complete": True,
            "docs": docs,
            "chunks": chunks,
            "chunks_embedded": report.chunks_embedded,
            "ingest_s": secs,
            "docs_per_s": (docs - before) / secs if secs else None,
            "chunks_per_s": report.chunks_embedded / secs if secs else None,
            "resumed": before > 0,
        }

    meta = ingest_once(ctx, sysdir, "ours", build)
    t0 = time.perf_counter()
    ranked_doc_ids(assistant, "warm up", K)  # opens Chroma, loads/builds the BM25 index
    meta["warmup_s"] = time.perf_counter() - t0
    rows, qperf = run_queries(ctx["questions"], lambda q: ranked_doc_ids(assistant, q, K))
    return rows, {**meta, **qperf}


def system_tutorial(ctx: dict[str, Any], sysdir: Path) -> tuple[list[dict], dict]:
    import chromadb
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    client = chromadb.PersistentClient(
        path=str(sysdir / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    vs = Chroma(collection_name="tutorial", embedding_function=ctx["emb"], client=client)
    n_docs = len(ctx["articles"])

    def build() -> dict[str, Any]:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, ids, metas = [], [], []
        for a in ctx["articles"]:
            for i, chunk in enumerate(splitter.split_text(a["text"])):
                texts.append(chunk)
                ids.append(f"{a['id']}#{i}")
                metas.append({"id": a["id"]})
        coll = client.get_or_create_collection("tutorial")
        have: set[str] = set()
        for i in range(0, len(ids), 500):
            have.update(coll.get(ids=ids[i : i + 500], include=[])["ids"])
        todo = [j for j, cid in enumerate(ids) if cid not in have]
        log(f"tutorial: {len(texts)} chunks, {len(todo)} to embed")
        t0 = time.perf_counter()
        for b in range(0, len(todo), 64):
            batch = todo[b : b + 64]
            vs.add_texts(
                [texts[j] for j in batch],
                metadatas=[metas[j] for j in batch],
                ids=[ids[j] for j in batch],
            )
            if (b // 64) % 8 == 0:
                log(f"  tutorial: {b + len(batch)}/{len(todo)} chunks")
        secs = time.perf_counter() - t0
        return {
            "complete": True,
            "docs": n_docs,
            "chunks": len(texts),
            "chunks_embedded": len(todo),
            "ingest_s": secs,
            "docs_per_s": n_docs / secs if secs and not have else None,
            "chunks_per_s": len(todo) / secs if secs else None,
            "resumed": bool(have),
        }

    meta = ingest_once(ctx, sysdir, "tutorial", build)

    def rank(q: str) -> list[str]:
        out: list[str] = []
        for fetch in TUTORIAL_FETCH:
            docs = vs.similarity_search(q, k=fetch)
            out = list(dict.fromkeys(str(d.metadata["id"]) for d in docs))
            if len(out) >= K:
                break
        return out[:K]

    t0 = time.perf_counter()
    vs.similarity_search("warm up", k=1)
    meta["warmup_s"] = time.perf_counter() - t0
    rows, qperf = run_queries(ctx["questions"], rank)
    return rows, {**meta, **qperf}


def system_bm25(ctx: dict[str, Any], sysdir: Path) -> tuple[list[dict], dict]:
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_ITALIAN

    stop = sorted(set(STOPWORDS_EN) | set(STOPWORDS_ITALIAN))
    ids = [a["id"] for a in ctx["articles"]]
    corpus = [f"{a.get('title') or ''}\n{a['text']}".lower() for a in ctx["articles"]]
    t0 = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords=stop, show_progress=False), show_progress=False
    )
    secs = time.perf_counter() - t0
    meta = {
        "docs": len(ids),
        "chunks": len(ids),
        "ingest_s": secs,
        "docs_per_s": len(ids) / secs if secs else None,
        "chunks_per_s": None,
        "cached": False,
    }
    k = min(K, len(ids))

    def rank(q: str) -> list[str]:
        tokens = bm25s.tokenize([q.lower()], stopwords=stop, show_progress=False)
        if not tokens.vocab:  # only stopwords
            return []
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        return [ids[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    rows, qperf = run_queries(ctx["questions"], rank)
    return rows, {**meta, **qperf}


RUNNERS = {"ours": system_ours, "tutorial": system_tutorial, "bm25": system_bm25}


# --------------------------------------------------------------------------- scoring
def score(scorer: Path, questions: Path, ranked: Path, out: Path, label: str) -> dict:
    subprocess.run(
        [
            sys.executable,
            str(scorer),
            "--questions",
            str(questions),
            "--ranked",
            str(ranked),
            "--json",
            str(out),
            "--label",
            label,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(out.read_text())["results"]


def fmt(v: Any, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def tables(dataset: str, subset: str, scores: dict[str, dict], perf: dict[str, dict]) -> str:
    systems = [s for s in SYSTEMS if s in scores]
    groups = list(next(iter(scores.values())).keys()) if scores else []
    hdr = ["group", "n"] + [f"{s} {m}" for s in systems for m in ("H@1", "H@10", "MRR")]
    lines = [
        f"**{dataset}** ({subset})",
        "",
        "| " + " | ".join(hdr) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|",
    ]
    for g in groups:
        first = scores[systems[0]][g]
        row = [g, str(first["n"])]
        for s in systems:
            d = scores[s].get(g, {})
            row += [fmt(d.get("hits@1")), fmt(d.get("hits@10")), fmt(d.get("mrr@10"))]
        lines.append("| " + " | ".join(row) + " |")
    no_gold = scores[systems[0]]["overall"]["no_gold"] if systems else 0
    if no_gold:
        lines += ["", f"_{no_gold} no-gold questions are excluded from the metrics._"]
    lines += [
        "",
        "| system | docs | chunks | ingest s | docs/s | chunks/s | query p50 ms "
        "| query p95 ms | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in systems:
        p = perf[s]
        flags = (
            ("cached store", p.get("cached")),
            ("resumed ingest", p.get("resumed")),
            ("earlier run", p.get("earlier_run")),
        )
        note = ", ".join(n for n, on in flags if on)
        lines.append(
            f"| {s} | {p.get('docs')} | {p.get('chunks')} | {fmt(p.get('ingest_s'), '.1f')} "
            f"| {fmt(p.get('docs_per_s'), '.2f')} | {fmt(p.get('chunks_per_s'), '.2f')} "
            f"| {fmt(p.get('query_p50_ms'), '.0f')} | {fmt(p.get('query_p95_ms'), '.0f')} "
            f"| {note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dataset", required=True, help="squad_it, squad_en or bbc_quotes")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit-articles", type=int)
    ap.add_argument("--limit-questions", type=int)
    ap.add_argument(
        "--gold-share",
        type=float,
        default=0.5,
        help="with --limit-articles: at most this share of them are gold articles",
    )
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "runs")
    args = ap.parse_args(argv)

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        ap.error(f"unknown systems {sorted(unknown)}; choose from {SYSTEMS}")
    src = args.data_dir / args.dataset
    scorer = args.data_dir / "score_retrieval.py"
    articles = read_jsonl(src / "articles.jsonl")
    questions = read_jsonl(src / "questions.dev.jsonl")
    arts, qs = select(
        articles, questions, args.limit_articles, args.limit_questions, args.gold_share
    )

    subset = "full" if len(arts) == len(articles) else f"a{len(arts)}"
    run_dir = args.workdir / args.dataset / subset
    run_dir.mkdir(parents=True, exist_ok=True)
    if subset == "full":
        articles_path = src / "articles.jsonl"
    else:
        articles_path = run_dir / "articles.jsonl"
        write_jsonl(articles_path, arts)
    qtag = f".q{args.limit_questions}" if args.limit_questions else ""
    q_path = run_dir / f"questions{qtag}.jsonl"
    write_jsonl(q_path, qs)
    log(f"{args.dataset}/{subset}: {len(arts)} articles, {len(qs)} questions -> {run_dir}")

    ctx: dict[str, Any] = {"articles": arts, "articles_path": articles_path, "questions": qs}
    if {"ours", "tutorial"} & set(systems):
        from rag.embeddings import get_embeddings

        ctx["emb"] = get_embeddings("e5-small")

    scores: dict[str, dict] = {}
    perf: dict[str, dict] = {}
    # Systems run earlier on the same subset and question file (not in this run) stay in the
    # summary, re-scored from their ranked files and flagged as such.
    for s in SYSTEMS:
        ranked = run_dir / f"ranked.{s}{qtag}.jsonl"
        perf_path = run_dir / f"perf.{s}{qtag}.json"
        if s not in systems and ranked.exists() and perf_path.exists():
            perf[s] = {**json.loads(perf_path.read_text()), "earlier_run": True}
            scores[s] = score(
                scorer, q_path, ranked, run_dir / f"scores.{s}{qtag}.json",
                f"{args.dataset}/{subset} {s}",
            )  # fmt: skip
    md = ""
    for s in systems:
        sysdir = run_dir / s
        sysdir.mkdir(exist_ok=True)
        log(f"system {s}")
        rows, p = RUNNERS[s](ctx, sysdir)
        ranked = run_dir / f"ranked.{s}{qtag}.jsonl"
        write_jsonl(ranked, rows)
        perf[s] = p
        (run_dir / f"perf.{s}{qtag}.json").write_text(json.dumps(p, indent=2))
        scores[s] = score(
            scorer,
            q_path,
            ranked,
            run_dir / f"scores.{s}{qtag}.json",
            f"{args.dataset}/{subset} {s}",
        )
        md = tables(args.dataset, subset, scores, perf)
        (run_dir / f"summary{qtag}.md").write_text(md + "\n")
        log(f"system {s} done: H@1 {scores[s]['overall']['hits@1']:.3f}")
    md = tables(args.dataset, subset, scores, perf) if scores else md
    (run_dir / f"summary{qtag}.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
