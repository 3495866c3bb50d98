"""Shared fixtures: real Chroma, real models, the real sample corpus.

The e5 embedder is slow on 2 cores, so stores are built once per session and shared;
tests that change a store build their own small one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"
SAMPLE = CORPUS / "2026-02-11-italpress-nato-rutte.txt"
DETERRENCE_QUOTE = (
    "La deterrenza funziona solo se è credibile, comprensibile e sostenuta da capacità reali"
)
# The whole statement that sentence ends: what a reader is shown (every sentence of it).
DETERRENCE_STATEMENT = (
    "La Nato è e rimane un’alleanza difensiva. Se qualcuno dovesse anche solo pensare di "
    "attaccare uno Stato membro, deve sapere che la nostra reazione sarebbe devastante. Non "
    "simbolica, non graduale: devastante. " + DETERRENCE_QUOTE
)


def count_readonly(db: Path, sql: str, *params: object) -> int:
    """A count read from an SQLite file without taking its writer's lock (a process being
    killed is writing it); 0 while the file is not created yet or locked this instant."""
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05)) as con:
            return int(con.execute(sql, params).fetchone()[0])
    except sqlite3.Error:
        return 0


def sigkill_when(proc: subprocess.Popen[bytes], ready: Callable[[], bool], what: str) -> None:
    """SIGKILL ``proc`` once ``ready()`` says it is far enough: kill points are progress,
    not time, as a fixed delay lands after the end on a fast machine."""
    deadline = time.monotonic() + 300
    while not ready() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, f"{what} must still be running when it is killed"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


@pytest.fixture(autouse=True)
def clean_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's RAG_* settings or writes to ./.rag.

    RAG_MODEL_DIR stays: it says where this machine keeps converted models, not how the
    assistant behaves, and tests (and the commands they start) should not convert again."""
    for key in list(os.environ):
        if key.startswith("RAG_") and key != "RAG_MODEL_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("RAG_STORE", str(tmp_path / "store"))
    # `rag ingest` would start filling sentence vectors in a process that outlives the
    # test (rag/sentence_vectors.py); tests/test_sentence_vectors.py turns it on.
    monkeypatch.setenv("RAG_SENTENCE_FILL", "0")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable corpus folder: the sample article and a second Italian briefing."""
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(SAMPLE, d / SAMPLE.name)
    shutil.copy(DATA / "porto-bilancio.txt", d / "porto-bilancio.txt")
    return d


@pytest.fixture(scope="session")
def e5():
    from rag.embeddings import get_embeddings

    return get_embeddings("e5-small")


@pytest.fixture(scope="session")
def briefings_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample article plus the fictional test briefings, in one folder."""
    d = tmp_path_factory.mktemp("briefings")
    shutil.copy(SAMPLE, d / SAMPLE.name)
    for f in DATA.iterdir():
        shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def shared_store(tmp_path_factory: pytest.TempPathFactory, briefings_dir: Path, e5) -> Path:
    """A store holding every briefing, ingested once. Read-only for tests."""
    from rag import Assistant

    store = tmp_path_factory.mktemp("shared") / "store"
    report = Assistant(store=store, embeddings=e5).ingest([briefings_dir], progress=False)
    assert report.ok, report.failed
    return store


@pytest.fixture(scope="session")
def assistant(shared_store: Path, e5):
    from rag import Assistant

    return Assistant(store=shared_store, embeddings=e5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until a server we started answers on ``port``; fail with its log if it dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(
        f"server on port {port} did not answer in {timeout:.0f} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on loopback, for the whole session."""
    chroma = Path(sys.executable).with_name("chroma")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "w")
    proc = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(path / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_port(port, proc, path / "server.log", 60)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def local_model_ready() -> bool:
    """Whether `rag models prepare --llm` has prepared the default local model here."""
    from rag.errors import ConfigError
    from rag.llm.weights import locate

    try:
        locate(None)
    except ConfigError:
        return False
    return True


needs_local_model = pytest.mark.skipif(
    not local_model_ready(),
    reason="the local model is not prepared: run `rag models prepare --llm` (setup.sh does)",
)
