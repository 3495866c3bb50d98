"""The README's examples are real output: its Python session and its CLI lines run here.

A reader copies these lines first; an answer that changed without the README would be the
first thing they find wrong.
"""

from __future__ import annotations

import doctest
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Timings differ from run to run; everything else in an example is compared as written.
_SECONDS = re.compile(r"in \d+(?:\.\d+)?s\b")


class _TimingsAside(doctest.OutputChecker):
    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return super().check_output(
            _SECONDS.sub("in Ns", want), _SECONDS.sub("in Ns", got), optionflags
        )


@pytest.fixture
def sample_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh directory with the sample corpus, where the README's relative paths hold."""
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _pycon_blocks() -> list[str]:
    return re.findall(r"```pycon\n(.*?)```", README, re.S)


def test_the_python_session_prints_what_the_readme_shows(sample_dir: Path) -> None:
    blocks = _pycon_blocks()
    assert blocks, "the README has a Python session"
    runner = doctest.DocTestRunner(checker=_TimingsAside(), optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        test = doctest.DocTestParser().get_doctest(block, {}, f"README-{i}", "README.md", 0)
        runner.run(test, out=lambda s: None)
    failures = runner.summarize(verbose=False)
    assert failures.attempted >= 10
    assert failures.failed == 0, "README.md's Python session differs from real output"


def test_the_cli_lines_print_what_the_readme_shows(sample_dir: Path) -> None:
    cli = CliRunner()
    ingest = cli.invoke(app, ["ingest", "corpus/"])
    assert ingest.exit_code == 0, ingest.output
    # The README's 'rag ask' example followed by its printed answer.
    shown = re.search(r'\$ rag ask "(What did Macron[^"]+)"\n([^\n$]+)\n', README)
    assert shown, "the README shows a refusal from `rag ask`"
    asked = cli.invoke(app, ["ask", shown.group(1)])
    assert asked.exit_code == 0, asked.output
    assert asked.output.strip() == shown.group(2).strip()
    # 'rag status --json  # {"documents": 1, "chunks": N, ...}': the counts it names.
    comment = re.search(r"rag status --json\s+# (\{.*\})", README)
    assert comment, "the README shows `rag status --json`"
    named = dict(re.findall(r'"(documents|chunks)": (\d+)', comment.group(1)))
    status = json.loads(cli.invoke(app, ["status", "--json"]).output)
    assert {k: status[k] for k in named} == {k: int(v) for k, v in named.items()}
