"""Idempotent ingest: files -> chunks -> vectors -> store.

Per document, in this order: upsert its chunks, delete its stale chunks, then write its
registry record (content hash + chunk ids). A run killed at any point leaves a document
either fully old, fully new, or with no record; the next run redoes exactly that
document, and chunk ids derived from content make the redo idempotent.
Chunks whose id is already stored are never embedded again.

Sparse codes (rag/sparse.py) come from the embedding pass and are written in the chunk's
metadata with its vector. Chunks stored without one (a store made before sparse codes, or
a run killed mid-way through filling them in) get theirs at the end of the next ingest:
a model pass per chunk, once, with nothing re-embedded or rewritten but that metadata.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from filelock import FileLock, Timeout
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag.chunking import chunk_document
from rag.config import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHUNK_CHARS,
    DEFAULT_CHUNK_OVERLAP_SENTENCES,
    DEFAULT_MAX_FILE_MB,
)
from rag.documents import file_doc_id, headline_title, iter_files, stream_file
from rag.errors import DocumentError, StoreError, StoreLockedError
from rag.metadata import HEAD_KEY, INTERNAL_KEYS, ChunkMetadata
from rag.quotes import find_quotes, find_roles, quotes_metadata, roles_metadata
from rag.roles import with_place
from rag.sparse import code_metadata, has_sparse_head
from rag.store import DocRecord, Store, fault_of

ProgressFn = Callable[[int, int, str], None]
# Bump when per-chunk analysis (quote attribution) changes: the next ingest re-analyses
# every document and rewrites chunk metadata, without embedding anything again.
# 12: datelines as metadata (date, place, outlet, body_start, titles), reported speech
# (Quote.kind) and the article's roles.
# 13: speech verbs in every tense, more source phrases and offices (rag/speech_verbs.py),
# and each role also qualified by the briefing's place.
# 14: a clause ends where its sentence goes on to another statement; indirect questions,
# denials denied, nominal credits, Q&A interviews, outlet-less datelines.
# 15: offices with their English modifiers and possessor, 'who chairs X', occupations,
# and no organisation taken for an office's holder (rag/roles.py).
# 16: former holders hold the former office, appointments ('eletta presidente ... al posto
# di X'), and a reported clause cut by its attribution ('Il ponte, ha assicurato X, ...').
# 17: datelines in mixed case with a year, the outlet named at the end, bylines (metadata).
# 18: more dateline orders (an agency without brackets, the date before the place, the
# outlet or date after the place's dash, joint credits, 'Published:'), metadata; roles from
# a headline, possessive deputies, plural offices, acting ranks, offices in the perfect.
# 19: two people sharing a surname kept apart, longer relative clauses before a speech verb,
# 'Secondo il suo presidente, X,', 'Il cantiere, ha proseguito, ...' (rag/quotes.py); a
# headline's office is not lost to a surname inside a word ('King' in 'parking'), and a
# possessive office is its organisation's ('il suo presidente', 'its chief executive';
# rag/roles.py).
# 20: a that-less clause after more verbs of saying when it has a finite verb ('noted the
# plan would fail'), a credit's circumstance at any length, particle surnames and compound
# first names, hyphenated names in a dashed insert, a clause that opens like an adverbial
# but has its verb, a two-word cut predicate, an apposition opening with its organisation
# (rag/quotes.py; found by bench/attribution_mutations.py).
# 21: an office held "since" a date ('Sarti, assessora alla Salute dal 2024,'), by a copula
# ('Madoc has been the spokesman ...', 'X è sindaca di ...'), written with 'ex-' / 'vice-',
# and the office nouns the lexicon lacked (prefetta, dg, chairperson, member of parliament
# ...; rag/roles.py).
# 22: an office word before a full name is a title ('Superintendent X Y'), 'A renderlo noto è
# stato' credits the lede, 'said about 300 people would' is a clause (rag/quotes.py).
ANALYSIS_VERSION = 22
# What a chunk's vector embeds, recorded in its metadata; a chunk stored under another
# recipe is embedded again by the next ingest (bump ANALYSIS_VERSION with it, so that
# ingest looks at every document). 2: the chunk's text alone. Recipe 1 put the article's
# title first; the title is shared by every chunk of an article (and by sibling articles
# on one subject), so it pulled their vectors together and dense search lost its grip on
# which passage answers. Its words still count in BM25 (bench/BENCHMARKS.md, 2026-11-26).
VECTOR_TEXT = 2


@dataclass
class Failure:
    path: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest did. Lists hold document ids (failures: path and reason).

    ``undated`` names the added or updated documents with no date from their fields,
    front matter, dateline or file name (a file by its path, a jsonl line by its id):
    date filters leave them out, so the user should hear about it.
    """

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Documents whose file is gone and whose text came back under another path in this
    # run (a moved or renamed file): removed, their vectors reused by the new document.
    moved: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_coded: int = 0  # stored chunks given the sparse code they lacked
    seconds: float = 0.0
    dry_run: bool = False  # nothing was written: the lists say what would be

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.moved)

    def summary(self) -> str:
        coded = f", {self.chunks_coded} given sparse codes" if self.chunks_coded else ""
        if self.dry_run:
            to_move = f", {len(self.moved)} to move" if self.moved else ""
            return (
                f"dry run, nothing written: {len(self.added)} to add, "
                f"{len(self.updated)} to update, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} to remove{to_move}, {len(self.failed)} failed"
            )
        moved = f", {len(self.moved)} moved" if self.moved else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.removed)} removed{moved}, "
            f"{len(self.failed)} failed; {self.chunks_embedded} chunks embedded{coded} "
            f"in {self.seconds:.1f}s"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def store_lock(store_dir: Path) -> Iterator[None]:
    """One ingest per store at a time; a second one is refused, not interleaved. An OS
    lock (``filelock``), so a killed ingest leaves no lock behind."""
    lock = FileLock(store_dir / "ingest.lock")
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise StoreLockedError(
            f"another ingest is writing to {store_dir}; wait for it to finish"
        ) from exc
    except OSError as exc:
        raise fault_of(exc, store_dir) or StoreError(
            f"cannot write to the store at {store_dir} ({exc.strerror or exc})"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _chunk_metadata(chunk: Document) -> ChunkMetadata:
    """What a chunk is stored with (rag/metadata.py): its Document's metadata, less the
    article's content hash (the registry keeps it) and anything None (Chroma holds none)."""
    meta = {k: v for k, v in chunk.metadata.items() if v is not None}
    meta.pop("content_hash", None)
    meta["vector_text"] = VECTOR_TEXT
    return cast(ChunkMetadata, meta)


def _attach_quotes(doc: Document, chunks: list[Document]) -> None:
    quotes = find_quotes(doc.page_content)
    # The article's roles on every chunk: a question about "the mayor" may hit a chunk
    # that only names him, and the table is a few dozen bytes.
    place = str(doc.metadata.get("place") or "")
    roles = roles_metadata(
        with_place(find_roles(doc.page_content, headline=_headline(doc)), place, doc.page_content)
    )
    for c in chunks:
        c.metadata["quotes"], c.metadata["speakers"] = quotes_metadata(
            quotes, int(c.metadata["char_start"]), int(c.metadata["char_end"])
        )
        c.metadata["roles"] = roles


def _headline(doc: Document) -> str:
    """The article's own headline; "" for a title made from its dateline and first clause."""
    meta = doc.metadata
    title = str(meta.get("title") or "")
    body = doc.page_content[int(meta.get("body_start") or 0) :]
    made = headline_title(
        str(meta.get("source") or ""),
        str(meta.get("place") or ""),
        str(meta.get("published_at") or ""),
        body,
    )
    stem = Path(str(meta.get("path") or "")).stem
    return "" if title in (made, made[:300], stem) else title


@dataclass
class _Pending:
    doc: Document
    chunks: list[Document]
    old: DocRecord | None
    moved_from: tuple[DocRecord, ...] = ()  # records of this text whose file is gone


PROGRESS_EVERY = 10.0  # seconds between progress lines when stderr is not a terminal


class _Progress:
    """A tqdm bar on a terminal; elsewhere (a log, a pipe) one plain line every
    ``every`` seconds, so a long ingest shows it is alive without flooding the log."""

    def __init__(
        self, mode: str, callback: ProgressFn | None, every: float = PROGRESS_EVERY
    ) -> None:
        self.callback = callback
        self._total = 0
        self._done = 0
        self._files = 0
        self.bar: Any = None
        self.lines = mode == "lines"
        self.every = every
        self._started = self._last = time.monotonic()
        if mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=0, unit="chunk", desc="embedding", file=sys.stderr)

    def grow(self, n: int) -> None:
        self._total += n
        if self.bar is not None:
            self.bar.total += n
            self.bar.refresh()

    def total(self) -> int:
        return self._total

    def file_read(self) -> None:
        self._files += 1
        self._tick()

    def advance(self, n: int, done: int, total: int, what: str) -> None:
        self._done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.callback is not None:
            self.callback(done, total, what)
        self._tick(what)

    def _tick(self, what: str = "embedding") -> None:
        now = time.monotonic()
        if self.lines and now - self._last >= self.every:
            self._last = now
            sys.stderr.write(
                f"ingest: {self._files} files read, {self._done}/{self._total} chunks "
                f"({what}), {now - self._started:.0f}s\n"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def ingest(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    *,
    embeddings: Embeddings,
    prune: bool = False,
    chunk_chars: int = DEFAULT_CHUNK_CHARS,
    overlap_sentences: int = DEFAULT_CHUNK_OVERLAP_SENTENCES,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_file_mb: int = DEFAULT_MAX_FILE_MB,
    progress: bool | None = None,
    on_progress: ProgressFn | None = None,
    dry_run: bool = False,
    progress_every: float = PROGRESS_EVERY,
) -> IngestReport:
    """Bring the store in line with the files under ``paths``, embedding new chunks with
    ``embeddings`` (a model of the store's vector space).

    ``progress``: a bar (True), nothing (False), or by default a bar on a terminal and
    a line every ``progress_every`` seconds elsewhere.

    ``prune`` removes the documents under ``paths`` whose file is gone (or, for a .jsonl
    file read whole in this run, whose line is gone). ``dry_run`` writes nothing: the
    report says what would be added, updated and removed.
    """
    started = time.perf_counter()
    roots = [Path(p) for p in paths]
    report = IngestReport(dry_run=dry_run)
    if dry_run or progress is False:
        mode = "off"
    else:
        mode = "bar" if progress or sys.stderr.isatty() else "lines"
    bar = _Progress(mode, on_progress, progress_every)
    store.check_model(embeddings)
    if not dry_run:
        store.writable()  # a read-only or full store is refused before any work
    # A dry run takes no lock: it writes nothing, so it works on a read-only store too.
    lock = nullcontext() if dry_run else store_lock(store.dir)
    # One worker thread embeds a group of documents while this thread reads, chunks and
    # analyses the next one and writes the previous one (ONNX Runtime releases the GIL).
    with lock, ThreadPoolExecutor(1, thread_name_prefix="embed") as worker:
        records = store.doc_records()
        by_content: dict[str, list[DocRecord]] = {}
        for r in records.values():
            by_content.setdefault(r.content_hash, []).append(r)
        seen: set[str] = set()
        read_whole: set[Path] = set()  # files every document of which was read (resolved)
        repath: list[DocRecord] = []  # unchanged records whose stored path was relative
        pending: list[_Pending] = []
        pending_chunks = 0
        done_chunks = 0
        in_flight: tuple[_Group, Future[dict[str, _Embedded]]] | None = None

        def finish() -> None:
            nonlocal in_flight, done_chunks
            if in_flight is not None:
                group, vectors = in_flight
                in_flight = None
                _write_isolating(store, group, vectors.result(), report)
                # Every chunk counts, reused ones too, so that progress reaches its total
                # on a re-analysis that embeds nothing.
                n = sum(len(p.chunks) for p in group.pending)
                done_chunks += n
                bar.advance(n, done_chunks, bar.total(), "embedding" if group.texts else "reused")

        def flush() -> None:
            nonlocal pending, pending_chunks, in_flight
            if pending:
                group = _plan(store, pending)
                future = worker.submit(_embed, embeddings, group.texts, batch_size)
                finish()  # the previous group, while this one embeds
                in_flight = (group, future)
            pending, pending_chunks = [], 0

        def take(doc: Document, path: Path) -> None:
            nonlocal pending_chunks
            doc_id = str(doc.metadata["doc_id"])
            if doc_id in seen:
                report.failed.append(Failure(str(path), f"duplicate document id {doc_id!r}"))
                return
            seen.add(doc_id)
            old = records.get(doc_id)
            if (
                old is not None
                and old.content_hash == doc.metadata["content_hash"]
                and old.analysis == ANALYSIS_VERSION
            ):
                report.unchanged.append(doc_id)
                if old.path != doc.metadata["path"]:
                    repath.append(replace(old, path=str(doc.metadata["path"])))
                return
            moved_from = _moved_from(doc, by_content, seen) if old is None else ()
            seen.update(r.doc_id for r in moved_from)  # accounted for: never pruned, moved once
            if dry_run:
                (report.updated if old is not None else report.added).append(doc_id)
                report.moved.extend(r.doc_id for r in moved_from)
                return
            try:
                chunks = chunk_document(
                    doc, max_chars=chunk_chars, overlap_sentences=overlap_sentences
                )
                _attach_quotes(doc, chunks)
            except (RecursionError, ValueError, TypeError, IndexError) as exc:
                report.failed.append(Failure(str(path), f"{doc_id}: {_unexpected(exc)}"))
                return
            pending.append(_Pending(doc, chunks, old, moved_from))
            pending_chunks += len(chunks)
            bar.grow(len(chunks))

        for path in iter_files(roots):
            bar.file_read()
            whole = True
            items = stream_file(path, max_mb=max_file_mb)
            while True:
                try:
                    item = next(items, None)
                except DocumentError as exc:
                    report.failed.append(Failure(str(path), str(exc)))
                    whole = False
                    break
                except Exception as exc:  # noqa: BLE001 -- a loader or library failure
                    # on one file is that file's failure, never the end of the run.
                    report.failed.append(Failure(str(path), f"{path}: {_unexpected(exc)}"))
                    whole = False
                    break
                if item is None:
                    break
                if isinstance(item, str):  # a line of a .jsonl that cannot be used
                    report.failed.append(Failure(str(path), item))
                    whole = False
                    continue
                take(item, path)
                # Stream: embed and write every few batches so memory stays bounded.
                if pending_chunks >= batch_size * 2:
                    flush()
            if whole:
                read_whole.add(path.resolve())
        flush()
        finish()
        if prune:
            _prune(store, records, seen, read_whole, roots, report, dry_run=dry_run)
        if dry_run:
            report.seconds = time.perf_counter() - started
            return report
        # A record moves to the file's absolute path: only the registry changes.
        store.put_doc_records(repath)
        _fill_sparse_codes(store, embeddings, batch_size, bar, report)
        bar.close()
        if report.changed or report.chunks_coded:
            store.bump_generation()  # indexes built by readers mid-run are not the end state
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Group:
    """Documents written together, and what of them needs embedding."""

    pending: list[_Pending]
    existing: set[str]  # chunk ids already stored: kept, not embedded again
    texts: list[str]  # distinct texts to embed
    reused: dict[str, _Embedded] = field(default_factory=dict)  # a moved file's vectors


def _plan(store: Store, pending: list[_Pending]) -> _Group:
    all_ids = [str(c.metadata["chunk_id"]) for p in pending for c in p.chunks]
    existing = store.existing_chunk_ids(all_ids, where={"vector_text": VECTOR_TEXT})
    # A moved file's chunks are new ids (ids hash the document id, which hashes the path)
    # over the same texts: their vectors are taken from the old chunks, not embedded again.
    reused = _reusable(store, [r for p in pending for r in p.moved_from])
    # Embed each distinct new text once, even when it repeats across documents.
    texts: dict[str, None] = {}
    for p in pending:
        for c in p.chunks:
            if str(c.metadata["chunk_id"]) not in existing and c.page_content not in reused:
                texts.setdefault(c.page_content)
    return _Group(pending, set(existing), list(texts), reused)


def _moved_from(
    doc: Document, by_content: dict[str, list[DocRecord]], seen: set[str]
) -> tuple[DocRecord, ...]:
    """The stored documents this new one is a move of: the same text, not met in this run,
    and a file that is no longer where the record says. A file copied (the old one still
    there) is two documents, as the user has two files."""
    return tuple(
        r
        for r in by_content.get(str(doc.metadata["content_hash"]), [])
        if r.doc_id not in seen
        and r.path
        and not r.path.endswith(".jsonl")  # a jsonl line's id does not depend on the path
        and Path(r.path).is_absolute()
        and not Path(r.path).exists()
    )


def _reusable(store: Store, records: list[DocRecord]) -> dict[str, _Embedded]:
    """Vectors (and latent-terms codes) of these records' chunks, by text."""
    if not records:
        return {}
    got = store.get_vectors([c for r in records for c in r.chunk_ids])
    out: dict[str, _Embedded] = {}
    for text, vector, meta in got.values():
        if meta.get("vector_text") == VECTOR_TEXT:
            code = {k: v for k, v in dict(meta).items() if k in INTERNAL_KEYS}
            out[text] = _Embedded(vector, cast(ChunkMetadata, code))
    return out


@dataclass
class _Embedded:
    vector: list[float]
    extra: ChunkMetadata  # metadata the embedding pass adds (the sparse code)


def _embed(embeddings: Embeddings, texts: list[str], batch_size: int) -> dict[str, _Embedded]:
    out: dict[str, _Embedded] = {}
    for i in range(0, len(texts), batch_size):
        batch = texts[i : i + batch_size]
        if has_sparse_head(embeddings):
            vectors, codes = embeddings.embed_documents_sparse(batch)
            extras = [code_metadata(embeddings.sparse_head, c) for c in codes]
        else:
            vectors = embeddings.embed_documents(batch)
            extras = [ChunkMetadata() for _ in batch]
        for text, v, extra in zip(batch, vectors, extras, strict=True):
            out[text] = _Embedded(v, extra)
    return out


def _fill_sparse_codes(
    store: Store, embeddings: Embeddings, batch_size: int, bar: _Progress, report: IngestReport
) -> None:
    """Give every stored chunk lacking one a sparse code from ``embeddings``' head."""
    if not has_sparse_head(embeddings):
        return
    emb = embeddings
    missing = sorted(store.chunk_ids_where() - store.chunk_ids_where({HEAD_KEY: emb.sparse_head}))
    if not missing:
        return
    bar.grow(len(missing))
    done = 0
    for i in range(0, len(missing), batch_size):
        chunks = store.get_chunks(missing[i : i + batch_size], internal=True)
        ids = list(chunks)
        texts = [chunks[c][0] for c in ids]
        _, codes = emb.embed_documents_sparse(texts)
        store.bump_generation()
        store.update_chunk_metadata(
            ids,
            [
                chunks[c][1] | code_metadata(emb.sparse_head, code)
                for c, code in zip(ids, codes, strict=True)
            ],
        )
        report.chunks_coded += len(ids)
        done += len(ids)
        bar.advance(len(ids), done, len(missing), "sparse codes")


def _unexpected(exc: BaseException) -> str:
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"unexpected {type(exc).__name__}: {first}".rstrip(": ")


def _write_isolating(
    store: Store, group: _Group, vectors: dict[str, _Embedded], report: IngestReport
) -> None:
    """``_write``; when the store refuses the group for something in one document (what
    no loader check foresaw), the documents are written one at a time and the one
    refused is named, so that it cannot take its batch-mates with it. A fault of the
    store itself (StoreError: disk full, read-only, unreachable) ends the run."""
    try:
        _write(store, group, vectors, report)
    except StoreError:
        raise
    except Exception:  # noqa: BLE001
        for p in group.pending:
            try:
                _write(store, _Group([p], group.existing, [], group.reused), vectors, report)
            except StoreError:
                raise
            except Exception as exc:  # noqa: BLE001
                path = str(p.doc.metadata.get("path", ""))
                report.failed.append(
                    Failure(path, f"{p.doc.metadata['doc_id']}: {_unexpected(exc)}")
                )
    report.chunks_embedded += len(group.texts)


def _write(
    store: Store, group: _Group, vectors: dict[str, _Embedded], report: IngestReport
) -> None:
    existing = group.existing
    # Before every write, so that an index built before it (or during a run then killed)
    # is not taken for current: rag/derived.py keys indexes to the generation.
    store.bump_generation()
    # One Chroma call per kind of write for the whole group, not four per document: each
    # call is a transaction, and per-document calls cost more than embedding the group.
    # Order keeps a killed run recoverable: chunks first, then stale chunks go, and only
    # then the records that say a document is complete.
    keep = {str(c.metadata["chunk_id"]) for p in group.pending for c in p.chunks}
    report.chunks_reused += len(keep & existing)
    reanalysed = [
        c
        for p in group.pending
        if p.old is not None and p.old.analysis != ANALYSIS_VERSION
        for c in p.chunks
        if str(c.metadata["chunk_id"]) in existing
    ]
    if reanalysed:
        store.update_chunk_metadata(
            [str(c.metadata["chunk_id"]) for c in reanalysed],
            [_chunk_metadata(c) for c in reanalysed],
        )
    new = [
        c for p in group.pending for c in p.chunks if str(c.metadata["chunk_id"]) not in existing
    ]
    embedded = [group.reused.get(c.page_content) or vectors[c.page_content] for c in new]
    report.chunks_reused += sum(c.page_content in group.reused for c in new)
    store.upsert_chunks(
        [str(c.metadata["chunk_id"]) for c in new],
        [e.vector for e in embedded],
        [c.page_content for c in new],
        [_chunk_metadata(c) | e.extra for c, e in zip(new, embedded, strict=True)],
    )
    doc_ids = [str(p.doc.metadata["doc_id"]) for p in group.pending]
    # Chunk ids hash the document id, so set arithmetic over the group is per document.
    stale = store.chunk_ids_of(doc_ids) - keep
    for p in group.pending:
        if p.old is not None:
            stale |= set(p.old.chunk_ids) - keep
    store.delete_chunks(sorted(stale))
    store.put_doc_records([_record(p) for p in group.pending])
    # Only once the new record says the document is complete: a run killed before this
    # line leaves the old record, found again as moved by the next run.
    for gone in (r for p in group.pending for r in p.moved_from):
        _delete_document(store, gone)
        report.moved.append(gone.doc_id)
    for p, doc_id in zip(group.pending, doc_ids, strict=True):
        (report.updated if p.old is not None else report.added).append(doc_id)
        if not p.doc.metadata.get("published_at"):
            path = str(p.doc.metadata.get("path", ""))
            report.undated.append(doc_id if not path or path.endswith(".jsonl") else path)


def _delete_document(store: Store, rec: DocRecord) -> None:
    """A document out of the store: its chunks (those its record lists, and any a killed
    run left under its id), then its record."""
    store.delete_chunks(sorted(set(rec.chunk_ids) | store.chunk_ids_of([rec.doc_id])))
    store.delete_doc_record(rec.doc_id)


def _record(p: _Pending) -> DocRecord:
    m = p.doc.metadata
    return DocRecord(
        doc_id=str(m["doc_id"]),
        content_hash=str(m["content_hash"]),
        chunk_ids=tuple(str(c.metadata["chunk_id"]) for c in p.chunks),
        title=str(m.get("title", "")),
        source=str(m.get("source", "")),
        published_at=str(m.get("published_at", "")),
        path=str(m.get("path", "")),
        lang=str(m.get("lang", "")),
        analysis=ANALYSIS_VERSION,
    )


def _under(path: Path, roots: list[Path]) -> bool:
    for r in roots:
        r = r.resolve()
        if path == r or r in path.parents:
            return True
    return False


def _locate(rec: DocRecord, roots: list[Path], read_whole: set[Path]) -> Path | None:
    """Where a document's file is (or was), absolute; None when that cannot be known.

    Records written before paths were stored absolute hold the path as given on the
    command line, relative to a working folder nobody recorded. Such a path is placed
    only when the place is certain: a file of this run's roots read under that
    relative path (a .jsonl whose line is gone), or, for a one-document file, the
    candidate whose absolute path the document id hashes (rag.documents.file_doc_id),
    which identifies it even once deleted. A relative path placed neither way is
    never pruned: a missing file elsewhere than the roots is no reason to delete.
    """
    if not rec.path:
        return None
    path = Path(rec.path)
    if path.is_absolute():
        return path
    candidates: list[Path] = []
    for r in roots:
        base = r.resolve()
        candidates.extend(a / path for a in (base, *base.parents))
    for c in candidates:
        if c in read_whole:
            return c
    for c in candidates:
        if file_doc_id(c) == rec.doc_id:
            return c
    return None


def _prune(
    store: Store,
    records: dict[str, DocRecord],
    seen: set[str],
    read_whole: set[Path],
    roots: list[Path],
    report: IngestReport,
    *,
    dry_run: bool = False,
) -> None:
    """Remove the documents under ``roots`` whose file is gone, or whose file was read
    whole in this run without them (a .jsonl line deleted). A file that failed to load,
    or a document outside the roots, is never a reason to delete."""
    for doc_id, rec in records.items():
        if doc_id in seen:
            continue
        path = _locate(rec, roots, read_whole)
        if path is None or not _under(path, roots):
            continue
        if path.exists() and path not in read_whole:
            continue
        if not dry_run:
            store.bump_generation()
            _delete_document(store, rec)
        report.removed.append(doc_id)
    # Chunks left by a run killed before it wrote their document's record.
    orphans = store.all_doc_ids_in_chunks() - set(records)
    gone = sorted(orphans - seen)
    if gone and not dry_run:
        store.bump_generation()
        store.delete_chunks(sorted(store.chunk_ids_of(gone)))
    report.removed.extend(gone)
