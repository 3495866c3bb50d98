"""The local model's written answer: built on the extractive answer's quotes, every sentence
checked against its quote across languages. LangChain's fake chat model stands in for the
model here (tests/test_local_llm.py runs the real one); e5 and the store are real."""

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from rag import Answer, Assistant
from rag.answer.written import (
    WRITE_BUDGET_S,
    Statement,
    WrittenAnswerer,
    _finished,
    check,
    claim_of,
    messages_for,
    report_seconds,
    sentences,
    statements_of,
    within_budget,
)
from rag.query import analyse

AIR_DEFENCE = "What did Rutte say about air defence?"
FAITHFUL = (
    "Mark Rutte said that every air defence system delivered and every munition produced more "
    "quickly saves lives on the ground, today, not in the abstract. [{n}]"
)
# What Qwen2.5-1.5B wrote, asked about China over the same two quotes (issue 15).
INVENTED = "Mark Rutte said that China cannot sustain this effort alone. [{n}]"


@pytest.fixture(scope="module")
def air(assistant: Assistant) -> tuple[Answer, int]:
    """The extractive answer to the air-defence question, and the number of that quote."""
    extractive = assistant.ask(AIR_DEFENCE)
    n = next(s.n for s in extractive.sources if "difesa aerea" in s.quote)
    return extractive, n


def _checked(assistant: Assistant, air: tuple[Answer, int], question: str, text: str) -> Answer:
    extractive, n = air
    return check(
        analyse(question),
        statements_of(extractive),
        extractive.sources,
        text.format(n=n),
        assistant.writer_embeddings,
    )


def test_a_faithful_english_rendering_of_an_italian_quote_is_kept_and_marked(
    assistant: Assistant, air: tuple[Answer, int]
) -> None:
    answer = _checked(assistant, air, AIR_DEFENCE, FAITHFUL)
    assert not answer.refused and answer.claims[0].verified
    assert "air defence system" in answer.text and answer.speaker == "Mark Rutte"
    assert [s.n for s in answer.sources] == [air[1]]
    assert "difesa aerea" in answer.sources[0].quote, "the original is shown with it"
    assert any("Machine translation from Italian" in note for note in answer.notes)


@pytest.mark.parametrize(
    ("question", "text", "why"),
    [
        ("What did Rutte say about China?", INVENTED, "China"),
        (AIR_DEFENCE, "Rutte said air defence saves lives, as he told Reuters in 2024. [{n}]", "2024"),
        (AIR_DEFENCE, "Mark Rutte said that NATO will not accept any intimidation. [{n}]", "NATO"),
        (AIR_DEFENCE, "Mark Rutte said that the allies must spend more money on tanks and ships. [{n}]", "does not say"),
        (AIR_DEFENCE, "Mark Rutte said that air defence saves lives. [9]", "no selected quote"),
        (AIR_DEFENCE, "Rutte said air defence saves lives.", "no selected quote"),
        (AIR_DEFENCE, "Rutte said “air defence is everything” [{n}].", "quotation"),
        (AIR_DEFENCE, "Mark Rutte ha detto che ogni sistema di difesa aerea salva vite [{n}].", "English"),
    ],
    ids=["invented-entity", "invented-number", "other-quote's-name", "off-claim", "bad-number",
         "no-citation", "invented-quotation", "wrong-language"],
)  # fmt: skip
def test_an_unsupported_sentence_is_dropped_and_the_answer_says_why(
    assistant: Assistant, air: tuple[Answer, int], question: str, text: str, why: str
) -> None:
    answer = _checked(assistant, air, question, text)
    assert answer.refused and not answer.sources
    assert [c.verified for c in answer.claims] == [False]
    assert why in answer.notes[0]


def test_of_two_sentences_only_the_unsupported_one_goes(
    assistant: Assistant, air: tuple[Answer, int]
) -> None:
    answer = _checked(assistant, air, AIR_DEFENCE, FAITHFUL + " " + INVENTED)
    assert not answer.refused
    assert "air defence system" in answer.text and "China" not in answer.text
    assert [c.verified for c in answer.claims] == [True, False]
    assert "1 sentence(s)" in answer.notes[0] and "China" in answer.notes[0]


PORT = Statement(  # from the fictional wire set (bench/wires/)
    n=1,
    text="Il traffico del porto è sceso a 410 mila container nel 2025.",
    speaker="Remo Caldirola",
    outlet="Italpress",
    published_at="2026-02-20",
    title="Porto di Monteraso",
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Remo Caldirola said that port traffic fell to 410,000 containers in 2025 [1].", True),
        (
            "Remo Caldirola said that port traffic fell to 410 thousand containers in 2025 [1].",
            True,
        ),
        (
            "Remo Caldirola said that port traffic fell to 410 million containers in 2025 [1].",
            False,
        ),
        ("Remo Caldirola said that port traffic fell to 410,000 containers in 2024 [1].", False),
    ],
    ids=["digits", "words", "wrong-scale", "wrong-year"],
)
def test_a_number_must_be_the_quotes_value_in_any_notation(
    assistant: Assistant, text: str, kept: bool
) -> None:
    answer = check(analyse("How many containers?"), [PORT], [], text, assistant.writer_embeddings)
    assert answer.claims[0].verified is kept, answer.notes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rutte spoke. [1] Bellini left [2].", ["Rutte spoke [1].", "Bellini left [2]."]),
        ("Rutte spoke. He left. [1]", ["Rutte spoke [1].", "He left [1]."]),
        ("Rutte spoke [1].\nHe left.", ["Rutte spoke [1].", "He left."]),
    ],
    ids=["citation-after-the-stop", "one-citation-for-a-paragraph", "uncited-stays-uncited"],
)
def test_sentences_carry_the_citation_the_model_put_after_them(
    text: str, expected: list[str]
) -> None:
    assert sentences(text) == expected


def _writing(assistant: Assistant, *replies: str) -> Assistant:
    """The shared assistant's store and e5, with a fake model writing."""
    fake = GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))
    a = Assistant(store=assistant.settings.store, embeddings=assistant.embeddings)
    a._store, a._retriever, a._answerer = assistant.store, assistant.retriever, assistant.answerer
    a._writer = WrittenAnswerer(fake, assistant.writer_embeddings)
    return a


def test_the_extractive_answer_comes_first_then_the_model_then_the_checked_answer(
    assistant: Assistant, air: tuple[Answer, int]
) -> None:
    # The model reports each selected quote in turn, and cites nothing itself.
    replies = [
        FAITHFUL[:-6]
        if s.n == air[1]
        else "Mark Rutte said that NATO remains a defensive alliance."
        for s in air[0].sources
    ]
    parts = list(_writing(assistant, *replies).stream(AIR_DEFENCE, write=True))
    first, *deltas, final = parts
    assert isinstance(first, Answer) and first.generated is None and not first.refused
    assert "difesa aerea" in first.text, "the quotes are shown before the model writes"
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert isinstance(final, Answer) and final.text == first.text
    assert final.generated is not None and "air defence system" in final.generated.text
    faithful = next(c for c in final.generated.claims if "air defence system" in c.text)
    assert faithful.verified and faithful.citations == [air[1]], "it cites the quote it reports"
    assert final.to_json_dict()["generated"]["answer"] == final.generated.text


class _Continuing(GenericFakeChatModel):
    """A fake model that, like ChatLocal, continues the reply begun for it."""

    continues_reply: bool = True


def test_a_model_that_continues_a_begun_reply_gets_the_attribution_written_for_it(
    assistant: Assistant, air: tuple[Answer, int]
) -> None:
    said = "Mark Rutte said that"
    replies = [
        FAITHFUL[len(said) : -6] if s.n == air[1] else " NATO remains a defensive alliance."
        for s in air[0].sources
    ]
    a = _writing(assistant)
    a._writer = WrittenAnswerer(
        _Continuing(messages=iter([AIMessage(r) for r in replies])), assistant.writer_embeddings
    )
    _, first_delta, *_, final = list(a.stream(AIR_DEFENCE, write=True))
    assert first_delta == said, "the attribution streams first, as if the model wrote it"
    faithful = next(c for c in final.generated.claims if "air defence system" in c.text)
    assert faithful.verified and faithful.text.startswith(f"{said} every air defence system")
    assert all(c.text.count(said) == 1 for c in final.generated.claims)


@pytest.mark.parametrize(
    "question", ["Who won the 2022 World Cup?", "What did Rutte say about China?"]
)
def test_a_question_the_briefings_do_not_answer_is_refused_before_the_model_runs(
    assistant: Assistant, question: str
) -> None:
    # The fake model has no reply to give: if it were asked, the stream would fail.
    parts = list(_writing(assistant).stream(question, write=True))
    assert all(isinstance(p, Answer) for p in parts)
    assert parts[0].refused and parts[-1].generated is None


def test_the_prompt_holds_one_selected_quote_marked_as_data(air: tuple[Answer, int]) -> None:
    extractive, n = air
    quote = next(s for s in statements_of(extractive) if s.n == n)
    system, human = messages_for(analyse(AIR_DEFENCE), quote)
    assert "never instructions" in system.content
    said = "Mark Rutte said in Italian: «ogni sistema di difesa aerea"
    assert human.content.startswith(said)
    assert len(human.content) < 500, "the quote, not whole chunks"
    assert human.content.endswith(
        "Report it in English in one sentence, starting with “Mark Rutte said that”."
    )


def test_a_begun_reply_puts_the_instruction_where_the_next_call_reuses_it(
    assistant: Assistant,
) -> None:
    # Two of Rutte's statements, so that the prefix the two calls share can be seen.
    extractive = assistant.ask("What did Rutte say about deterrence?")
    question = analyse("What did Rutte say about deterrence?")
    a, b = (messages_for(question, s, continues=True) for s in statements_of(extractive)[:2])
    asked = "Report in English, in one sentence starting with “Mark Rutte said that”, what Mark"
    assert all(str(m[1].content).startswith(asked) for m in (a, b)), "a prefix both share"
    assert str(a[1].content).endswith("»") and "never instructions" in str(a[0].content)
    assert isinstance(a[-1], AIMessage) and a[-1].content == "Mark Rutte said that"


def test_of_a_statement_of_several_sentences_the_model_gets_the_one_that_answers(
    assistant: Assistant,
) -> None:
    extractive = assistant.ask("What did Rutte say about deterrence?")
    long = next(s for s in extractive.sources if "Se qualcuno dovesse" in s.quote)
    statement = Statement.of(long)
    assert (
        statement.text
        == "La deterrenza funziona solo se è credibile, comprensibile e sostenuta da capacità reali"
    )
    assert statement.text in long.quote and len(statement.text) < len(long.quote) / 2
    _, human = messages_for(analyse("What did Rutte say about deterrence?"), statement)
    assert "Se qualcuno dovesse" not in human.content, "the rest of the statement stays out"


@pytest.mark.parametrize(
    ("written", "reported"),
    [
        ("Mark Rutte said that deterrence works [1].", "Mark Rutte said that deterrence works [1]."),
        ("Mark Rutte said that deterrence works. It must be", "Mark Rutte said that deterrence works."),
        ("Mark Rutte said that deterrence works only if it is credible, comprehensible and", ""),
    ],
    ids=["finished", "cut-after-a-sentence", "cut-inside-the-only-sentence"],
)  # fmt: skip
def test_a_report_cut_by_the_token_limit_loses_its_unfinished_sentence(
    written: str, reported: str
) -> None:
    assert _finished(written) == reported


HARBOUR = Statement(  # fictional, as the wire set's briefings
    n=1,
    text="Puntiamo a tornare sopra il mezzo milione di container entro il 2028.",
    speaker="Remo Caldirola",
    outlet="Italpress",
    published_at="2026-02-20",
    title="Porto di Monteraso",
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Remo Caldirola said that they aim to return above half a million containers by 2028 [1].", True),
        ("Remo Caldirola said that they aim to return above the million by 2028 [1].", False),
        ("Remo Caldirola said that they aim to return above a million containers by 2028 [1].", False),
    ],
    ids=["half-a-million", "the-million", "a-million"],
)  # fmt: skip
def test_a_gloss_that_changes_a_spelled_number_is_dropped(
    assistant: Assistant, text: str, kept: bool
) -> None:
    answer = check(
        analyse("What does the port aim for?"), [HARBOUR], [], text, assistant.writer_embeddings
    )
    assert answer.claims[0].verified is kept, answer.notes
    if not kept:
        assert "1e+06 not in the cited quote" in answer.notes[0]


@pytest.mark.parametrize(
    ("sentence", "claim"),
    [
        ("Mark Rutte said that deterrence works", "deterrence works"),
        ("The NATO Secretary General Mark Rutte warned that deterrence works", "deterrence works"),
        ("Rutte ha ribadito che la deterrenza funziona", "la deterrenza funziona"),
        ("Rutte aveva dichiarato che la deterrenza funziona", "la deterrenza funziona"),
        ("Rutte ha voluto sottolineare che la deterrenza funziona", "la deterrenza funziona"),
        ("La nota ha detto che il comitato ha approvato", "il comitato ha approvato"),
        ("Mark Rutte said: deterrence works", "deterrence works"),
        ("Mark Rutte said deterrence works", "deterrence works"),
        ("Deterrence works only if it is credible", "Deterrence works only if it is credible"),
    ],
)
def test_the_attribution_stripped_before_comparing_is_any_reporting_verb_of_the_lexicon(
    sentence: str, claim: str
) -> None:
    assert claim_of(sentence) == claim


UKRAINE = "And what did he say about Ukraine's resilience?"


def test_a_second_long_statement_stays_quoted_so_the_written_part_stays_quick(
    assistant: Assistant,
) -> None:
    # Two long statements, ~7 s of the model at the quiet rates: the best one is reported,
    # the other is left to its quote, and the written answer says which.
    history = [("user", "What did Rutte say about deterrence?")]
    extractive = assistant.ask(UKRAINE, chat_history=history)
    first, second = statements_of(extractive)[:2]
    assert report_seconds(first) + report_seconds(second) > WRITE_BUDGET_S
    reply = "Mark Rutte said that Russia is trying to break the resilience of the population."
    parts = list(_writing(assistant, reply).stream(UKRAINE, chat_history=history, write=True))
    written = parts[-1].generated
    assert written is not None and {n for c in written.claims for n in c.citations} == {first.n}
    assert any(f"[{second.n}]" in n and "Not rewritten" in n for n in written.notes)
    assert {s.n for s in parts[-1].sources} >= {first.n, second.n}, "both quotes stay shown"


def _said(n: int, words: int) -> Statement:
    text = " ".join(["la giunta di Monteraso approva il piano"] * words)[: words * 6]
    return Statement(n=n, text=text, speaker="Remo Caldirola", outlet="", published_at="", title="")


@pytest.mark.parametrize(
    ("lengths", "budget", "reported"),
    [
        ((10, 20), WRITE_BUDGET_S, [1, 2]),
        ((30, 25), WRITE_BUDGET_S, [1]),
        ((60,), WRITE_BUDGET_S, [1]),
        ((30, 25), None, [1, 2]),
    ],
    ids=["two-short", "two-long", "one-too-long-is-still-reported", "no-budget"],
)
def test_the_best_statement_is_always_reported_the_next_while_the_budget_allows(
    lengths: tuple[int, ...], budget: float | None, reported: list[int]
) -> None:
    statements = [_said(i + 1, w) for i, w in enumerate(lengths)]
    assert [s.n for s in within_budget(statements, budget)] == reported
