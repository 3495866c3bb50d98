"""Question analysis: one typed Question per question, follow-ups resolved once."""

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from rag.errors import ConfigError
from rag.query import Filters, analyse, history_pairs


@pytest.mark.parametrize(
    ("question", "speaker", "topic"),
    [
        ("What did Rutte say about deterrence?", "Rutte", "deterrence"),
        ("Cosa ha detto Rutte sulla deterrenza?", "Rutte", "deterrenza"),
        # The preposition left at the end is the question word's, not the topic's.
        ("What did Ciaravolo say the extra money would be spent on?", "Ciaravolo", "the extra money would be spent"),
        # After a verb of asking, who was asked; what they asked for is the question.
        ("What did Fonsato ask the port authority for?", "Fonsato", ""),
        # Another question word before "did X say".
        ("How long did Pike say the closures would last?", "Pike", "the closures would last"),
        ("What does Quagliarini think every province needs?", "Quagliarini", "every province needs"),
        ("Cosa ha chiesto Fonsato all'autorità portuale?", "Fonsato", "all'autorità portuale"),
        ("What did Rutte say?", "Rutte", ""),
        # The person as the source of the rest of the question, in either order.
        ("When will the refunds be paid, according to Orsini?", "Orsini", "When will the refunds be paid"),
        ("According to Orsini, when will the refunds be paid?", "Orsini", "when will the refunds be paid"),
        ("Quando saranno pagati i rimborsi, secondo Orsini?", "Orsini", "Quando saranno pagati i rimborsi"),
        ("Secondo Lidia Orsini, quando saranno pagati i rimborsi?", "Lidia Orsini", "quando saranno pagati i rimborsi"),
        ("Stando a Orsini, quanto costerà il ponte?", "Orsini", "quanto costerà il ponte"),
        # A verb and its preposition with nothing after it ask about no topic.
        ("What did Achterfeld warn about?", "Achterfeld", ""),
    ],
)  # fmt: skip
def test_the_person_and_the_topic(question: str, speaker: str, topic: str) -> None:
    q = analyse(question)
    assert (q.speaker, q.topic) == (speaker, topic)


@pytest.mark.parametrize(
    ("question", "role", "speaker"),
    [
        ("What did the NATO Secretary General say about deterrence?", "the NATO Secretary General", ""),
        ("Cosa ha detto il segretario generale della Nato sulla deterrenza?", "il segretario generale della Nato", ""),
        ("What did the French transport minister Étienne Roucaval say about trains?", "the French transport minister", "Étienne Roucaval"),
        ("Cosa ha detto la ministra del Turismo Carla Brunamonti sui borghi?", "la ministra del Turismo", "Carla Brunamonti"),
        ("What did the chief executive of Northwind Air say?", "the chief executive of Northwind Air", ""),
        # A role anywhere in the question, not only in the "what did X say" templates.
        ("How much will the parking freeze cost, according to the council leader?", "the council leader", ""),
        ("Quanto sono costati i lavori secondo la sindaca di Valdorno?", "la sindaca di Valdorno", ""),
        ("What traffic does the port authority president expect?", "the port authority president", ""),
        # A capitalised run after an article is an organisation, not a person.
        ("What did the chief executive of the North Vale Hospitals Trust say?", "the chief executive of the North Vale Hospitals Trust", ""),
        # ... and so is one after the noun the office is of: the islands, not a person.
        ("Che cosa ha detto la sindaca delle isole Halm sugli studenti?", "la sindaca delle isole Halm", ""),
        ("Cosa ha detto il direttore del museo civico Aldo Neri?", "il direttore del museo civico", "Aldo Neri"),
        # A possessor in place of the article, a rank and a field before the office.
        ("What did Castelmoro's deputy mayor say the council will do?", "Castelmoro's deputy mayor", ""),
        ("What did the Sarn islands' mayor say about the ferry?", "the Sarn islands' mayor", ""),
        ("What did the regional health commissioner say?", "the regional health commissioner", ""),
        # Qualifier words after the office's organisation; occupations are asked about too.
        ("What did the chair of the planning committee warn about?", "the chair of the planning committee", ""),
        ("What did the mountain guide say about the path?", "the mountain guide", ""),
        # Another article before the office starts the role there, not at "l'aumento".
        ("Come ha definito l'aumento la presidente di Acqua Viva?", "la presidente di Acqua Viva", ""),
        # Italian, anywhere in the question, with source phrases and other verbs.
        ("Secondo l'assessora al Welfare, quanti centri apriranno?", "l'assessora al Welfare", ""),
        ("Cosa pensa il questore di Valmarina dei controlli?", "il questore di Valmarina", ""),
        ("Che cosa chiede la rettrice dell'università di Pievebruna?", "la rettrice dell'università di Pievebruna", ""),
    ],
)  # fmt: skip
def test_a_person_asked_about_by_role(question: str, role: str, speaker: str) -> None:
    """A role alone is resolved later, against the briefings; a role and a name ask
    about the name (and a name the briefings lack is refused as unknown)."""
    q = analyse(question)
    assert (q.role, q.speaker) == (role, speaker)


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        ("Who said that NATO's reaction would be devastating?", "NATO's reaction would be devastating"),
        ("Chi ha detto che la Nato non accetterà intimidazioni?", "la Nato non accetterà intimidazioni"),
        # A wish or a request: its verb is part of what the statement says.
        ("Who wants to know where the money went?", "wants to know where the money went"),
        ("Chi ha chiesto un'ispezione sui conti?", "ha chiesto un'ispezione sui conti"),
    ],
)  # fmt: skip
def test_who_said_takes_the_claim_as_topic(question: str, claim: str) -> None:
    q = analyse(question)
    assert q.asks_who and q.topic == claim and not q.speaker


@pytest.mark.parametrize(
    ("question", "event"),
    [
        ("When was the plan for small villages presented?", "the plan for small villages presented"),
        ("When did the cable car reopen, and where was this reported from?", "the cable car reopen"),
        ("Where and when was the tariff increase announced?", "the tariff increase announced"),
        ("Quando è stato approvato il dragaggio del canale?", "approvato il dragaggio del canale"),
        ("What did Rutte say about deterrence?", ""),
    ],
)  # fmt: skip
def test_a_when_or_where_question_names_the_event(question: str, event: str) -> None:
    assert analyse(question).event == event


@pytest.mark.parametrize(
    ("question", "wants"),
    [
        ("In what year was the treaty signed?", "date"),
        ("Quando è stato firmato il trattato?", "date"),
        ("How many people attended?", "number"),
        ("Quanti voti ha avuto?", "number"),
        ("Where is the port?", "place"),
        ("Dove si trova il porto?", "place"),
        ("Who founded the company?", "person"),
        # The question word after a preposition, and plural or month/day questions.
        ("The harbour toll was paid by whom?", "person"),
        ("Il restauro del faro è stato finanziato da chi?", "person"),
        ("In which months is the Eastvale market open?", "date"),
        ("Quali mesi dell'anno è aperto il museo di Valmarina?", "date"),
        ("What is the capital?", ""),
        ("Which team won the cup?", ""),
    ],
)
def test_the_kind_of_answer_a_question_wants(question: str, wants: str) -> None:
    assert analyse(question).wants == wants


@pytest.mark.parametrize(
    ("follow_up", "standalone"),
    [
        ("And what did he say about Ukraine?", "And what did Mark Rutte say about Ukraine?"),
        ("Did he mention air defence?", "Did Mark Rutte mention air defence?"),
        ("And what did he ask the allies for?", "And what did Mark Rutte ask the allies for?"),
        ("And on Ukraine?", "What did Mark Rutte say about Ukraine?"),
        # A pronoun in a question no template reads is the person all the same.
        (
            "How soon did he expect the talks to end?",
            "How soon did Mark Rutte expect the talks to end?",
        ),
        ("What is the capital of Peru?", "What is the capital of Peru?"),
    ],
)
def test_a_follow_up_is_resolved_once_against_the_history(follow_up: str, standalone: str) -> None:
    history = [("user", "What did Mark Rutte say about deterrence?"), ("assistant", "…")]
    q = analyse(follow_up, history)
    assert q.text == standalone and q.asked == follow_up


@pytest.mark.parametrize(
    "history",
    [
        [("user", "What did Rutte say?"), ("assistant", "He said...")],
        [{"role": "user", "content": "What did Rutte say?", "metadata": None}, {"role": "assistant", "content": "He said..."}],
        [HumanMessage("What did Rutte say?"), AIMessage("He said...")],
    ],
    ids=["pairs", "chat-ui-dicts", "messages"],
)  # fmt: skip
def test_history_in_every_form_langchain_takes(history: list) -> None:
    assert history_pairs(history) == [("user", "What did Rutte say?"), ("assistant", "He said...")]


def test_filters_ride_on_the_question() -> None:
    q = analyse("What did Rutte say?", filters=Filters.of("2026-01-01", None, ["Italpress"]))
    assert q.filters.where() == {
        "$and": [{"date_key": {"$gte": 20260101}}, {"source": {"$in": ["Italpress"]}}]
    }
    assert not analyse("What did Rutte say?").filters


# -- dates as people type them (shared by `rag ask --since` and the web chat's filters) ------
@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        pytest.param("2026-02-11", "2026-02-11", id="iso"),
        pytest.param("2026/02/11", "2026-02-11", id="iso-slashes"),
        pytest.param("11/02/2026", "2026-02-11", id="day-first-slashes"),
        pytest.param("1/2/2026", "2026-02-01", id="day-first-single-digits"),
        pytest.param("11.02.2026", "2026-02-11", id="day-first-dots"),
        pytest.param("11-02-2026", "2026-02-11", id="day-first-dashes"),
        pytest.param("11 Feb 2026", "2026-02-11", id="english-abbreviation"),
        pytest.param("Feb 11, 2026", "2026-02-11", id="english-month-first"),
        pytest.param("11 febbraio 2026", "2026-02-11", id="italian-month"),
        pytest.param("11 FEBBRAIO 2026", "2026-02-11", id="capitals"),
        pytest.param("  2024-02-29 ", "2024-02-29", id="leap-day-and-spaces"),
        pytest.param("", "", id="empty-is-no-date"),
    ],
)
def test_dates_people_type_are_read(typed: str, iso: str) -> None:
    from rag.query import parse_date_input

    assert parse_date_input(typed) == iso


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        pytest.param("2026-02-30", "2026-02-30 is not a date: February 2026 has 28 days", id="feb-30"),
        pytest.param("31 aprile 2026", "31 aprile 2026 is not a date: April 2026 has 30 days", id="april-31"),
        pytest.param("02/30/2026", "there is no month 30 (with slashes or dots the day comes first)", id="month-first"),
        pytest.param("0/1/2026", "there is no day 0", id="day-zero"),
        pytest.param("11 Feb", "'11 Feb' has no year; write it like 11 Feb 2026", id="no-year"),
        pytest.param("yesterday", "'yesterday' is not a date; write it like 2026-02-11, 11/02/2026", id="words"),
    ],
)  # fmt: skip
def test_impossible_dates_are_named_as_such(typed: str, message: str) -> None:
    from rag.query import DateInputError, parse_date_input

    with pytest.raises(DateInputError) as err:
        parse_date_input(typed)
    assert message in str(err.value)
    assert "YYYY" not in str(err.value)


def test_filters_read_the_same_dates_and_name_the_option() -> None:
    assert Filters.of("11/02/2026", "28 febbraio 2026").since == "2026-02-11"
    assert Filters.of("11/02/2026", "28 febbraio 2026").until == "2026-02-28"
    with pytest.raises(ConfigError, match="--until 2026-02-30 is not a date: February 2026"):
        Filters.of(None, "2026-02-30")
