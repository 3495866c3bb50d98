"""Store: what it hands readers, article reassembly, and the one vector space it holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant
from rag.documents import load_file
from rag.errors import EmbeddingMismatchError
from rag.metadata import INTERNAL_KEYS
from rag.store import Store
from tests.conftest import SAMPLE


@pytest.mark.parametrize("name", [SAMPLE.name, "porto-bilancio.txt", "difesa-due-voci.txt"])
def test_an_article_is_reassembled_from_its_chunks_as_loaded(
    assistant: Assistant, name: str
) -> None:
    [rec] = [r for r in assistant.store.doc_records().values() if Path(r.path).name == name]
    [doc] = load_file(rec.path).documents
    assert assistant.store.document_text(rec.doc_id) == doc.page_content


def test_an_unknown_article_reassembles_to_nothing(assistant: Assistant) -> None:
    assert assistant.store.document_text("no-such-document") == ""


def test_readers_get_chunks_without_the_internal_keys(assistant: Assistant) -> None:
    store = assistant.store
    cid, _, meta = next(iter(store.iter_chunks()))
    assert meta["doc_id"] and not INTERNAL_KEYS & meta.keys()
    [(_, full)] = store.get_chunks([cid], internal=True).values()
    assert INTERNAL_KEYS <= full.keys(), "a caller writing metadata back keeps the codes"


def test_batched_calls_cover_more_ids_than_one_page(assistant: Assistant) -> None:
    store = assistant.store
    ids = sorted(store.chunk_ids_where())
    asked = ids + [f"missing-{i}" for i in range(2500)]  # over one page (2000 ids)
    assert store.existing_chunk_ids(asked) == set(ids)
    assert set(store.get_chunks(asked)) == set(ids)


def test_an_embedder_of_another_vector_space_is_refused(tmp_path: Path, e5) -> None:
    from rag.embeddings import get_embeddings

    store = Store(tmp_path / "s", embeddings=e5)
    store.check_model(get_embeddings("e5-small-int8"))  # the same space: accepted
    with pytest.raises(EmbeddingMismatchError):
        store.check_model(get_embeddings("minilm"))
