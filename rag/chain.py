"""LCEL chain: condense the follow-up -> retrieve -> answer.

Input ``{"question": str, "chat_history": [...], "since"?, "until"?, "sources"?}``;
output an ``Answer``. ``invoke``, ``batch`` and ``stream`` come from ``Runnable``.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from rag.answer.models import Answer
from rag.assistant import Assistant
from rag.retrieval import Filters


def build_chain(
    store: str | os.PathLike[str] | None = None,
    *,
    assistant: Assistant | None = None,
    **assistant_kwargs: Any,
) -> Runnable[dict[str, Any], Answer]:
    """A LangChain ``Runnable`` over an ``Assistant`` (built from ``store`` if not given)."""
    asst = assistant or Assistant(store, **assistant_kwargs)

    def standalone(inputs: dict[str, Any]) -> dict[str, Any]:
        question = asst.check_question(str(inputs.get("question", "")))
        return {
            "question": asst.condense(question, inputs.get("chat_history") or []),
            "filters": Filters.of(inputs.get("since"), inputs.get("until"), inputs.get("sources")),
        }

    def answer(inputs: dict[str, Any]) -> Answer:
        return asst.answer_standalone(inputs["question"], filters=inputs["filters"])

    chain = RunnableLambda(standalone).with_config(run_name="condense_question") | RunnableLambda(
        answer
    ).with_config(run_name="retrieve_and_answer")
    return chain.with_config(run_name="briefings_qa")
