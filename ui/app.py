"""The web chat: ``build_app(assistant) -> gr.Blocks``, a thin shell over ``rag.Assistant``."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from rag.answer.models import Answer
from rag.assistant import Assistant


def render_sources(answer: Answer) -> str:
    """Source cards as HTML. Everything from documents is escaped."""
    if not answer.sources:
        return ""
    cards = []
    for s in answer.sources:
        cards.append(
            "<div class='source-card'>"
            f"<div class='source-head'><b>[{s.n}]</b> {html.escape(s.title)}</div>"
            f"<div class='source-meta'>{html.escape(s.source)} · {html.escape(s.published_at)}"
            f"{' · ' + html.escape(s.speaker) if s.speaker else ''}</div>"
            f"<blockquote>{html.escape(s.quote)}</blockquote>"
            "</div>"
        )
    return "\n".join(cards)


def _text_of(content: Any) -> str:
    """Gradio 6 gives message content as a list of parts; older versions as a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def build_app(assistant: Assistant) -> gr.Blocks:
    with gr.Blocks(title="Briefings assistant") as app:
        gr.Markdown("# Briefings assistant\nQuoted, dated, cited answers from your briefings.")
        chatbot = gr.Chatbot(label="Chat", height=480)
        box = gr.Textbox(label="Question", placeholder="What did Rutte say about deterrence?")
        sources = gr.HTML(label="Sources")

        def respond(question: str, history: list[dict[str, Any]]) -> tuple[Any, ...]:
            pairs = [(m["role"], _text_of(m["content"])) for m in history]
            answer = assistant.ask(question, chat_history=pairs)
            history = history + [
                {"role": "user", "content": question},
                {"role": "assistant", "content": answer.text},
            ]
            return "", history, render_sources(answer)

        box.submit(respond, [box, chatbot], [box, chatbot, sources], api_name="ask")
    return app


def launch(
    assistant: Assistant, *, host: str = "127.0.0.1", port: int = 7860, auth: Any = None
) -> None:
    build_app(assistant).queue(default_concurrency_limit=4).launch(
        server_name=host, server_port=port, auth=auth, show_error=False
    )
