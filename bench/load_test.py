"""Load test: many concurrent questions against a real `rag serve` on loopback.

    python bench/load_test.py [--clients 10] [--requests 50] [--corpus corpus/ tests/data/]

Starts `rag serve` on a free 127.0.0.1 port with a temporary store, asks every question
once in-process (the sequential reference), then fires the same questions from N client
threads through the Gradio API (`gradio_client`, endpoint /ask). Bounded: a fixed number
of requests, each with a timeout, and the server is stopped at the end. Reports errors,
answers that differ from the sequential ones, and latency p50/p95.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What did Rutte say about deterrence?",
    "Cosa ha detto Rutte sulla deterrenza?",
    "What did Rutte say about Ukraine's resilience?",
    "What did Macron say about nuclear power plants in France?",
    "What did Ferrantelli say about deterrence?",
    "What did Van Aalst say about deterrence?",
    "Who supplies military aid to Kyiv?",
    "What did Whitcombe say about the factory?",
    "What is the best recipe for lasagna?",
    "What did Bentivoglio say about the port?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("rag serve exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("rag serve did not start")


def _key(answer: dict) -> tuple:
    return (
        answer.get("answer"),
        answer.get("refused"),
        tuple((s["doc_id"], s["quote"]) for s in answer.get("sources", [])),
    )


def _peak_rss_mb(pid: int) -> float | None:
    """The server's peak resident memory so far (VmHWM), before it is stopped."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    ap.add_argument("--corpus", nargs="+", default=[str(ROOT / "corpus"), str(ROOT / "tests/data")])
    args = ap.parse_args()

    from gradio_client import Client

    from rag import Assistant

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        reference = Assistant(store=store)
        reference.ingest(args.corpus, progress=False)
        sequential = {q: _key(reference.ask(q).to_json_dict()) for q in QUESTIONS}

        port = _free_port()
        # RAG_MODEL_DIR stays: where this machine keeps converted models, not a setting.
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("RAG_") or k == "RAG_MODEL_DIR"
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--port", str(port), "--store", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            _wait(port, proc)
            clients = [
                Client(f"http://127.0.0.1:{port}/", verbose=False) for _ in range(args.clients)
            ]
            jobs = [(i % args.clients, QUESTIONS[i % len(QUESTIONS)]) for i in range(args.requests)]

            def one(job: tuple[int, str]) -> tuple[str, float, dict | None, str]:
                client, question = job
                t0 = time.perf_counter()
                try:
                    job_ = clients[client].submit(question, "", "", [], api_name="/ask")
                    result = job_.result(timeout=args.timeout)
                    return question, time.perf_counter() - t0, result, ""
                except Exception as exc:  # a load test counts every failure kind
                    return question, time.perf_counter() - t0, None, f"{type(exc).__name__}: {exc}"

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                results = list(pool.map(one, jobs))
            wall = time.perf_counter() - started
            peak_rss_mb = _peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    errors = [r for r in results if r[3] or (r[2] and "error" in r[2])]
    wrong = [r for r in results if r[2] and "error" not in r[2] and _key(r[2]) != sequential[r[0]]]
    lat = sorted(r[1] for r in results if not r[3])
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")  # noqa: E731
    report = {
        "requests": len(results),
        "clients": args.clients,
        "errors": len(errors),
        "answers_differing_from_sequential": len(wrong),
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(results) / wall, 2),
        "latency_p50_ms": round(p(0.5) * 1000, 1),
        "latency_p95_ms": round(p(0.95) * 1000, 1),
        "latency_mean_ms": round(statistics.mean(lat) * 1000, 1) if lat else None,
        "server_peak_rss_mb": peak_rss_mb,
    }
    print(json.dumps(report, indent=2))
    for r in errors[:5]:
        print("error:", r[0], r[3] or r[2], file=sys.stderr)
    sys.exit(1 if errors or wrong else 0)


if __name__ == "__main__":
    main()
