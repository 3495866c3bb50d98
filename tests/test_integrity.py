"""Integrity of the store (issue 17): nothing a user did not ask for is lost, hidden or
rewritten: prunes from another folder, stale or corrupt derived indexes, poison files,
faults of the disk or the server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.client import SharedSystemClient
from typer.testing import CliRunner

from rag import Assistant
from rag.cli import app
from rag.errors import ServerUnreachableError
from rag.ingest import ingest
from rag.lexical import LexicalIndex
from rag.sparse import SparseIndex
from tests.conftest import ROOT, _free_port, wait_for_port

runner = CliRunner()

FICTIONAL = "[Fictional briefing written for tests.]"


def _briefing(folder: Path, name: str, town: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        f"Notizia immaginaria da {town}\n\n{town.upper()} (ITALPRESS) - Il sindaco immaginario "
        f"di {town} ha inaugurato il nuovo ponte sul fiume, atteso da dieci anni.\n\n{FICTIONAL}\n"
    )
    return path


# -- 1. prune only under the roots given, wherever it runs from


@pytest.mark.parametrize("recorded", ["absolute", "relative-from-an-older-store"])
def test_prune_from_another_folder_removes_only_vanished_files_under_its_roots(
    tmp_path: Path, e5, monkeypatch: pytest.MonkeyPatch, recorded: str
) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    _briefing(work / "corpus", "ponte.txt", "Valdoria")
    gone = _briefing(work / "corpus", "fiera.txt", "Roccalta")
    _briefing(elsewhere / "other", "molo.txt", "Borgofino")
    a = Assistant(store=tmp_path / "store", embeddings=e5)
    monkeypatch.chdir(work)
    assert len(a.ingest([Path("corpus")], progress=False).added) == 2
    if recorded != "absolute":  # what releases before absolute paths wrote
        a.store.put_doc_records(
            [replace(r, path=str(Path("corpus") / Path(r.path).name))
             for r in a.store.doc_records().values()]
        )  # fmt: skip
    ids = set(a.store.doc_records())
    monkeypatch.chdir(elsewhere)
    # Another folder's prune: the corpus files exist, and are not under its root.
    other = a.ingest([Path("other")], prune=True, progress=False)
    assert other.removed == [] and ids < set(a.store.doc_records())
    gone.unlink()
    dry = runner.invoke(
        app, ["ingest", str(work / "corpus"), "--prune", "--dry-run", "--store", str(tmp_path / "store")]
    )  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "would remove: fiera-" in dry.stdout and "1 to remove" in dry.stdout
    assert ids < set(a.store.doc_records()), "a dry run changes nothing"
    pruned = a.ingest([work / "corpus"], prune=True, progress=False)
    assert [d.split("-")[0] for d in pruned.removed] == ["fiera"]
    records = a.store.doc_records()
    assert sorted(Path(r.path).name for r in records.values()) == ["molo.txt", "ponte.txt"]
    assert all(Path(r.path).is_absolute() for r in records.values()), "rewritten absolute"


def test_a_file_that_fails_to_load_does_not_prune_its_document(tmp_path: Path, e5) -> None:
    corpus = tmp_path / "corpus"
    wires = corpus / "wires.jsonl"
    corpus.mkdir()
    wires.write_text(
        '{"id": "w-1", "text": "Il porto immaginario di Valdoria riapre. ' + FICTIONAL + '"}\n'
        '{"id": "w-2", "text": "La fiera immaginaria di Roccalta chiude. ' + FICTIONAL + '"}\n'
    )
    a = Assistant(store=tmp_path / "store", embeddings=e5)
    a.ingest([corpus], progress=False)
    # One line broken: its document is not pruned (a typo is no reason to delete) ...
    wires.write_text(wires.read_text().replace('{"id": "w-2"', '{"id" "w-2"'))
    broken = a.ingest([corpus], prune=True, progress=False)
    assert broken.removed == [] and len(broken.failed) == 1
    # ... and a line deleted from a file read whole is.
    wires.write_text(wires.read_text().splitlines()[0] + "\n")
    assert a.ingest([corpus], prune=True, progress=False).removed == ["w-2"]


# -- 2. derived indexes are keyed to what they were built from


def _ask_json(store: Path, question: str) -> dict:
    result = runner.invoke(app, ["ask", question, "--json", "--store", str(store)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_recreated_store_at_the_same_generation_is_not_answered_from_the_old_index(
    tmp_path: Path, e5
) -> None:
    store = tmp_path / "store"
    first, second = tmp_path / "first", tmp_path / "second"
    _briefing(first, "ponte.txt", "Valdoria")
    _briefing(second, "fiera.txt", "Roccalta")
    Assistant(store=store, embeddings=e5).ingest([first], progress=False)
    assert not _ask_json(store, "Cosa ha inaugurato il sindaco di Valdoria?")["refused"]
    gen = Assistant(store=store, embeddings=e5).store.generation()
    shutil.rmtree(store / "chroma")  # the Chroma data recreated; bm25/ and sparse/ stay
    SharedSystemClient.clear_system_cache()  # as a new process would: no client open on it
    b = Assistant(store=store, embeddings=e5)
    b.ingest([second], progress=False)
    assert b.store.generation() == gen, "same counter: only the collection id tells them apart"
    assert b.retriever.lexical.doc_ids() == set(b.store.doc_records())
    answer = _ask_json(store, "Cosa ha inaugurato il sindaco di Roccalta?")
    assert not answer["refused"] and "Roccalta" in answer["answer"]


@pytest.mark.server
def test_a_fresh_chroma_server_at_the_same_generation_is_not_answered_from_the_old_index(
    tmp_path: Path, e5, chroma_server: str
) -> None:
    from rag.config import Settings

    # Server mode keeps the derived indexes in the local --store folder: they outlive
    # the server's data.
    name = f"fresh-{tmp_path.name}"
    settings = Settings(store=tmp_path / "store", chroma_url=chroma_server, collection=name)
    _briefing(tmp_path / "first", "ponte.txt", "Valdoria")
    _briefing(tmp_path / "second", "fiera.txt", "Roccalta")
    a = Assistant(settings=settings, embeddings=e5)
    a.ingest([tmp_path / "first"], progress=False)
    assert not a.ask("Cosa ha inaugurato il sindaco di Valdoria?").refused
    gen = a.store.generation()
    # A fresh server at the same URL: none of the old collections, counters from zero.
    a.store.client.delete_collection(name)
    a.store.client.delete_collection(f"{name}-docs")
    b = Assistant(settings=settings, embeddings=e5)
    b.ingest([tmp_path / "second"], progress=False)
    assert b.store.generation() == gen, "same counter: only the collection id tells them apart"
    answer = b.ask("Cosa ha inaugurato il sindaco di Roccalta?")
    assert not answer.refused and "Roccalta" in answer.text
    assert b.retriever.lexical.doc_ids() == set(b.store.doc_records())


def test_an_index_read_before_a_killed_ingest_is_not_trusted_after_it(tmp_path: Path, e5) -> None:
    corpus = tmp_path / "corpus"
    towns = ["Valdoria", "Roccalta", "Borgofino", "Montesereno", "Acquaviva", "Pietralba"]
    for i in range(24):
        _briefing(corpus, f"notizia-{i:02}.txt", f"{towns[i % 6]}{i:02}")
    store = tmp_path / "store"
    reader = Assistant(store=store, embeddings=e5)
    reader.ingest([corpus / "notizia-00.txt"], progress=False)
    assert reader.retriever.lexical.doc_ids() == set(reader.store.doc_records())
    env = {**os.environ, "RAG_BATCH_SIZE": "2"}
    cmd = [sys.executable, "-m", "rag", "ingest", str(corpus), "--store", str(store)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while len(reader.store.doc_records()) < 8 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert proc.poll() is None, "the ingest must still be running when it is killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = {str(m["doc_id"]) for _, m in reader.store.iter_chunk_metadata()}
    assert reader.retriever.lexical.doc_ids() == stored, "the reader sees the killed run's writes"
    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert reader.retriever.lexical.doc_ids() == set(reader.store.doc_records())
    assert len(reader.store.doc_records()) == 24


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _drop_first_entry(path: Path) -> None:
    meta = json.loads(path.read_text())
    meta["entries"] = meta["entries"][1:]
    path.write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("damaged", "damage"),
    [
        pytest.param("sparse/codes.npz", _truncate, id="truncated-sparse-codes"),
        pytest.param("sparse/meta.json", _truncate, id="truncated-sparse-meta"),
        pytest.param("bm25/meta.json", _drop_first_entry, id="hand-edited-bm25-meta"),
        pytest.param("bm25/index/params.index.json", _truncate, id="truncated-bm25-params"),
        pytest.param("bm25/meta.json", lambda p: p.write_text("{}"), id="emptied-bm25-meta"),
    ],
)
def test_a_damaged_index_file_is_rebuilt_not_fatal(
    tmp_path: Path, e5, damaged: str, damage
) -> None:
    store = tmp_path / "store"
    _briefing(tmp_path / "in", "ponte.txt", "Valdoria")
    _briefing(tmp_path / "in", "fiera.txt", "Roccalta")
    Assistant(store=store, embeddings=e5).ingest([tmp_path / "in"], progress=False)
    question = "What did the mayor of Roccalta inaugurate?"  # English: the sparse vote counts
    before = _ask_json(store, question)
    assert not before["refused"]
    damage(store / damaged)
    assert _ask_json(store, question) == before
    check = runner.invoke(app, ["check", "--store", str(store)])
    assert check.exit_code == 0, check.output


# Each process rebuilds both indexes over and over, and after each of its own builds
# loads the saved one as a fresh process would: a build another process swapped in (or
# half-wrote into a shared staging folder) would fail that load.
_REBUILDER = """
import sys, time
from pathlib import Path
from rag.embeddings import get_embeddings
from rag.lexical import LexicalIndex
from rag.sparse import SparseIndex
from rag.store import Store

store_dir, go = Path(sys.argv[1]), Path(sys.argv[2])
store = Store(store_dir, embeddings=get_embeddings("e5-small"))
key = store.key()
(go.parent / f"ready-{sys.argv[3]}").touch()
while not go.exists():
    time.sleep(0.01)
builds = unreadable = 0
started = time.time()
for _ in range(25):
    for cls, name in ((LexicalIndex, "bm25"), (SparseIndex, "sparse")):
        cls(store_dir / name).rebuild(store)
        builds += 1
        unreadable += not cls(store_dir / name).load(store, key)
print(builds, unreadable, started, time.time())
"""


def test_indexes_rebuilt_by_several_processes_at_once_stay_whole(tmp_path: Path, e5) -> None:
    store = tmp_path / "store"
    for i in range(3):
        _briefing(tmp_path / "in", f"notizia-{i}.txt", f"Valdoria{i}")
    a = Assistant(store=store, embeddings=e5)
    a.ingest([tmp_path / "in"], progress=False)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _REBUILDER, str(store), str(go), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(3)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < 3:
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.05)
    go.touch()
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
    counts = [out.split() for out, _ in results]
    assert max(float(c[2]) for c in counts) < min(float(c[3]) for c in counts), "overlapped"
    assert [(int(c[0]), int(c[1])) for c in counts] == [(50, 0)] * 3, counts
    assert sorted(p.name for p in store.iterdir() if p.is_dir()) == ["bm25", "chroma", "sparse"]
    key = a.store.key()
    assert LexicalIndex(store / "bm25").load(a.store, key)
    assert SparseIndex(store / "sparse").load(a.store, key)


# -- 3. rag check [--repair]


def _lose_a_record(a: Assistant, doc: str) -> None:
    a.store.delete_doc_record(doc)  # its chunks stay: orphans


def _lose_a_chunk(a: Assistant, doc: str) -> None:
    a.store.delete_chunks(list(a.store.doc_records()[doc].chunk_ids[:1]))


def _edit_bm25(a: Assistant, doc: str) -> None:
    a.retriever.lexical  # noqa: B018 -- built and saved now, then edited by hand
    _drop_first_entry(a.store.dir / "bm25" / "meta.json")


def _truncate_codes(a: Assistant, doc: str) -> None:
    a.retriever.sparse_index  # noqa: B018
    _truncate(a.store.dir / "sparse" / "codes.npz")


@pytest.mark.parametrize(
    ("damage", "reported"),
    [
        pytest.param(_lose_a_record, "orphan chunks (in no document's record): of fiera-", id="orphans"),
        pytest.param(_lose_a_chunk, "chunks missing; `rag check --repair` ingests", id="missing-chunks"),
        pytest.param(_edit_bm25, "BM25 index at", id="hand-edited-bm25"),
        pytest.param(_truncate_codes, "sparse index at", id="truncated-sparse-codes"),
    ],
)  # fmt: skip
def test_check_names_each_disagreement_and_repair_fixes_it(
    tmp_path: Path, e5, damage, reported: str
) -> None:
    store = tmp_path / "store"
    _briefing(tmp_path / "in", "ponte.txt", "Valdoria")
    _briefing(tmp_path / "in", "fiera.txt", "Roccalta")
    a = Assistant(store=store, embeddings=e5)
    a.ingest([tmp_path / "in"], progress=False)
    clean = runner.invoke(app, ["check", "--store", str(store)])
    assert (clean.exit_code, clean.stdout) == (0, "2 documents, 2 chunks: consistent\n")
    fiera = next(d for d in a.store.doc_records() if d.startswith("fiera-"))
    damage(a, fiera)
    found = runner.invoke(app, ["check", "--store", str(store)])
    assert found.exit_code == 1
    problem, summary = found.stdout.splitlines()
    assert problem.startswith("problem: ") and reported in problem
    assert summary.endswith("1 problems, 0 repaired, 1 left; run `rag check --repair`")
    repaired = runner.invoke(app, ["check", "--repair", "--store", str(store)])
    assert repaired.exit_code == 0, repaired.output
    assert repaired.stdout.startswith("repaired: ")
    again = runner.invoke(app, ["check", "--store", str(store)])
    assert again.exit_code == 0 and again.stdout.endswith(": consistent\n"), again.output


def test_check_cannot_repair_a_document_whose_file_is_gone(tmp_path: Path, e5) -> None:
    store = tmp_path / "store"
    gone = _briefing(tmp_path / "in", "fiera.txt", "Roccalta")
    a = Assistant(store=store, embeddings=e5)
    a.ingest([tmp_path / "in"], progress=False)
    _lose_a_chunk(a, next(iter(a.store.doc_records())))
    gone.unlink()
    result = runner.invoke(app, ["check", "--repair", "--store", str(store)])
    assert result.exit_code == 1
    assert "is gone: ingest it again, or `rag ingest FOLDER --prune`" in result.stdout


# -- 4. a poison file is one named failure, never the end of the run


def _deep_json(folder: Path) -> tuple[str, str]:
    (folder / "deep.jsonl").write_text(
        '{"id": "ok-1", "text": "Il molo immaginario di Valdoria riapre."}\n'
        + '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    )  # fmt: skip
    return "deep.jsonl:2: nested too deeply", "1 added"


def _surrogate(folder: Path) -> tuple[str, str]:
    (folder / "surrogate.jsonl").write_text(
        '{"id": "ok-1", "text": "Il molo immaginario di Valdoria riapre."}\n'
        '{"id": "bad", "text": "Il sindaco immaginario \\ud800 di Roccalta parla."}\n'
    )
    return "surrogate.jsonl:2: invalid Unicode (lone surrogate '\\ud800')", "1 added"


def _pdf_bomb(folder: Path) -> tuple[str, str]:
    """One page whose text stream inflates to 84 MB from 160 kB."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 700 Td " + b"(Valdoria) Tj " * 6_000_000 + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    (folder / "bomb.pdf").write_bytes(bytes(out))
    return "bomb.pdf: not a readable PDF (Limit reached while decompressing", "0 added"


@pytest.mark.parametrize(
    "poison", [_deep_json, _surrogate, _pdf_bomb], ids=["nested-100000-deep", "lone-surrogate", "pdf-bomb"]
)  # fmt: skip
def test_a_poison_file_is_one_named_failure_and_the_rest_goes_in(tmp_path: Path, poison) -> None:
    folder = tmp_path / "in"
    _briefing(folder, "ponte.txt", "Valdoria")
    reason, added = poison(folder)
    result = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(folder), "--store", str(tmp_path / "store")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    [failed] = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert reason in failed, failed
    n = 1 + int(added.split()[0])
    assert result.stdout.startswith(f"{n} added, 0 updated, 0 unchanged, 0 removed, 1 failed")


def test_a_big_jsonl_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    def peak_mb(lines: int) -> float:
        folder = tmp_path / f"in-{lines}"
        folder.mkdir()
        with open(folder / "wires.jsonl", "w") as fh:
            for i in range(lines):
                fh.write(json.dumps({"id": f"w-{i}", "text": f"Il molo immaginario numero {i} "
                                     f"di Valdoria riapre dopo i lavori. {FICTIONAL}"}) + "\n")  # fmt: skip
        rss = tmp_path / f"rss-{lines}"
        cmd = [sys.executable, "-m", "rag", "ingest", str(folder), "--dry-run",
               "--store", str(tmp_path / "store")]  # fmt: skip
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "peak_rss.py"), str(rss), *cmd],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"{lines} to add" in done.stdout
        return float(rss.read_text().split()[0])

    small, big = peak_mb(10), peak_mb(40_000)
    assert big - small < 60, f"40,000 lines took {big - small:.0f} MB more than 10 lines"


def test_progress_is_a_line_every_few_seconds_when_stderr_is_not_a_terminal(
    tmp_path: Path, e5, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    for i in range(3):
        _briefing(folder, f"notizia-{i}.txt", f"Valdoria{i}")
    store = Assistant(store=tmp_path / "store", embeddings=e5).store
    ingest(store, [folder], embeddings=e5, batch_size=1, progress_every=0.0)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("ingest: ") for line in lines), lines
    assert "3 files read, 3/3 chunks (embedding)" in lines[-1]


# -- 5. faults of the disk, the store and the server, each named in one line

ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="needs root: a read-only bind mount and a small tmpfs are how the fault is made real",
)


def _rag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


@contextmanager
def _mounted(*args: str, target: Path, remount: str = "") -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", *args, str(target)], check=True)
    try:
        if remount:
            subprocess.run(["mount", "-o", remount, str(target)], check=True)
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


@ROOT_ONLY
def test_a_read_only_store_answers_and_ingest_says_it_is_read_only(tmp_path: Path, e5) -> None:
    store, view = tmp_path / "store", tmp_path / "read-only"
    _briefing(tmp_path / "in", "ponte.txt", "Valdoria")
    Assistant(store=store, embeddings=e5).ingest([tmp_path / "in"], progress=False)
    with _mounted("--bind", str(store), target=view, remount="remount,ro,bind"):
        assert "documents: 1" in _rag("status", "--store", str(view)).stdout
        # Reads run on a copy of the Chroma data (Chroma writes as it opens), made in the
        # temporary folder and removed when the process ends.
        temp = tmp_path / "temp"
        temp.mkdir()
        question = "Cosa ha inaugurato il sindaco di Valdoria?"
        asked = _rag("ask", question, "--store", str(view), env={"TMPDIR": str(temp)})
        assert asked.returncode == 0 and "nuovo ponte" in asked.stdout, asked.stderr
        assert not list(temp.glob("rag-readonly-*")), list(temp.iterdir())
        refused = _rag("ingest", str(tmp_path / "in"), "--store", str(view))
        assert refused.returncode == 1
        assert refused.stderr == (
            f"error: the store at {view} is read-only: questions work, but ingest needs to "
            "write; make it writable or pass --store NEW_DIR\n"
        )


@ROOT_ONLY
def test_a_full_disk_is_named_and_questions_still_work(tmp_path: Path, e5) -> None:
    with _mounted("-t", "tmpfs", "-o", "size=8m", "tmpfs", target=tmp_path / "disk") as disk:
        store = disk / "store"
        _briefing(tmp_path / "in", "ponte.txt", "Valdoria")
        for i in range(20):
            _briefing(tmp_path / "more", f"notizia-{i}.txt", f"Borgo{i}")
        a = Assistant(store=store, embeddings=e5)
        assert a.ingest([tmp_path / "in"], progress=False).ok
        free = os.statvfs(disk)
        with open(disk / "filler", "wb") as fh:  # leave the disk with no room at all
            fh.write(b"\0" * (free.f_bavail * free.f_frsize))
        full = _rag("ingest", str(tmp_path / "more"), "--store", str(store))
        assert full.returncode == 1
        assert full.stderr == f"error: disk full at {store}: free space and rerun\n"
        assert "documents: 1" in _rag("status", "--store", str(store)).stdout
        asked = _rag("ask", "Cosa ha inaugurato il sindaco di Valdoria?", "--store", str(store))
        assert asked.returncode == 0 and "nuovo ponte" in asked.stdout, asked.stderr
        (disk / "filler").unlink()
        assert len(a.ingest([tmp_path / "more"], progress=False).added) == 20


def test_a_corrupt_vector_index_points_to_check_and_repair_rebuilds_it(tmp_path: Path) -> None:
    import chromadb

    store = tmp_path / "store"
    # A collection that writes its HNSW files every 2 chunks, so a small store has them.
    chromadb.PersistentClient(str(store / "chroma")).get_or_create_collection(
        "briefings",
        configuration={"hnsw": {"space": "cosine", "batch_size": 2, "sync_threshold": 2}},
        embedding_function=None,
    )
    SharedSystemClient.clear_system_cache()
    for i in range(4):
        _briefing(tmp_path / "in", f"notizia-{i}.txt", f"Valdoria{i}")
    assert _rag("ingest", str(tmp_path / "in"), "--store", str(store)).returncode == 0
    [pickle] = store.glob("chroma/*/index_metadata.pickle")
    pickle.write_bytes(b"not a pickle at all")
    asked = _rag("ask", "Cosa ha inaugurato il sindaco di Valdoria2?", "--store", str(store))
    assert asked.returncode == 1
    assert asked.stderr == (
        f"error: the vector index of the store at {store} is corrupt (error deserializing "
        "pickle); run `rag check --repair` to rebuild it from the briefings' files\n"
    )
    repaired = _rag("check", "--repair", "--store", str(store))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert repaired.stdout.splitlines()[-1].endswith("5 problems, 5 repaired, 0 left")
    asked = _rag("ask", "Cosa ha inaugurato il sindaco di Valdoria2?", "--store", str(store))
    assert asked.returncode == 0 and "Valdoria2 ha inaugurato" in asked.stdout, asked.stderr


def test_a_stopped_chroma_server_is_named_with_its_url(tmp_path: Path, e5) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("chroma")), "run", "--path", str(tmp_path / "data"),
             "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )  # fmt: skip
    try:
        wait_for_port(port, server, log, 60)
        _briefing(tmp_path / "in", "ponte.txt", "Valdoria")
        a = Assistant(store=tmp_path / "local", chroma_url=url, embeddings=e5)
        a.ingest([tmp_path / "in"], progress=False)
        assert not a.ask("Cosa ha inaugurato il sindaco di Valdoria?").refused
    finally:
        server.terminate()
        server.wait(timeout=30)
    message = f"cannot reach the Chroma server at {url}: start it (`chroma run --path DIR`)"
    with pytest.raises(ServerUnreachableError, match=re.escape(message)):
        a.ask("Cosa ha inaugurato il sindaco di Valdoria?")  # a session open when it stopped
    started = _rag("status", "--chroma-url", url)
    assert (started.returncode, started.stderr) == (1, f"error: {message} or drop --chroma-url\n")


# -- 6. a briefing cannot drive the terminal

UNSAFE = ("\x1b", "\x07", "\x9b", "\u202e")


def test_control_characters_in_a_briefing_never_reach_the_terminal(tmp_path: Path, e5) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ponte.txt").write_text(
        "Il ponte di Valdoria\x1b]0;pwned\x07\n\nVALDORIA (ITALPRESS) - Il sindaco immaginario di "
        "Valdoria ha inaugurato il nuovo ponte\x1b[2J\x1b[8m sul fiume \x9b31m rosso\u202e.\n\n"
        f"{FICTIONAL}\n"
    )
    Assistant(store=tmp_path / "store", embeddings=e5).ingest([folder], progress=False)
    question = "Cosa ha inaugurato il sindaco di Valdoria?"
    plain = runner.invoke(app, ["ask", question, "--store", str(tmp_path / "store")])
    assert plain.exit_code == 0 and "il nuovo ponte" in plain.stdout, plain.output
    assert not any(c in plain.stdout for c in UNSAFE), repr(plain.stdout)
    as_json = runner.invoke(app, ["ask", question, "--json", "--store", str(tmp_path / "store")])
    assert not any(c in as_json.stdout for c in UNSAFE), repr(as_json.stdout)
    # The JSON still carries the data as it is: escaped, not removed.
    data = json.loads(as_json.stdout)
    assert "\x1b[2J" in data["answer"] or "\x1b]0;pwned" in data["sources"][0]["title"], data


# -- 7. a password never has to be on the command line

TYPED = (
    "warning: --auth on the command line is visible to every user of this machine (`ps`); "
    "set RAG_AUTH or pass --auth-file PATH instead\n"
)


def _auth_file(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "login"
    path.write_text(text)
    path.chmod(mode)
    return path


# Each ends in a malformed login, so `rag serve` stops before it starts a server; the
# warnings come first, whatever follows.
@pytest.mark.parametrize(
    ("how", "expected"),
    [
        pytest.param("typed", TYPED + "error: --auth (or RAG_AUTH) takes USER:PASSWORD\n", id="typed-warns"),
        pytest.param("env", "error: --auth (or RAG_AUTH) takes USER:PASSWORD\n", id="RAG_AUTH-is-silent"),
        pytest.param("file-0600", "error: --auth-file {f} takes USER:PASSWORD\n", id="private-file-is-silent"),
        pytest.param("file-0644", "warning: {f} can be read by other users; chmod 600 it\n"
                     "error: --auth-file {f} takes USER:PASSWORD\n", id="shared-file-warns"),
    ],
)  # fmt: skip
def test_a_password_typed_as_an_argument_is_warned_about(
    tmp_path: Path, how: str, expected: str
) -> None:
    login = _auth_file(tmp_path, "userpass\n", 0o644 if how == "file-0644" else 0o600)
    args, env = ["serve", "--store", str(tmp_path / "store")], {}
    if how == "typed":
        args += ["--auth", "userpass"]
    elif how == "env":
        env["RAG_AUTH"] = "userpass"
    else:
        args += ["--auth-file", str(login)]
    result = runner.invoke(app, args, env=env)
    assert (result.exit_code, result.stderr) == (1, expected.format(f=login))


def test_a_login_file_gives_the_credentials_of_its_first_line(tmp_path: Path) -> None:
    from rag.cli import _credentials

    login = _auth_file(tmp_path, "ada:s3c:ret\nignored\n", 0o600)
    assert _credentials(None, login, typed=False) == ("ada", "s3c:ret")
    empty = runner.invoke(
        app, ["serve"], env={"RAG_AUTH_FILE": str(_auth_file(tmp_path, "", 0o600))}
    )
    assert empty.stderr == f"error: --auth-file {login}: its first line must be USER:PASSWORD\n"


# -- 8. a property: any sequence of what users do leaves the store as a model says
#
# Steps are ingests, edits, deletions and prunes of a corpus folder (as `rag ingest`),
# uploads through the web chat's code (ui/uploads.py), some claiming other documents'
# ids, some poisoned, and real SIGKILLs of a `rag ingest` process mid-way. After every
# step the store must hold what the model says: these documents, each with the text of
# its last version, no upload in another's place, and BM25 and sparse indexes that
# agree with Chroma (`rag check`). Tiny documents (one chunk each), and only what a step
# changed is embedded, so steps are cheap; a kill costs a process start (~5-10 s).
# INTEGRITY_EXAMPLES x INTEGRITY_STEPS steps (CI: 3 x 100); each sequence starts with a
# killed ingest and may kill INTEGRITY_KILLS more (CI: 1); INTEGRITY_EXPLORE=1 draws new
# sequences instead of CI's fixed ones.

EXAMPLES = int(os.environ.get("INTEGRITY_EXAMPLES", "3"))
STEPS = int(os.environ.get("INTEGRITY_STEPS", "100"))
KILLS = int(os.environ.get("INTEGRITY_KILLS", "1"))
EXPLORE = os.environ.get("INTEGRITY_EXPLORE") == "1"

NAMES = ["ponte", "fiera", "molo", "porto", "scuola", "mercato"]
TOWNS = ["Valdoria", "Roccalta", "Borgofino", "Montesereno", "Acquaviva", "Pietralba"]
UPLOAD_NAMES = ["ponte.txt", "Новости.txt", "Статья.txt", "x" * 135 + ".txt"]
SYLLABLES = ["ka", "lo", "mi", "ru", "te", "vo", "zi", "na", "pe", "su"]
MARKER = re.compile(r"\bz(?:ka|lo|mi|ru|te|vo|zi|na|pe|su){4}q\b")
ABSENT = ""  # in a set of a document's possible versions: not stored at all


def _marker(n: int) -> str:
    """A made-up word, one per version of a document: its text is found by it."""
    return "z" + "".join(SYLLABLES[int(d)] for d in f"{n:04d}") + "q"


def _text(town: str, marker: str) -> str:
    return (
        f"Notizia immaginaria {marker}\n\n{town.upper()} (ITALPRESS) - Il sindaco immaginario "
        f"di {town} ha parlato di {marker} in consiglio comunale.\n\n{FICTIONAL}\n"
    )


def _machine(base: Path, e5: object, stats: dict[str, float]) -> type:
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        initialize,
        invariant,
        precondition,
        rule,
    )

    from rag.check import check_store
    from rag.documents import file_doc_id
    from ui.uploads import ingest_uploads, save_uploads

    class Store(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.root = Path(tempfile.mkdtemp(dir=base))
            self.corpus, self.mine = self.root / "corpus", self.root / "mine"
            self.corpus.mkdir()
            self.mine.mkdir()
            self.a = Assistant(store=self.root / "store", embeddings=e5)
            self.uploads = self.root / "store" / "uploads"
            self.versions = 0
            self.kills = 0
            self.files: dict[str, str] = {}  # corpus file name -> marker on disk
            self.docs: dict[str, str] = {}  # doc id -> marker the store must hold
            # After a kill: doc id -> markers it may hold (ABSENT: none, no record).
            self.maybe: dict[str, set[str]] = {}
            self.sent: list[tuple[str, bytes]] = []  # uploads made, to send again

        def _new_marker(self) -> str:
            self.versions += 1
            return _marker(self.versions)

        def _id(self, name: str) -> str:
            return file_doc_id(self.corpus / f"{name}.txt")

        def _write(self, name: str, town: str) -> None:
            marker = self._new_marker()
            (self.corpus / f"{name}.txt").write_text(_text(town, marker))
            self.files[name] = marker

        def _step(self) -> None:
            stats["steps"] += 1

        # -- what users do

        @rule(name=st.sampled_from(NAMES), town=st.sampled_from(TOWNS))
        def edit_or_create_a_file(self, name: str, town: str) -> None:
            self._step()
            self._write(name, town)

        @precondition(lambda self: self.files)
        @rule(data=st.data())
        def delete_a_file(self, data: st.DataObject) -> None:
            self._step()
            name = data.draw(st.sampled_from(sorted(self.files)))
            (self.corpus / f"{name}.txt").unlink()
            del self.files[name]

        @rule(prune=st.booleans())
        def ingest_the_corpus(self, prune: bool) -> None:
            self._step()
            report = self.a.ingest([self.corpus], prune=prune, progress=False)
            assert report.failed == [], report.failed
            on_disk = {self._id(n): m for n, m in self.files.items()}
            changed = {d for d, m in on_disk.items() if self.docs.get(d) != m}
            written = set(report.added + report.updated)
            assert changed - set(self.maybe) <= written <= changed, (written, changed)
            gone = {d for d in {*self.docs, *self.maybe} if d not in on_disk}
            gone = {d for d in gone if not d.startswith("upload/") and d in self._cli_ids()}
            if prune:
                removed = set(report.removed)
                assert gone & set(self.docs) <= removed <= gone, (removed, gone)
                for d in gone:
                    self.docs.pop(d, None)
                    self.maybe.pop(d, None)
            else:
                assert report.removed == []
            for d, m in on_disk.items():
                self.docs[d] = m
                self.maybe.pop(d, None)

        def _cli_ids(self) -> set[str]:
            return {self._id(n) for n in NAMES}

        @rule(
            claims=st.lists(st.sampled_from(["own", "corpus", "upload"]), min_size=1, max_size=3),
            poison=st.sampled_from(["", "nested", "surrogate"]),
            name=st.sampled_from(["righe.jsonl", "Новости.jsonl"]),
        )
        def upload_a_jsonl(self, claims: list[str], poison: str, name: str) -> None:
            """Lines claiming ids: new ones, a corpus document's, another upload's."""
            self._step()
            lines, ids = [], []
            for i, claim in enumerate(claims):
                taken = sorted(self._cli_ids() if claim == "corpus" else
                               [d for d in self.docs if d.startswith("upload/")])  # fmt: skip
                doc_id = taken[i % len(taken)] if claim != "own" and taken else f"riga-{i}"
                if doc_id in ids:
                    doc_id = f"riga-{i}"
                marker = self._new_marker()
                ids.append(doc_id)
                lines.append(json.dumps({"id": doc_id, "text": _text(TOWNS[i], marker)}))
            if poison == "nested":
                lines.insert(1, '{"id": "deep", "text": ' + "[" * 50_000 + "]" * 50_000 + "}")
            elif poison == "surrogate":
                lines.insert(1, '{"id": "bad", "text": "Il sindaco \\ud800 immaginario."}')
            data = ("\n".join(lines) + "\n").encode()
            self._upload(name, data)

        @rule(name=st.sampled_from(UPLOAD_NAMES), town=st.sampled_from(TOWNS))
        def upload_a_text(self, name: str, town: str) -> None:
            self._step()
            self._upload(name, _text(town, self._new_marker()).encode())

        @precondition(lambda self: self.sent)
        @rule(data=st.data())
        def upload_the_same_file_again(self, data: st.DataObject) -> None:
            self._step()
            name, body = data.draw(st.sampled_from(self.sent))
            before = dict(self.docs)
            report = self._upload(name, body, again=True)
            assert report is None or report.added == report.updated == []
            assert self.docs == before

        def _upload(self, name: str, body: bytes, *, again: bool = False) -> Any:
            sent = Path(tempfile.mkdtemp(dir=self.mine)) / name  # as a browser sends it
            sent.write_bytes(body)
            (saved,), rejected = save_uploads([str(sent)], self.uploads, max_mb=1)
            assert rejected == [] and saved.suffix == sent.suffix
            report, failures = ingest_uploads(self.a, [saved], self.uploads)
            expected: dict[str, str] = {}
            if saved.suffix == ".txt":
                expected[file_doc_id(saved)] = MARKER.findall(body.decode())[0]
            else:
                for line in body.decode().splitlines():
                    found = MARKER.findall(line)
                    if found:
                        expected[f"upload/{saved.name}/{json.loads(line)['id']}"] = found[0]
            poisoned = b'"deep"' in body or b'"bad"' in body
            assert bool(failures) == poisoned, failures
            if poisoned:
                assert not saved.exists() and (saved.parent.parent / "failed-uploads").is_dir()
            assert report is not None
            owned = set(expected)
            assert set(report.added + report.updated + report.unchanged) == owned
            # An upload writes only documents it created: new ones, or the same again.
            if again:
                assert owned <= set(self.docs)
            else:
                assert not owned & (set(self.docs) | set(self.maybe) | self._cli_ids())
                assert set(report.added) == owned
                self.sent.append((name, body))
            self.docs.update(expected)
            return report

        # Every sequence starts from a killed run, whatever the draw leaves out later.
        @initialize(delay=st.floats(0.0, 0.1))
        def a_first_ingest_killed_mid_way(self, delay: float) -> None:
            self._kill(delay)

        @precondition(lambda self: self.kills <= KILLS)
        @rule(delay=st.floats(0.0, 0.1))
        def kill_an_ingest_mid_way(self, delay: float) -> None:
            self._kill(delay)

        def _kill(self, delay: float) -> None:
            """Every corpus file changed, then `rag ingest` SIGKILLed as it writes."""
            self._step()
            self.kills += 1
            stats["kills"] += 1
            before = {d: self.maybe.get(d, {self.docs.get(d, ABSENT)}) for d in self._cli_ids()}
            for name, town in zip(NAMES, TOWNS, strict=True):
                self._write(name, town)
            generation = self.a.store.generation()
            cmd = [sys.executable, "-m", "rag", "ingest", str(self.corpus),
                   "--store", str(self.root / "store")]  # fmt: skip
            env = {**os.environ, "RAG_BATCH_SIZE": "1"}
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
            deadline = time.monotonic() + 120
            # Its first write bumps the generation; then a moment more, drawn per step. (The
            # lock file names no holder: filelock empties it, so the generation tells.)
            while self.a.store.generation() == generation and proc.poll() is None:
                assert time.monotonic() < deadline, "the ingest wrote nothing in 120 s"
                time.sleep(0.005)
            time.sleep(delay)
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                stats["kills mid-way"] += 1
            proc.wait()
            for name in NAMES:
                d = self._id(name)
                self.maybe[d] = before[d] | {self.files[name]}
                self.docs.pop(d, None)

        # -- what must hold after every step

        @invariant()
        def the_store_holds_what_the_model_says(self) -> None:
            records = self.a.store.doc_records()
            texts: dict[str, str] = {}
            of_doc: dict[str, set[str]] = {}
            for cid, text, meta in self.a.store.iter_chunks():
                texts[cid] = text
                of_doc.setdefault(str(meta["doc_id"]), set()).add(cid)
            may = set(self.docs) | set(self.maybe)
            assert set(self.docs) <= set(records) <= may, (set(records), set(self.docs))
            assert set(of_doc) <= may, set(of_doc) - may
            for d, marker in self.docs.items():
                assert set(records[d].chunk_ids) == of_doc.get(d, set()) != set(), d
                found = {m for c in of_doc[d] for m in MARKER.findall(texts[c])}
                assert found == {marker}, (d, found, marker)
            for d, versions in self.maybe.items():
                found = {m for c in of_doc.get(d, ()) for m in MARKER.findall(texts[c])}
                assert found <= versions, (d, found, versions)
                if d not in records and not of_doc.get(d):
                    assert ABSENT in versions, d
            # The indexes a question reads agree with Chroma, killed runs and all.
            lexical = self.a.retriever.lexical
            assert lexical.doc_ids() == set(of_doc)
            for d, marker in self.docs.items():
                assert lexical.chunks_containing(marker) == of_doc[d], (d, marker)
            sparse = self.a.retriever.sparse_index
            assert (sparse.chunk_ids() if sparse else set()) == set(texts)
            problems = [p.what for p in check_store(self.a.store).problems]
            if not self.maybe:
                assert problems == []
            else:  # what a kill can leave, until the next ingest redoes it
                assert all("orphan chunks" in p or "chunks missing" in p for p in problems)

        def teardown(self) -> None:
            SharedSystemClient.clear_system_cache()
            shutil.rmtree(self.root, ignore_errors=True)

    return Store


def test_any_sequence_of_ingests_edits_uploads_kills_and_prunes_keeps_the_store_whole(
    tmp_path: Path, e5
) -> None:
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    stats = {"steps": 0, "kills": 0, "kills mid-way": 0}
    started = time.monotonic()
    run_state_machine_as_test(
        _machine(tmp_path, e5, stats),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            derandomize=not EXPLORE,
            # A failing sequence is printed step by step; shrinking it would replay kills.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
    seconds = time.monotonic() - started
    print(f"integrity property: {stats['steps']} steps, {stats['kills']} kills "
          f"({stats['kills mid-way']} mid-way), {seconds:.0f} s")  # fmt: skip
    assert stats["steps"] >= EXAMPLES * STEPS // 2 and stats["kills mid-way"] >= 1, stats
