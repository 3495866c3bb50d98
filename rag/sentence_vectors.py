"""Sentence vectors saved beside a store, so that answering a question embeds almost nothing.

The extractive answerer scores the candidate sentences of the retrieved passages with the
int8 e5 model, one ONNX run per sentence: 99 % of an answer's time (bench/BENCHMARKS.md).
Each run holds one text, so a sentence's vector (and latent-terms code) depends on its
text alone: computed once after ingest, it is the vector the answerer would have computed,
bit for bit, and answers stay exactly what they were. The answerer looks a sentence up
here first and embeds only what is not saved (a statement joined across two chunks, a
store not filled yet).

The file is ``<store>/sentences.sqlite3``: one row per distinct sentence text, keyed by a
hash of the text, so overlapping chunks and repeated sentences share a row and a deleted
document leaves only rows no question asks for. It records the model that made it; rows
of another model are never read. Filling commits a batch at a time (SQLite's own
transactions), so a killed fill leaves whole rows only and the next fill goes on from
there; readers see committed rows while a fill runs (WAL). ``rag check`` checks the file
(``problem``) and re-embeds a sample of rows to see they are still the model's.

The fill runs after ingest, not in it (``rag ingest`` starts ``rag sentences`` in the
background): a store is searchable as fast as before, and answers get faster as the fill
goes on.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from rag.embeddings import SparseCode, model_name_of
from rag.metadata import ChunkMetadata
from rag.sparse import has_sparse_head

FILE_NAME = "sentences.sqlite3"
FORMAT = 1
# Sentences per committed batch: each is ~14 ms of two cores, so a batch is about a second
# of work lost at most when the fill is killed.
FILL_BATCH = 64
# Rows re-embedded by ``rag check`` to see that the saved vectors are still the model's.
CHECK_SAMPLE = 8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (
    key BLOB PRIMARY KEY,
    vector BLOB NOT NULL,
    code_ids BLOB,
    code_vals BLOB
) WITHOUT ROWID;
"""


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def model_identity(embeddings: Embeddings) -> str:
    """What made a vector: the model's name and, for the bundled e5, its converted
    format (a new conversion may change the vectors)."""
    name = model_name_of(embeddings)
    if name.startswith("onnx:"):
        from rag.e5.format import FORMAT as E5_FORMAT

        name += f"/format{E5_FORMAT}"
    return f"{name}/sentences{FORMAT}"


@dataclass
class Saved:
    vector: np.ndarray  # float32, as the model gave it
    code: SparseCode | None  # the latent-terms code, for sentences that are statements


class SentenceVectors:
    """Reads and writes ``<store>/sentences.sqlite3`` for one sentence model."""

    def __init__(self, store_dir: Path, model: str) -> None:
        self.path = Path(store_dir) / FILE_NAME
        self.model = model
        self._local = threading.local()

    # -- reading
    def _reader(self) -> sqlite3.Connection | None:
        """This thread's read-only connection, or None while there is no usable file (it
        may appear later: the fill runs after ingest, beside a running server)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is not None:
            return con
        if not self.path.exists():
            return None
        try:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=1.0)
            row = con.execute("SELECT value FROM meta WHERE name = 'model'").fetchone()
        except sqlite3.Error:
            return None
        if row is None or row[0] != self.model:
            con.close()
            return None
        self._local.con = con
        return con

    def lookup(self, texts: Sequence[str], *, codes: bool = False) -> dict[str, Saved]:
        """The saved rows of ``texts`` (with ``codes``, only rows that have a code)."""
        con = self._reader()
        if con is None or not texts:
            return {}
        keys = {text_key(t): t for t in texts}
        out: dict[str, Saved] = {}
        try:
            items = list(keys)
            for i in range(0, len(items), 500):
                page = items[i : i + 500]
                marks = ",".join("?" * len(page))
                rows = con.execute(
                    f"SELECT key, vector, code_ids, code_vals FROM vectors WHERE key IN ({marks})",  # noqa: S608 -- placeholders only
                    page,
                ).fetchall()
                for key, vec, ids, vals in rows:
                    if codes and ids is None:
                        continue
                    code = None
                    if ids is not None:
                        code = (np.frombuffer(ids, "<i4").copy(), np.frombuffer(vals, "<f4").copy())
                    out[keys[key]] = Saved(np.frombuffer(vec, "<f4").copy(), code)
        except sqlite3.Error:
            return {}  # a file being replaced or damaged: embed as if nothing were saved
        return out

    def count(self) -> tuple[int, int]:
        """Rows, and rows with a code (0, 0 without a usable file)."""
        con = self._reader()
        if con is None:
            return 0, 0
        n, coded = con.execute("SELECT count(*), count(code_ids) FROM vectors").fetchone()
        return int(n), int(coded)

    def remove(self) -> None:
        """Delete the file (``rag check --repair`` of a damaged one)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # -- writing
    def _writer(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30.0)
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(_SCHEMA)
        row = con.execute("SELECT value FROM meta WHERE name = 'model'").fetchone()
        if row is not None and row[0] != self.model:
            # Another model's vectors are of no use to this one.
            with con:
                con.execute("DELETE FROM vectors")
                con.execute("DELETE FROM meta")
            row = None
        if row is None:
            with con:
                con.execute("INSERT INTO meta VALUES ('model', ?)", (self.model,))
        return con

    def missing(self, wanted: dict[str, bool]) -> dict[str, bool]:
        """Of ``wanted`` (text -> needs a code), those not saved as needed."""
        have = self.lookup(list(wanted))
        return {
            t: code
            for t, code in wanted.items()
            if t not in have or (code and have[t].code is None)
        }

    def put(
        self,
        con: sqlite3.Connection,
        texts: Sequence[str],
        vectors: Sequence[Sequence[float]],
        codes: Sequence[SparseCode | None],
    ) -> None:
        """Save one batch in one transaction."""
        rows = []
        for t, v, c in zip(texts, vectors, codes, strict=True):
            ids = np.asarray(c[0], "<i4").tobytes() if c is not None else None
            vals = np.asarray(c[1], "<f4").tobytes() if c is not None else None
            rows.append((text_key(t), np.asarray(v, "<f4").tobytes(), ids, vals))
        with con:
            con.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)

    # -- checking
    def problem(self, embeddings: Embeddings | None = None, texts: Iterable[str] = ()) -> str:
        """What is wrong with the file ("" when nothing, or when there is none): it
        cannot be read whole, a row is not a vector, or (given the sentence model and
        some of the store's sentence ``texts``) a saved vector is not what the model
        gives for its text now."""
        if not self.path.exists():
            return ""
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as con:
                ok = con.execute("PRAGMA quick_check").fetchone()
                if ok is None or ok[0] != "ok":
                    return f"damaged ({ok[0] if ok else 'no answer'})"
                row = con.execute("SELECT value FROM meta WHERE name = 'model'").fetchone()
                if row is None:
                    return "no model recorded"
                if row[0] != self.model:
                    return ""  # another model's file: never read, replaced by the next fill
                bad = con.execute(
                    "SELECT count(*) FROM vectors WHERE length(vector) % 4 != 0 OR "
                    "(code_ids IS NULL) != (code_vals IS NULL) OR "
                    "length(code_ids) != length(code_vals)"
                ).fetchone()[0]
                if bad:
                    return f"{bad} rows that are not a vector and a code"
                dims = con.execute("SELECT DISTINCT length(vector) FROM vectors").fetchall()
                if len(dims) > 1:
                    return f"vectors of {len(dims)} different lengths"
        except sqlite3.Error as exc:
            return f"cannot be read ({exc})"
        if embeddings is None:
            return ""
        sample = [t for t in texts][:CHECK_SAMPLE]
        saved = self.lookup(sample)
        self.close()
        sample = [t for t in sample if t in saved]
        if not sample:
            return ""
        fresh = embeddings.embed_documents(sample)
        wrong = sum(
            not np.array_equal(saved[t].vector, np.asarray(v, np.float32))
            for t, v in zip(sample, fresh, strict=True)
        )
        return f"{wrong} of {len(sample)} sampled vectors are not the model's" if wrong else ""


@dataclass
class FillReport:
    sentences: int = 0  # embedded and saved in this run
    already: int = 0  # saved before
    stopped: bool = False  # left unfinished (``should_stop``), to be finished by the next


def _retrieved_together(
    chunks: Iterable[tuple[str, str, ChunkMetadata]],
) -> Iterator[list[tuple[str, str, ChunkMetadata]]]:
    """Each chunk alone, then each two neighbouring chunks of one article in both orders:
    the answerer joins a sentence or statement cut by their boundary when both are
    retrieved (bench/BENCHMARKS.md: 12 of 100 squad_it questions embedded such a join)."""
    by_doc: dict[str, list[tuple[str, str, ChunkMetadata]]] = {}
    for chunk in chunks:
        yield [chunk]
        by_doc.setdefault(str(chunk[2].get("doc_id", "")), []).append(chunk)
    for group in by_doc.values():
        group.sort(key=lambda c: int(c[2].get("char_start", 0) or 0))
        for a, b in zip(group, group[1:], strict=False):
            a_end = int(a[2].get("char_start", 0) or 0) + len(a[1])
            if int(b[2].get("char_start", 0) or 0) <= a_end:  # they overlap or touch
                yield [a, b]
                yield [b, a]


def sentences_to_save(
    chunks: Iterable[tuple[str, str, ChunkMetadata]], *, codes: bool = True
) -> dict[str, bool]:
    """The texts a fill saves for ``chunks`` (id, text, metadata): text -> with a code."""
    from rag.answer.extractive import texts_to_score
    from rag.retrieval import Hit

    wanted: dict[str, bool] = {}
    for group in _retrieved_together(chunks):
        hits = [Hit(cid, text, meta, 0.0) for cid, text, meta in group]
        for t, code in texts_to_score(hits).items():
            wanted[t] = wanted.get(t, False) or (code and codes)
    return wanted


def fill(
    store_dir: Path,
    chunks: Iterable[tuple[str, str, ChunkMetadata]],
    embeddings: Embeddings,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int, int], None] | None = None,
) -> FillReport:
    """Save the vector of every sentence the answerer may score in ``chunks`` (id, text,
    metadata, as the store gives them), embedded by ``embeddings`` (the sentence model)
    exactly as the answerer embeds them. One fill at a time per store
    (``<store>/sentences.lock``); a second returns at once, with nothing done."""
    vectors = SentenceVectors(store_dir, model_identity(embeddings))
    report = FillReport()
    lock = FileLock(str(Path(store_dir) / "sentences.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        report.stopped = True
        return report
    try:
        coding = has_sparse_head(embeddings)  # a model without the head gives no codes
        wanted = sentences_to_save(chunks, codes=coding)
        with closing(vectors._writer()) as con:
            todo = vectors.missing(wanted)
            vectors.close()
            report.already = len(wanted) - len(todo)
            items = list(todo.items())
            for i in range(0, len(items), FILL_BATCH):
                if should_stop():
                    report.stopped = True
                    break
                batch = items[i : i + FILL_BATCH]
                plain = [t for t, code in batch if not code]
                coded = [t for t, code in batch if code]
                found: list[SparseCode | None] = [None] * len(plain)
                vecs = embeddings.embed_documents(plain) if plain else []
                if coded:
                    more, raw = embeddings.embed_documents_sparse(coded)  # type: ignore[attr-defined]
                    vecs += more
                    found += list(raw)
                vectors.put(con, plain + coded, vecs, found)
                report.sentences += len(batch)
                if on_progress is not None:
                    on_progress(report.sentences, len(items))
    finally:
        lock.release()
    return report
