"""Integrity of the store (issue 17): nothing a user did not ask for is lost, hidden or
rewritten: prunes from another folder, stale or corrupt derived indexes, poison files,
faults of the disk or the server."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag import Assistant
from rag.cli import app

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
