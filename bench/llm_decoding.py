"""llama.cpp decoding settings for the written answer, side by side on the same prompts.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/llm_decoding.py [--variants base draft3 ...]
        [--rounds 2] [--json out.json]

The seed questions' real prompts (captured from the answerer over corpus/, the model not
run) go to one llama.cpp server per variant, all in this process; each question goes to
every variant in turn, in the reverse order every other round, so a busy machine's load
falls on all of them alike. Per variant: generation and prompt tokens/s (llama.cpp's own
timings), each question's whole model time, draft tokens accepted of drafted, replies
identical to the first variant's, and the RSS each server added to the process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from langchain_core.messages import AIMessageChunk  # noqa: E402
from langchain_core.outputs import ChatGenerationChunk  # noqa: E402
from llm import SEED  # noqa: E402

from rag import Assistant  # noqa: E402
from rag.answer.written import MAX_TOKENS_PER_STATEMENT  # noqa: E402
from rag.llm import chat  # noqa: E402
from rag.llm.weights import locate  # noqa: E402

# name -> settings on top of ChatLocal's (rag/llm/chat.py)
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "draft8": {"spec": "DRAFT_SIMPLE", "n_max": 8},
    "draft3": {"spec": "DRAFT_SIMPLE", "n_max": 3, "p_min": 0.7},
    "ngram-simple": {"spec": "NGRAM_SIMPLE", "size_n": 3, "size_m": 6, "n_max": 6},
    "ngram-map-k": {"spec": "NGRAM_MAP_K", "size_n": 2, "size_m": 6, "n_max": 6},
}


def capture(store: Path) -> list[tuple[str, list[list[dict[str, str]]]]]:
    """Each seed question's model calls, as the answerer makes them (the model not run)."""
    calls: list[list[dict[str, str]]] = []

    def record(self: Any, messages: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append([{"role": chat._role(m), "content": str(m.content)} for m in messages])
        yield ChatGenerationChunk(message=AIMessageChunk(content=""))

    real = chat.ChatLocal._stream
    chat.ChatLocal._stream = record  # type: ignore[method-assign]
    try:
        assistant = Assistant(store=store, llm="local")
        assistant.ingest([ROOT.parent / "corpus"], progress=False)
        out = []
        for question, history, _ in SEED:
            calls = []
            for _part in assistant.stream(question, chat_history=history, write=True):
                pass
            if calls:
                out.append((question, calls))
        return out
    finally:
        chat.ChatLocal._stream = real  # type: ignore[method-assign]


def server(settings: dict[str, Any], threads: int) -> Any:
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = str(locate(None))
    p.n_ctx, p.n_parallel, p.n_batch, p.n_ubatch = chat.DEFAULT_CTX, 1, 512, 512
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = threads
    p.warmup, p.verbosity, p.use_jinja = False, -1, True
    if spec := settings.get("spec"):
        kind = getattr(xllamacpp.common_speculative_type, f"COMMON_SPECULATIVE_TYPE_{spec}")
        p.speculative.types = [kind]
        draft = p.speculative.draft
        draft.n_max = settings["n_max"]
        draft.p_min = settings.get("p_min", 0.0)
        if spec.startswith("DRAFT"):
            draft.mparams.path = str(locate("qwen2.5-0.5b"))  # same tokenizer as the 1.5B
            draft.n_gpu_layers = 0
            draft.cpuparams.n_threads = draft.cpuparams_batch.n_threads = threads
        else:
            table = (
                p.speculative.ngram_simple if spec == "NGRAM_SIMPLE" else p.speculative.ngram_map_k
            )
            table.size_n, table.size_m = settings["size_n"], settings["size_m"]
    return xllamacpp.Server(p)


def ask(srv: Any, messages: list[dict[str, str]]) -> dict[str, Any]:
    text: list[str] = []
    timings: dict[str, Any] = {}

    def on_chunk(chunk: Any) -> None:
        data = json.loads(chunk) if isinstance(chunk, str) else chunk
        for choice in data.get("choices", []):
            text.append((choice.get("delta") or {}).get("content") or "")
        timings.update(data.get("timings") or {})

    request = {"messages": messages, "max_tokens": MAX_TOKENS_PER_STATEMENT}
    srv.handle_chat_completions(request | {"temperature": 0.0, "stream": True}, on_chunk)
    keys = ("prompt_n", "prompt_ms", "predicted_n", "predicted_ms", "draft_n", "draft_n_accepted")
    return {"text": "".join(text), **{k: timings.get(k) or 0 for k in keys}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--stores", type=Path, default=ROOT / ".stores")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    questions = capture(args.stores / "llm-seed")
    servers, rss = {}, {}
    for name in args.variants:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        servers[name] = server(VARIANTS[name], args.threads)
        ask(servers[name], questions[0][1][0])  # warm: the system prompt cached, pages in
        rss[name] = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
    load0 = os.getloadavg()[0]
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in args.variants}
    for r in range(args.rounds):
        order = args.variants if r % 2 == 0 else args.variants[::-1]
        for question, calls in questions:
            for name in order:
                replies = [ask(servers[name], m) for m in calls]
                ms = sum(c["prompt_ms"] + c["predicted_ms"] for c in replies)
                rows[name].append({"question": question, "model_s": ms / 1000, "calls": replies})
    first = args.variants[0]
    summary = {"load_average": [round(load0, 1), round(os.getloadavg()[0], 1)], "variants": {}}
    for name in args.variants:
        calls = [c for row in rows[name] for c in row["calls"]]
        base_calls = [c for row in rows[first] for c in row["calls"]]

        def total(key: str, calls: list[dict[str, Any]] = calls) -> float:
            return float(sum(c[key] for c in calls))

        whole = [row["model_s"] for row in rows[name]]
        summary["variants"][name] = {
            "generation_tps": round(1000 * total("predicted_n") / total("predicted_ms"), 2),
            "prompt_tps": round(1000 * total("prompt_n") / total("prompt_ms"), 2),
            "model_s_median": round(statistics.median(whole), 2),
            "model_s_sum": round(sum(whole), 1),
            "model_s_ratio_to_first": round(sum(whole) / sum(r["model_s"] for r in rows[first]), 2),
            "draft_accepted_of_drafted": [int(total("draft_n_accepted")), int(total("draft_n"))],
            "replies_identical_to_first": sum(
                a["text"] == b["text"] for a, b in zip(calls, base_calls, strict=True)
            ),
            "replies": len(calls),
            "rss_added_mb": rss[name],
        }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "rows": rows}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
