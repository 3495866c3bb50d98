"""The CLI end to end: a real process for the user path, CliRunner for the details."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import EXIT_PARTIAL, app
from tests.conftest import DETERRENCE_QUOTE, SAMPLE

runner = CliRunner()


def _rag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_cli_user_path(tmp_path: Path) -> None:
    """ingest -> ask --json -> status --json -> re-ingest, as a real process."""
    store = str(tmp_path / "cli-store")
    ingested = _rag("ingest", str(SAMPLE.parent), "--store", store)
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.startswith("1 added, 0 updated, 0 unchanged, 0 removed, 0 failed")

    asked = _rag("ask", "What did Rutte say about deterrence?", "--json", "--store", store)
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    assert data["refused"] is False
    assert DETERRENCE_QUOTE in data["answer"] and "Rutte" in data["answer"]
    assert data["sources"][0]["source"] == "Italpress"
    assert data["sources"][0]["published_at"] == "2026-02-11"

    refused = _rag("ask", "What did Macron say about nuclear power plants in France?", "--json",
                   env={"RAG_STORE": store})  # fmt: skip
    assert refused.returncode == 0 and json.loads(refused.stdout)["refused"] is True

    status = json.loads(_rag("status", "--json", "--store", store).stdout)
    assert (status["documents"], status["embedding_model"]) == (1, "onnx:multilingual-e5-small")

    again = _rag("ingest", str(SAMPLE.parent), "--store", store)
    assert again.stdout.startswith("0 added, 0 updated, 1 unchanged")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["ask", ""], "error: the question is empty", id="empty-question"),
        pytest.param(["ingest", "/no/such/dir"], "error: /no/such/dir: no such file or folder", id="missing-path"),
        pytest.param(["status", "--embeddings", "word2vec"], "error: unknown model 'word2vec'", id="unknown-model"),
        pytest.param(["ask", "hi", "--since", "yesterday"], "error: --since 'yesterday' is not a date", id="bad-date"),
        pytest.param(["serve", "--host", "0.0.0.0"], "error: binding 0.0.0.0 exposes the chat", id="wide-bind-needs-auth"),
    ],
)  # fmt: skip
def test_errors_are_one_line_without_traceback(args: list[str], message: str) -> None:
    result = _rag(*args)
    assert result.returncode != 0
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_store_path_that_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    result = _rag("status", "--store", str(f))
    assert result.returncode == 1
    assert (
        result.stderr.strip() == f"error: store path {f} is a file, not a folder; pass --store DIR"
    )


def test_ingest_with_failures_exits_partial(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ok.txt").write_text("Il porto di Valmarina cresce.")
    (tmp_path / "in" / "empty.txt").write_text("")
    result = runner.invoke(app, ["ingest", str(tmp_path / "in"), "--store", str(tmp_path / "s")])
    assert result.exit_code == EXIT_PARTIAL
    assert "1 added" in result.stdout


def test_ingest_names_undated_files_after_the_summary(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "2026-03-03-dated.txt").write_text("Il molo immaginario di Valmarina apre.")
    for i in range(12):
        (src / f"nota-{i:02}.txt").write_text(f"Il molo immaginario numero {i} apre.")
    result = runner.invoke(app, ["ingest", str(src), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    summary, undated = result.stdout.splitlines()
    assert summary.startswith("13 added, 0 updated, 0 unchanged, 0 removed, 0 failed")
    listed = ", ".join(f"nota-{i:02}.txt" for i in range(10))
    assert undated == (
        f"undated (no date in dateline, front matter or file name): {listed} and 2 more"
    )


def test_ask_plain_text_lists_sources(shared_store: Path) -> None:
    result = runner.invoke(
        app, ["ask", "What did Rutte say about deterrence?", "--store", str(shared_store)]
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Mark Rutte said (Italpress, 11 Feb 2026):"
    assert any(
        line.startswith("[1] Italpress, Bruxelles (Belgio), 11 Feb 2026: Alla vigilia")
        and "Italpress, 2026-02-11" in line
        for line in lines
    )


def test_ask_with_source_filter(shared_store: Path) -> None:
    result = runner.invoke(
        app, ["ask", "What did Rutte say about deterrence?", "--json", "--source", "Fictional Wire",
              "--store", str(shared_store)],
    )  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["refused"] is True


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("ingest", "ask", "chat", "serve", "status", "eval"):
        assert cmd in result.stdout


def test_unexpected_failure_is_one_line_unless_debug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rag import cli
    from rag.assistant import Assistant

    def broken(self: Assistant) -> None:
        raise ValueError("chroma said no\nsecond line")

    monkeypatch.setattr(Assistant, "status", broken)
    monkeypatch.setattr(sys, "argv", ["rag", "status", "--store", str(tmp_path / "s")])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err == "error: unexpected ValueError: chroma said no (rerun with --debug for details)\n"
    monkeypatch.setattr(sys, "argv", ["rag", "--debug", "status", "--store", str(tmp_path)])
    with pytest.raises(ValueError, match="chroma said no"):
        cli.main()
