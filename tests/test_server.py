"""The same user path against a real `chroma run` server."""

import json
import subprocess
import sys

import pytest

from rag import Assistant, StoreError
from tests.conftest import DETERRENCE_QUOTE, SAMPLE

pytestmark = pytest.mark.server


def test_ingest_and_ask_through_a_chroma_server(chroma_server: str, tmp_path, e5) -> None:
    a = Assistant(store=tmp_path / "local", chroma_url=chroma_server, embeddings=e5)
    assert len(a.ingest([SAMPLE.parent], progress=False).added) == 1
    assert a.status().mode == "server"
    assert not (tmp_path / "local" / "chroma").exists(), "vectors live on the server"
    answer = a.ask("What did Rutte say about deterrence?")
    assert DETERRENCE_QUOTE in answer.text
    again = Assistant(store=tmp_path / "other-local", chroma_url=chroma_server, embeddings=e5)
    assert len(again.ingest([SAMPLE.parent], progress=False).unchanged) == 1
    assert DETERRENCE_QUOTE in again.ask("Cosa ha detto Rutte sulla deterrenza?").text


def test_cli_against_the_server(chroma_server: str, tmp_path) -> None:
    ingest = subprocess.run(
        [sys.executable, "-m", "rag", "ingest", str(SAMPLE.parent), "--chroma-url", chroma_server,
         "--store", str(tmp_path / "s")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    out = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "What did Rutte say about deterrence?", "--json",
         "--chroma-url", chroma_server, "--store", str(tmp_path / "s")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert DETERRENCE_QUOTE in json.loads(out.stdout)["answer"]


def test_unreachable_server_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(StoreError, match="cannot reach the Chroma server at http://127.0.0.1:9"):
        Assistant(store=tmp_path, chroma_url="http://127.0.0.1:9").status()
