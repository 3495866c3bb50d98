"""The LCEL chain: what Assistant.ask runs, step by named step."""

from __future__ import annotations

import pytest

from rag import Assistant
from rag.chain import build_chain
from tests.conftest import DETERRENCE_QUOTE


@pytest.mark.parametrize(
    "question",
    ["Cosa ha detto Rutte sulla deterrenza?", "What is the best recipe for lasagna?"],
)
def test_the_chain_answers_as_ask_does(assistant: Assistant, question: str) -> None:
    chained = build_chain(assistant=assistant).invoke({"question": question})
    asked = assistant.ask(question)
    assert chained.model_dump() == asked.model_dump()


def test_the_chain_answers_from_the_briefings(assistant: Assistant) -> None:
    answer = build_chain(assistant=assistant).invoke(
        {"question": "Cosa ha detto Rutte sulla deterrenza?"}
    )
    assert not answer.refused and DETERRENCE_QUOTE in answer.text


def test_the_chain_refuses_outside_its_filters(assistant: Assistant) -> None:
    answer = build_chain(assistant=assistant).invoke(
        {"question": "Cosa ha detto Rutte sulla deterrenza?", "since": "2030-01-01"}
    )
    assert answer.refused


def test_each_step_is_a_named_run(assistant: Assistant) -> None:
    from langchain_core.tracers.context import collect_runs

    with collect_runs() as runs:
        build_chain(assistant=assistant).invoke({"question": "Cosa ha detto Rutte?"})
    [top] = runs.traced_runs
    assert top.name == "briefings_qa"
    assert [r.name for r in top.child_runs] == ["condense_question", "retrieve", "answer"]
