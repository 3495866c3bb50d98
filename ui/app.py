"""The web chat: ``build_app(assistant) -> gr.Blocks``, a thin shell over ``rag.Assistant``.

Safety rule: every string that comes from a document (titles, outlets, quotes, article
text) or from a user is passed through ``html.escape`` before it reaches ``gr.HTML`` or
the chatbot, so a briefing containing ``<script>`` is shown as text and runs nothing.
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.models import Answer, Source
from rag.assistant import Assistant
from rag.errors import RagError

ALLOWED_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
MISSION_QUESTION = "What did Rutte say about deterrence?"
EXAMPLES = [
    MISSION_QUESTION,
    "And what did he say about Ukraine's resilience?",
    "Cosa ha detto Rutte sul coordinamento degli aiuti?",
    "What did Macron say about nuclear power plants in France?",
]

CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 10px 12px; margin-bottom: 10px; background: var(--background-fill-secondary); }
.source-head { font-weight: 600; margin-bottom: 2px; }
.source-meta { font-size: 0.9em; opacity: 0.8; margin-bottom: 6px; }
.source-context { font-size: 0.92em; line-height: 1.45; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.source-context mark { background: #fde68a; color: #111; padding: 0 2px; }
.source-card details { margin-top: 6px; }
.source-card details summary { cursor: pointer; font-size: 0.9em; }
.article { max-height: 320px; overflow-y: auto; white-space: pre-wrap; font-size: 0.9em;
  overflow-wrap: anywhere; border-top: 1px solid var(--border-color-primary);
  margin-top: 6px; padding-top: 6px; }
.status-panel table { width: 100%; font-size: 0.9em; border-collapse: collapse; }
.status-panel td { padding: 3px 6px; vertical-align: top; overflow-wrap: anywhere;
  border: none; border-bottom: 1px solid var(--border-color-primary); }
.filters-line { font-size: 0.9em; opacity: 0.85; }
"""


# -- rendering (pure functions, escaped) ---------------------------------------------------
def _esc(value: Any) -> str:
    return html.escape(str(value or ""), quote=True)


def _highlight(text: str, quote: str) -> str:
    """``text`` escaped, with the first occurrence of ``quote`` wrapped in <mark>."""
    if quote:
        i = text.find(quote)
        if i >= 0:
            j = i + len(quote)
            return f"{_esc(text[:i])}<mark>{_esc(quote)}</mark>{_esc(text[j:])}"
    return _esc(text)


def render_source_card(s: Source, article: str = "") -> str:
    meta = " · ".join(_esc(p) for p in (s.source, s.published_at, s.speaker) if p)
    context = s.context or s.quote
    if s.quote and s.quote not in context:
        body = f"<mark>{_esc(s.quote)}</mark>"
        if context:
            body += f"<br><br>{_esc(context)}"
    else:
        body = _highlight(context, s.quote)
    details = ""
    if article:
        details = (
            "<details><summary>Open the whole article</summary>"
            f"<div class='article'>{_highlight(article, s.quote)}</div></details>"
        )
    return (
        f"<div class='source-card' id='source-{int(s.n)}'>"
        f"<div class='source-head'>[{int(s.n)}] {_esc(s.title) or _esc(s.doc_id)}</div>"
        f"<div class='source-meta'>{meta}</div>"
        f"<div class='source-context'>{body}</div>"
        f"{details}</div>"
    )


def render_sources(answer: Answer, articles: dict[str, str] | None = None) -> str:
    """Source cards as HTML, numbered like the citations in ``answer.text``."""
    if not answer.sources:
        return "<div class='no-sources'>No sources for this answer.</div>"
    articles = articles or {}
    return "\n".join(render_source_card(s, articles.get(s.doc_id, "")) for s in answer.sources)


def render_status(assistant: Assistant) -> str:
    try:
        st = assistant.status()
    except RagError as err:
        return f"<div class='status-panel'>Store unavailable: {_esc(err)}</div>"
    rows = [
        ("Documents", st.documents),
        ("Chunks", st.chunks),
        ("Embedding model", st.embedding_model),
        ("Store", f"{st.mode} · {st.store}"),
        ("Sources", ", ".join(st.sources) or "—"),
    ]
    cells = "".join(f"<tr><td><b>{_esc(k)}</b></td><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<div class='status-panel'><table>{cells}</table></div>"


def render_filters(since: str, until: str, sources: list[str] | None) -> str:
    parts = []
    if since:
        parts.append(f"from {_esc(since)}")
    if until:
        parts.append(f"until {_esc(until)}")
    if sources:
        parts.append("sources: " + ", ".join(_esc(s) for s in sources))
    text = "; ".join(parts) if parts else "none (all dates, all sources)"
    return f"<div class='filters-line'>Active filters: {text}</div>"


def _text_of(content: Any) -> str:
    """Gradio 6 gives message content as a list of parts; older versions as a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def _history_pairs(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Chat history for ``assistant.ask``; the chatbot holds escaped text, so unescape it."""
    return [
        (str(m.get("role", "user")), html.unescape(_text_of(m.get("content", ""))))
        for m in history
        if isinstance(m, dict)
    ]


# -- uploads -------------------------------------------------------------------------------
def safe_name(name: str) -> str:
    """A basename that cannot climb out of the upload folder: no separators, no odd chars."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    base = re.sub(r"\.{2,}", ".", base)[:120]
    return base or "upload"


def save_uploads(paths: list[str], upload_dir: Path, max_mb: int) -> tuple[list[Path], list[str]]:
    """Copy accepted uploads into ``upload_dir``; return (saved paths, rejection messages)."""
    saved: list[Path] = []
    rejected: list[str] = []
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    for p in paths:
        src = Path(p)
        name = safe_name(src.name)
        if Path(name).suffix.lower() not in ALLOWED_TYPES:
            rejected.append(f"{name}: unsupported file type (allowed: {', '.join(ALLOWED_TYPES)})")
            continue
        size = src.stat().st_size
        if size > max_mb * 1024 * 1024:
            rejected.append(f"{name}: {size / 1048576:.1f} MB is above the {max_mb} MB limit")
            continue
        dest = (root / name).resolve()
        if dest.parent != root:  # belt and braces: never write outside the upload folder
            rejected.append(f"{name}: invalid file name")
            continue
        shutil.copyfile(src, dest)
        saved.append(dest)
    return saved, rejected


# -- the app -------------------------------------------------------------------------------
def build_app(assistant: Assistant) -> gr.Blocks:
    upload_dir = Path(assistant.settings.store) / "uploads"
    max_mb = int(assistant.settings.max_upload_mb)
    articles: dict[str, str] = {}

    def article(doc_id: str) -> str:
        if doc_id not in articles:
            try:
                articles[doc_id] = assistant.document_text(doc_id)
            except RagError:
                return ""
        return articles[doc_id]

    def ask(
        question: str, since: str = "", until: str = "", sources: list[str] | None = None
    ) -> dict[str, Any]:
        """Ask the briefings a question; returns the answer text, refusal flag and sources."""
        try:
            answer = assistant.ask(
                question, since=since or None, until=until or None, sources=sources or []
            )
        except RagError as err:
            return {"error": str(err)}
        return answer.to_json_dict()

    with gr.Blocks(title="Briefings assistant", fill_width=True) as app:
        gr.Markdown(
            "# Briefings assistant\nQuoted, dated, cited answers from your briefings. "
            "Citations like [1] refer to the numbered source cards."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chatbot = gr.Chatbot(
                    label="Chat",
                    height=460,
                    sanitize_html=True,
                    elem_id="chat",
                    buttons=["copy"],
                )
                filters_line = gr.HTML(render_filters("", "", []), elem_id="filters-line")
                with gr.Row():
                    box = gr.Textbox(
                        label="Question",
                        placeholder=MISSION_QUESTION,
                        scale=5,
                        min_width=200,
                        elem_id="question",
                        submit_btn=True,
                    )
                    new_chat = gr.Button(
                        "New chat",
                        scale=1,
                        min_width=90,
                        size="sm",
                        variant="secondary",
                        elem_id="new-chat",
                    )
                gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[box], label="Examples")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### Sources")
                sources_html = gr.HTML(
                    "<div class='no-sources'>Ask a question to see its sources.</div>",
                    elem_id="sources",
                )
                with gr.Accordion("Filters", open=True):
                    with gr.Row():
                        since = gr.Textbox(
                            label="From (YYYY-MM-DD)", elem_id="since", min_width=120
                        )
                        until = gr.Textbox(
                            label="Until (YYYY-MM-DD)", elem_id="until", min_width=120
                        )
                    source_filter = gr.Dropdown(
                        label="Sources",
                        choices=[],
                        multiselect=True,
                        elem_id="source-filter",
                    )
                with gr.Accordion("Add briefings", open=False, elem_id="upload-panel"):
                    files = gr.File(
                        label=f"{', '.join(ALLOWED_TYPES)} — up to {max_mb} MB each",
                        file_count="multiple",
                        elem_id="upload",
                    )
                    add_btn = gr.Button("Add to the store", elem_id="add-files")
                    upload_report = gr.HTML(elem_id="upload-report")
                with gr.Accordion("Store status", open=True):
                    status_html = gr.HTML(elem_id="status")

        # -- chat
        def respond(
            question: str,
            history: list[dict[str, Any]] | None,
            since_v: str,
            until_v: str,
            sources_v: list[str] | None,
        ) -> Iterator[tuple[Any, ...]]:
            history = list(history or [])
            question = (question or "").strip()
            if not question:
                yield "", history, gr.skip()
                return
            pairs = _history_pairs(history)
            history.append({"role": "user", "content": html.escape(question)})
            yield "", history, gr.skip()
            try:
                answer = assistant.ask(
                    question,
                    chat_history=pairs,
                    since=(since_v or "").strip() or None,
                    until=(until_v or "").strip() or None,
                    sources=sources_v or [],
                )
            except RagError as err:
                history.append({"role": "assistant", "content": html.escape(f"⚠️ {err}")})
                yield "", history, gr.skip()
                return
            cards = render_sources(answer, {s.doc_id: article(s.doc_id) for s in answer.sources})
            text = html.escape(answer.text)
            history.append({"role": "assistant", "content": ""})
            # Stream the (already computed) answer in word-sized steps.
            words = re.split(r"(\s+)", text)
            step = max(1, len(words) // 12)
            for i in range(step, len(words), step):
                history[-1] = {"role": "assistant", "content": "".join(words[:i])}
                yield "", history, cards
            history[-1] = {"role": "assistant", "content": text}
            yield "", history, cards

        chat_inputs = [box, chatbot, since, until, source_filter]
        box.submit(
            respond,
            chat_inputs,
            [box, chatbot, sources_html],
            api_visibility="private",
        )
        new_chat.click(
            lambda: ("", [], "<div class='no-sources'>New chat: ask a question.</div>"),
            None,
            [box, chatbot, sources_html],
            api_visibility="private",
        )

        # -- filters are shown as they change
        for comp in (since, until, source_filter):
            comp.change(
                render_filters,
                [since, until, source_filter],
                filters_line,
                api_visibility="private",
                queue=False,
            )

        # -- status + sources dropdown, on load and after ingest
        def refresh(current: list[str] | None) -> tuple[Any, str]:
            try:
                choices = assistant.status().sources
            except RagError:
                choices = []
            keep = [c for c in (current or []) if c in choices]
            return gr.Dropdown(choices=choices, value=keep), render_status(assistant)

        app.load(refresh, [source_filter], [source_filter, status_html], api_visibility="private")

        # -- uploads
        def add_files(
            paths: list[str] | None,
            current: list[str] | None,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 - how Gradio injects progress
        ) -> tuple[Any, ...]:
            if not paths:
                return "<div>Choose files to add first.</div>", gr.skip(), gr.skip(), gr.skip()
            saved, rejected = save_uploads(list(paths), upload_dir, max_mb)
            lines = [f"Rejected {_esc(r)}" for r in rejected]
            if saved:
                progress(0, desc="Ingesting…")

                def on_progress(done: int, total: int, what: str) -> None:
                    progress((done, max(total, 1)), desc=f"Ingesting {what}"[:80])

                try:
                    report = assistant.ingest(saved, progress=False, on_progress=on_progress)
                except RagError as err:
                    lines.append(f"Ingest failed: {_esc(err)}")
                else:
                    lines.insert(0, _esc(report.summary()))
                    new = report.added + report.updated
                    if new:
                        lines.insert(1, "Now searchable: " + ", ".join(_esc(d) for d in new))
                    lines += [f"Failed {_esc(f.path)}: {_esc(f.reason)}" for f in report.failed]
                    articles.clear()
            body = "".join(f"<li>{line}</li>" for line in lines)
            dropdown, status = refresh(current)
            return f"<ul class='upload-summary'>{body}</ul>", dropdown, status, None

        add_btn.click(
            add_files,
            [files, source_filter],
            [upload_report, source_filter, status_html, files],
            api_visibility="private",
        )

        gr.api(ask, api_name="ask")
    return app


def launch(
    assistant: Assistant, *, host: str = "127.0.0.1", port: int = 7860, auth: Any = None
) -> None:
    build_app(assistant).queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=port,
        auth=auth,
        show_error=False,
        max_file_size=f"{int(assistant.settings.max_upload_mb)}mb",
        css=CSS,
    )
