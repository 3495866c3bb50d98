"""LCEL chain: condense the follow-up -> retrieve -> answer.

Input ``{"question": str, "chat_history": [...], "since"?, "until"?, "sources"?}``;
output an ``Answer``. ``invoke``, ``batch`` and ``stream`` come from ``Runnable``.
``Assistant.ask`` runs this chain, and ``rag eval`` measures what it returns: the question
is analysed once, in the first step, and the typed ``Question`` travels down the chain.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from rag.answer.models import Answer
from rag.assistant import Assistant
from rag.query import Question
from rag.retrieval import Hit


def build_chain(
    store: str | os.PathLike[str] | None = None,
    *,
    assistant: Assistant | None = None,
    **assistant_kwargs: Any,
) -> Runnable[dict[str, Any], Answer]:
    """A LangChain ``Runnable`` over an ``Assistant`` (built from ``store`` if not given)."""
    asst = assistant or Assistant(store, **assistant_kwargs)

    def condense(inputs: dict[str, Any]) -> Question:
        return asst.question(
            str(inputs.get("question", "")),
            chat_history=inputs.get("chat_history") or [],
            since=inputs.get("since"),
            until=inputs.get("until"),
            sources=inputs.get("sources") or [],
        )

    def retrieve(question: Question) -> tuple[Question, list[Hit]]:
        return question, asst.hits(question)

    def answer(retrieved: tuple[Question, list[Hit]]) -> Answer:
        return asst.answer(*retrieved)

    chain = (
        RunnableLambda(condense).with_config(run_name="condense_question")
        | RunnableLambda(retrieve).with_config(run_name="retrieve")
        | RunnableLambda(answer).with_config(run_name="answer")
    )
    return chain.with_config(run_name="briefings_qa")
