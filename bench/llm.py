"""The local model's written answer: speed beside the extractive part, and faithfulness.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/llm.py [--llm local] [--threads 0]
        [--wires-split even|odd] [--wires-limit 20|-1] [--json out.json] [--stores DIR]
        [--ab ROUNDS]

Speed, over the seed questions (the README's, over corpus/), warm (the model loaded and
one question answered first): the extractive part's time (question -> the quoted answer,
the baseline run in the same process), time to the first generated token (from the
question, and from the moment the model is asked), the whole generated part (model asked
-> checked answer), and the process's peak RSS (e5 + the model).

``--ab ROUNDS`` runs the seed questions side by side, in one process on one model: each
question written with the time budget (``WRITE_BUDGET_S``, the default) and without it
(every selected statement reported, as before the budget), in alternating order, so the
machine's load falls on both alike; it prints each variant's figures and their ratio.

Faithfulness, over the seed questions and the wire dev set (bench/wires/, a split by
briefing file as bench/wires.py splits it): share of generated sentences passing the check,
share of answered questions whose kept sentences name the gold speaker, and refusals kept
(a question the gold says is unanswerable never gets a written answer). Every kept
sentence is printed beside its original quote for the hand spot check of glosses.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.outputs import LLMResult  # noqa: E402
from wires import in_split, load_set, open_assistant  # noqa: E402

from rag import Answer, Assistant  # noqa: E402
from rag.answer.written import WRITE_BUDGET_S, Statement  # noqa: E402

SEED = [
    # (question, history, gold speaker or "" for a refusal)
    ("What did Rutte say about deterrence?", [], "Mark Rutte"),
    ("Did he mention air defence?", [("user", "What did Rutte say about deterrence?")], "Mark Rutte"),
    ("What did the NATO Secretary General say about Russia?", [], "Mark Rutte"),
    ("And what did he say about Ukraine's resilience?", [("user", "What did Rutte say about deterrence?")], "Mark Rutte"),
    ("Cosa ha detto Rutte sulla deterrenza?", [], "Mark Rutte"),
    ("What did Macron say about nuclear power plants in France?", [], ""),
    ("What did Rutte say about China?", [], ""),
    ("Who won the 2022 World Cup?", [], ""),
]  # fmt: skip
SEED_STORE = ROOT / ".stores" / "llm-seed"
# Quiet-machine rates of the 1.5B on 2 threads (issue 15): what a run's token counts imply
# when the shared machine's load makes its wall times meaningless.
QUIET_PROMPT_TPS = 78.0
QUIET_GENERATION_TPS = 29.0


class Tokens(BaseCallbackHandler):
    """Each model call's token counts, from the usage ChatLocal reports at its end."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for g in generations:
                message = getattr(g, "message", None)
                usage = getattr(message, "usage_metadata", None) or {}
                timings = getattr(message, "response_metadata", {}).get("timings", {})
                self.calls.append(
                    {
                        "prompt_tokens": usage.get("input_tokens", 0),
                        # the prefix llama.cpp reused from the previous call is not evaluated
                        "prompt_evaluated": timings.get("prompt_n", 0),
                        "generated_tokens": usage.get("output_tokens", 0),
                        "prompt_ms": timings.get("prompt_ms"),
                        "generation_ms": timings.get("predicted_ms"),
                    }
                )


def quiet_times(calls: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(first token, whole written part) the calls' tokens take at the quiet rates: the
    model's share of the time, without the check's few e5 embeddings."""
    if not calls:
        return None, None
    whole = sum(
        c["prompt_evaluated"] / QUIET_PROMPT_TPS + c["generated_tokens"] / QUIET_GENERATION_TPS
        for c in calls
    )
    return calls[0]["prompt_evaluated"] / QUIET_PROMPT_TPS + 1 / QUIET_GENERATION_TPS, whole


def run(assistant: Assistant, question: str, history: list[Any], tokens: Tokens) -> dict[str, Any]:
    """One question through the progressive stream, timed, with the model's tokens."""
    tokens.calls = []
    t0 = time.perf_counter()
    extractive_s = asked_at = first_token_s = None
    final: Answer | None = None
    # A model that continues a begun reply (ChatLocal) gets "X said that" shown before it
    # runs: that first text part is ours, so the model's first token is the next one.
    skip = 1 if getattr(assistant.writer.llm, "continues_reply", False) else 0
    cpu_at = 0.0
    for part in assistant.stream(question, chat_history=history, write=True):
        now = time.perf_counter()
        if isinstance(part, Answer):
            if extractive_s is None:
                extractive_s, asked_at, cpu_at = now - t0, now, _cpu()
            final = part
        elif skip:
            skip -= 1
        elif first_token_s is None:
            first_token_s = now - t0
    end = time.perf_counter()
    cpu_s = _cpu() - cpu_at
    assert final is not None and extractive_s is not None and asked_at is not None
    g = final.generated
    quiet_ttft, quiet_whole = quiet_times(tokens.calls)
    return {
        "question": question,
        "extractive_s": extractive_s,
        "extractive_refused": final.refused,
        "ttft_s": first_token_s,
        "ttft_model_s": None if first_token_s is None else first_token_s - extractive_s,
        "generated_s": end - asked_at if g is not None else None,
        # the process's CPU time over the written part: the work done, which a busy
        # machine's scheduling stretches far less than the wall time (1 thread under load)
        "generated_cpu_s": cpu_s if g is not None else None,
        "generated": None if g is None else g.text,
        "refused": g is None or g.refused,
        "claims": [] if g is None else [c.model_dump() for c in g.claims],
        "notes": [] if g is None else g.notes,
        # what the model was given of each quote: its answering sentence, or all of it
        "quotes": {s.n: (s.speaker, s.quote, Statement.of(s).text) for s in final.sources},
        "calls": tokens.calls,
        "prompt_tokens": sum(c["prompt_tokens"] for c in tokens.calls) if tokens.calls else None,
        "prompt_evaluated": (
            sum(c["prompt_evaluated"] for c in tokens.calls) if tokens.calls else None
        ),
        "generated_tokens": (
            sum(c["generated_tokens"] for c in tokens.calls) if tokens.calls else None
        ),
        # llama.cpp's own time for the calls: the rest of "generated_s" is the ranking, the
        # check's e5 embeddings and the threads' hand-offs
        "model_s": (
            sum((c["prompt_ms"] or 0) + (c["generation_ms"] or 0) for c in tokens.calls) / 1000
            if tokens.calls
            else None
        ),
        "quiet_ttft_model_s": quiet_ttft,
        "quiet_generated_s": quiet_whole,
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def faithfulness(rows: list[dict[str, Any]]) -> dict[str, Any]:
    claims = [c for r in rows for c in r["claims"]]
    answerable = [r for r in rows if r["gold_speaker"]]
    written = [r for r in answerable if not r["refused"]]
    named = [
        r
        for r in written
        if any(r["gold_speaker"].split()[-1] in c["text"] for c in r["claims"] if c["verified"])
    ]
    unanswerable = [r for r in rows if not r["gold_speaker"]]
    return {
        "questions": len(rows),
        "sentences": len(claims),
        "sentences_passing": sum(c["verified"] for c in claims) / len(claims) if claims else None,
        "answerable": len(answerable),
        "answerable_written": len(written),
        "written_naming_the_speaker": len(named) / len(written) if written else None,
        "unanswerable": len(unanswerable),
        "refusals_kept": (
            sum(r["refused"] for r in unanswerable) / len(unanswerable) if unanswerable else None
        ),
    }


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def speed(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def stats(key: str) -> dict[str, float] | None:
        vals = [r[key] for r in rows if r[key] is not None]
        if not vals:
            return None
        return {
            "n": len(vals),
            "median": round(statistics.median(vals), 2),
            "p95": round(_p(vals, 0.95), 2),
            "max": round(max(vals), 2),
        }

    keys = ("extractive_s", "ttft_s", "ttft_model_s", "generated_s", "generated_cpu_s", "model_s")
    keys += ("prompt_tokens", "prompt_evaluated", "generated_tokens")
    keys += ("quiet_ttft_model_s", "quiet_generated_s")
    return {k: stats(k) for k in keys}


def side_by_side(assistant: Assistant, tokens: Tokens, rounds: int) -> dict[str, Any]:
    """The seed questions with and without the time budget, alternating (``--ab``)."""
    variants: dict[str, float | None] = {"every statement": None, "budget": WRITE_BUDGET_S}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for r in range(rounds):
        for i, (question, history, speaker) in enumerate(SEED):
            names = list(variants) if (r + i) % 2 == 0 else list(variants)[::-1]
            for name in names:
                assistant.writer.budget_s = variants[name]
                row = run(assistant, question, history, tokens)
                rows[name].append(row | {"gold_speaker": speaker, "set": "seed", "round": r})
                print(f"[{name}, round {r + 1}]", end="")
                _show(row)
    assistant.writer.budget_s = WRITE_BUDGET_S

    def total(name: str, key: str) -> float:
        return sum(row[key] or 0 for row in rows[name])

    base, new = rows["every statement"], rows["budget"]
    per_question = {}
    for question, *_ in SEED:
        a = [row for row in base if row["question"] == question and row["generated_s"]]
        b = [row for row in new if row["question"] == question and row["generated_s"]]
        if a and b:
            per_question[question] = {
                "every statement: written s (median)": round(
                    statistics.median(x["generated_s"] for x in a), 2
                ),
                "budget: written s (median)": round(
                    statistics.median(x["generated_s"] for x in b), 2
                ),
                "every statement / budget: written CPU s (median)": [
                    round(statistics.median(x["generated_cpu_s"] for x in a), 2),
                    round(statistics.median(x["generated_cpu_s"] for x in b), 2),
                ],
                "tokens evaluated + generated": [
                    (a[0]["prompt_evaluated"], a[0]["generated_tokens"]),
                    (b[0]["prompt_evaluated"], b[0]["generated_tokens"]),
                ],
            }
    return {
        "rows": rows,
        "summary": {
            **{f"speed {name}": speed(rows[name]) for name in variants},
            **{f"faithfulness {name}": faithfulness(rows[name]) for name in variants},
            "ratio budget / every statement, sum of written s": round(
                total("budget", "generated_s") / total("every statement", "generated_s"), 2
            ),
            "ratio budget / every statement, sum of model s": round(
                total("budget", "model_s") / total("every statement", "model_s"), 2
            ),
            "ratio budget / every statement, sum of written CPU s": round(
                total("budget", "generated_cpu_s") / total("every statement", "generated_cpu_s"), 2
            ),
            "per question": per_question,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", default="local", help="local, local:qwen2.5-0.5b, local:/path.gguf")
    ap.add_argument("--threads", type=int, default=0, help="0: auto (rag/llm/chat.py)")
    ap.add_argument("--wires-split", default="even", choices=["even", "odd", "all"])
    ap.add_argument(
        "--wires-limit", type=int, default=20, help="wire questions (0: none, -1: the whole split)"
    )
    ap.add_argument("--json", type=Path, help="write every row and the summary here")
    ap.add_argument(
        "--ab", type=int, default=0, help="rounds of the seed questions with/without the budget"
    )
    ap.add_argument(
        "--stores",
        type=Path,
        default=ROOT / ".stores",
        help="where the two stores go (one per run)",
    )
    args = ap.parse_args()
    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f}", flush=True)

    seed = Assistant(store=args.stores / SEED_STORE.name, llm=args.llm)
    seed.settings.llm_threads = args.threads
    seed.ingest([ROOT.parent / "corpus"], progress=False)
    t = time.perf_counter()
    seed.warm_up()
    seed.writer.llm.warm_up().result()
    tokens = Tokens()
    seed.writer.llm.callbacks = [tokens]
    load_s = time.perf_counter() - t
    print(f"model loaded in {load_s:.1f} s", flush=True)
    run(seed, "What did Rutte say about air defence?", [], tokens)  # warm: not counted

    ab = side_by_side(seed, tokens, args.ab) if args.ab else None
    seed_rows = []
    for question, history, speaker in [] if ab else SEED:
        row = run(seed, question, history, tokens) | {"gold_speaker": speaker, "set": "seed"}
        seed_rows.append(row)
        _show(row)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    wire_rows = []
    if args.wires_limit:
        _annotations, questions = load_set()
        chosen = [q for q in questions if in_split(q["file"], args.wires_split)]
        chosen = chosen if args.wires_limit < 0 else chosen[: args.wires_limit]
        wires = open_assistant(args.stores / "wires")
        wires._writer = seed.writer  # one model per process
        for q in chosen:
            expect = q["expect"]
            gold = "" if expect.get("refused") else expect.get("speaker", "") or "-"
            row = run(wires, q["question"], q.get("history", []), tokens)
            row |= {"gold_speaker": gold if gold != "-" else "", "set": "wires", "id": q["id"]}
            if gold == "-":  # answerable without a speaker (when/where, general)
                row["gold_speaker"] = ""
                row["no_speaker"] = True
            wire_rows.append(row)
            _show(row)
            if args.json:  # so far, in case a long run is stopped
                _dump(args.json, {"summary": None, "rows": seed_rows + wire_rows})
    load1 = os.getloadavg()
    if ab:
        seed_rows = [row for row in ab["rows"]["budget"] if row["round"] == 0]
    summary = {
        "llm": args.llm,
        "threads": seed.writer.llm.threads or "auto",
        "load_s": round(load_s, 1),
        "peak_rss_mb": round(rss_mb),
        "load_average": [round(load0[0], 1), round(load1[0], 1)],
        "speed_seed": speed(seed_rows),
        "speed_wires": speed(wire_rows),
        "faithfulness_seed": faithfulness(seed_rows),
        "faithfulness_wires": faithfulness([r for r in wire_rows if not r.get("no_speaker")]),
        "wires_without_speaker_sentences_passing": faithfulness(
            [r for r in wire_rows if r.get("no_speaker")]
        )["sentences_passing"],
        "side_by_side": ab["summary"] if ab else None,
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        rows = seed_rows + wire_rows
        _dump(args.json, {"summary": summary, "rows": rows, "side_by_side": ab and ab["rows"]})


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _show(row: dict[str, Any]) -> None:
    t = row["ttft_model_s"]
    g = row["generated_s"]
    print(
        f"\n== {row['question']}  extractive {row['extractive_s']:.2f}s"
        + (f", first token +{t:.2f}s, written {g:.2f}s" if t is not None and g else "")
        + (
            f"; tokens: prompt {row['prompt_tokens']} ({row['prompt_evaluated']} evaluated),"
            f" generated {row['generated_tokens']}, at quiet rates"
            f" {row['quiet_ttft_model_s']:.2f}s / {row['quiet_generated_s']:.2f}s"
            if row["calls"]
            else ""
        )
        + (" (refused before the model)" if row["extractive_refused"] else ""),
        flush=True,
    )
    for c in row["claims"]:
        quotes = " | ".join(row["quotes"][n][2] for n in c["citations"] if n in row["quotes"])
        print(f"  {'KEPT' if c['verified'] else 'DROP'} {c['text']}\n       <- {quotes}")
    for n in row["notes"]:
        print(f"  note: {n}")


if __name__ == "__main__":
    main()
