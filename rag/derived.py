"""Indexes derived from a store's chunks, saved beside it (BM25 terms, sparse codes).

Each is rebuilt when the store's generation moves (another process ingested) and is
swapped in whole, so a crash mid-build leaves the old index (or none), never half of one.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any


class DerivedIndex:
    """Base of the on-disk indexes: ``ensure`` loads or rebuilds, subclasses say how."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.generation = -1
        self._lock = threading.Lock()

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
