"""Where does our retrieval lose? Ablations over an already built ``ours`` store.

    python bench/diagnose.py --dataset squad_it [--subset full] [--workdir bench/runs]

Reads the store, questions and articles that ``bench/retrieval.py`` left in
``<workdir>/<dataset>/<subset>/`` and, from the same candidate lists that the hybrid retriever
fuses (dense top-40 chunks, BM25 top-40 chunks), ranks documents in several ways:

- ``dense``, ``bm25``: one side alone (document = its best chunk);
- ``rrf``: what ``rag.retrieval.HybridRetriever`` does (RRF k=60, equal weights);
- ``rrf dense×w``: weighted RRF, the dense side counted w times;
- ``rrf doc-level``: RRF over document rankings (each side deduplicated to documents first)
  instead of over chunk rankings.

It also reports "same title @1": the top document comes from the gold document's title
(for SQuAD, the same Wikipedia article), i.e. how many misses are confusions between
paragraphs of one article. Nothing in ``rag/`` is changed; the scoring is the shared scorer's.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import DEFAULT_DATA, ROOT, read_jsonl  # noqa: E402

FETCH = 40
K = 10


def load_scorer(data_dir: Path) -> Any:
    spec = importlib.util.spec_from_file_location(
        "score_retrieval", data_dir / "score_retrieval.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_IT = set(
    "il lo la gli le di da in con su per tra fra che chi cosa quale quali quanti quante quando dove come perché è sono del della dei delle nel nella un una uno ha hanno".split()
)
_EN = set(
    "the of and to in is was what which who whom when where why how did does do are were a an by for from with that this has have".split()
)


def guess_lang(text: str) -> str:
    """Crude stopword vote, good enough for questions: 'it' or 'en'."""
    words = [w.strip("?.,;:'\"()").lower() for w in text.replace("'", " ").split()]
    return "it" if sum(w in _IT for w in words) > sum(w in _EN for w in words) else "en"


def rrf(rankings: list[tuple[list[str], float]], k: int = 60) -> list[str]:
    fused: dict[str, float] = defaultdict(float)
    for ranking, weight in rankings:
        for rank, key in enumerate(ranking):
            fused[key] += weight / (k + rank + 1)
    return sorted(fused, key=lambda x: -fused[x])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--subset", default="full")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workdir", type=Path, default=ROOT / "bench" / "runs")
    ap.add_argument("--questions", type=Path, help="default: <run dir>/questions.jsonl")
    args = ap.parse_args(argv)

    from rag import Assistant
    from rag.embeddings import get_embeddings

    run_dir = args.workdir / args.dataset / args.subset
    q_path = args.questions or run_dir / "questions.jsonl"
    questions = read_jsonl(q_path)
    arts_path = (
        args.data_dir / args.dataset / "articles.jsonl"
        if args.subset == "full"
        else run_dir / "articles.jsonl"
    )
    articles = read_jsonl(arts_path)
    title_of = {a["id"]: a.get("title") or "" for a in articles}
    lang_of = {a["id"]: a.get("lang") or "" for a in articles}
    assistant = Assistant(store=run_dir / "ours" / "store", embeddings=get_embeddings("e5-small"))
    retriever = assistant.retriever
    store = assistant.store
    lexical = retriever.lexical
    doc_of: dict[str, str] = {}

    def docs(chunks: list[tuple[str, float]]) -> list[str]:
        missing = [c for c, _ in chunks if c not in doc_of]
        if missing:
            for cid, (_, meta) in store.get_chunks(missing).items():
                doc_of[cid] = str(meta.get("doc_id", ""))
        return list(dict.fromkeys(doc_of[c] for c, _ in chunks if c in doc_of))

    variants: dict[str, list[dict[str, Any]]] = defaultdict(list)
    same_title: dict[str, int] = defaultdict(int)
    lang_ok = [0]
    for i, q in enumerate(questions, 1):
        text = str(q["question"])
        dense = store.query(retriever.embed_query(text), k=FETCH)
        lex = lexical.search(text, k=FETCH)
        dense_ids = [c for c, _ in dense]
        lex_ids = [c for c, _ in lex]
        ranked = {
            "dense": docs(dense),
            "bm25": docs(lex),
            "rrf": docs([(c, 0.0) for c in rrf([(dense_ids, 1.0), (lex_ids, 1.0)])]),
        }
        for w in (1.5, 2.0, 3.0):
            fused = rrf([(dense_ids, w), (lex_ids, 1.0)])
            ranked[f"rrf dense×{w:g}"] = docs([(c, 0.0) for c in fused])
        ranked["rrf doc-level"] = rrf([(docs(dense), 1.0), (docs(lex), 1.0)])
        # BM25 votes only for chunks in the question's (guessed) language.
        qlang = guess_lang(text)
        docs(lex)
        lex_same = [c for c in lex_ids if lang_of.get(doc_of.get(c, "")) == qlang]
        fused = rrf([(dense_ids, 1.0), (lex_same, 1.0)])
        ranked["rrf lang-gated BM25"] = docs([(c, 0.0) for c in fused])
        if qlang == q.get("lang"):
            lang_ok[0] += 1
        for name, r in ranked.items():
            variants[name].append({"id": q["id"], "ranked_doc_ids": r[:K]})
            gold = q.get("gold_article_ids") or []
            if gold and r and title_of.get(r[0]) in {title_of.get(g) for g in gold}:
                same_title[name] += 1
        if i % 200 == 0:
            print(f"{i}/{len(questions)}", file=sys.stderr, flush=True)

    scorer = load_scorer(args.data_dir)
    groups: list[str] = []
    results = {}
    for name, rows in variants.items():
        results[name] = scorer.compute(questions, rows)
        groups = list(results[name])
    n_gold = sum(1 for q in questions if q.get("gold_article_ids"))
    hdr = ["variant", "same title @1"] + [f"{g} H@1 / H@10" for g in groups]
    lines = [
        f"**{args.dataset}** ({args.subset}): ablations from the `ours` store",
        "",
        "| " + " | ".join(hdr) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|",
    ]
    for name, res in results.items():
        cells = [name, f"{same_title[name] / n_gold:.3f}" if n_gold else "-"]
        for g in groups:
            d = res[g]
            h1, h10 = d["hits@1"], d["hits@10"]
            cells.append("-" if h1 is None else f"{h1:.3f} / {h10:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Question language guessed right for {lang_ok[0]}/{len(questions)} questions."]
    md = "\n".join(lines)
    (run_dir / "diagnose.md").write_text(md + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
