"""The real local model (Qwen2.5-Coder-1.5B on llama.cpp, in-process) and how its bytes
are found. The model tests are marked ``llm`` and run wherever setup.sh prepared it."""

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from rag import Assistant, ConfigError
from rag.llm.chat import ChatLocal, resolve
from rag.llm.weights import MODELS, locate
from rag.text import detect_language
from tests.conftest import needs_local_model


@pytest.fixture
def empty_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAG_MODEL_DIR", str(tmp_path / "models"))
    return tmp_path / "models" / "llm"


@pytest.mark.parametrize("name", [None, "qwen2.5-0.5b"])
def test_a_missing_model_names_the_command_that_prepares_it(
    empty_model_dir: Path, name: str | None
) -> None:
    with pytest.raises(ConfigError, match=r"run `rag models prepare --llm qwen2\.5-"):
        locate(name)


def test_a_truncated_or_replaced_model_file_is_refused(empty_model_dir: Path) -> None:
    spec = MODELS["qwen2.5-0.5b"]
    empty_model_dir.mkdir(parents=True)
    (empty_model_dir / spec.filename).write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(ConfigError, match="corrupt"):
        locate("qwen2.5-0.5b")


@pytest.mark.parametrize(
    ("spec", "message"),
    [("local:/nowhere/model.gguf", "no GGUF model file"), ("local:qwen9", "unknown local model")],
)
def test_a_bad_local_spec_is_one_clear_error(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve(spec)


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    with pytest.raises(ConfigError, match="not a GGUF"):
        resolve(f"local:{fake}")


def test_an_unprepared_model_fails_after_the_quotes_which_stand(
    assistant: Assistant, empty_model_dir: Path
) -> None:
    a = Assistant(store=assistant.settings.store, embeddings=assistant.embeddings, llm="local")
    a._store, a._retriever, a._answerer = assistant.store, assistant.retriever, assistant.answerer
    parts = a.stream("What did Rutte say about deterrence?")
    first = next(parts)
    assert not first.refused and "deterrenza" in first.text
    with pytest.raises(ConfigError, match="rag models prepare --llm"):
        next(parts)


@pytest.mark.llm
@needs_local_model
def test_the_local_model_is_a_langchain_chat_model_that_streams() -> None:
    llm = ChatLocal.from_spec("local", max_tokens=12)
    chunks = list(llm.stream([HumanMessage("Reply with the single word: ready")]))
    assert len(chunks) >= 1 and "ready" in "".join(str(c.content) for c in chunks).lower()
    usage = sum(chunks[1:], chunks[0]).usage_metadata  # llama.cpp's: what bench/llm.py reports
    assert usage is not None and usage["input_tokens"] > 5 and 1 <= usage["output_tokens"] <= 12
    assert isinstance(llm.invoke([HumanMessage("Say yes.")]), AIMessage)


@pytest.fixture(scope="module")
def local(assistant: Assistant) -> Assistant:
    a = Assistant(store=assistant.settings.store, embeddings=assistant.embeddings, llm="local")
    a._store, a._retriever, a._answerer = assistant.store, assistant.retriever, assistant.answerer
    return a


@pytest.mark.llm
@needs_local_model
def test_an_english_question_over_the_italian_sample_gets_a_checked_english_answer(
    local: Assistant,
) -> None:
    answer = local.ask("What did Rutte say about deterrence?")
    assert not answer.refused and "deterrenza" in answer.text, "the quotes stay as they are"
    written = answer.generated
    assert written is not None and not written.refused, written
    assert detect_language(written.text) == "en"
    kept = [c for c in written.claims if c.verified]
    assert kept and all(c.citations for c in kept)
    assert {s.n for s in written.sources} <= {s.n for s in answer.sources}
    assert any("Machine translation from Italian" in n for n in written.notes)


@pytest.mark.llm
@needs_local_model
@pytest.mark.parametrize(
    "question", ["Who won the 2022 World Cup?", "What did Rutte say about China?"]
)
def test_the_model_never_answers_what_the_briefings_do_not(local: Assistant, question: str) -> None:
    answer = local.ask(question)
    assert answer.refused and answer.generated is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models", "prepare", "qwen2.5-0.5b"], "a model name goes after --llm"),
        (["models", "prepare", "--llm", "qwen9"], "unknown local model 'qwen9'"),
        (["ask", "What did Rutte say?", "--llm", "local:/nowhere/m.gguf"], "no GGUF model file"),
    ],
    ids=["name-without-flag", "unknown-name", "missing-gguf"],
)
def test_the_cli_names_a_bad_local_model_in_one_line(args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    text = result.output + str(result.exception or "")
    assert message in text
