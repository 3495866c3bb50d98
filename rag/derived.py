"""Indexes derived from a store's chunks, saved beside it (BM25 terms, sparse codes).

Each is keyed to what it was built from: the collection's id, generation and chunk count
(``StoreKey``, checked before every question) and a hash of every chunk id (verified
when a saved index is loaded). One that does not match, or cannot be read whole, is
rebuilt from the store, never trusted: a stale index made answers say "the briefings
do not mention X" for documents that were there. An index is swapped in whole, so a
crash mid-build leaves the old index (or none), never half of one; on a store that
cannot be written (read-only, disk full) it is built in memory for this process.

Several processes share a store (the web chat, ``rag ask``, ``rag check``): each index
is loaded, built and swapped in under its own file lock (``<store>/bm25.lock``), so two
processes never build into one staging folder, a reader never reads half of a swap,
and a process that waited for another's build loads it instead of building it again.
Staging folders have unique names, so one left by a killed build is only litter,
removed by the next build.
Both score every chunk at once and filter by date and outlet on numpy columns.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from filelock import FileLock

from rag.metadata import ChunkMetadata

# How long a process waits for another's build of an index before building its own in
# memory (never saved: only the lock holder writes the folder). A large store builds in
# well under a minute.
BUILD_WAIT = 300.0


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
        # Reentrant: ``ensure`` loads through the public ``load``, each taking both locks.
        self._lock = threading.RLock()
        self._held = 0  # how deep in ``_folder_lock`` (0: the folder's file lock not held)
        self._owner = False  # whether this process holds the folder's file lock now
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
        with self._lock, self._folder_lock():
            if key == self.key:
                return
            # Under the file lock: another process's build, if it just finished, loads.
            if self.load(store, key):
                return
            self._rebuild(store, key)

    @contextmanager
    def _folder_lock(self) -> Iterator[None]:
        """Hold ``<store>/<name>.lock`` while reading or writing the saved index. Where it
        cannot be had (a read-only or full store, or a build elsewhere that takes longer
        than BUILD_WAIT) the index is still read and built, but not saved. Called with
        ``self._lock`` held."""
        if self._held:
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
            return
        lock = FileLock(str(self.directory.with_name(self.directory.name + ".lock")))
        try:
            # A server-mode store's local folder may not exist yet.
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=BUILD_WAIT)
            self._owner = True
        except OSError:  # read-only, disk full, or filelock.Timeout (a TimeoutError)
            pass
        self._held = 1
        try:
            yield
        finally:
            self._held = 0
            if self._owner:
                self._owner = False
                lock.release()

    def load(self, store: ChunkSource, key: StoreKey) -> bool:
        """Install the saved index if it was built from exactly what the store holds."""
        with self._lock, self._folder_lock():
            return self._load_saved(store, key)

    def _load_saved(self, store: ChunkSource, key: StoreKey) -> bool:
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
            fresh = type(self)(self.directory)
            with fresh._lock, fresh._folder_lock():
                if not fresh._load(meta, key):
                    return "corrupt (its rows do not match its chunk ids)"
        except Exception as exc:  # noqa: BLE001
            return f"corrupt ({type(exc).__name__})"
        return ""

    def rebuild(self, store: ChunkSource) -> None:
        with self._lock, self._folder_lock():
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
        cannot be written, or without the folder's lock, the index lives in memory only
        (reads must work there too)."""
        if not self._owner:
            return
        tmp: Path | None = None
        try:
            self._remove_litter()
            tmp = Path(
                tempfile.mkdtemp(prefix=self.directory.name + ".tmp-", dir=self.directory.parent)
            )
            write(tmp)
            self._swap_in(tmp)
        except OSError:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def _swap_in(self, tmp: Path) -> None:
        # Two renames, not one: a folder cannot be renamed over a non-empty one. Readers
        # hold the lock too, so none sees the moment between them.
        old = Path(tempfile.mkdtemp(prefix=self.directory.name + ".old-", dir=tmp.parent))
        if self.directory.exists():
            old.rmdir()
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)

    def _remove_litter(self) -> None:
        """Staging folders of builds killed mid-way (this one holds the lock, so no other
        build is using them), and the fixed-name ones of earlier releases."""
        name = self.directory.name
        for pattern in (f"{name}.tmp-*", f"{name}.old-*", f"{name}.tmp", f"{name}.old"):
            for path in self.directory.parent.glob(pattern):
                shutil.rmtree(path, ignore_errors=True)

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
