from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from rag import Assistant
from rag.config import Settings
from rag.errors import EmbeddingMismatchError, StoreLockedError
from rag.ingest import store_lock
from tests.conftest import DATA


def _snapshot(a: Assistant) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    chunks = {cid for cid, _, _ in a.store.iter_chunks()}
    return chunks, {d: r.chunk_ids for d, r in a.store.doc_records().items()}


def test_ingest_then_reingest_is_a_no_op(tmp_path: Path, corpus: Path, e5) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    first = a.ingest([corpus], progress=False)
    assert len(first.added) == 2 and first.chunks_embedded > 0 and first.ok
    before = _snapshot(a)
    gen = a.store.generation()
    again = a.ingest([corpus], progress=False)
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 2
    assert again.chunks_embedded == 0
    assert _snapshot(a) == before
    assert a.store.generation() == gen, "an unchanged ingest does not invalidate indexes"


def test_changed_file_replaces_its_chunks_only(tmp_path: Path, corpus: Path, e5) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    porto = corpus / "porto-bilancio.txt"
    porto.write_text(porto.read_text() + "\n\nIl sindaco ha annunciato una nuova gara d’appalto.\n")
    report = a.ingest([corpus], progress=False)
    assert len(report.updated) == 1 and len(report.unchanged) == 1
    assert 0 < report.chunks_embedded <= 2, "only the changed chunks are embedded"
    chunks, records = _snapshot(a)
    assert chunks == {c for ids in records.values() for c in ids}, "no orphans"
    hits = a.retriever.search("gara d’appalto del sindaco", k=1)
    assert "gara d’appalto" in hits[0].text


def test_prune_removes_documents_whose_files_are_gone(tmp_path: Path, corpus: Path, e5) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    (corpus / "porto-bilancio.txt").unlink()
    kept = a.ingest([corpus], progress=False)
    assert kept.removed == [] and a.status().documents == 2, "no prune without --prune"
    pruned = a.ingest([corpus], prune=True, progress=False)
    assert len(pruned.removed) == 1
    chunks, records = _snapshot(a)
    assert len(records) == 1 and chunks == set(next(iter(records.values())))
    assert (
        a.retriever.search("bilancio del porto di Valmarina", k=3)[0].metadata["source"]
        == "Italpress"
    )
    assert all("Valmarina" not in h.text for h in a.retriever.search("porto Valmarina", k=5))


def test_store_refuses_another_embedding_model(tmp_path: Path, corpus: Path, e5) -> None:
    Assistant(store=tmp_path / "s", embeddings=e5).ingest([corpus], progress=False)
    other = Assistant(store=tmp_path / "s", embeddings="minilm")
    with pytest.raises(EmbeddingMismatchError, match="re-index") as err:
        other.status()
    assert err.value.store_model == "onnx:multilingual-e5-small"


def test_second_ingest_on_a_locked_store_is_refused(tmp_path: Path, corpus: Path, e5) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    with store_lock(tmp_path / "s"):
        with pytest.raises(StoreLockedError, match="another ingest"):
            a.ingest([corpus], progress=False)
    assert a.ingest([corpus], progress=False).ok


def test_failures_are_reported_and_good_files_go_in(tmp_path: Path, corpus: Path, e5) -> None:
    (corpus / "empty.txt").write_text("")
    (corpus / "junk.txt").write_bytes(bytes(range(256)) * 20)
    report = Assistant(store=tmp_path / "s", embeddings=e5).ingest([corpus], progress=False)
    assert len(report.added) == 2
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    assert set(reasons) == {"empty.txt", "junk.txt"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["junk.txt"]


def test_progress_callback_reports_embedding(tmp_path: Path, corpus: Path, e5) -> None:
    calls: list[tuple[int, int, str]] = []
    Assistant(store=tmp_path / "s", embeddings=e5).ingest(
        [corpus], progress=False, on_progress=lambda d, t, w: calls.append((d, t, w))
    )
    assert calls and calls[-1][0] == calls[-1][1] > 0


def test_new_analysis_version_reanalyses_without_embedding(
    tmp_path: Path, corpus: Path, e5, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.ingest

    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    before = _snapshot(a)
    monkeypatch.setattr(rag.ingest, "ANALYSIS_VERSION", rag.ingest.ANALYSIS_VERSION + 1)
    calls: list[tuple[int, int, str]] = []
    report = a.ingest([corpus], progress=False, on_progress=lambda d, t, w: calls.append((d, t, w)))
    assert len(report.updated) == 2 and report.chunks_embedded == 0
    assert calls[-1] == (calls[-1][1], calls[-1][1], "reused") and calls[-1][1] > 0
    assert _snapshot(a) == before
    assert {r.analysis for r in a.store.doc_records().values()} == {rag.ingest.ANALYSIS_VERSION}
    assert a.ingest([corpus], progress=False).unchanged


def _collection(a: Assistant):
    """The store's Chroma collection of chunks itself, vectors and all."""
    return a.store.client.get_collection(a.store.collection_name, embedding_function=None)


def _stored(a: Assistant) -> dict[str, tuple[str, dict, list[float]]]:
    got = _collection(a).get(include=["documents", "metadatas", "embeddings"])
    return {
        cid: (text, meta, list(vec))
        for cid, text, meta, vec in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        )
    }


def test_a_chunk_vector_embeds_the_chunk_text_without_the_title(
    tmp_path: Path, corpus: Path, e5
) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    cid, (text, meta, vector) = next(iter(_stored(a).items()))
    assert meta["title"] and meta["vector_text"] == 2
    body, titled = e5.embed_documents([text, f"{meta['title']}\n{text}"])
    cos = lambda u, v: sum(x * y for x, y in zip(u, v, strict=True))  # noqa: E731
    assert cos(vector, body) > 0.9999
    assert cos(vector, titled) < 0.999


def test_chunks_of_an_older_vector_recipe_are_embedded_again(
    tmp_path: Path, corpus: Path, e5, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.ingest

    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    stored = _stored(a)
    # What an older store holds: title-first vectors, no recipe in the metadata.
    old = {cid: e5.embed_documents([f"{m['title']}\n{t}"])[0] for cid, (t, m, _) in stored.items()}
    _collection(a).update(
        ids=list(old),
        embeddings=list(old.values()),
        # Chroma merges metadata on update; None removes the key.
        metadatas=[{"vector_text": None} for _ in old],
    )
    monkeypatch.setattr(rag.ingest, "ANALYSIS_VERSION", rag.ingest.ANALYSIS_VERSION + 1)
    report = a.ingest([corpus], progress=False)
    assert len(report.updated) == 2 and report.chunks_embedded == len(stored)
    after = _stored(a)
    assert after.keys() == stored.keys()
    for cid, (_, meta, vector) in after.items():
        assert meta["vector_text"] == 2
        assert vector == pytest.approx(stored[cid][2], abs=1e-5)
    again = a.ingest([corpus], progress=False)
    assert len(again.unchanged) == 2 and again.chunks_embedded == 0


class _FailingAfter(Embeddings):
    """The real e5 model, failing from its ``n``-th batch on (a crash mid-ingest)."""

    def __init__(self, inner: Embeddings, n: int) -> None:
        self.inner, self.n, self.calls = inner, n, 0
        self.model_name = inner.model_name  # type: ignore[attr-defined]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls >= self.n:
            raise RuntimeError("embedder crashed")
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.mark.parametrize("fail_at", [1, 3, 6])
def test_embedder_failure_mid_ingest_leaves_a_consistent_store(
    tmp_path: Path, e5, fail_at: int
) -> None:
    small = Settings(batch_size=1)  # a group every two chunks: embedding overlaps writing
    broken = Assistant(store=tmp_path / "s", settings=small, embeddings=_FailingAfter(e5, fail_at))
    with pytest.raises(RuntimeError, match="embedder crashed"):
        broken.ingest([DATA], progress=False)
    chunks, records = _snapshot(broken)
    assert chunks == {c for ids in records.values() for c in ids}, "no orphans, no gaps"
    clean = Assistant(store=tmp_path / "clean", settings=small, embeddings=e5)
    clean.ingest([DATA], progress=False)
    assert len(records) < len(_snapshot(clean)[1])
    resumed = Assistant(store=tmp_path / "s", settings=small, embeddings=e5)
    report = resumed.ingest([DATA], progress=False)
    assert report.ok
    assert set(report.unchanged) == set(records), "what was written is not redone"
    assert _snapshot(resumed) == _snapshot(clean)


def test_every_chunk_carries_its_article_roles_and_reported_speech(
    tmp_path: Path, corpus: Path, e5
) -> None:
    from rag.quotes import quotes_from_metadata, roles_from_metadata

    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    sample = [(t, m) for _, t, m in a.store.iter_chunks() if "rutte" in m["path"]]
    assert sample
    for _, meta in sample:
        # As the article writes the office; it names its own body (NATO), so the
        # dateline's place (Bruxelles) is not added to it as a qualifier.
        assert roles_from_metadata(meta["roles"]) == {
            "segretario generale della nato": "Mark Rutte",
        }
    reported = [
        text[q.start : q.end]
        for text, meta in sample
        for q in quotes_from_metadata(meta["quotes"])
        if q.kind == "reported"
    ]
    assert "la Nato non accetterà alcuna intimidazione" in reported


def test_a_moved_file_replaces_its_old_record_and_keeps_its_vectors(
    tmp_path: Path, corpus: Path, e5
) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    before = {r.title: r.doc_id for r in a.store.doc_records().values()}
    elsewhere = tmp_path / "archive"
    corpus.rename(elsewhere)
    report = a.ingest([elsewhere], progress=False)
    assert sorted(report.moved) == sorted(before.values()), "the old ids are gone"
    assert len(report.added) == 2 and report.removed == []
    assert report.chunks_embedded == 0, "a moved text is not embedded again"
    assert report.chunks_coded == 0, "nor given its latent-terms code again"
    assert "2 moved" in report.summary()
    chunks, records = _snapshot(a)
    assert len(records) == 2 and chunks == {c for ids in records.values() for c in ids}
    assert {r.title for r in a.store.doc_records().values()} == set(before)
    assert all(str(elsewhere) in r.path for r in a.store.doc_records().values())
    again = a.ingest([elsewhere], progress=False)
    assert len(again.unchanged) == 2 and again.moved == [] and not again.changed


def test_a_copied_file_is_a_second_document_not_a_move(tmp_path: Path, corpus: Path, e5) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "porto-bilancio.txt").write_bytes((corpus / "porto-bilancio.txt").read_bytes())
    report = a.ingest([copy], progress=False)
    assert report.moved == [] and len(report.added) == 1
    assert a.status().documents == 3


def test_a_dry_run_names_the_moves_and_writes_nothing(tmp_path: Path, corpus: Path, e5) -> None:
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([corpus], progress=False)
    before = _snapshot(a)
    elsewhere = tmp_path / "archive"
    corpus.rename(elsewhere)
    report = a.ingest([elsewhere], progress=False, dry_run=True)
    assert len(report.moved) == 2 and len(report.added) == 2
    assert "2 to move" in report.summary()
    assert _snapshot(a) == before
