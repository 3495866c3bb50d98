"""Sentence vectors saved after ingest: answers read them instead of embedding, and stay the same."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from rag import Assistant
from rag.answer.extractive import NEUTRAL_SENTENCES
from rag.e5.adapter import OnnxE5Embeddings
from rag.sentence_vectors import (
    FILE_NAME,
    FILL_BATCH,
    SentenceVectors,
    model_identity,
    sentences_to_save,
)
from tests.conftest import DATA, SAMPLE, count_readonly, sigkill_when

QUESTIONS = [
    pytest.param("What did Rutte say about deterrence?", id="statement-topic"),
    pytest.param("What did Rutte say about China?", id="off-topic-refusal"),
    pytest.param("Who said that NATO's reaction would be devastating?", id="who-said"),
    pytest.param("Quanti voti favorevoli ha avuto il bilancio del porto?", id="general"),
    pytest.param("What did Carla Bentivoglio say about the port?", id="statement-cross-lang"),
]


class CountingE5(OnnxE5Embeddings):
    """The int8 sentence model, remembering every text it is asked to embed."""

    def __init__(self) -> None:
        super().__init__("int8")
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return super().embed_documents(texts)

    def embed_documents_sparse(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.embedded += texts
        return super().embed_documents_sparse(texts)


def _asked(store: Path, e5, question: str) -> tuple[dict, list[str]]:
    """The answer of a fresh assistant (nothing cached) and the texts it embedded."""
    a = Assistant(store=store, embeddings=e5)
    counting = CountingE5()
    a.answerer.sentence_embeddings = counting
    ans = a.ask(question)
    seen = {
        "text": ans.text,
        "refused": ans.refused,
        "confidence": ans.confidence,
        "signals": ans.signals,
    }
    return seen, counting.embedded


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory, e5) -> Path:
    src = tmp_path_factory.mktemp("src")
    shutil.copy(SAMPLE, src / SAMPLE.name)
    shutil.copy(DATA / "porto-bilancio.txt", src / "porto-bilancio.txt")
    store = tmp_path_factory.mktemp("sentences") / "store"
    assert Assistant(store=store, embeddings=e5).ingest([src], progress=False).ok
    return store


@pytest.fixture(scope="module")
def before_and_after(sample_store: Path, e5) -> dict[str, tuple]:
    """Each question asked before the fill and after it."""
    questions = [p.values[0] for p in QUESTIONS]
    before = {q: _asked(sample_store, e5, q) for q in questions}
    report = Assistant(store=sample_store, embeddings=e5).fill_sentences()
    assert report.sentences > 0 and not report.stopped
    return {q: (before[q], _asked(sample_store, e5, q)) for q in questions}


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_filled_store_answers_the_same(before_and_after: dict, question: str) -> None:
    (old, _), (new, _) = before_and_after[question]
    assert new == old


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_filled_store_embeds_no_sentence_of_the_briefings(
    before_and_after: dict, question: str
) -> None:
    """After the fill an answer embeds only the fixed neutral sentences it measures a
    topic against; before it, the briefings' sentences too (joins across two chunks
    included: they are saved)."""
    (_, embedded_before), (_, embedded_after) = before_and_after[question]
    assert [t for t in embedded_before if t not in NEUTRAL_SENTENCES]
    assert [t for t in embedded_after if t not in NEUTRAL_SENTENCES] == []


def test_a_second_fill_finds_everything_saved(
    before_and_after: dict, sample_store: Path, e5
) -> None:
    again = Assistant(store=sample_store, embeddings=e5).fill_sentences()
    assert again.sentences == 0 and again.already > 0


def _rows(store: Path) -> int:
    return count_readonly(store / FILE_NAME, "SELECT count(*) FROM vectors")


def test_a_killed_fill_leaves_whole_rows_and_the_next_fill_completes(tmp_path: Path, e5) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(20):
        body = " ".join(
            f"Il consiglio di Valmarina ha discusso la voce {i * 20 + j} del bilancio del porto."
            for j in range(12)
        )
        (corpus / f"n{i:02d}.txt").write_text(
            f"Notizia {i}\n\n{body}\n\n[Fictional briefing written for tests.]\n"
        )
    store = tmp_path / "s"
    a = Assistant(store=store, embeddings=e5)
    assert a.ingest([corpus], progress=False).ok
    cmd = [sys.executable, "-m", "rag", "sentences", "--store", str(store)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ)
    )
    sigkill_when(proc, lambda: _rows(store) >= FILL_BATCH, "the fill")
    kept = _rows(store)
    assert kept % FILL_BATCH == 0 and kept > 0, "only whole batches are committed"
    assert a.check().ok

    rest = a.fill_sentences()
    wanted = sentences_to_save(a.store.iter_chunks())
    assert rest.already == kept and rest.sentences == len(wanted) - kept
    assert _rows(store) == len(wanted)


def _first_key(con: sqlite3.Connection) -> bytes:
    return con.execute("SELECT key FROM vectors LIMIT 1").fetchone()[0]


TAMPERING = [
    pytest.param(
        lambda con: con.execute(
            "UPDATE vectors SET vector = x'0102' WHERE key = ?", (_first_key(con),)
        ),
        "rows that are not a vector",
        id="not-a-vector",
    ),
    pytest.param(
        lambda con: con.execute(
            "UPDATE vectors SET vector = (SELECT vector FROM vectors WHERE key = ?)",
            (_first_key(con),),
        ),
        "sampled vectors are not the model's",
        id="another-sentences-vector",
    ),
    pytest.param(
        lambda con: con.execute("UPDATE meta SET value = 'another model' WHERE name = 'model'"),
        None,  # never read, and replaced by the next fill: not a problem
        id="another-model",
    ),
]


@pytest.mark.parametrize(("tamper", "problem"), TAMPERING)
def test_check_finds_saved_vectors_that_are_not_the_models(
    before_and_after: dict, sample_store: Path, tmp_path: Path, e5, tamper, problem: str | None
) -> None:
    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    with closing(sqlite3.connect(store / FILE_NAME)) as con, con:
        tamper(con)
    a = Assistant(store=store, embeddings=e5)
    report = a.check()
    if problem is None:
        assert report.ok and not report.problems
        assert SentenceVectors(store, model_identity(CountingE5())).lookup(["anything"]) == {}
        return
    assert any(problem in p.what for p in report.problems), report.lines()
    assert not report.ok
    repaired = a.check(repair=True)
    assert repaired.ok and not (store / FILE_NAME).exists()
    assert a.check().ok


def test_cli_ingest_fills_sentence_vectors_in_the_background(tmp_path: Path, e5) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DATA / "porto-bilancio.txt", src / "porto-bilancio.txt")
    store = tmp_path / "store"
    env = {**os.environ, "RAG_SENTENCE_FILL": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(src), "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    a = Assistant(store=store, embeddings=e5)
    wanted = sentences_to_save(a.store.iter_chunks())
    deadline = time.monotonic() + 300
    while _rows(store) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _rows(store) == len(wanted)
