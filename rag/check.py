"""``rag check``: does the registry agree with the chunks, and the indexes with both?

A store holds three things that must agree: the registry (one record per document,
naming its chunk ids), the chunks (vectors, texts, metadata) and the derived indexes
(BM25, sparse codes; rag/derived.py). A killed run, a hand edit or a bug can leave them
apart; a question would then quietly miss a document. ``check_store`` names each
disagreement; with ``repair`` it fixes what can be derived from what is left: orphan
chunks are deleted, stale or corrupt indexes rebuilt, and a document whose chunks are
missing is ingested again from its file when the file is still there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from rag.derived import DerivedIndex
from rag.errors import IndexCorruptError
from rag.lexical import LexicalIndex
from rag.sparse import SparseIndex
from rag.store import DocRecord, Store


@dataclass
class Problem:
    what: str  # one line, for a user
    repaired: bool = False


@dataclass
class CheckReport:
    documents: int = 0
    chunks: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether nothing is left to fix."""
        return all(p.repaired for p in self.problems)

    def lines(self) -> list[str]:
        return [f"{'repaired' if p.repaired else 'problem'}: {p.what}" for p in self.problems]

    def summary(self) -> str:
        left = sum(not p.repaired for p in self.problems)
        fixed = len(self.problems) - left
        head = f"{self.documents} documents, {self.chunks} chunks: "
        if not self.problems:
            return head + "consistent"
        tail = "" if not left else "; run `rag check --repair`" if fixed == 0 else ""
        return head + f"{len(self.problems)} problems, {fixed} repaired, {left} left{tail}"


def derived_indexes(store: Store) -> list[tuple[str, DerivedIndex]]:
    return [
        ("BM25 index", LexicalIndex(store.dir / "bm25")),
        ("sparse index", SparseIndex(store.dir / "sparse")),
    ]


def check_store(
    store: Store,
    *,
    repair: bool = False,
    embeddings: Embeddings | None = None,
    **ingest_options: Any,
) -> CheckReport:
    """Compare registry, chunks and derived indexes; ``repair`` fixes what it can, and
    ingests a document whose chunks are missing again with ``embeddings`` (which only a
    repair needs)."""
    from rag.ingest import ingest, store_lock

    if repair and embeddings is None:
        raise TypeError("check_store(repair=True) needs the embeddings to ingest with")
    if not repair:
        try:
            report = _check(store, repair=False)
        except IndexCorruptError as exc:
            return _corrupt_vectors(store, exc)
        _check_sentences(store, report, embeddings, repair=False)
        return report
    store.writable()
    vectors: Problem | None = None
    with store_lock(store.dir):
        try:
            report = _check(store, repair=True)
        except IndexCorruptError as exc:
            vectors = _corrupt_vectors(store, exc).problems[0]
            _reset_vectors(store)
            report = _check(store, repair=True)
    if vectors is not None:
        report.problems.insert(0, vectors)
    # Documents re-ingested from their files take the lock themselves.
    redo = [p for p in report.problems if isinstance(p, _Redo)]
    if redo and embeddings is not None:
        done = ingest(
            store, [p.path for p in redo], embeddings=embeddings, progress=False, **ingest_options
        )
        for p in redo:
            p.repaired = p.doc_id in done.added or p.doc_id in done.unchanged
            if not p.repaired:
                p.what += "; re-ingesting its file did not bring it back"
    _check_indexes(store, report, repair=True)
    _check_sentences(store, report, embeddings, repair=True)
    if vectors is not None:
        vectors.repaired = all(p.repaired for p in report.problems if p is not vectors)
    return report


def _corrupt_vectors(store: Store, exc: IndexCorruptError) -> CheckReport:
    records = store.doc_records()
    files = sum(1 for r in records.values() if _file_of(r) is not None)
    detail = str(exc).split("; run", 1)[0]
    return CheckReport(
        documents=len(records),
        problems=[
            Problem(
                f"{detail}: `rag check --repair` ingests {files} of {len(records)} documents "
                "again from their files"
            )
        ],
    )


def _file_of(rec: DocRecord) -> Path | None:
    path = Path(rec.path) if rec.path else None
    return path if path is not None and path.is_absolute() and path.exists() else None


def _reset_vectors(store: Store) -> None:
    """An empty chunk collection: each document then reads as all chunks missing, and is
    ingested again from its file (the vectors are nowhere else)."""
    store.reset_chunks()


@dataclass
class _Redo(Problem):
    doc_id: str = ""
    path: Path = Path()


def _check(store: Store, *, repair: bool) -> CheckReport:
    records = store.doc_records()
    owner: dict[str, str] = {}  # chunk id -> document id, from the chunks' metadata
    for cid, meta in store.iter_chunk_metadata():
        owner[cid] = meta.get("doc_id", "")
    report = CheckReport(documents=len(records), chunks=len(owner))
    listed = {c for r in records.values() for c in r.chunk_ids}
    orphans: dict[str, list[str]] = defaultdict(list)
    for cid, doc_id in owner.items():
        if cid not in listed:
            orphans[doc_id].append(cid)
    if orphans:
        n = sum(len(v) for v in orphans.values())
        names = ", ".join(sorted(orphans)[:5]) + (" ..." if len(orphans) > 5 else "")
        problem = Problem(f"{n} orphan chunks (in no document's record): of {names}")
        if repair:
            store.bump_generation()
            store.delete_chunks(sorted(c for v in orphans.values() for c in v))
            problem.repaired = True
        report.problems.append(problem)
    for doc_id, rec in sorted(records.items()):
        missing = [c for c in rec.chunk_ids if c not in owner]
        if not missing and rec.chunk_ids:
            continue
        what = f"document {doc_id}: {len(missing)} of {len(rec.chunk_ids)} chunks missing"
        path = _file_of(rec)
        if path is None:
            report.problems.append(
                Problem(
                    f"{what}; its file {rec.path or '(unknown)'} is gone: ingest it again, "
                    "or `rag ingest FOLDER --prune` its folder to drop it"
                )
            )
            continue
        if repair:
            # Forget the record, so that ingesting the file writes the document afresh.
            store.bump_generation()
            store.delete_chunks(sorted(store.chunk_ids_of([doc_id])))
            store.delete_doc_record(doc_id)
            report.problems.append(
                _Redo(f"{what}; ingested again from {path}", False, doc_id, path)
            )
        else:
            report.problems.append(Problem(f"{what}; `rag check --repair` ingests {path} again"))
    if not repair:
        _check_indexes(store, report, repair=False)
    return report


def _check_sentences(
    store: Store, report: CheckReport, embeddings: Embeddings | None, *, repair: bool
) -> None:
    """The saved sentence vectors (rag/sentence_vectors.py): readable whole, rows that are
    vectors, and, with the store's model, a sample of them re-embedded equal bit for bit
    to what the answerer would compute. Repair deletes the file; the next ``rag ingest``
    (or ``rag sentences``) fills it again, and answers embed meanwhile."""
    from rag.embeddings import scoring_embeddings
    from rag.sentence_vectors import (
        CHECK_SAMPLE,
        SentenceVectors,
        model_identity,
        sentences_to_save,
    )

    model = scoring_embeddings(embeddings) if embeddings is not None else None
    saved = SentenceVectors(store.dir, model_identity(model) if model is not None else "")
    texts: list[str] = []
    if model is not None and saved.path.exists():
        # A chunk at a time, as a fill saves it alone: the first chunks' texts are enough.
        for chunk in store.iter_chunks():
            texts.extend(sentences_to_save([chunk]))
            if len(texts) >= CHECK_SAMPLE * 4:
                break
    why = saved.problem(model, texts[:: max(1, len(texts) // CHECK_SAMPLE)])
    if not why:
        return
    problem = Problem(f"sentence vectors at {saved.path}: {why}")
    if repair:
        saved.remove()
        problem.repaired = True
    report.problems.append(problem)


def _check_indexes(store: Store, report: CheckReport, *, repair: bool) -> None:
    for name, index in derived_indexes(store):
        why = index.problem(store)
        if why in ("", "missing"):  # a missing index is built by the first question
            continue
        problem = Problem(f"{name} at {index.directory}: {why}")
        if repair:
            index.rebuild(store)
            problem.repaired = not index.problem(store)
        report.problems.append(problem)
