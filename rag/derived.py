"""Indexes derived from a store's chunks, saved beside it (BM25 terms, sparse codes).

Each is rebuilt when the store's generation moves (another process ingested) and is
swapped in whole, so a crash mid-build leaves the old index (or none), never half of one.
Both score every chunk at once and filter by date and outlet on numpy columns.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


class DerivedIndex:
    """Base of the on-disk indexes: ``ensure`` loads or rebuilds, subclasses say how."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.generation = -1
        self._lock = threading.Lock()
        # Filter columns, a row per chunk, so queries filter with numpy, not Python loops.
        self._langs = np.array([], dtype=object)
        self._sources = np.array([], dtype=object)
        self._dates = np.array([], dtype=np.int64)

    def ensure(self, store: Any, generation: int | None = None) -> None:
        """Load from disk, or rebuild from the store, when the store's generation moved
        (``generation``: the store's, when the caller has just read it)."""
        gen = store.generation() if generation is None else generation
        if gen == self.generation:
            return
        with self._lock:
            if gen == self.generation:
                return
            if self._load() and self.generation == gen:
                return
            self._rebuild(store, gen)

    def _load(self) -> bool:
        """Install the saved index; False when there is none or it cannot be used."""
        raise NotImplementedError

    def _rebuild(self, store: Any, gen: int) -> None:
        """Build from the store's chunks into ``_staging()``, ``_swap_in`` it, install it."""
        raise NotImplementedError

    def _staging(self) -> Path:
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        return tmp

    def _swap_in(self, tmp: Path) -> None:
        old = self.directory.with_name(self.directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(old)
        tmp.rename(self.directory)
        shutil.rmtree(old, ignore_errors=True)

    def _set_columns(self, entries: Sequence[Any]) -> None:
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
