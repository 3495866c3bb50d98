"""The web chat: ``build_app(assistant) -> gr.Blocks``, a thin shell over ``rag.Assistant``.

The conversation is drawn by ``ui/render.py`` as escaped HTML (never Markdown: a briefing
containing ``![x](http://host/t.png)`` or ``<script>`` is shown as that text and fetches or
runs nothing). Each answer keeps its own sources; ``[n]`` links to its quote, grouped in
one card per article. Answers stream from ``Assistant.stream``.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer.models import Answer, Source
from rag.assistant import Assistant
from rag.errors import RagError
from rag.query import DateInputError, parse_date_input
from ui.auth import LoginThrottle
from ui.render import (
    Conversation,
    Message,
    UsedFilters,
    bdi,
    conversation_markdown,
    esc,
    render_sources,
    render_transcript,
)
from ui.uploads import ALLOWED_TYPES, ingest_uploads, safe_name, save_uploads

__all__ = ["ALLOWED_TYPES", "build_app", "launch", "safe_name", "save_uploads"]

MISSION_QUESTION = "What did Rutte say about deterrence?"
EXAMPLES = [
    MISSION_QUESTION,
    "And what did he say about Ukraine's resilience?",
    "Cosa ha detto Rutte sul coordinamento degli aiuti?",
    "What did Macron say about nuclear power plants in France?",
]
DATE_HINT = "2026-02-11 or 11/02/2026"
MAX_API_SOURCES = 100
MAX_FIELD_CHARS = 200

# System fonts: nothing is fetched from a font service, and bold capitals match the text.
FONT = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "sans-serif"]

CSS = """
#app-title h1 { font-size: 1.5em; font-weight: 650; margin: 0 0 2px; }
#app-title p { margin: 0; opacity: 0.8; }
#chat .transcript { max-height: 62vh; overflow-y: auto; padding: 4px 2px; }
.msg { display: flex; margin: 8px 0; }
.msg.user { justify-content: flex-end; }
.msg .bubble { max-width: 92%; padding: 9px 12px; border-radius: 10px; line-height: 1.5;
  white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: isolate; }
.msg.user .bubble { background: var(--color-accent-soft); }
.msg.bot .bubble { background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); }
.msg.bot.error .bubble { border-color: #d97706; }
.msg.bot.refused .bubble { border-style: dashed; }
.notice, .empty { font-size: 0.92em; opacity: 0.85; margin: 6px 2px; }
a.cite { font-weight: 600; text-decoration: none; padding: 0 1px; border-radius: 3px;
  color: var(--color-accent); cursor: pointer; }
a.cite:hover, a.cite:focus { text-decoration: underline; }
.answer-filters, .filter-note, .answer-note, .streaming, .stopped { white-space: normal;
  font-size: 0.88em; margin-top: 6px; opacity: 0.9; }
.filter-note { border-left: 3px solid #d97706; padding-left: 8px; opacity: 1; }
.written { white-space: normal; margin-top: 10px; padding-top: 8px;
  border-top: 1px solid var(--border-color-primary); }
.written-head { font-size: 0.88em; opacity: 0.85; margin-bottom: 4px; }
.written.writing .written-text { opacity: 0.7; }
.answer-actions { white-space: normal; margin-top: 6px; display: flex; gap: 6px; }
.answer-actions button { font-size: 0.85em; padding: 2px 9px; border-radius: 6px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
  cursor: pointer; }
.answer-actions button[disabled] { opacity: 0.5; cursor: default; }
.spinner { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 6px;
  vertical-align: -0.1em; border: 2px solid var(--border-color-primary);
  border-top-color: var(--color-accent); border-radius: 50%; animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
#sources .sources-scroll { max-height: 70vh; overflow-y: auto; }
.answer-sources { display: none; }
.answer-sources.active { display: block; }
.sources-for { font-size: 0.88em; opacity: 0.8; margin-bottom: 6px; overflow-wrap: anywhere; }
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 10px 12px; margin-bottom: 10px; background: var(--background-fill-secondary);
  unicode-bidi: isolate; overflow-wrap: anywhere; }
.source-card.highlight { outline: 3px solid var(--color-accent); outline-offset: 1px; }
.card-label { font-size: 0.82em; font-weight: 600; color: #b45309; margin-bottom: 3px; }
.source-head { font-weight: 600; margin-bottom: 2px; }
.source-meta { font-size: 0.9em; opacity: 0.8; margin-bottom: 6px; }
ol.quotes { list-style: none; margin: 0; padding: 0; }
li.quote { margin: 0 0 8px; padding: 4px 6px; border-radius: 6px; }
li.quote.highlight { background: var(--color-accent-soft); }
.qn { font-weight: 600; margin-right: 6px; }
.quote-speaker { display: inline; font-size: 0.88em; opacity: 0.8; }
.source-context { font-size: 0.92em; line-height: 1.45; white-space: pre-wrap;
  margin-top: 2px; }
.source-card mark { background: #fde68a; color: #111; padding: 0; }
.article mark.highlight { background: #f59e0b; }
.source-card details { margin-top: 6px; }
.source-card details summary { cursor: pointer; font-size: 0.9em; }
.article { max-height: 320px; overflow-y: auto; white-space: pre-wrap; font-size: 0.9em;
  border-top: 1px solid var(--border-color-primary); margin-top: 6px; padding-top: 6px; }
.status-panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 10px;
  margin: 0; font-size: 0.9em; }
.status-panel dt { font-weight: 600; }
.status-panel dd { margin: 0; overflow-wrap: anywhere; unicode-bidi: isolate; }
#filters-line, #date-help { font-size: 0.9em; }
#date-help .field-error { color: #b91c1c; }
.upload-summary { margin: 4px 0; padding-left: 18px; overflow-wrap: anywhere; }
@media (max-width: 640px) {
  #chat .transcript { max-height: none; }
  #sources .sources-scroll { max-height: none; }
  .msg .bubble { max-width: 100%; }
}
"""

# Clicks on citations, "Sources" and "Copy" (delegated: the HTML is redrawn as answers
# arrive). A citation shows its answer's cards, highlights its quote and the same quote
# inside the whole article, and scrolls to it.
JS = """
<script>
(() => {
  const activate = (k) => {
    document.querySelectorAll('#sources .answer-sources').forEach(
      (s) => s.classList.toggle('active', s.dataset.answer === String(k)));
    return document.getElementById('sources-' + k);
  };
  const copyText = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (e) {
      const t = document.createElement('textarea'); t.value = text;
      document.body.appendChild(t); t.select();
      const ok = document.execCommand('copy'); t.remove(); return ok;
    }
  };
  document.addEventListener('click', async (ev) => {
    const cite = ev.target.closest('a.cite');
    if (cite) {
      ev.preventDefault();
      const k = cite.dataset.answer, n = cite.dataset.n;
      activate(k);
      document.querySelectorAll('#sources .highlight').forEach((e) => e.classList.remove('highlight'));
      const quote = document.getElementById(`src-${k}-${n}`);
      if (!quote) return;
      quote.classList.add('highlight');
      const card = quote.closest('.source-card');
      card.classList.add('highlight');
      const inArticle = document.getElementById(`art-${k}-${n}`);
      const top = (el) => el.getBoundingClientRect().top;
      const scroller = card.closest('.sources-scroll');
      const boxed = scroller && getComputedStyle(scroller).maxHeight !== 'none';
      if (boxed) {
        const r = scroller.getBoundingClientRect();
        if (r.top < 0 || r.top > window.innerHeight - 120) scroller.scrollIntoView({block: 'start', behavior: 'instant'});
        scroller.scrollTop += top(quote) - top(scroller) - 40;
      } else {
        quote.scrollIntoView({block: 'start', behavior: 'instant'});
      }
      if (inArticle) {
        inArticle.classList.add('highlight');
        const details = inArticle.closest('details');
        if (details) details.open = true;
        const box = inArticle.closest('.article');
        if (box) box.scrollTop += top(inArticle) - top(box) - 40;
      }
      return;
    }
    const show = ev.target.closest('button.show-sources');
    if (show) {
      const section = activate(show.dataset.answer);
      if (section) section.scrollIntoView({block: 'start', behavior: 'instant'});
      return;
    }
    const copy = ev.target.closest('button.copy-answer');
    if (copy) {
      const md = copy.closest('.msg').querySelector('textarea.answer-md').value;
      copy.textContent = (await copyText(md)) ? 'Copied' : 'Copy failed';
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
    }
  });
  // Keep the newest message in view as the transcript is redrawn.
  new MutationObserver(() => {
    const t = document.querySelector('#chat .transcript');
    if (t && t.dataset.seen !== String(t.innerHTML.length)) {
      t.dataset.seen = String(t.innerHTML.length);
      t.scrollTop = t.scrollHeight;
    }
  }).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>
"""


# -- small pure helpers ---------------------------------------------------------------------
def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def tidy_summary(summary: str) -> str:
    """The ingest summary in plain English ("1 chunk", not "1 chunks")."""
    return re.sub(r"\b1 (\w+?)s\b", r"1 \1", summary)


def check_dates(since: str, until: str) -> tuple[UsedFilters | None, list[str]]:
    """The two date fields read; (None, messages naming the field) when one is wrong."""
    errors: list[str] = []
    parsed: dict[str, str] = {}
    for label, key, value in (("From", "since", since), ("Until", "until", until)):
        try:
            parsed[key] = parse_date_input(value or "")
        except DateInputError as err:
            errors.append(f"{label} date: {err}")
    if not errors and parsed["since"] and parsed["until"] and parsed["since"] > parsed["until"]:
        errors.append("The From date is after the Until date: no briefing can match both")
    if errors:
        return None, errors
    return UsedFilters(parsed["since"], parsed["until"]), []


def render_date_help(since: str, until: str) -> str:
    _, errors = check_dates(since, until)
    if not errors:
        return "<div class='date-ok'>Dates like 2026-02-11, 11/02/2026, 11 Feb 2026 or 11 febbraio 2026; both ends included.</div>"
    return "".join(f"<div class='field-error'>{esc(e)}</div>" for e in errors)


def render_filters(since: str, until: str, sources: list[str] | None) -> str:
    used, errors = check_dates(since, until)
    if errors or used is None:
        return "<div class='filters-line'>Filters: fix the dates below first.</div>"
    used.sources = list(sources or [])
    text = used.describe() if used else "none (all dates, all sources)"
    return f"<div class='filters-line'>Active filters: {esc(text)}</div>"


def render_status(assistant: Assistant) -> str:
    try:
        st = assistant.status()
    except RagError as err:
        return f"<div class='status-panel'>Store unavailable: {esc(err)}</div>"
    sources = ", ".join(bdi(s) for s in st.sources) or "—"
    rows = [
        ("Documents", esc(st.documents)),
        ("Chunks", esc(st.chunks)),
        ("Embedding model", esc(st.embedding_model)),
        ("Store", esc(f"{st.mode} · {st.store}")),
        ("Sources", sources),
    ]
    cells = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f"<div class='status-panel'><dl>{cells}</dl></div>"


def validate_api(question: Any, since: Any, until: Any, sources: Any) -> str:
    """Why an ``/ask`` call cannot be answered ("" when it can): wrong types, sizes."""
    if not isinstance(question, str):
        return "question must be a string"
    for name, value in (("since", since), ("until", until)):
        if value is not None and not isinstance(value, str):
            return f"{name} must be a date string (YYYY-MM-DD) or empty"
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            return f"{name} is too long to be a date"
    if sources is None:
        return ""
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        return "sources must be a list of outlet names"
    if len(sources) > MAX_API_SOURCES:
        return f"too many sources ({len(sources)}; the limit is {MAX_API_SOURCES})"
    if any(len(s) > MAX_FIELD_CHARS for s in sources):
        return f"an outlet name is longer than {MAX_FIELD_CHARS} characters"
    return ""


# -- the app -------------------------------------------------------------------------------
def build_app(assistant: Assistant) -> gr.Blocks:
    upload_dir = Path(assistant.settings.store) / "uploads"
    max_mb = int(assistant.settings.max_upload_mb)
    articles: dict[str, str] = {}
    export_dir = Path(tempfile.mkdtemp(prefix="rag-export-"))

    def article(doc_id: str) -> str:
        if doc_id not in articles:
            try:
                articles[doc_id] = assistant.document_text(doc_id)
            except RagError:
                return ""
        return articles[doc_id]

    def load_articles(conv: Conversation) -> dict[str, str]:
        ids = {s.doc_id for m in conv.answers for s in [*m.sources, *m.outside]}
        ids |= {a["doc_id"] for m in conv.answers for a in m.named}
        return {d: article(d) for d in ids}

    def named_articles(text: str) -> list[dict[str, str]]:
        """Articles whose title a refusal names ("They quote Rutte in: <title>")."""
        try:
            records = assistant.store.doc_records()
        except RagError:
            return []
        folded = text.casefold()
        return [
            {"doc_id": r.doc_id, "title": r.title, "source": r.source,
             "published_at": r.published_at}
            for r in records.values()
            if len(r.title) >= 8 and r.title.casefold() in folded
        ][:4]  # fmt: skip

    def ask(
        question: str, since: str = "", until: str = "", sources: list[str] | None = None
    ) -> dict[str, Any]:
        """Ask the briefings a question; returns the answer text, refusal flag and sources."""
        problem = validate_api(question, since, until, sources)
        if problem:
            return {"error": problem}
        try:
            answer = assistant.ask(
                question, since=since or None, until=until or None, sources=sources or []
            )
        except RagError as err:
            return {"error": str(err)}
        return answer.to_json_dict()

    theme = gr.themes.Default(font=FONT, font_mono=["ui-monospace", "monospace"])
    with gr.Blocks(title="Briefings assistant", fill_width=True) as app:
        app.rag_theme = theme  # type: ignore[attr-defined]  # read by launch()
        conv_state = gr.State(Conversation())
        gr.HTML(
            "<h1>Briefings assistant</h1><p>Quoted, dated, cited answers from your briefings. "
            "Click a citation like [1] to see its source.</p>",
            elem_id="app-title",
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                transcript = gr.HTML(render_transcript(Conversation()), elem_id="chat")
                filters_line = gr.HTML(render_filters("", "", []), elem_id="filters-line")
                box = gr.Textbox(
                    label="Question",
                    show_label=False,
                    placeholder="Ask about the briefings…",
                    elem_id="question",
                    submit_btn="Ask",
                    lines=1,
                    max_lines=6,
                )
                write_box = gr.Checkbox(
                    label="Write an answer with the local model",
                    value=assistant.writes,
                    elem_id="write-llm",
                    info="A short answer in your question's language under the quotes; "
                    "each sentence is checked against its quote. Runs on this machine.",
                )
                with gr.Row():
                    stop = gr.Button(
                        "Stop", variant="stop", size="sm", visible=False, elem_id="stop"
                    )
                    new_chat = gr.Button(
                        "New chat", size="sm", variant="secondary", elem_id="new-chat"
                    )
                    export = gr.DownloadButton(
                        "Export chat (.md)",
                        size="sm",
                        variant="secondary",
                        elem_id="export",
                        interactive=False,
                    )
                with gr.Accordion("Example questions", open=False, elem_id="examples"):
                    gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[box], label=None)
            with gr.Column(scale=2, min_width=300):
                gr.HTML("<h3 class='panel-title'>Sources</h3>")
                sources_html = gr.HTML(render_sources(Conversation(), {}), elem_id="sources")
                with gr.Accordion("Filters", open=True):
                    with gr.Row():
                        since = gr.Textbox(
                            label="From", placeholder=DATE_HINT, elem_id="since", min_width=140
                        )
                        until = gr.Textbox(
                            label="Until", placeholder=DATE_HINT, elem_id="until", min_width=140
                        )
                    date_help = gr.HTML(render_date_help("", ""), elem_id="date-help")
                    source_filter = gr.Dropdown(
                        label="Sources", choices=[], multiselect=True, elem_id="source-filter"
                    )
                    clear_filters = gr.Button(
                        "Clear filters", size="sm", variant="secondary", elem_id="clear-filters"
                    )
                with gr.Accordion("Add briefings", open=False, elem_id="upload-panel"):
                    files = gr.File(
                        label=f"{', '.join(ALLOWED_TYPES)} — up to {max_mb} MB each",
                        file_count="multiple",
                        elem_id="upload",
                    )
                    add_btn = gr.Button("Add to the store", elem_id="add-files")
                    upload_report = gr.HTML(elem_id="upload-report")
                with gr.Accordion("Store status", open=False):
                    status_html = gr.HTML(elem_id="status")

        # -- chat
        def draw(conv: Conversation) -> tuple[str, str]:
            return render_transcript(conv), render_sources(conv, load_articles(conv))

        def export_file(conv: Conversation) -> Any:
            if not any(m.status in ("done", "stopped") for m in conv.answers):
                return gr.DownloadButton(value=None, interactive=False)
            path = export_dir / uuid.uuid4().hex[:8] / "briefings-chat.md"
            path.parent.mkdir()
            path.write_text(conversation_markdown(conv), encoding="utf-8")
            return gr.DownloadButton(value=str(path), interactive=True)

        def explain_refusal(
            question: str, history: list[tuple[str, str]], used: UsedFilters
        ) -> tuple[str, list[Source]]:
            """Did the filters cause this refusal? Asked again without them to find out."""
            try:
                free = assistant.ask(question, chat_history=history)
            except RagError:
                return "", []
            if free.refused or not free.sources:
                return (
                    "Without the filters the briefings do not answer this either: "
                    "the filters are not the cause.",
                    [],
                )
            docs = len({s.doc_id for s in free.sources})
            who = f"quotes {free.speaker}" if free.speaker else "answers this"
            does = "briefing does" if docs == 1 else "briefings do"
            return (
                f"No {used.as_briefings()} {who}; without the filters {docs} {does} "
                "(shown in Sources). Clear the filters to ask about them.",
                free.sources,
            )

        def respond(
            question: str,
            conv: Conversation | None,
            since_v: str,
            until_v: str,
            sources_v: list[str] | None,
            write_v: bool = False,
        ) -> Iterator[tuple[Any, ...]]:
            conv = conv or Conversation()
            question = (question or "").strip()
            if not question:
                yield gr.skip(), conv, gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            if any(
                m.status in ("searching", "streaming") or m.written_status == "writing"
                for m in conv.answers
            ):
                # One question at a time: this one stays in the box until the answer is in.
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            history = conv.history()
            conv.messages.append(Message(role="user", text=question))
            used, errors = check_dates(since_v, until_v)
            k = conv.next_k()
            if used is None:
                conv.messages.append(
                    Message(
                        role="assistant",
                        k=k,
                        question=question,
                        status="error",
                        text="Not asked: " + "; ".join(errors) + ". Fix it in Filters.",
                    )
                )
                yield ("", conv, *draw(conv), gr.skip(), gr.Button(visible=False))
                return
            used.sources = list(sources_v or [])
            msg = Message(role="assistant", k=k, question=question, status="searching")
            msg.filters = used
            msg.text = ""
            conv.messages.append(msg)
            yield ("", conv, *draw(conv), gr.skip(), gr.Button(visible=True))
            answer: Answer | None = None
            try:
                for part in assistant.stream(
                    question,
                    chat_history=history,
                    since=used.since or None,
                    until=used.until or None,
                    sources=used.sources,
                    write=bool(write_v),
                ):
                    if msg.status == "stopped" or msg.written_status == "stopped":
                        return  # Stop was pressed: leave the message be
                    if isinstance(part, Answer) and answer is None:
                        answer = part
                        if not write_v:
                            break
                        # The quotes are shown at once; the model writes under them.
                        show(msg, answer, question, history, used)
                        msg.written_status = "" if answer.refused else "writing"
                        yield ("", conv, *draw(conv), gr.skip(), gr.skip())
                    elif isinstance(part, Answer):
                        written(msg, part.generated)
                    elif answer is not None:
                        msg.written += str(part)
                        yield ("", conv, render_transcript(conv), gr.skip(), gr.skip(), gr.skip())
                    else:
                        msg.status = "streaming"
                        msg.text += str(part)
                        yield ("", conv, render_transcript(conv), gr.skip(), gr.skip(), gr.skip())
            except RagError as err:
                if answer is not None and write_v:  # the quotes stand; only the model failed
                    msg.written_status, msg.written, msg.written_notes = "error", str(err), []
                else:
                    msg.status, msg.text = "error", f"⚠ {err}"
                yield ("", conv, *draw(conv), export_file(conv), gr.Button(visible=False))
                return
            if answer is None:  # the stream ended without its final answer
                msg.status = "error"
                msg.text = (msg.text + "\n" if msg.text else "") + "⚠ The answer did not finish."
                yield ("", conv, *draw(conv), export_file(conv), gr.Button(visible=False))
                return
            if msg.status == "stopped":
                return
            if not write_v:
                show(msg, answer, question, history, used)
            yield ("", conv, *draw(conv), export_file(conv), gr.Button(visible=False))

        def show(
            msg: Message,
            answer: Answer,
            question: str,
            history: list[tuple[str, str]],
            used: UsedFilters,
        ) -> None:
            msg.text, msg.sources = answer.text, list(answer.sources)
            msg.refused, msg.notes = answer.refused, list(answer.notes)
            if answer.refused:
                msg.named = named_articles(answer.text)
                if used:
                    msg.filter_note, msg.outside = explain_refusal(question, history, used)
            msg.status = "done"

        def written(msg: Message, generated: Answer | None) -> None:
            if generated is None:
                msg.written_status = ""
                return
            msg.written, msg.written_notes = generated.text, list(generated.notes)
            msg.written_status = "refused" if generated.refused else "done"

        def stopped(conv: Conversation | None) -> tuple[Any, ...]:
            conv = conv or Conversation()
            for m in conv.answers:
                if m.status in ("searching", "streaming"):
                    m.status = "stopped"
                    if not m.text:
                        m.text = "Stopped before an answer was found."
                if m.written_status == "writing":
                    m.written_status = "stopped"
            return (conv, *draw(conv), export_file(conv), gr.Button(visible=False))

        def warm(on: bool) -> None:
            """Ticking the box starts loading the model, so the first answer waits less."""
            if on:
                with contextlib.suppress(RagError):
                    assistant.warm_up()

        write_box.change(warm, [write_box], None, api_visibility="private", queue=False)

        outputs = [box, conv_state, transcript, sources_html, export, stop]
        asking = box.submit(
            respond,
            [box, conv_state, since, until, source_filter, write_box],
            outputs,
            api_visibility="private",
            # "multiple": with "once" the page ignored every question after a Stop
            trigger_mode="multiple",
        )
        stop.click(
            stopped,
            [conv_state],
            [conv_state, transcript, sources_html, export, stop],
            cancels=[asking],
            api_visibility="private",
        )

        def start_new_chat(
            since_v: str, until_v: str, sources_v: list[str] | None
        ) -> tuple[Any, ...]:
            used, _ = check_dates(since_v, until_v)
            conv = Conversation()
            if used is not None:
                used.sources = list(sources_v or [])
            if used:
                conv.notice = (
                    f"New chat. Your filters stay: {used.describe()}. "
                    "Use Clear filters to search every briefing."
                )
            elif used is None:
                conv.notice = "New chat. The dates in Filters still need fixing."
            else:
                conv.notice = "New chat. No filters: every briefing is searched."
            return ("", conv, *draw(conv), gr.DownloadButton(value=None, interactive=False))

        new_chat.click(
            start_new_chat,
            [since, until, source_filter],
            [box, conv_state, transcript, sources_html, export],
            api_visibility="private",
            queue=False,
        )
        clear_filters.click(
            lambda: ("", "", gr.Dropdown(value=[])),
            None,
            [since, until, source_filter],
            api_visibility="private",
            queue=False,
        )

        # -- filters are shown as they change; dates are checked field by field
        for comp in (since, until, source_filter):
            comp.change(
                render_filters,
                [since, until, source_filter],
                filters_line,
                api_visibility="private",
                queue=False,
            )
        for comp in (since, until):
            comp.change(
                render_date_help, [since, until], date_help, api_visibility="private", queue=False
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
            lines = [f"Rejected {esc(r)}" for r in rejected]
            if saved:
                progress(0, desc="Ingesting…")

                def on_progress(done: int, total: int, what: str) -> None:
                    progress((done, max(total, 1)), desc=f"Ingesting {what}"[:80])

                report, failures = ingest_uploads(assistant, saved, upload_dir, on_progress)
                lines += [esc(f) for f in failures]
                if report is not None:
                    lines.insert(0, esc(tidy_summary(report.summary())))
                    new = report.added + report.updated
                    if new:
                        try:
                            records = assistant.store.doc_records()
                        except RagError:
                            records = {}
                        titles = [
                            bdi(records[d].title if d in records and records[d].title else d)
                            for d in new
                        ]
                        lines.insert(1, "Now searchable: " + "; ".join(titles))
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
    if isinstance(auth, tuple):  # (user, password): throttled, so guessing gets nowhere
        auth = LoginThrottle(*auth).login
    app = build_app(assistant)
    if assistant.writes:  # RAG_LLM=local: load the model while the page opens
        with contextlib.suppress(RagError):
            assistant.warm_up()
    app.queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=port,
        auth=auth,
        show_error=False,
        max_file_size=f"{int(assistant.settings.max_upload_mb)}mb",
        css=CSS,
        head=JS,
        theme=app.rag_theme,  # type: ignore[attr-defined]
    )
