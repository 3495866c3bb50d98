"""Settings: precedence flag > RAG_* env > rag.toml > default, and defaults defined once."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from rag.chunking import chunk_document
from rag.config import Settings
from rag.documents import load_file
from rag.e5.format import model_dir
from rag.ingest import ingest
from rag.retrieval import HybridRetriever


@pytest.mark.parametrize(
    ("flag", "env", "toml", "expected"),
    [(3, "5", 7, 3), (None, "5", 7, 5), (None, None, 7, 7), (None, None, None, 6)],
)
def test_a_flag_beats_the_environment_which_beats_rag_toml(
    monkeypatch: pytest.MonkeyPatch,
    flag: int | None,
    env: str | None,
    toml: int | None,
    expected: int,
) -> None:
    if env is not None:
        monkeypatch.setenv("RAG_K", env)
    if toml is not None:
        Path("rag.toml").write_text(f"k = {toml}\n")  # the working folder is the test's
    settings = Settings(k=flag) if flag is not None else Settings()
    assert settings.k == expected


@pytest.mark.parametrize(("name", "value"), [("RAG_K", "0"), ("RAG_SPARSE_VOTE", "sometimes")])
def test_an_invalid_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_model_folder_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RAG_MODEL_DIR", str(tmp_path / "models"))
    assert model_dir() == tmp_path / "models"


def _default(fn: Callable[..., Any], param: str) -> Any:
    return inspect.signature(fn).parameters[param].default


@pytest.mark.parametrize(
    ("fn", "param", "setting"),
    [
        (ingest, "chunk_chars", "chunk_chars"),
        (ingest, "overlap_sentences", "chunk_overlap_sentences"),
        (ingest, "batch_size", "batch_size"),
        (ingest, "max_file_mb", "max_file_mb"),
        (chunk_document, "max_chars", "chunk_chars"),
        (load_file, "max_mb", "max_file_mb"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_library_defaults_are_the_settings_defaults(
    fn: Callable[..., Any], param: str, setting: str
) -> None:
    assert _default(fn, param) == getattr(Settings(), setting)


@pytest.mark.parametrize("field", ["k", "fetch_k", "sparse_vote"])
def test_retriever_defaults_are_the_settings_defaults(field: str) -> None:
    assert HybridRetriever.model_fields[field].default == getattr(Settings(), field)
