"""The extractive answerer on the real sample article and fictional multi-speaker texts."""

import pytest

from rag import Assistant
from tests.conftest import DETERRENCE_QUOTE, DETERRENCE_STATEMENT


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("What did Rutte say about deterrence?", "Mark Rutte said (Italpress, 11 Feb 2026):"),
        ("Cosa ha detto Rutte sulla deterrenza?", "Mark Rutte ha detto (Italpress, 11 febbraio 2026):"),
    ],
)  # fmt: skip
def test_mission_question(assistant: Assistant, question: str, lead: str) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.text.splitlines()[0] == lead
    assert DETERRENCE_QUOTE in answer.text
    src = answer.sources[0]
    assert (src.source, src.published_at, src.speaker) == ("Italpress", "2026-02-11", "Mark Rutte")
    # The whole statement, not the one sentence that says "deterrenza", at exact offsets.
    assert src.quote == DETERRENCE_STATEMENT
    article = assistant.document_text(src.doc_id)
    assert article[src.char_start : src.char_end] == DETERRENCE_STATEMENT
    assert f"“{DETERRENCE_STATEMENT}” [{src.n}]" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "What did Macron say about nuclear power plants in France?",
        "Cosa ha detto Macron sulle centrali nucleari?",
        "What is the best recipe for lasagna?",
    ],
)
def test_questions_the_briefings_do_not_answer_are_refused(
    assistant: Assistant, question: str
) -> None:
    answer = assistant.ask(question)
    assert answer.refused
    assert answer.sources == []
    assert "briefings" in answer.text or "fonti" in answer.text


@pytest.mark.parametrize(
    ("speaker", "expected", "forbidden"),
    [
        ("Ferrantelli", "ultima garanzia della nostra sicurezza", "difese convenzionali"),
        ("Van Aalst", "difese convenzionali", "ultima garanzia"),
    ],
)
def test_each_speaker_gets_only_their_own_quotes(
    assistant: Assistant, speaker: str, expected: str, forbidden: str
) -> None:
    answer = assistant.ask(f"What did {speaker} say about deterrence?")
    assert not answer.refused
    assert expected in answer.text
    assert forbidden not in answer.text
    assert all(speaker in s.speaker for s in answer.sources)


def test_rutte_question_quotes_neither_fictional_minister(assistant: Assistant) -> None:
    answer = assistant.ask("What did Rutte say about deterrence?")
    assert "Ferrantelli" not in answer.text and "Van Aalst" not in answer.text
    assert {s.speaker for s in answer.sources} == {"Mark Rutte"}


# Topics whose English words e5 puts near some Italian word of Rutte's ("pasta"/"passa",
# "recipes"/"preparare" at 0.86-0.88, as close as "air"/"aerea"): refused all the same.
@pytest.mark.parametrize("topic", ["the football derby", "pasta recipes", "China"])
def test_known_person_on_an_unrelated_topic_is_refused(assistant: Assistant, topic: str) -> None:
    answer = assistant.ask(f"What did Rutte say about {topic}?")
    assert answer.refused
    assert answer.text.startswith("The briefings do not report Rutte saying anything about")
    assert "They quote Rutte in: Italpress, Bruxelles (Belgio), 11 Feb 2026" in answer.text, (
        "points at what they do cover"
    )


def test_follow_up_keeps_the_speaker(assistant: Assistant) -> None:
    history = [
        ("user", "What did Rutte say about deterrence?"),
        ("assistant", assistant.ask("What did Rutte say about deterrence?").text),
    ]
    answer = assistant.ask("And what did he say about Ukraine's resilience?", chat_history=history)
    assert not answer.refused
    assert "resilienza" in answer.text or "L’Ucraina non può sostenere" in answer.text
    assert {s.speaker for s in answer.sources} == {"Mark Rutte"}


def test_three_turn_conversation_on_the_sample(assistant: Assistant) -> None:
    """The issue's conversation over the real Italpress wire: the third turn's pronoun is
    resolved to Rutte, and the air-defence passage ("difesa aerea", no shared word with the
    English question) answers it."""
    turns = [
        "What did Rutte say about deterrence?",
        "And what did he say about Ukraine's resilience?",
        "Did he mention air defence?",
    ]
    history: list[tuple[str, str]] = []
    answers = []
    for question in turns:
        answers.append(assistant.ask(question, chat_history=history))
        history += [("user", question), ("assistant", answers[-1].text)]
    deterrence, resilience, air = answers
    assert "La deterrenza funziona solo se è credibile" in deterrence.text
    assert "spezzare la resilienza della popolazione" in resilience.text
    assert "deterrenza" not in resilience.text
    assert {s.speaker for s in deterrence.sources + resilience.sources} == {"Mark Rutte"}
    assert not air.refused
    assert "ogni sistema di difesa aerea consegnato" in air.text
    assert {s.speaker for s in air.sources} == {"Mark Rutte"}


def test_answer_is_json_serialisable(assistant: Assistant) -> None:
    import json

    data = json.loads(
        json.dumps(assistant.ask("What did Rutte say about deterrence?").to_json_dict())
    )
    assert set(data) >= {"answer", "refused", "sources"}
    assert set(data["sources"][0]) >= {
        "doc_id",
        "title",
        "source",
        "published_at",
        "quote",
        "score",
    }


class _FixedEmbeddings:
    """Sentence -> similarity to any query, as a 2-d unit vector; the query is (1, 0)."""

    def __init__(self, sims: dict[str, float]) -> None:
        self.sims = sims

    def _vec(self, text: str) -> list[float]:
        s = self.sims.get(text, 0.5)
        return [s, (1 - s * s) ** 0.5]

    def embed_query(self, text: str) -> list[float]:
        return [1.0, 0.0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]


def _hit(text: str, doc_id: str = "fict-1"):
    from rag.quotes import find_quotes, quotes_metadata
    from rag.retrieval import Hit

    quotes, speakers = quotes_metadata(find_quotes(text), 0, len(text))
    meta = {"doc_id": doc_id, "char_start": 0, "quotes": quotes, "speakers": speakers}
    return Hit(chunk_id=f"{doc_id}:0", text=text, metadata=meta, score=1.0)


@pytest.mark.parametrize(
    ("sims", "shown", "hidden"),
    [
        # Two quotes say "harbour": both are shown, although the second scores 0.05 lower.
        ({"The harbour will reopen in May.": 0.90, "Winter storms closed the harbour twice.": 0.85,
          "We expect a busy summer season.": 0.87},
         ["The harbour will reopen in May.", "Winter storms closed the harbour twice."],
         ["We expect a busy summer season."]),
        # A quote without the topic word is shown when it scores within KEEP_WITHIN of the
        # best (0.90 + the topic-word bonus).
        ({"The harbour will reopen in May.": 0.90, "Winter storms closed the harbour twice.": 0.85,
          "We expect a busy summer season.": 0.91},
         ["The harbour will reopen in May.", "Winter storms closed the harbour twice.",
          "We expect a busy summer season."],
         []),
    ],
)  # fmt: skip
def test_every_quote_naming_the_topic_is_shown(
    sims: dict[str, float], shown: list[str], hidden: list[str]
) -> None:
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    text = (
        'Harbour master Ines Calloway said: "The harbour will reopen in May." Later she '
        'added: "We expect a busy summer season." In March, Ms Calloway said: "Winter '
        'storms closed the harbour twice."'
    )
    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    answer = answerer.answer(analyse("What did Calloway say about the harbour?"), [_hit(text)])
    assert not answer.refused
    assert [s.quote for s in answer.sources] == sorted(shown, key=text.index)
    assert not any(h in answer.text for h in hidden)


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        # A quoted phrase is no evidence that its speaker talked about an unrelated topic...
        ("What did Vollan say about the weather forecast?", True),
        ("Cosa ha detto Vollan sulle previsioni del tempo?", True),
        # ...but it is when it names the topic.
        ("What did Vollan say about the betrayal?", False),
    ],
)
def test_a_quoted_phrase_alone_is_not_a_statement_on_any_topic(
    question: str, refused: bool
) -> None:
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    text = 'Union leader Petra Vollan called the new rota "a shameful betrayal" of the crews.'
    sims = {"a shameful betrayal": 0.95}
    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    answer = answerer.answer(analyse(question), [_hit(text)])
    assert answer.refused is refused
    if not refused:
        assert [s.speaker for s in answer.sources] == ["Petra Vollan"]


@pytest.mark.parametrize(
    ("question", "speaker", "topic"),
    [
        ("Cosa ha detto Vollan sulle previsioni del tempo?", "Vollan", "previsioni del tempo"),
        ("Cosa ha detto Petra Vollan sugli orari dei turni?", "Petra Vollan", "orari dei turni"),
        ("What did Petra Vollan say about the new rota?", "Petra Vollan", "the new rota"),
        ("What did Ludwig van Beethoven say about the symphony?", "Ludwig van Beethoven", "the symphony"),
    ],
)  # fmt: skip
def test_question_speaker_stops_at_lower_case_words(
    question: str, speaker: str, topic: str
) -> None:
    from rag.query import analyse

    info = analyse(question)
    assert (info.speaker, info.topic) == (speaker, topic)


@pytest.mark.parametrize(
    ("speaker", "asked", "same"),
    [
        ("Sridhar Ramani", "S Ramani", True),
        ("Ramani", "S. Ramani", True),  # the article gives no first name
        ("Kavita Ramani", "S Ramani", False),
        ("Sridhar Ramani", "Ramani", True),
        ("Sridhar Ramani", "Anil Ramani", False),
    ],
)
def test_an_initial_in_the_question_matches_the_first_name(
    speaker: str, asked: str, same: bool
) -> None:
    from rag.answer.extractive import _same_person
    from rag.query import QuestionInfo

    assert _same_person(speaker, QuestionInfo(text="", lang="en", speaker=asked)) is same


@pytest.mark.parametrize(
    "question",
    [
        "What did the NATO Secretary General say about deterrence?",
        "Cosa ha detto il segretario generale della Nato sulla deterrenza?",
    ],
)
def test_a_role_is_resolved_to_the_person_the_article_gives_it(
    assistant: Assistant, question: str
) -> None:
    """The wire names "il segretario generale della Nato, Mark Rutte": the role, asked in
    either language, means Rutte."""
    answer = assistant.ask(question)
    assert not answer.refused and answer.speaker == "Mark Rutte"
    assert DETERRENCE_STATEMENT in answer.text


def test_who_said_names_the_speaker_and_quotes_the_statement(assistant: Assistant) -> None:
    answer = assistant.ask("Who said that NATO's reaction would be devastating?")
    assert answer.text.startswith("Mark Rutte said (Italpress, 11 Feb 2026):")
    assert f"“{DETERRENCE_STATEMENT}”" in answer.text
    assert [s.speaker for s in answer.sources] == ["Mark Rutte"]


def test_reported_speech_is_shown_without_quotation_marks(assistant: Assistant) -> None:
    """ "Rutte ha ribadito ... che la Nato non accetterà alcuna intimidazione" is Rutte's
    reported speech: verbatim article text, but not his words in quotation marks."""
    answer = assistant.ask("What did Rutte say about Russia?")
    reported = "la Nato non accetterà alcuna intimidazione"
    [source] = [s for s in answer.sources if s.quote == reported]
    assert f"\n{reported} [{source.n}]" in answer.text
    assert f"“{reported}" not in answer.text
    article = assistant.document_text(source.doc_id)
    assert article[source.char_start : source.char_end] == reported


@pytest.mark.parametrize(
    ("question", "date"),
    [
        ("When and where did Rutte hold the press conference?", "11 Feb 2026"),
        ("Quando e dove ha parlato Rutte in conferenza stampa?", "11 febbraio 2026"),
    ],
)
def test_the_dateline_is_metadata_never_an_answer_sentence(
    assistant: Assistant, question: str, date: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.refused
    assert answer.text.splitlines()[0].endswith(f"Italpress, Bruxelles (Belgio), {date}:")
    assert "(ITALPRESS)" not in answer.text and "date 2026-02-11" not in answer.text
    assert "conferenza stampa presso il quartier generale di Bruxelles" in answer.text


MARKET_BRIEFING = """Valmarina, il mercato coperto riapre a novembre

 date 2026-03-10 VALMARINA (ITALPRESS) – Il sindaco di Valmarina, Vittorio Abbondanza, ha dichiarato che il mercato coperto riaprirà a novembre dopo i lavori sul tetto.

“Il traghetto per l’isola partirà ogni ora da giugno”, ha aggiunto Abbondanza, che ha parlato a margine del consiglio comunale.

[Briefing immaginario scritto per i test: persone e luoghi sono inventati.]
"""


@pytest.fixture(scope="module")
def market_assistant(tmp_path_factory: pytest.TempPathFactory, e5) -> Assistant:
    corpus = tmp_path_factory.mktemp("market")
    (corpus / "valmarina-mercato.txt").write_text(MARKET_BRIEFING, encoding="utf-8")
    a = Assistant(store=tmp_path_factory.mktemp("market-store") / "s", embeddings=e5)
    assert a.ingest([corpus], progress=False).ok
    return a


@pytest.mark.parametrize(
    "question",
    ["What did Abbondanza say about the covered market?", "Cosa ha detto Abbondanza sul mercato?"],
)
def test_reported_speech_answers_in_the_articles_words(
    market_assistant: Assistant, question: str
) -> None:
    # Only reported speech covers the market (his one quote is about the ferry): it answers,
    # without quotation marks, because the words are the article's, not the mayor's.
    answer = market_assistant.ask(question)
    assert not answer.refused
    clause = "il mercato coperto riaprirà a novembre dopo i lavori sul tetto"
    assert clause in answer.text and f"“{clause}" not in answer.text
    assert answer.sources[0].speaker == "Vittorio Abbondanza"


def test_a_direct_quote_comes_before_reported_speech(market_assistant: Assistant) -> None:
    answer = market_assistant.ask("Cosa ha detto Abbondanza sul traghetto?")
    assert not answer.refused
    assert "“Il traghetto per l’isola partirà ogni ora da giugno”" in answer.text
    assert "mercato" not in answer.text


_CHIP_PLANT = (
    "The fictional Eastvale chip plant was announced by the regional council last year. "
    "Its construction cost more than anyone had planned. "
    "The plant opened on 14 March 2026, after two years of work. "
    "Local shops expect more customers."
)


@pytest.mark.parametrize(
    ("question", "answering"),
    [
        # The sentences score alike by similarity; the one holding a date answers "when",
        # the one holding the question's rarer words ("construction", "cost") answers "what".
        ("When did the Eastvale chip plant open?", "The plant opened on 14 March 2026, after two years of work."),
        ("What did the construction of the plant cost?", "Its construction cost more than anyone had planned."),
    ],
)  # fmt: skip
def test_the_sentence_that_answers_comes_first(question: str, answering: str) -> None:
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    sims = dict.fromkeys(
        [s + "." if not s.endswith(".") else s for s in _CHIP_PLANT.split(". ")], 0.84
    )
    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    answer = answerer.answer(analyse(question), [_hit(_CHIP_PLANT)])
    assert not answer.refused
    assert answer.sources[0].quote == answering
    assert answer.text.splitlines()[1] == f"{answering} [1]", "the answering sentence leads"
    assert len(answer.sources) <= 3, "a general answer stays short"


_FOUNDER = "The fictional Eastvale library was founded in 1950 by the teacher Marta Quillon."
_PRONOUN = "She described it as a home for readers without books of their own."
_SEATS = "Its reading room now seats forty people."


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # "She" is the person the sentence before names: shown with it, in reading order.
        (f"{_FOUNDER} {_PRONOUN} {_SEATS}", [_FOUNDER, _PRONOUN]),
        # A sentence of another paragraph is not what the pronoun refers to.
        (f"{_FOUNDER}\n\n{_PRONOUN} {_SEATS}", [_PRONOUN]),
    ],
)
def test_a_pronoun_subject_comes_with_the_sentence_naming_the_person(
    text: str, shown: list[str]
) -> None:
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    # The founding sentence scores too far below to be shown on its own.
    sims = {_FOUNDER: 0.70, _PRONOUN: 0.88, _SEATS: 0.60}
    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    answer = answerer.answer(
        analyse("Who described the Eastvale library as a home for readers?"), [_hit(text)]
    )
    assert not answer.refused
    assert [s.quote for s in answer.sources] == shown


def _general_answer(sims: dict[str, float], question: str, text: str):
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    return answerer.answer(analyse(question), [_hit(text)])


_HULL = "Its hull is a deep shade of sea green."


def test_every_sentence_of_the_passages_is_ranked_not_only_those_sharing_the_question_s_words() -> (
    None
):
    # Fifteen sentences say "ferry" and come first by the question's words; the one that
    # answers shares none of them, last in the passage: it is ranked all the same.
    fillers = [f"The Ostrava ferry made crossing number {i} of the week." for i in range(15)]
    sims = dict.fromkeys(fillers, 0.80) | {_HULL: 0.90}
    answer = _general_answer(sims, "What colour is the Ostrava ferry?", " ".join([*fillers, _HULL]))
    assert not answer.refused
    assert answer.sources[0].quote == _HULL


@pytest.mark.parametrize(
    ("second", "shown"),
    [
        # The best sentence leads the next by 0.05: a reader gets both.
        (0.85, 2),
        # By 0.08: it answers alone (a reader pays for every extra sentence).
        (0.82, 1),
    ],
)
def test_a_second_sentence_only_when_the_best_one_s_lead_is_thin(second: float, shown: int) -> None:
    first = "The fictional Brackwell bridge reopened to traffic last spring."
    other = "Engineers had replaced all of the Brackwell bridge cables in the winter."
    answer = _general_answer(
        {first: 0.90, other: second}, "What happened to the Brackwell bridge?", f"{first} {other}"
    )
    from rag.eval import sentence_count

    assert not answer.refused
    assert answer.sources[0].quote.startswith(first)
    assert sentence_count(answer.text) == shown


_THIRD = "Last season the Eastvale Rovers finished third in the league."
_WHITLOW = "Last season the team was led by Dana Whitlow from the bench."


def test_a_name_the_question_already_says_is_not_the_person_it_asks_for() -> None:
    from rag.answer.extractive import holds

    question = "Who coached the Eastvale Rovers?"
    assert holds("person", _THIRD) and not holds("person", _THIRD, question)
    assert holds("person", _WHITLOW, question)
    # The sentence naming someone else answers "who"; the one naming the team only repeats
    # the question, though it holds more of its words.
    answer = _general_answer({_THIRD: 0.84, _WHITLOW: 0.855}, question, f"{_THIRD} {_WHITLOW}")
    assert not answer.refused
    assert answer.sources[0].quote == _WHITLOW


def test_a_pronoun_subject_holds_the_name_of_the_person_it_stands_for() -> None:
    # "She" is Marta Quillon: the sentence says the name the question asks about, so it
    # outranks a sentence as close that does not (and comes with the sentence naming her).
    other = "A local paper called it a home for families of the valley."
    text = f"{_FOUNDER} {_PRONOUN} {other}"
    answer = _general_answer(
        {_FOUNDER: 0.70, _PRONOUN: 0.85, other: 0.86}, "How did Quillon see it?", text
    )
    assert not answer.refused
    assert [s.quote for s in answer.sources][:2] == [_FOUNDER, _PRONOUN]


HARBOUR_BRIEFING = """Harbour wall repairs to start in spring

KESTLEHAM, March 2, 2026 — Repairs to the fictional town's harbour wall will start in April, the council said on Monday.

Mayor Oswin Pellgrave said: "The harbour wall has protected this town for two hundred years.

"We will not let it crumble on our watch.

"Every stone that falls this winter will be back in place by the summer."

The work will cost 2 million pounds, according to the council's budget papers.

[Fictional briefing written for tests.]
"""

FERRY_BRIEFING = """Ferry timetable changes from May

KESTLEHAM, March 9, 2026 — The fictional ferry company will change its timetable in May. Mayor Oswin Pellgrave said: "The early crossing matters to people who work on the island. "We asked the company to keep it, and it agreed."

[Fictional briefing written for tests.]
"""

BRIDGE_BRIEFING = """Comune, il nuovo ponte sul fiume apre all'inizio dell'estate

 date 2026-03-05 VERONA (ITALPRESS) – Il cantiere del nuovo ponte pedonale procede secondo i tempi previsti. “Il nuovo ponte sarà pronto entro giugno”, ha detto il sindaco immaginario Livia Marchetti.

[Briefing immaginario scritto per i test.]
"""


@pytest.fixture(scope="module")
def statements_assistant(tmp_path_factory: pytest.TempPathFactory, e5) -> Assistant:
    corpus = tmp_path_factory.mktemp("statements")
    for name, text in [
        ("kestleham-harbour.txt", HARBOUR_BRIEFING),
        ("kestleham-ferry.txt", FERRY_BRIEFING),
        ("verona-ponte.txt", BRIDGE_BRIEFING),
    ]:
        (corpus / name).write_text(text, encoding="utf-8")
    a = Assistant(store=tmp_path_factory.mktemp("statements-store") / "s", embeddings=e5)
    assert a.ingest([corpus], progress=False).ok
    return a


@pytest.mark.parametrize(
    ("question", "first", "last"),
    [
        # Each paragraph reopens the quotation mark: one statement, three paragraphs.
        (
            "What did Mayor Oswin Pellgrave say about the harbour wall?",
            "The harbour wall has protected this town",
            "back in place by the summer.",
        ),
        # The same convention with the paragraphs run together.
        (
            "What did Pellgrave say about the early crossing?",
            "The early crossing matters",
            "and it agreed.",
        ),
    ],
)
def test_a_statement_that_reopens_its_quotation_mark_is_shown_whole(
    statements_assistant: Assistant, question: str, first: str, last: str
) -> None:
    answer = statements_assistant.ask(question)
    assert not answer.refused
    assert len(answer.sources) == 1
    src = answer.sources[0]
    assert src.speaker == "Oswin Pellgrave"  # the title in the question is not the name
    assert src.quote.startswith(first) and src.quote.endswith(last)
    article = statements_assistant.document_text(src.doc_id)
    assert article[src.char_start : src.char_end] == src.quote


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        # An English topic over an Italian quote: "bridge" is "ponte", which no word of the
        # question shares; the whole briefing is about the bridge, so the quote barely
        # stands out from its own article, but well out from text on no topic.
        ("What did Marchetti say about the bridge?", False),
        ("What did Marchetti say about the new bridge?", False),
        ("What did Marchetti say about football?", True),
        ("What did Marchetti say about the weather?", True),
    ],
)
def test_a_topic_is_matched_across_languages_and_an_unrelated_one_refused(
    statements_assistant: Assistant, question: str, refused: bool
) -> None:
    answer = statements_assistant.ask(question)
    assert answer.refused is refused
    if not refused:
        assert "“Il nuovo ponte sarà pronto entro giugno”" in answer.text
        assert answer.sources[0].speaker == "Livia Marchetti"


def _statements_answer(question: str, sims: dict[str, float], *texts: str):
    """The extractive answer to ``question`` over fictional ``texts`` (one article each),
    with sentence similarities fixed by ``sims``."""
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    hits = [_hit(t, doc_id=f"fict-{i}") for i, t in enumerate(texts)]
    return answerer.answer(analyse(question), hits)


_QUAY = (
    'Harbour master Ines Calloway said: "Ships can dock from 12 May." She added: "Crews '
    'are working around the clock."'
)


def test_when_picks_the_statement_that_holds_a_date() -> None:
    # "When": the dated statement answers, although the other is a little closer.
    sims = {"Ships can dock from 12 May.": 0.84, "Crews are working around the clock.": 0.85}
    answer = _statements_answer(
        "What did Calloway say about when the harbour reopens?", sims, _QUAY
    )
    assert [s.quote for s in answer.sources] == ["Ships can dock from 12 May."]


_STORM = (
    'Harbour master Ines Calloway called the storm damage "the worst anyone here can '
    'remember". "Crews are working around the clock to repair it," she said.'
)


def test_a_sentence_holding_another_quote_does_not_introduce_the_next_one() -> None:
    # The second quote follows the sentence that holds the first; that sentence names the
    # storm damage, but it is the first quote's, not what the second is about.
    sims = {
        'Harbour master Ines Calloway called the storm damage "the worst anyone here can remember".': 0.95,
        "the worst anyone here can remember": 0.80,
        "Crews are working around the clock to repair it,": 0.80,
    }
    answer = _statements_answer("What did Calloway say about the storm damage?", sims, _STORM)
    assert not answer.refused
    assert [s.quote for s in answer.sources] == ["the worst anyone here can remember"]


_MEALS = (
    "Free hot meals will be served in every primary school from September, the council "
    "announced on Monday. [Fictional briefing written for tests.]"
)


@pytest.mark.parametrize(
    ("nearest", "refused"),
    [
        # Calloway's nearest statement is close to "school meals", but another article says
        # it far more closely: she never spoke on it.
        (0.84, True),
        # Close to what the other article says: her statement is on it.
        (0.92, False),
    ],
)
def test_a_topic_another_article_says_far_more_closely_is_refused(
    nearest: float, refused: bool
) -> None:
    sims = {
        "Ships can dock from 12 May.": nearest,
        "Crews are working around the clock.": 0.70,
        _MEALS.split(" [")[0]: 0.95,
    }
    answer = _statements_answer("What did Calloway say about school meals?", sims, _QUAY, _MEALS)
    assert answer.refused is refused
    assert answer.signals["elsewhere"] == pytest.approx(0.95, abs=1e-6)


def test_sentences_cached_for_a_general_answer_get_codes_when_a_topic_needs_them(
    assistant: Assistant,
) -> None:
    """A general answer embeds its sentences without latent-terms codes (it never reads
    them, and the sparse head is a fifth of a sentence's time); a later question about a
    topic over the same passages codes them then, and answers as a fresh answerer does."""
    from rag.answer.extractive import ExtractiveAnswerer

    def answerer() -> ExtractiveAnswerer:
        return ExtractiveAnswerer(
            assistant.embeddings,
            has_term=assistant.retriever.lexical.has_term,
            sentence_embeddings=assistant.writer_embeddings,
        )

    warm = answerer()
    general = assistant.question("Che cosa garantisce la deterrenza nucleare della NATO?")
    warm.answer(general, assistant.hits(general))
    uncoded = {t for t, (_, code) in warm._cache.items() if code is None}
    assert uncoded and len(uncoded) == len(warm._cache)

    about = assistant.question("What did Rutte say about deterrence?")
    hits = assistant.hits(about)
    answer, fresh = warm.answer(about, hits), answerer().answer(about, hits)
    assert any(warm._cache[t][1] is not None for t in uncoded), "a sentence both questions read"
    assert (answer.text, answer.signals) == (fresh.text, fresh.signals)


def test_a_sentence_cut_by_a_chunk_boundary_is_joined_but_not_the_sentences_after_it() -> None:
    from rag.answer.extractive import _candidates
    from rag.retrieval import Hit

    sentences = [
        "The fictional Eastvale ferry first sailed in 1921.",
        "Its second boat, bought from a shipyard up the coast, joined it in 1934.",
        "The council took it over in 1998.",
        "It now carries forty people.",
    ]
    article = " ".join(sentences)
    cut = article.index(" shipyard")  # the first chunk ends inside the second sentence
    overlap = article.index("bought")  # the second starts a few words before that

    def chunk(start: int, end: int) -> Hit:
        meta = {"doc_id": "fict-ferry", "char_start": start, "quotes": "", "speakers": ""}
        return Hit(
            chunk_id=f"fict-ferry:{start}", text=article[start:end], metadata=meta, score=1.0
        )

    hits = [chunk(0, cut), chunk(overlap, len(article))]
    assert [c.text for c in _candidates(hits, sentences=True)] == sentences


def test_a_line_break_inside_a_sentence_reads_as_a_space_and_the_quote_stays_exact() -> None:
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.query import analyse

    text = _CHIP_PLANT.replace("on 14 March 2026, after", "on 14 March 2026,\nafter")
    sims = dict.fromkeys([s + "." if not s.endswith(".") else s for s in text.split(". ")], 0.84)
    answerer = ExtractiveAnswerer(_FixedEmbeddings(sims), has_term=lambda t: True)
    answer = answerer.answer(analyse("When did the Eastvale chip plant open?"), [_hit(text)])
    source = answer.sources[0]
    assert source.quote == "The plant opened on 14 March 2026,\nafter two years of work."
    assert text[source.char_start : source.char_end] == source.quote, "offsets are the file's"
    assert answer.text.splitlines()[1] == (
        "The plant opened on 14 March 2026, after two years of work. [1]"
    ), "the answer line is not broken by the file's wrapping"


_FOOTBRIDGE = (
    "The fictional town of Brackwell opened a new footbridge over the river Lode on 3 May "
    "2026. The bridge cost four million pounds and took two years to build. Local schools "
    "held a drawing contest on the day of the opening.\n\n[Fictional briefing written for tests.]"
)


@pytest.mark.parametrize(
    ("question", "answering"),
    [
        # Similarity alone (0.79) is under the old Italian-over-English bar; the question's
        # tokens ("ponte", "costato") find "bridge" and "cost" in the sentences.
        ("Quanto è costato il ponte di Brackwell?", "The bridge cost four million pounds"),
        ("Quando è stato aperto il ponte pedonale di Brackwell?", "on 3 May 2026"),
        ("Chi ha vinto il campionato di calcio italiano nel 1998?", None),
        ("Qual è la capitale del Giappone?", None),
    ],
)
def test_an_italian_question_over_english_text_is_answered_on_token_alignment(
    e5, question: str, answering: str | None
) -> None:
    """An Italian question over an English briefing answers or refuses on similarity plus
    the alignment of its tokens with the sentence's (from the pass that makes the
    sentence's vector), with that pair's own bar; questions the briefing does not answer
    are refused."""
    from rag.answer.extractive import MIN_SENTENCE_EVIDENCE, ExtractiveAnswerer
    from rag.embeddings import scoring_embeddings
    from rag.query import analyse

    hit = _hit(_FOOTBRIDGE)
    hit.metadata["lang"] = "en"
    answerer = ExtractiveAnswerer(
        e5, has_term=lambda t: True, sentence_embeddings=scoring_embeddings(e5)
    )
    answer = answerer.answer(analyse(question), [hit])
    assert answer.refused is (answering is None), answer.signals
    if answering is not None:
        assert answering in answer.text
        assert answer.signals["best"] > 1.0, "the alignment is part of the evidence"
    if question.startswith("Quanto"):
        assert answer.signals["dense"] < MIN_SENTENCE_EVIDENCE["it>en"]


_POOL_TITLE = "Marlow Heath and Tenbury to share a swimming pool"
_POOL = (
    "MARLOW HEATH, May 4, 2026 — Two neighbouring councils agreed on Monday to build a shared "
    "swimming pool beside the old cattle market.\n\n"
    "The leader of Tenbury council, Rosalind Achebe-Frost, said her council would pay a third "
    "of the cost.\n\n"
    "Opposition councillor Colm Hardiman said the money would have been better spent on the "
    "town library.\n\n"
    "Local resident Ivo Brannigan said the pool would need a bigger car park.\n\n"
    "[Fictional briefing written for tests.]"
)
_CANTIERE_TITLE = "Borgo Sesta, il nuovo asilo nido costerà due milioni"
_CANTIERE = (
    "BORGO SESTA, 3 marzo 2026 (ITALPRESS) – Il Comune di Borgo Sesta costruirà un nuovo asilo "
    "nido in via dei Tigli.\n\n"
    "L'assessora ai Lavori pubblici, Nadia Ferrandi, ha precisato che il cantiere aprirà entro "
    "settembre.\n\n"
    "[Briefing fittizio scritto per i test.]"
)


def _article_hit(title: str, text: str, lang: str):
    hit = _hit(text, doc_id=f"fict-{lang}")
    hit.metadata.update({"title": title, "lang": lang})
    return hit


@pytest.mark.parametrize(
    ("question", "article", "answering"),
    [
        # "pay" is the stem of "paying"; the headline names the pool every statement under
        # it is about.
        ("What did Achebe-Frost say about paying for the pool?", "en", "pay a third of the cost"),
        # "the money" of an opposition councillor under that headline is the pool's money.
        ("What did Hardiman say about the pool money?", "en", "better spent on the town library"),
        # "i tempi": a statement about the building site that gives a date says when.
        ("Cosa ha detto Ferrandi sui tempi del cantiere?", "it", "entro settembre"),
        # The headline says the story's subject, not what each person said about it: he
        # spoke of the pool, not of the councils sharing it.
        ("What did Brannigan say about the councils sharing the pool?", "en", None),
        # The headline alone is no statement on a topic: she said nothing about the bus.
        ("What did Achebe-Frost say about the pool bus?", "en", None),
        # A date answers "when" only for a topic the statement says.
        ("Cosa ha detto Ferrandi sui tempi delle mense?", "it", None),
    ],
)  # fmt: skip
def test_a_topic_is_said_by_a_word_of_its_stem_the_headline_or_a_date(
    e5, question: str, article: str, answering: str | None
) -> None:
    """A statement says a topic's words as wire copy says them: any word of one stem
    ('paying'/'pay'); once it says some of them, the rest in the headline of its story or,
    for a word asking when, in a date it gives. It then says most of the topic, so it is
    answered on it (coverage, not cosines); a topic it says nothing of is not."""
    from rag.answer.extractive import MIN_TOPIC_COVERAGE, ExtractiveAnswerer
    from rag.embeddings import scoring_embeddings
    from rag.query import analyse

    title, text = (_POOL_TITLE, _POOL) if article == "en" else (_CANTIERE_TITLE, _CANTIERE)
    answerer = ExtractiveAnswerer(
        e5, has_term=lambda t: True, sentence_embeddings=scoring_embeddings(e5)
    )
    answer = answerer.answer(analyse(question), [_article_hit(title, text, article)])
    if answering is None:
        assert answer.signals["coverage"] < MIN_TOPIC_COVERAGE
        return
    assert answer.signals["coverage"] == 1.0
    assert not answer.refused, answer.signals
    assert answering in answer.text


# -- "who said <claim>?" across languages, dated events, follow-ups by pronoun ------------
MERCATO_BRIEFING = """(ANSA) - PIEVECORTA, 3 MAR - La giunta di Pievecorta ha presentato oggi il piano per il nuovo mercato ittico, che costerà quattro milioni di euro.

L'assessora al Commercio, Graziella Montevago, ha spiegato che i banchi saranno assegnati con un bando pubblico. «I pescatori del porto avranno la precedenza», ha detto Montevago.

Il presidente della cooperativa dei pescatori, Amedeo Scarsella, ha avvertito che le barche piccole rischiano di sparire senza un aiuto per il gasolio. (ANSA).

[Briefing fittizio scritto per i test.]
"""
QUAY_BRIEFING = """Harlow Quay fish market to close for repairs

DUNSWICK, May 4, 2026 — The fish market on Harlow Quay will close in June while its roof is replaced, the harbour board said on Monday.

The board's chair, Martin Elsworth, said the market would stay closed for six weeks at most. "Nobody will lose a day of trading," he said.

A fishmonger, Carol Penhallow, said the temporary hall on the car park was too far from the town centre. "We want the market back on the quay before the summer," she said.

[Fictional briefing written for tests.]
"""


@pytest.fixture(scope="module")
def markets_assistant(tmp_path_factory: pytest.TempPathFactory, e5) -> Assistant:
    corpus = tmp_path_factory.mktemp("markets")
    (corpus / "2026-03-03-ansa-pievecorta-mercato.txt").write_text(
        MERCATO_BRIEFING, encoding="utf-8"
    )
    (corpus / "dunswick-fish-market.txt").write_text(QUAY_BRIEFING, encoding="utf-8")
    a = Assistant(store=tmp_path_factory.mktemp("markets-store") / "s", embeddings=e5)
    assert a.ingest([corpus], progress=False).ok
    a.fill_sentences()  # the statement search reads the saved sentence vectors
    return a


@pytest.mark.parametrize(
    ("question", "speaker", "statement"),
    [
        # English claims, Italian statements: a direct quote and reported speech.
        ("Who said the port's fishermen would get priority?", "Graziella Montevago", "I pescatori del porto avranno la precedenza"),
        ("Who warned that small boats could disappear without help with fuel?", "Amedeo Scarsella", "le barche piccole rischiano di sparire senza un aiuto per il gasolio"),
        # A wish asked about by its verb: the statement says the wanting.
        ("Chi vuole il mercato di nuovo sulla banchina prima dell'estate?", "Carol Penhallow", "We want the market back on the quay before the summer"),
    ],
)  # fmt: skip
def test_who_said_finds_the_statement_that_says_the_claim_in_either_language(
    markets_assistant: Assistant, question: str, speaker: str, statement: str
) -> None:
    answer = markets_assistant.ask(question)
    assert not answer.refused
    assert answer.speaker == speaker
    assert statement in answer.text
    assert answer.sources[0].speaker == speaker


def test_the_statement_search_ranks_statements_not_passages(markets_assistant: Assistant) -> None:
    """The chunk holding the statement that says the claim comes first, from the saved
    vectors; a store whose vectors are not saved yet has nothing to search."""
    import numpy as np

    from rag.embeddings import cached_query_vector
    from rag.sentence_vectors import SentenceVectors
    from rag.statement_search import StatementSearch

    claim = "small boats could disappear without help with fuel"
    vector = np.asarray(cached_query_vector(markets_assistant.embeddings, claim), np.float32)
    [first, *_] = markets_assistant.statements.search(vector, claim)
    assert "Amedeo Scarsella" in first.text
    search = markets_assistant.statements
    empty = StatementSearch(
        search.store, SentenceVectors(search.store.dir, "another model"), search.sentence_model
    )
    assert empty.search(vector, claim) == []


@pytest.mark.parametrize(
    ("question", "dateline"),
    [
        ("When was the plan for the new fish market presented, and where?", "ANSA, Pievecorta, 3 Mar 2026:"),
        ("Quando è stata annunciata la chiusura del mercato del pesce di Harlow Quay?", "Dunswick, 4 maggio 2026:"),
    ],
)  # fmt: skip
def test_a_dated_event_is_answered_with_its_articles_dateline(
    markets_assistant: Assistant, question: str, dateline: str
) -> None:
    """The event's article dates it ("ha presentato oggi", "said on Monday"): the answer
    gives the dateline's date and place and the sentence reporting it, across languages."""
    answer = markets_assistant.ask(question)
    assert not answer.refused
    assert answer.text.splitlines()[0].endswith(dateline)
    assert len(answer.sources) == 1 and not answer.sources[0].quote.startswith("«")


def test_a_follow_ups_pronoun_is_the_person_asked_about_before(
    markets_assistant: Assistant,
) -> None:
    answer = markets_assistant.ask(
        "How long did he say the market would stay closed?",
        chat_history=[("user", "What did Martin Elsworth say about the traders?")],
    )
    assert not answer.refused and answer.speaker == "Martin Elsworth"
    assert "six weeks at most" in answer.text


_FRAGOLE_TITLE = "Valmorana, la grandine dimezza le fragole"
_FRAGOLE = (
    "VALMORANA, 12 maggio 2026 (ITALPRESS) – La grandinata di domenica ha colpito le campagne "
    "intorno a Valmorana.\n\n"
    "«La produzione di fragole potrebbe dimezzarsi quest'anno», ha detto l'assessora "
    "all'Agricoltura, Ginevra Toscolani.\n\n"
    "Toscolani ha poi annunciato che il mercato coperto riaprirà a ottobre.\n\n"
    "[Briefing fittizio scritto per i test.]"
)


@pytest.mark.parametrize(
    ("topic", "answering"),
    [
        # No shared stem, few shared latent terms: her statement's words say the topic's.
        ("strawberries", "La produzione di fragole"),
        ("the strawberry crop", "La produzione di fragole"),
        # Spelled like "fragole", meaning something else: spelling is no counterpart.
        ("fragrances", None),
        # Words she never said, in either language.
        ("parking fines", None),
        ("school buses", None),
    ],
)
def test_an_english_topic_is_found_among_the_words_of_an_italian_statement(
    e5, topic: str, answering: str | None
) -> None:
    """Across languages, a statement is on the topic when every word of the topic finds
    its counterpart among the statement's words (e5 token states, pooled per word and
    centred): "strawberries" / "fragole". A word that only opens like one of the
    statement's is not its counterpart."""
    from rag.answer.extractive import MIN_WORD_ALIGNMENT, ExtractiveAnswerer
    from rag.embeddings import scoring_embeddings
    from rag.query import analyse

    answerer = ExtractiveAnswerer(
        e5, has_term=lambda t: True, sentence_embeddings=scoring_embeddings(e5)
    )
    hit = _article_hit(_FRAGOLE_TITLE, _FRAGOLE, "it")
    answer = answerer.answer(analyse(f"What did Toscolani say about {topic}?"), [hit])
    assert answer.refused is (answering is None), answer.signals
    assert (answer.signals["words"] >= MIN_WORD_ALIGNMENT) is (answering is not None)
    if answering is not None:
        assert answering in answer.text


def test_words_spelled_alike_are_not_counterparts() -> None:
    from rag.answer.extractive import _spelled_alike

    assert _spelled_alike("pomegranates", "pomodoro")
    assert _spelled_alike("Granite", "grano")
    assert not _spelled_alike("tomatoes", "pomodoro")
    assert not _spelled_alike("deterrence", "deterrenza"), "one word's forms: a cognate"
