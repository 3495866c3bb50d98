"""Every attributed statement in the store, searched by what it says.

"Who said the funds had already been allocated?" asks for a statement, not a passage:
the passage search ranks whole chunks, where an Italian statement that says the English
claim is one clause among others (the dev set's gold chunks ranked 24th to 72nd), while
the statement itself is the closest of the store's to the claim (bench/BENCHMARKS.md).
So a claim is searched against each statement's sentences, as the answerer scores them
(rag/answer/extractive.py ``claim_score``: similarity plus the latent terms that carry a
claim's words into the other language; the answerer adds the claim's words the statement
says), and the chunks holding the best statements are handed to the answerer with the
passages retrieved.

The vectors and latent-terms codes are the saved sentence vectors (rag/sentence_vectors.py),
read once per state of the store and of the saved file; nothing is embedded here. A
statement whose sentences are not saved yet (a fill still running) is not searched: the
passage search still finds what it would have.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from scipy import sparse

from rag.answer.extractive import CLAIM_LATENT_WEIGHT, statement_sentences
from rag.retrieval import Hit
from rag.sentence_vectors import SentenceVectors
from rag.sparse import FEATURES, has_sparse_head
from rag.store import Store, StoreKey

# Statements whose chunks are handed to the answerer per claim: the best few, as the gold
# statement ranked first or second among the store's on the dev set's claims.
STATEMENT_K = 4


@dataclass
class _Index:
    key: tuple[StoreKey, tuple[int, int]]
    chunk_ids: list[str]  # per row (a statement's sentence)
    statements: list[tuple[str, int]]  # per row: (article, the statement's first offset)
    vectors: np.ndarray  # rows x dim, float32
    codes: sparse.csr_matrix | None  # rows x features, unit rows; None without codes


class StatementSearch:
    """Searches the statements of ``store`` by a claim, from the vectors ``saved`` holds."""

    def __init__(self, store: Store, saved: SentenceVectors, sentence_model: Embeddings) -> None:
        self.store = store
        self.saved = saved
        self.sentence_model = sentence_model
        self._index: _Index | None = None
        self._lock = threading.Lock()

    def search(self, query_vector: np.ndarray, claim: str, *, k: int = STATEMENT_K) -> list[Hit]:
        """The chunks holding the ``k`` statements closest to ``claim`` (whose query vector
        is ``query_vector``), best first."""
        index = self._current()
        if index is None or not index.chunk_ids:
            return []
        score = index.vectors @ np.asarray(query_vector, dtype=np.float32)
        if index.codes is not None and has_sparse_head(self.sentence_model):
            ids, vals = self.sentence_model.sparse_query(claim)
            q = np.zeros(index.codes.shape[1], dtype=np.float32)
            inside = ids < q.shape[0]
            q[ids[inside]] = vals[inside]
            norm = float(np.linalg.norm(vals)) or 1.0
            score = score + CLAIM_LATENT_WEIGHT * (index.codes @ q) / norm
        chosen: dict[tuple[str, int], str] = {}
        for row in np.argsort(-score, kind="stable"):
            chosen.setdefault(index.statements[row], index.chunk_ids[row])
            if len(chosen) >= k:
                break
        ids_ = list(dict.fromkeys(chosen.values()))
        chunks = self.store.get_chunks(ids_)
        return [Hit(c, *chunks[c], 0.0) for c in ids_ if c in chunks]

    def _current(self) -> _Index | None:
        key = (self.store.key(), self.saved.count())
        with self._lock:
            if self._index is None or self._index.key != key:
                self._index = self._build(key)
            return self._index

    def _build(self, key: tuple[StoreKey, tuple[int, int]]) -> _Index:
        rows: list[tuple[str, tuple[str, int], str]] = []
        for cid, text, meta in self.store.iter_chunks():
            hit = Hit(cid, text, meta, 0.0)
            for statement, sentences in statement_sentences(hit):
                rows.extend((cid, statement, s) for s in sentences)
        saved = self.saved.lookup(list(dict.fromkeys(t for _, _, t in rows)))
        rows = [r for r in rows if r[2] in saved]
        if not rows:
            return _Index(key, [], [], np.zeros((0, 0), np.float32), None)
        vectors = np.stack([saved[t].vector for _, _, t in rows]).astype(np.float32)
        codes = None
        if all(saved[t].code is not None for _, _, t in rows):
            data, cols, ptr = [], [], [0]
            for _, _, t in rows:
                ids, vals = saved[t].code  # type: ignore[misc]
                norm = float(np.linalg.norm(vals)) or 1.0
                cols.append(ids)
                data.append(vals / norm)
                ptr.append(ptr[-1] + len(ids))
            width = int(max((int(c.max()) for c in cols if len(c)), default=0)) + 1
            codes = sparse.csr_matrix(
                (np.concatenate(data), np.concatenate(cols), np.asarray(ptr)),
                shape=(len(rows), max(width, FEATURES)),
            )
        return _Index(key, [r[0] for r in rows], [r[1] for r in rows], vectors, codes)
