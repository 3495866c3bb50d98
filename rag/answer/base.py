"""What an answerer is: an ``Answer`` from the analysed question and the hits retrieved for it.

Two kinds exist: the extractive answerer (rag/answer/extractive.py, the default) and the
generative one (rag/answer/generative.py), whose LLM also streams its text and rewrites a
follow-up into a standalone question.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rag.answer.models import Answer
    from rag.query import Question
    from rag.retrieval import Hit


class Answerer(Protocol):
    def answer(self, info: Question, hits: list[Hit]) -> Answer:
        """The answer to ``info`` from ``hits`` (a refusal when they do not hold one)."""
        ...


class ChatAnswerer(Answerer, Protocol):
    """An answerer that writes with a chat model."""

    def stream(self, info: Question, hits: list[Hit]) -> Iterator[str | Answer]:
        """Text deltas as the model writes, then the checked ``Answer``."""
        ...

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """``question`` rewritten to stand alone, given the (question, answer) turns."""
        ...
