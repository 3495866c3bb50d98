"""Chroma, and nothing else: embedded ``PersistentClient`` or a ``chroma run`` server.

Two collections per store:

- ``<name>``: one record per chunk (vector, text, metadata: rag/metadata.py); the keys
  only retrieval's own indexes read (sparse codes) are left out of what readers get.
- ``<name>-docs``: one record per article (content hash, chunk ids, title, ...), the
  ingest registry. Keeping it in Chroma, not a side file, means a server-mode store is
  complete on the server and both modes behave the same.

The chunk collection's metadata records the embedding model (a store never mixes
vector spaces) and a ``generation`` counter bumped before every written batch, so other
processes' derived indexes (BM25, sparse codes) know when to reload; they also check the
collection's id and count (``key``), and verify a hash of every chunk id when loaded
(``content_digest``), so a killed ingest or a recreated collection cannot leave them
trusted but stale.

The store never embeds: it is handed vectors, and ingest and retrieval are handed the
embedder (``check_model`` refuses one of another vector space).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from rag.config import DEFAULT_COLLECTION
from rag.derived import StoreKey, ids_digest
from rag.embeddings import model_name_of, vector_space
from rag.errors import (
    DiskFullError,
    EmbeddingMismatchError,
    IndexCorruptError,
    ReadOnlyStoreError,
    ServerUnreachableError,
    StoreError,
)
from rag.metadata import INTERNAL_KEYS, ChunkMetadata

_PAGE = 2000
# Candidates the HNSW graph search keeps. Chroma's default (100) found only 0.91 of the
# exact top 40 on bbc_quotes (7,560 e5 vectors, whose cosines sit close together) and
# missed the exact nearest chunk for 42 of 628 questions; 400 finds 0.994 (3 missed)
# for about 5 ms a query. A search-time setting: the graph itself is unchanged.
HNSW_EF_SEARCH = 400
_PLACEHOLDER = [0.0]  # the registry collection holds no meaningful vectors


@dataclass(frozen=True)
class DocRecord:
    doc_id: str
    content_hash: str
    chunk_ids: tuple[str, ...]
    title: str = ""
    source: str = ""
    published_at: str = ""
    path: str = ""
    lang: str = ""
    analysis: int = 0  # version of the per-chunk analysis (quotes) the chunks carry

    def to_metadata(self) -> dict[str, Any]:
        return {
            "content_hash": self.content_hash,
            "chunk_ids": json.dumps(list(self.chunk_ids)),
            "title": self.title,
            "source": self.source,
            "published_at": self.published_at,
            "path": self.path,
            "lang": self.lang,
            "analysis": self.analysis,
        }

    @classmethod
    def from_metadata(cls, doc_id: str, meta: dict[str, Any]) -> DocRecord:
        return cls(
            doc_id=doc_id,
            content_hash=str(meta.get("content_hash", "")),
            chunk_ids=tuple(json.loads(str(meta.get("chunk_ids") or "[]"))),
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            published_at=str(meta.get("published_at", "")),
            path=str(meta.get("path", "")),
            lang=str(meta.get("lang", "")),
            analysis=int(meta.get("analysis", 0) or 0),
        )


def _public(meta: Any) -> ChunkMetadata:
    """A chunk's metadata as readers get it: without the keys only retrieval's own
    indexes read (rag/metadata.py INTERNAL_KEYS)."""
    return cast(
        ChunkMetadata, {k: v for k, v in dict(meta or {}).items() if k not in INTERNAL_KEYS}
    )


def _full(meta: Any) -> ChunkMetadata:
    return cast(ChunkMetadata, dict(meta or {}))


_T = TypeVar("_T")


def _batches(items: Sequence[_T], size: int = _PAGE) -> Iterator[list[_T]]:
    """``items`` in lists of at most ``size``: one Chroma call each, so a call (and a
    server request) stays bounded however many ids a caller passes."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _pages(
    collection: Any, include: list[str], where: dict[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """A whole collection (or what matches ``where``), _PAGE records per call, so memory
    and each server response stay bounded."""
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=_PAGE, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


_DISK_FULL = ("database or disk is full", "no space left", "error in compaction")
_READ_ONLY = ("readonly database", "read-only file system")
_CORRUPT = ("error deserializing pickle", "hnsw segment reader", "error loading hnsw")
_UNREACHABLE = ("connecterror", "connection refused", "could not connect", "connecttimeout")


def fault_of(exc: BaseException, where: Path | str, url: str | None = None) -> StoreError | None:
    """The named fault behind a Chroma or file-system failure, or None when it is none of
    them. Chroma reports them as InternalError texts (its Rust core's), so the text is
    what tells them apart."""
    if isinstance(exc, StoreError):
        return exc
    text = f"{type(exc).__name__}: {exc}".lower()
    errno_ = getattr(exc, "errno", None)
    if url and (isinstance(exc, ConnectionError) or any(k in text for k in _UNREACHABLE)):
        return ServerUnreachableError(url)
    if errno_ == 28 or any(k in text for k in _DISK_FULL):  # ENOSPC
        return DiskFullError(str(where))
    if errno_ == 30 or any(k in text for k in _READ_ONLY):  # EROFS
        return ReadOnlyStoreError(str(where))
    if any(k in text for k in _CORRUPT):
        return IndexCorruptError(str(url or where), next(k for k in _CORRUPT if k in text))
    return None


class _Guarded:
    """A Chroma client or collection whose failures come out as named faults."""

    def __init__(self, target: Any, where: Path | str, url: str | None) -> None:
        self._target, self._where, self._url = target, where, url

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                out = value(*args, **kwargs)
            except Exception as exc:
                fault = fault_of(exc, self._where, self._url)
                if fault is None or fault is exc:
                    raise
                raise fault from exc
            return _Guarded(out, self._where, self._url) if _is_collection(out) else out

        return call


def _is_collection(value: Any) -> bool:
    return type(value).__name__ == "Collection"


def _connect(store_dir: Path, chroma_url: str | None) -> tuple[Any, StoreError | None]:
    """A client, and the fault that makes the store read-only (None when writable)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        if not url.hostname:
            raise StoreError(f"bad --chroma-url {chroma_url!r}; expected http://HOST:PORT")
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError variants
            raise ServerUnreachableError(chroma_url) from exc
        return client, None
    if store_dir.exists() and not store_dir.is_dir():
        raise StoreError(f"store path {store_dir} is a file, not a folder; pass --store DIR")
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(
            path=str(store_dir / "chroma"), settings=chroma_settings
        ), None
    except Exception as exc:
        fault = fault_of(exc, store_dir)
        if (
            isinstance(fault, (ReadOnlyStoreError, DiskFullError))
            and (store_dir / "chroma").is_dir()
        ):
            # Chroma writes as it opens, so a store that cannot be written cannot even be
            # read in place; a copy elsewhere can (reads must work when writes cannot).
            return _read_only_copy(store_dir, chroma_settings, fault), fault
        if fault is not None:
            raise fault from exc
        if isinstance(exc, PermissionError):
            raise StoreError(f"store folder {store_dir} is not writable") from exc
        raise StoreError(f"cannot open the store at {store_dir}: {exc}".splitlines()[0]) from exc


def _read_only_copy(store_dir: Path, chroma_settings: Any, fault: StoreError) -> Any:
    """A client over a temporary copy of the store's Chroma data, removed at exit."""
    import atexit
    import shutil
    import tempfile

    import chromadb

    tmp = Path(tempfile.mkdtemp(prefix="rag-readonly-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    try:
        shutil.copytree(store_dir / "chroma", tmp / "chroma")
        return chromadb.PersistentClient(path=str(tmp / "chroma"), settings=chroma_settings)
    except Exception as exc:  # no room for the copy either
        raise fault from exc


class Store:
    """The chunk and registry collections of one store, bound to one embedding model.

    ``embeddings`` names the model whose vectors the store holds: its identity is recorded
    and a model of another vector space is refused. The store never embeds: ingest and
    retrieval are handed the embedder themselves."""

    def __init__(
        self,
        store_dir: str | os.PathLike[str],
        *,
        embeddings: Embeddings,
        chroma_url: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        client: Any = None,
    ) -> None:
        self.dir = Path(store_dir)
        self.chroma_url = chroma_url
        self.collection_name = collection
        self.model_name = model_name_of(embeddings)
        # Why the store cannot be written (read-only, disk full), when it cannot: reads
        # work on a copy, and ``writable()`` refuses an ingest with that reason.
        self.read_only: StoreError | None = None
        if client is None:
            client, self.read_only = _connect(self.dir, chroma_url)
        self.client = _Guarded(client, self.dir, chroma_url)
        self._chunks = self.client.get_or_create_collection(
            collection,
            configuration={"hnsw": {"space": "cosine", "ef_search": HNSW_EF_SEARCH}},
            metadata={"embedding_model": self.model_name, "generation": 0},
            embedding_function=None,
        )
        self._raise_ef_search()
        stored = (self._chunks.metadata or {}).get("embedding_model")
        if stored and vector_space(str(stored)) != vector_space(self.model_name):
            raise EmbeddingMismatchError(store_model=str(stored), requested_model=self.model_name)
        self._docs = self.client.get_or_create_collection(
            f"{collection}-docs", embedding_function=None
        )

    def check_model(self, embeddings: Embeddings) -> None:
        """Refuse an embedder (handed to ingest or retrieval) whose vectors are not in this
        store's space: its vectors would be written, or searched, among another model's."""
        requested = model_name_of(embeddings)
        if vector_space(requested) != vector_space(self.model_name):
            raise EmbeddingMismatchError(store_model=self.model_name, requested_model=requested)

    def reset_chunks(self) -> None:
        """Drop the chunk collection and start an empty one (``rag check --repair`` of a
        corrupt vector index; the registry is kept, and says what to ingest again)."""
        self.client.delete_collection(self.collection_name)
        self._chunks = self.client.get_or_create_collection(
            self.collection_name,
            configuration={"hnsw": {"space": "cosine", "ef_search": HNSW_EF_SEARCH}},
            metadata={"embedding_model": self.model_name, "generation": 0},
            embedding_function=None,
        )

    def _raise_ef_search(self) -> None:
        """Stores made before HNSW_EF_SEARCH get it too (Chroma keeps it per collection)."""
        try:
            hnsw = (self._chunks.configuration_json or {}).get("hnsw") or {}
            if int(hnsw.get("ef_search") or 0) < HNSW_EF_SEARCH:
                self._chunks.modify(configuration={"hnsw": {"ef_search": HNSW_EF_SEARCH}})
        except Exception:  # an older server without configurable search: keep its default
            pass

    def writable(self) -> None:
        """Raise the reason the store cannot be written, if there is one."""
        if self.read_only is not None:
            raise self.read_only

    # -- generation: lets long-lived readers notice changes made by other processes
    def generation(self) -> int:
        meta = self.client.get_collection(self.collection_name, embedding_function=None).metadata
        return int((meta or {}).get("generation", 0))

    def key(self) -> StoreKey:
        """What derived indexes are checked against before every question: two cheap
        calls (the collection, read afresh so a recreated one is noticed, and its count)."""
        chunks = self.client.get_collection(self.collection_name, embedding_function=None)
        return StoreKey(
            collection=str(chunks.id),
            generation=int((chunks.metadata or {}).get("generation", 0)),
            count=int(chunks.count()),
        )

    def content_digest(self) -> str:
        """A hash over every chunk id (an id-only scan): what derived indexes are verified
        against when loaded. Chunk ids hash their text, so equal digests, equal chunks."""
        return ids_digest(self.chunk_ids_where())

    def bump_generation(self) -> int:
        gen = self.generation() + 1
        self._chunks.modify(metadata={"embedding_model": self.model_name, "generation": gen})
        return gen

    # -- chunks
    def upsert_chunks(
        self,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]],
        texts: Sequence[str],
        metadatas: Sequence[ChunkMetadata],
    ) -> None:
        if ids:
            self._chunks.upsert(
                ids=list(ids),
                embeddings=[list(v) for v in vectors],
                documents=list(texts),
                metadatas=list(metadatas),
            )

    def update_chunk_metadata(self, ids: Sequence[str], metadatas: Sequence[ChunkMetadata]) -> None:
        """New metadata for stored chunks, keeping their vectors (no re-embedding)."""
        for page, metas in zip(_batches(ids), _batches(metadatas), strict=True):
            self._chunks.update(ids=page, metadatas=metas)

    def delete_chunks(self, ids: Sequence[str]) -> None:
        for page in _batches(ids):
            self._chunks.delete(ids=page)

    def chunk_ids_of(self, doc_ids: Sequence[str]) -> set[str]:
        """Ids of every stored chunk of these documents."""
        found: set[str] = set()
        for page in _batches(doc_ids):
            found.update(self._chunks.get(where={"doc_id": {"$in": page}}, include=[])["ids"])
        return found

    def existing_chunk_ids(
        self, ids: Sequence[str], *, where: dict[str, Any] | None = None
    ) -> set[str]:
        """Which of ``ids`` are stored (and match ``where``, when given)."""
        found: set[str] = set()
        for page in _batches(ids):
            found.update(self._chunks.get(ids=page, where=where, include=[])["ids"])
        return found

    def get_chunks(
        self, ids: Sequence[str], *, internal: bool = False
    ) -> dict[str, tuple[str, ChunkMetadata]]:
        """Text and metadata of stored chunks; ``internal`` keeps the keys only retrieval's
        own indexes read (sparse codes), for a caller that writes the metadata back."""
        keep = _full if internal else _public
        out: dict[str, tuple[str, ChunkMetadata]] = {}
        for page in _batches(ids):
            got = self._chunks.get(ids=page, include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                out[cid] = (text, keep(meta))
        return out

    def get_vectors(self, ids: Sequence[str]) -> dict[str, tuple[str, list[float], ChunkMetadata]]:
        """Text, vector and full metadata of stored chunks (to reuse a vector elsewhere)."""
        out: dict[str, tuple[str, list[float], ChunkMetadata]] = {}
        for page in _batches(ids):
            got = self._chunks.get(ids=page, include=["documents", "embeddings", "metadatas"])
            for cid, text, vec, meta in zip(
                got["ids"], got["documents"], got["embeddings"], got["metadatas"], strict=True
            ):
                out[cid] = (text, [float(x) for x in vec], _full(meta))
        return out

    def iter_chunks(self) -> Iterator[tuple[str, str, ChunkMetadata]]:
        """Every chunk (id, text, metadata), paged so memory stays bounded."""
        for got in _pages(self._chunks, ["documents", "metadatas"]):
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                yield cid, text, _public(meta)

    def iter_chunk_metadata(self) -> Iterator[tuple[str, ChunkMetadata]]:
        """Every chunk's (id, full metadata), sparse codes included, paged."""
        for got in _pages(self._chunks, ["metadatas"]):
            for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
                yield cid, _full(meta)

    def document_text(self, doc_id: str) -> str:
        """An article's text, reassembled from its chunks (for "open the whole article"):
        the chunks in article order, their overlap taken once, a paragraph break where
        chunks leave a gap between them; "" when the store holds none of it."""
        parts = sorted(
            (meta.get("char_start", 0), meta.get("char_end", 0), text)
            for got in _pages(self._chunks, ["documents", "metadatas"], {"doc_id": doc_id})
            for text, meta in zip(got["documents"], map(_full, got["metadatas"]), strict=True)
        )
        out, pos = "", 0
        for start, end, text in parts:
            if end <= pos:
                continue
            out += ("\n\n" if start > pos and out else "") + text[max(0, pos - start) :]
            pos = end
        return out

    def chunk_ids_where(self, where: dict[str, Any] | None = None) -> set[str]:
        """Ids of the chunks matching a metadata filter (all of them without one)."""
        return {cid for got in _pages(self._chunks, [], where) for cid in got["ids"]}

    def chunk_count(self) -> int:
        return int(self._chunks.count())

    def query(
        self, vector: Sequence[float], *, k: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest chunks as (chunk id, cosine similarity), best first."""
        if k <= 0:
            return []
        # Chroma (1.x) clamps n_results to what the collection holds and answers an empty
        # one with no ids, so no count first (a round trip in server mode).
        res = self._chunks.query(
            query_embeddings=[list(vector)], n_results=k, where=where or None, include=["distances"]
        )
        return [
            (cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    # -- document registry
    def doc_records(self) -> dict[str, DocRecord]:
        return {
            did: DocRecord.from_metadata(did, dict(meta or {}))
            for got in _pages(self._docs, ["metadatas"])
            for did, meta in zip(got["ids"], got["metadatas"], strict=True)
        }

    def put_doc_records(self, records: Sequence[DocRecord]) -> None:
        for page in _batches(records):
            self._docs.upsert(
                ids=[r.doc_id for r in page],
                embeddings=[_PLACEHOLDER] * len(page),
                metadatas=[r.to_metadata() for r in page],
            )

    def delete_doc_record(self, doc_id: str) -> None:
        self._docs.delete(ids=[doc_id])

    def doc_count(self) -> int:
        return int(self._docs.count())

    def all_doc_ids_in_chunks(self) -> set[str]:
        return {meta.get("doc_id", "") for _, meta in self.iter_chunk_metadata()}
