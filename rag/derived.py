"""Indexes derived from a store's chunks, saved beside it (BM25 terms, sparse codes).

Each is keyed to what it was built from: the collection's id, generation and chunk count
(``StoreKey``, checked before every question) and a hash of every chunk id (verified
when a saved index is loaded). One that does not match, or cannot be read whole, is
rebuilt from the store, never trusted: a stale index made answers say "the briefings
do not mention X" for documents that were there. An index is swapped in whole, so a
crash mid-build leaves the old index (or none), never half of one; on a store that
cannot be written (read-only, disk full) it is built in memory for this process.
Both score every chunk at once and filter by date and outlet on numpy columns.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.metadata import ChunkMetadata


@dataclass(frozen=True)
class StoreKey:
    """Which collection, at which generation, holding how many chunks."""

    collection: str
    generation: int
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "generation": self.generation, "count": self.count}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoreKey:
        return cls(str(data["collection"]), int(data["generation"]), int(data["count"]))


def ids_digest(ids: Iterable[str]) -> str:
    h = hashlib.sha256()
    for cid in sorted(ids):
        h.update(cid.encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()[:32]


class ChunkSource(Protocol):
    """What an index is built from and checked against: rag.store.Store's chunk side."""

    def key(self) -> StoreKey: ...

    def content_digest(self) -> str: ...

    def iter_chunks(self) -> Iterator[tuple[str, str, ChunkMetadata]]: ...

    def iter_chunk_metadata(self) -> Iterator[tuple[str, ChunkMetadata]]: ...


class _Filterable(Protocol):
    lang: str
    source: str
    date_key: int


class DerivedIndex:
    """Base of the on-disk indexes: ``ensure`` loads or rebuilds, subclasses say how."""

    format = 0  # of the saved index; a saved index of another format is rebuilt

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key: StoreKey | None = None
        self._lock = threading.Lock()
        # Filter columns, a row per chunk, so queries filter with numpy, not Python loops.
        self._langs = np.array([], dtype=object)
        self._sources = np.array([], dtype=object)
        self._dates = np.array([], dtype=np.int64)

    @property
    def generation(self) -> int:
        return self.key.generation if self.key is not None else -1

    def ensure(self, store: ChunkSource, key: StoreKey | None = None) -> None:
        """Load from disk, or rebuild from the store, unless already built from what the
        store holds (``key``: the store's, when the caller has just read it)."""
        key = store.key() if key is None else key
        if key == self.key:
            return
        with self._lock:
            if key == self.key:
                return
            if self.load(store, key):
                return
            self._rebuild(store, key)

    def load(self, store: ChunkSource, key: StoreKey) -> bool:
        """Install the saved index if it was built from exactly what the store holds."""
        meta = self.saved_meta()
        if meta is None:
            return False
        try:
            if StoreKey.from_json(meta["key"]) != key:
                return False
            if meta["digest"] != store.content_digest():
                return False
            return self._load(meta, key)
        except Exception:  # noqa: BLE001 -- unreadable in any way (truncated, edited): rebuilt
            return False

    def saved_meta(self) -> dict[str, Any] | None:
        """The saved index's meta.json, when there is one of this format."""
        try:
            meta = json.loads((self.directory / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or meta.get("format") != self.format:
            return None
        return meta

    def problem(self, store: ChunkSource) -> str:
        """Why the saved index cannot be used ("" when it can, or is only missing or out of
        date, which the next question mends by itself): for ``rag check``."""
        meta_path = self.directory / "meta.json"
        if not meta_path.exists():
            return ""
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as exc:
            return f"corrupt meta.json ({type(exc).__name__})"
        if not isinstance(meta, dict) or meta.get("format") != self.format:
            return ""  # an older release's: rebuilt by the next question
        key = store.key()
        try:
            if StoreKey.from_json(meta["key"]) != key:
                return ""
            if meta["digest"] != store.content_digest():
                return "stale (built from other chunks than the store holds)"
            if not type(self)(self.directory)._load(meta, key):
                return "corrupt (its rows do not match its chunk ids)"
        except Exception as exc:  # noqa: BLE001
            return f"corrupt ({type(exc).__name__})"
        return ""

    def rebuild(self, store: ChunkSource) -> None:
        with self._lock:
            self._rebuild(store, store.key())

    def _load(self, meta: dict[str, Any], key: StoreKey) -> bool:
        """Install the saved index described by ``meta``; False (or an exception) when it
        does not hold together (rows, ids and matrix agreeing)."""
        raise NotImplementedError

    def _rebuild(self, store: ChunkSource, key: StoreKey) -> None:
        """Build from the store's chunks, ``_save`` it, install it."""
        raise NotImplementedError

    def _meta(self, key: StoreKey, ids: Sequence[str], **extra: Any) -> dict[str, Any]:
        return {"format": self.format, "key": key.to_json(), "digest": ids_digest(ids), **extra}

    def _save(self, write: Callable[[Path], None]) -> None:
        """``write`` the index into a staging folder and swap it in whole; on a store that
        cannot be written the index lives in memory only (reads must work there too)."""
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            write(tmp)
            self._swap_in(tmp)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

    def _swap_in(self, tmp: Path) -> None:
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)

    def _set_columns(self, entries: Sequence[_Filterable]) -> None:
        """The filter columns of ``entries`` (each with ``lang``, ``source``, ``date_key``)."""
        self._langs = np.array([e.lang for e in entries], dtype=object)
        self._sources = np.array([e.source for e in entries], dtype=object)
        self._dates = np.array([e.date_key for e in entries], dtype=np.int64)

    def _filtered(
        self, scores: np.ndarray, since: int, until: int, sources: frozenset[str]
    ) -> np.ndarray:
        """``scores`` with chunks outside the date range or the outlets set to 0."""
        if not (since or until or sources):
            return scores
        mask = np.ones(len(scores), dtype=bool)
        if since:
            mask &= self._dates >= since
        if until:
            mask &= (self._dates > 0) & (self._dates <= until)
        if sources:
            mask &= np.isin(self._sources, list(sources))
        return np.where(mask, scores, 0.0)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the ``k`` highest scores, best first (ties in row order)."""
    n = min(k, len(scores))
    if n <= 0:
        return np.arange(0)
    top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(n)
    return top[np.argsort(-scores[top], kind="stable")]
