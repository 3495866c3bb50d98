"""The Python API contract of DESIGN.md."""

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable

import rag
from rag import Answer, Assistant, QuestionError, build_chain
from tests.conftest import DETERRENCE_QUOTE, SAMPLE

EXPECTED_ALL = {
    "Answer", "Assistant", "Claim", "ConfigError", "DocumentError", "EmbeddingMismatchError",
    "Failure", "HybridRetriever", "IngestError", "IngestReport", "QuestionError", "RagError",
    "Settings", "Source", "StoreError", "StoreLockedError", "StoreStatus", "UnknownModelError",
    "build_chain",
}  # fmt: skip


def test_exported_members() -> None:
    assert set(rag.__all__) == EXPECTED_ALL
    for name in rag.__all__:
        assert getattr(rag, name) is not None


def test_errors_share_one_base() -> None:
    for name in ("ConfigError", "DocumentError", "StoreError", "IngestError", "QuestionError"):
        assert issubclass(getattr(rag, name), rag.RagError)


def test_python_user_path(tmp_path, e5) -> None:
    """What a developer does: Assistant -> ingest -> ask -> retriever -> chain."""
    assistant = Assistant(store=tmp_path / "store", embeddings=e5)
    report = assistant.ingest([SAMPLE.parent])
    assert isinstance(report, rag.IngestReport) and len(report.added) == 1
    answer = assistant.ask("What did Rutte say about deterrence?")
    assert isinstance(answer, Answer) and DETERRENCE_QUOTE in answer.text
    assert isinstance(assistant.retriever, BaseRetriever)
    chain = build_chain(assistant=assistant)
    assert isinstance(chain, Runnable)
    out = chain.invoke({"question": "What did Rutte say about deterrence?", "chat_history": []})
    assert out.text == answer.text


def test_chain_batch_stream_and_history(assistant: Assistant) -> None:
    chain = build_chain(assistant=assistant)
    first, second = chain.batch(
        [
            {"question": "What did Rutte say about deterrence?", "chat_history": []},
            {"question": "What did Macron say about nuclear power?", "chat_history": []},
        ]
    )
    assert not first.refused and second.refused
    streamed = list(chain.stream({"question": "Cosa ha detto Rutte sulla deterrenza?"}))
    assert streamed and DETERRENCE_QUOTE in streamed[-1].text
    follow = chain.invoke(
        {
            "question": "And what did he say about Ukraine's resilience?",
            "chat_history": [
                ("user", "What did Rutte say about deterrence?"),
                ("assistant", first.text),
            ],
        }
    )
    assert {s.speaker for s in follow.sources} == {"Mark Rutte"}


def test_build_chain_from_store_path(shared_store) -> None:
    chain = build_chain(store=shared_store)
    assert (
        DETERRENCE_QUOTE in chain.invoke({"question": "What did Rutte say about deterrence?"}).text
    )


def test_from_env_reads_rag_variables(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RAG_STORE", str(tmp_path / "env-store"))
    monkeypatch.setenv("RAG_K", "3")
    a = Assistant.from_env()
    assert a.settings.store == tmp_path / "env-store" and a.settings.k == 3


def test_settings_precedence(monkeypatch, tmp_path) -> None:
    (tmp_path / "rag.toml").write_text('store = "from-toml"\nk = 9\nfetch_k = 50\n')
    monkeypatch.delenv("RAG_STORE")
    monkeypatch.setenv("RAG_K", "4")
    s = rag.Settings(fetch_k=77)
    assert (str(s.store), s.k, s.fetch_k) == ("from-toml", 4, 77)


@pytest.mark.parametrize("question", ["", "   ", "x" * 100_000])
def test_bad_questions_are_clear_errors(assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError):
        assistant.ask(question)


def test_status(assistant: Assistant) -> None:
    st = assistant.status()
    assert st.documents == 8 and st.chunks >= st.documents
    assert st.embedding_model == "onnx:multilingual-e5-small"
    assert st.sources == ["Agenzia Immaginaria", "Fictional Wire", "Italpress"]
    assert st.sparse_codes == st.chunks
