"""What the web chat shows, as pure functions of the conversation: HTML and Markdown.

Safety rule: nothing that comes from a document or a user is rendered as Markdown, KaTeX
or HTML. Every such string goes through ``esc`` (``html.escape``) and is shown as the text
it is; the only markup is the one written here. Bidi controls (right-to-left overrides,
embeddings, isolates) are dropped from what is shown, and every document-derived span sits
in a ``<bdi>``, so a title written right-to-left cannot reverse the rest of the line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.answer.models import Source
from rag.datelines import display_date

# LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM ALM: formatting, not content.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CITE = re.compile(r"\[(\d{1,3})\]")


def clean(value: Any) -> str:
    """A display string: the value as text, bidi controls dropped."""
    return _BIDI.sub("", str(value or ""))


def esc(value: Any) -> str:
    return html.escape(clean(value), quote=True)


def bdi(value: Any) -> str:
    """A document-derived span, escaped and isolated from the text around it."""
    return f"<bdi>{esc(value)}</bdi>" if value else ""


@dataclass
class UsedFilters:
    """The filters one question was asked with (ISO dates, outlets), for display."""

    since: str = ""
    until: str = ""
    sources: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)

    def describe(self) -> str:
        """ "Italpress · from 11 Feb 2026 · until 31 Dec 2026" (plain text)."""
        parts = []
        if self.sources:
            parts.append(" or ".join(clean(s) for s in self.sources))
        if self.since:
            parts.append(f"from {display_date(self.since)}")
        if self.until:
            parts.append(f"until {display_date(self.until)}")
        return " · ".join(parts)

    def as_briefings(self) -> str:
        """ "Italpress briefing dated 11 Feb 2026 or later" (for a sentence)."""
        outlets = " or ".join(clean(s) for s in self.sources)
        noun = f"{outlets} briefing" if outlets else "briefing"
        if self.since and self.until:
            return f"{noun} dated between {display_date(self.since)} and {display_date(self.until)}"
        if self.since:
            return f"{noun} dated {display_date(self.since)} or later"
        if self.until:
            return f"{noun} dated {display_date(self.until)} or earlier"
        return noun


@dataclass
class Message:
    """One turn of the conversation as the page keeps it (per browser session)."""

    role: str  # "user" | "assistant"
    text: str = ""
    k: int = 0  # the answer's number in this conversation (assistant messages)
    status: str = "done"  # "searching" | "streaming" | "done" | "error" | "stopped"
    sources: list[Source] = field(default_factory=list)
    refused: bool = False
    filters: UsedFilters = field(default_factory=UsedFilters)
    # A refusal the filters may have caused: what the briefings say without them.
    filter_note: str = ""
    outside: list[Source] = field(default_factory=list)  # the unfiltered answer's sources
    named: list[dict[str, str]] = field(default_factory=list)  # articles a refusal names
    notes: list[str] = field(default_factory=list)
    question: str = ""
    # The local model's answer under the quotes: "" (none asked), "writing" (unchecked
    # tokens so far), "done" (checked), "refused" (nothing held up), "error", "stopped".
    written: str = ""
    written_status: str = ""
    written_notes: list[str] = field(default_factory=list)


@dataclass
class Conversation:
    messages: list[Message] = field(default_factory=list)
    notice: str = ""  # one line above the first message ("New chat. Your filters stay: …")

    @property
    def answers(self) -> list[Message]:
        return [m for m in self.messages if m.role == "assistant"]

    def next_k(self) -> int:
        return len(self.answers) + 1

    def history(self) -> list[tuple[str, str]]:
        """What follow-ups are resolved against: questions and the answers given."""
        out: list[tuple[str, str]] = []
        for m in self.messages:
            if m.role == "user":
                out.append(("user", m.text))
            elif m.status == "done":
                out.append(("assistant", m.text))
        return out


# -- the transcript ----------------------------------------------------------------------
def _answer_html(m: Message, text: str | None = None, *, linked: bool | None = None) -> str:
    """The answer's text, escaped, each ``[n]`` that has a source a link to its quote."""
    known = {s.n for s in m.sources}
    out, pos = [], 0
    text = clean(m.text if text is None else text)
    if m.status == "done" if linked is None else linked:
        for hit in _CITE.finditer(text):
            n = int(hit[1])
            if n not in known:
                continue
            out.append(html.escape(text[pos : hit.start()]))
            out.append(
                f"<a class='cite' href='#src-{m.k}-{n}' data-answer='{m.k}' data-n='{n}' "
                f"title='Show source {n}'>[{n}]</a>"
            )
            pos = hit.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _bot_message(m: Message) -> str:
    if m.status == "searching":
        return (
            f"<div class='msg bot pending' data-testid='bot' id='answer-{m.k}'>"
            "<div class='bubble'><span class='spinner' aria-hidden='true'></span>"
            "<span class='searching'>Searching the briefings…</span></div></div>"
        )
    body = f"<div class='answer-text'>{_answer_html(m)}</div>"
    if m.status == "streaming":
        body += "<div class='streaming'>Writing the answer…</div>"
    if m.status == "stopped":
        body += "<div class='stopped'>Stopped: this answer is incomplete.</div>"
    if m.filters:
        body += f"<div class='answer-filters'>Filters: {esc(m.filters.describe())}</div>"
    if m.filter_note:
        body += f"<div class='filter-note'>{esc(m.filter_note)}</div>"
    for note in m.notes:
        body += f"<div class='answer-note'>{esc(note)}</div>"
    body += _written_html(m)
    if m.status == "done":
        count = len({s.doc_id for s in m.sources} | {a["doc_id"] for a in m.named}) + len(
            {s.doc_id for s in m.outside}
        )
        label = f"Sources: {count} article{'s' if count != 1 else ''}" if count else "No sources"
        body += (
            "<div class='answer-actions'>"
            f"<button type='button' class='show-sources' data-answer='{m.k}'"
            f"{' disabled' if not count else ''}>{label}</button>"
            "<button type='button' class='copy-answer' title='Copy this answer as Markdown, "
            "with its citations'>Copy</button></div>"
            f"<textarea class='answer-md' hidden readonly>{html.escape(answer_markdown(m))}"
            "</textarea>"
        )
    kind = " error" if m.status == "error" else " refused" if m.refused else ""
    return (
        f"<div class='msg bot{kind}' data-testid='bot' id='answer-{m.k}' data-answer='{m.k}'>"
        f"<div class='bubble'>{body}</div></div>"
    )


WRITTEN_HEAD = {
    "writing": "The local model is writing (checked against the quotes when it ends)…",
    "done": "Written by the local model, checked against the quotes:",
    "refused": "The local model's answer:",
    "error": "The local model could not write an answer:",
    "stopped": "Stopped: the local model's answer is incomplete and was not checked.",
}


def _written_html(m: Message) -> str:
    """The model's answer under the quotes, escaped like everything else on the page."""
    if not m.written_status:
        return ""
    head = WRITTEN_HEAD.get(m.written_status, "")
    text = _answer_html(m, m.written, linked=m.written_status == "done")
    notes = "".join(f"<div class='answer-note'>{esc(n)}</div>" for n in m.written_notes)
    return (
        f"<div class='written {m.written_status}' data-testid='written' "
        f"data-status='{m.written_status}'><div class='written-head'>{esc(head)}</div>"
        f"<div class='written-text'>{text}</div>{notes}</div>"
    )


def render_transcript(conv: Conversation) -> str:
    parts = []
    if conv.notice:
        parts.append(f"<div class='notice'>{esc(conv.notice)}</div>")
    if not conv.messages:
        parts.append(
            "<div class='empty'>Ask about the briefings: who said what, when, and where it "
            "was reported. Every answer quotes the briefings; click a citation like [1] to "
            "see its source.</div>"
        )
    for m in conv.messages:
        if m.role == "user":
            parts.append(
                f"<div class='msg user' data-testid='user'><div class='bubble'>{esc(m.text)}"
                "</div></div>"
            )
        else:
            parts.append(_bot_message(m))
    return f"<div class='transcript' role='log' aria-live='polite'>{''.join(parts)}</div>"


# -- the sources panel --------------------------------------------------------------------
def _mark(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """``text`` escaped, each (start, end, id) span wrapped in a <mark id=…>."""
    out, pos = [], 0
    for start, end, mark_id in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(clean(text[pos:start])))
        out.append(f"<mark id='{mark_id}'>{html.escape(clean(text[start:end]))}</mark>")
        pos = end
    out.append(html.escape(clean(text[pos:])))
    return "".join(out)


def _span(text: str, s: Source) -> tuple[int, int] | None:
    """Where ``s.quote`` is in ``text``: at its offsets when they match, else found."""
    if not s.quote:
        return None
    if 0 <= s.char_start < s.char_end <= len(text) and text[s.char_start : s.char_end] == s.quote:
        return s.char_start, s.char_end
    i = text.find(s.quote)
    return (i, i + len(s.quote)) if i >= 0 else None


CONTEXT_CHARS = 240  # of the passage shown around a quote, each side (the article has all)


def _window(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The quote with up to ``CONTEXT_CHARS`` either side, cut at paragraph or word ends."""
    a = max(0, start - CONTEXT_CHARS)
    b = min(len(text), end + CONTEXT_CHARS)
    if a > 0:
        para = text.rfind("\n\n", a, start)
        a = para + 2 if para >= 0 else (text.find(" ", a, start) + 1 or a)
    if b < len(text):
        para = text.find("\n\n", end, b)
        b = para if para >= 0 else (text.rfind(" ", end, b) if text.rfind(" ", end, b) > end else b)
    head = "…" if a > 0 else ""
    tail = "…" if b < len(text) else ""
    return head + text[a:b] + tail, start - a + len(head), end - a + len(head)


def _quote_item(k: int, s: Source) -> str:
    context = s.context or s.quote
    span = _span(context, s)
    if span is None:
        body = f"<mark>{esc(s.quote)}</mark>"
    else:
        shown, a, b = _window(context, *span)
        body = _mark(shown, [(a, b, f"q-{k}-{s.n}")])
    speaker = f"<div class='quote-speaker'>{bdi(s.speaker)}</div>" if s.speaker else ""
    return (
        f"<li class='quote' id='src-{k}-{s.n}' value='{int(s.n)}'>"
        f"<span class='qn'>[{int(s.n)}]</span>{speaker}"
        f"<div class='source-context'><bdi>{body}</bdi></div></li>"
    )


def _article_card(
    k: int,
    idx: int,
    head: Source | dict[str, str],
    quotes: Sequence[Source],
    article: str,
    label: str = "",
) -> str:
    get = head.get if isinstance(head, dict) else lambda a, d="": getattr(head, a, d)
    date = str(get("published_at", ""))
    meta = " · ".join(
        p for p in (bdi(get("source", "")), esc(display_date(date) if date else "")) if p
    )
    title = bdi(get("title", "") or get("doc_id", ""))
    items = "".join(_quote_item(k, s) for s in quotes)
    body = f"<ol class='quotes'>{items}</ol>" if items else ""
    details = ""
    if article:
        spans = [
            (a, b, f"art-{k}-{s.n}") for s in quotes if (sp := _span(article, s)) for a, b in [sp]
        ]
        details = (
            "<details><summary>Open the whole article</summary>"
            f"<div class='article'><bdi>{_mark(article, spans)}</bdi></div></details>"
        )
    tag = f"<div class='card-label'>{esc(label)}</div>" if label else ""
    return (
        f"<div class='source-card' id='card-{k}-{idx}' data-doc='{esc(get('doc_id', ''))}'>"
        f"{tag}<div class='source-head'>{title}</div><div class='source-meta'>{meta}</div>"
        f"{body}{details}</div>"
    )


def group_by_article(sources: Iterable[Source]) -> list[list[Source]]:
    """Sources grouped by article, in the order of their first citation."""
    groups: dict[str, list[Source]] = {}
    for s in sources:
        groups.setdefault(s.doc_id, []).append(s)
    return list(groups.values())


def render_answer_sources(m: Message, articles: dict[str, str], *, active: bool) -> str:
    cards: list[str] = []
    idx = 0
    for group in group_by_article(m.sources):
        idx += 1
        cards.append(_article_card(m.k, idx, group[0], group, articles.get(group[0].doc_id, "")))
    for named in m.named:
        idx += 1
        label = "Named in the refusal: the briefings quote this person here, on other topics"
        cards.append(_article_card(m.k, idx, named, [], articles.get(named["doc_id"], ""), label))
    for group in group_by_article(m.outside):
        idx += 1
        label = "Outside your filters: what the briefings say without them"
        cards.append(
            _article_card(m.k, idx, group[0], group, articles.get(group[0].doc_id, ""), label)
        )
    if not cards:
        reason = {
            "error": "The question was not answered, so there are no sources.",
            "stopped": "Stopped before the sources were known.",
            "searching": "Searching…",
            "streaming": "The sources appear when the answer is complete.",
        }.get(m.status, "No sources for this answer.")
        cards.append(f"<div class='no-sources'>{esc(reason)}</div>")
    question = m.question if len(m.question) <= 90 else m.question[:88] + "…"
    return (
        f"<section class='answer-sources{' active' if active else ''}' id='sources-{m.k}' "
        f"data-answer='{m.k}'><div class='sources-for'>Answer {m.k}: {esc(question)}</div>"
        f"{''.join(cards)}</section>"
    )


def render_sources(conv: Conversation, articles: dict[str, str]) -> str:
    """Every answer's own cards (so an earlier [1] still resolves); the latest shown."""
    answers = conv.answers
    if not answers:
        return "<div class='no-sources'>Ask a question to see its sources.</div>"
    return "".join(render_answer_sources(m, articles, active=(m is answers[-1])) for m in answers)


# -- Markdown for copy and export ---------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~^$])")


def md_escape(value: Any) -> str:
    """Document text as literal Markdown: pasted into a report it renders as itself (no
    image fetched, no link, no emphasis); citation brackets are re-added by the caller."""
    return _MD_SPECIAL.sub(r"\\\1", clean(value))


def _source_line(s: Source) -> str:
    date = display_date(s.published_at) if s.published_at else "undated"
    who = f" — {md_escape(s.speaker)}" if s.speaker else ""
    return (
        f"[{s.n}] {md_escape(s.source) or 'unknown outlet'}, {date}, "
        f"*{md_escape(s.title or s.doc_id)}*{who}: “{md_escape(s.quote)}”"
    )


def answer_markdown(m: Message) -> str:
    """One answer as Markdown: the text with its [n], then one line per citation."""
    text = re.sub(r"\\\[(\d{1,3})\\\]", r"[\1]", md_escape(m.text))
    lines = [text]
    if m.filters:
        lines += ["", f"_Filters: {md_escape(m.filters.describe())}_"]
    if m.filter_note:
        lines += ["", md_escape(m.filter_note)]
    if m.status == "stopped":
        lines += ["", "_Stopped: incomplete answer._"]
    if m.written_status == "done":
        written = re.sub(r"\\\[(\d{1,3})\\\]", r"[\1]", md_escape(m.written))
        lines += ["", f"_{WRITTEN_HEAD['done']}_", "", written]
        lines += [f"_{md_escape(n)}_" for n in m.written_notes]
    if m.sources:
        lines += ["", "Sources:", ""] + [f"- {_source_line(s)}" for s in m.sources]
    if m.named:
        lines += ["", "Articles named:", ""] + [
            f"- {md_escape(a.get('source', ''))}, {display_date(a.get('published_at', ''))}, "
            f"*{md_escape(a.get('title', ''))}*"
            for a in m.named
        ]
    if m.outside:
        lines += ["", "Outside the filters:", ""] + [f"- {_source_line(s)}" for s in m.outside]
    return "\n".join(lines)


def conversation_markdown(conv: Conversation) -> str:
    out = ["# Briefings assistant: conversation", ""]
    for m in conv.messages:
        if m.role == "user":
            out += [f"## Q: {md_escape(m.text)}", ""]
        elif m.status in ("done", "stopped"):
            out += [answer_markdown(m), ""]
        elif m.status == "error":
            out += [f"_Not answered: {md_escape(m.text)}_", ""]
    return "\n".join(out).rstrip() + "\n"
