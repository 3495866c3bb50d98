"""Offices read from articles and the person a question's office phrase means.

Fictional people and places throughout."""

import pytest

from rag.quotes import find_roles
from rag.roles import Holder, context_keys, match_role, qualified_holders, resolve_holder


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # English puts the possessor, the rank and the field before the office.
        ("said Ravelline's managing director, Sabine Oberwald.", "the managing director of Ravelline", "Sabine Oberwald"),
        ("The town's deputy mayor, Osric Hallam, said the council would help.", "the deputy mayor", "Osric Hallam"),
        ("The islands' mayor, Signe Aarholt, said the route was vital.", "the Sarn islands' mayor", "Signe Aarholt"),
        ("The regional transport commissioner, Gaspard Moreau, said so.", "the regional transport commissioner", "Gaspard Moreau"),
        ("The hospital's chief executive, Philippa Nunn, said so.", "la direttrice generale dell'ospedale", "Philippa Nunn"),
        # The office as a verb after the name.
        ("Bernard Achterfeld, who chairs the finance committee, warned.", "the chair of the finance committee", "Bernard Achterfeld"),
        ("Teodoro Ciarla, che presiede il consorzio, ha parlato.", "il presidente del consorzio", "Teodoro Ciarla"),
        # Occupations are asked about as offices are.
        ("A bordo c'era la guida alpina Romina Defloriani.", "the mountain guide", "Romina Defloriani"),
        ("Loris Cavagna, viticoltore di Borgo Alto, ha parlato.", "the winegrower", "Loris Cavagna"),
        # The bilingual lexicon: offices of local news in the other language.
        ("Il questore di Valmarina, Aldo Ferri, ha parlato.", "the police chief", "Aldo Ferri"),
        ("La rettrice dell'università, Ada Lenti, ha parlato.", "the rector of the university", "Ada Lenti"),
    ],
)  # fmt: skip
def test_offices_read_from_the_article(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


def test_a_rank_makes_another_office() -> None:
    roles = find_roles("The town's deputy mayor, Osric Hallam, said the council would help.")
    assert match_role("the mayor", roles) == ""


def test_an_organisation_holds_no_office() -> None:
    """The name finder reads "Acqua Viva" as a person: the office before it is the one
    its president holds, not Acqua Viva's."""
    text = "La presidente dell'associazione di consumatori Acqua Viva, Loredana Pizzi, ha parlato."
    assert set(find_roles(text).values()) == {"Loredana Pizzi"}


def test_the_article_names_what_its_office_leaves_out() -> None:
    """An article about the museum calls its director "la direttrice"."""
    text = "Il museo civico riapre. Ad annunciarlo è stata la direttrice, Violante Sperandei."
    roles = find_roles(text)
    assert match_role("the museum director", roles) == ""
    assert match_role("the museum director", roles, context=text) == "Violante Sperandei"


def _holders() -> list[Holder]:
    lagonero = context_keys("Lagonero, divieto di pattinaggio sul lago ghiacciato")
    montecelso = context_keys("Montecelso, il nuovo reparto di pediatria in ospedale")
    return [
        Holder("Ermes Tavola", "sindaco lagonero", "lagonero", lagonero),
        Holder("Duilio Marchi", "sindaco montecelso", "montecelso", montecelso),
        Holder(
            "Ernesta Valli",
            "direttrice generale dell asl valle del celso",
            "montecelso",
            montecelso,
        ),
    ]


@pytest.mark.parametrize(
    ("phrase", "order", "name"),
    [
        # A qualifier tells two mayors apart, in the role or in the article's words.
        ("the mayor of Lagonero", [], "Ermes Tavola"),
        ("il sindaco di Montecelso", [], "Duilio Marchi"),
        ("the mayor of the town with the frozen lake", [], ""),
        ("the director general of the health authority", [], "Ernesta Valli"),
        # Two mayors fit "the mayor" alike: the articles best for the rest of the
        # question decide; without them it is ambiguous, and nobody is guessed.
        ("the mayor", ["montecelso", "lagonero"], "Duilio Marchi"),
        ("the mayor", ["lagonero"], "Ermes Tavola"),
        ("the mayor", [], ""),
        # Nobody holds it.
        ("the mayor of Porto Nuovo", [], ""),
        ("the prefect", ["lagonero"], ""),
    ],
)  # fmt: skip
def test_the_holder_across_articles(phrase: str, order: list[str], name: str) -> None:
    assert resolve_holder(phrase, _holders(), order) == name


@pytest.mark.parametrize(
    ("phrase", "names"),
    [
        # Every qualifier, one of them in the role itself: the holder outside the
        # question's passages (another language's briefing) is still found.
        ("the mayor of Lagonero", ["Ermes Tavola"]),
        ("the director general of the Valle del Celso health authority", ["Ernesta Valli"]),
        ("the director general of the Montecelso health authority", ["Ernesta Valli"]),
        # The article's words alone do not make a holder of a store-wide office ...
        ("the mayor of the town with the frozen lake", []),
        # ... nor does a bare office, which would name every town's mayor.
        ("the mayor", []),
        ("the mayor of Porto Nuovo", []),
    ],
)  # fmt: skip
def test_holders_outside_the_passages_need_the_role_to_say_it(
    phrase: str, names: list[str]
) -> None:
    assert [h.name for h in qualified_holders(phrase, _holders())] == names


@pytest.mark.parametrize(
    ("question", "by_name"),
    [
        ("What did the coach say about the derby?", "What did Marco Trevisanello say about the derby?"),
        ("Cosa ha detto l'allenatore sulla vittoria?", "Cosa ha detto Marco Trevisanello sulla vittoria?"),
        ("Secondo l'assessore di Valmarina, quanto crescerà il porto?", "Secondo Carla Bentivoglio, quanto crescerà il porto?"),
        ("How much will the port grow, according to the Valmarina councillor?", "How much will the port grow, according to Carla Bentivoglio?"),
    ],
)  # fmt: skip
def test_a_role_question_is_the_question_about_its_holder(
    assistant, question: str, by_name: str
) -> None:
    """Once the office resolves, the question is read and answered as if it named the
    person: the same speaker, topic and answer."""
    q, named = assistant.question(question), assistant.question(by_name)
    assert (q.speaker, q.topic) == (named.speaker, named.topic)
    assert q.speaker
    assert assistant.ask(question).text == assistant.ask(by_name).text


def test_an_office_several_people_hold_is_said_to_be_ambiguous() -> None:
    from rag.answer.models import Answer
    from rag.assistant import Assistant
    from rag.query import Question

    q = Question(text="What did the mayor say?", lang="en", role="the mayor")
    q.role_holders = ["Duilio Marchi", "Ermes Tavola"]
    answer = Assistant._role_note(q, Answer(question=q.text, text="…"))
    assert answer.notes == [
        "Several people in the briefings fit “the mayor”: Duilio Marchi, Ermes Tavola."
    ]
    q.speaker = "Ermes Tavola"  # resolved: nothing to say
    assert Assistant._role_note(q, Answer(question=q.text, text="…")).notes == []


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did the coach Marco Trevisanello say about the derby?", "Marco Trevisanello"),
        # A name the briefings lack stays that name (and is refused as unknown), never
        # the office's holder.
        ("What did the coach Aldo Nessuno say about the derby?", "Aldo Nessuno"),
    ],
)
def test_an_office_and_a_name_ask_about_the_name(assistant, question: str, speaker: str) -> None:
    assert assistant.question(question).speaker == speaker


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("Come è andato il derby, secondo Trevisanello?", "Trevisanello"),
        ("How did the derby go, according to Marco Trevisanello?", "Marco Trevisanello"),
        # A source the briefings quote nobody by is no person asked about.
        ("Quanti spettatori c'erano, secondo Castelfranco?", ""),
        ("How many spectators were there, according to Italpress?", ""),
    ],
)
def test_according_to_names_a_person_only_if_the_briefings_quote_them(
    assistant, question: str, speaker: str
) -> None:
    assert assistant.question(question).speaker == speaker


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # Whoever leads an organisation is its head, whatever the office is called there.
        ("Il presidente dell'Autorità portuale, Remo Caldi, ha parlato.", "the head of the port authority", "Remo Caldi"),
        ("Tobias Lindvik, chief executive of Nordby Ferries, spoke.", "the boss of Nordby Ferries", "Tobias Lindvik"),
        ("Il segretario della Federazione metalmeccanici, Oreste Pagli, ha parlato.", "il capo della Federazione metalmeccanici", "Oreste Pagli"),
        # An Italian union's or party's secretary is its leader.
        ("Il segretario della Federazione metalmeccanici, Oreste Pagli, ha parlato.", "the leader of the metalworkers' federation", "Oreste Pagli"),
    ],
)  # fmt: skip
def test_the_head_of_an_organisation(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


_PLURAL = (
    "Il progetto è stato presentato dai due assessori, Carlo Benassi (Bilancio) e Anna Ruggeri"
    " (Scuola). Benassi ha spiegato che costa poco.\n\nC'erano anche gli assessori allo Sport e"
    " al Commercio della vicina Valtorbida, rispettivamente Elio Ferrando e Lina Tosi."
)


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # The office is the last office noun before a link: the minister's spokeswoman is a
        # spokesperson, the minister someone else.
        ("The transport minister, Ada Lenning, spoke. The minister's spokeswoman, Priya Sorel, said more.", "the minister's spokeswoman", "Priya Sorel"),
        ("The transport minister, Ada Lenning, spoke. The minister's spokeswoman, Priya Sorel, said more.", "the transport minister", "Ada Lenning"),
        ("The transport minister, Ada Lenning, spoke. The minister's spokeswoman, Priya Sorel, said more.", "la portavoce della ministra", "Priya Sorel"),
        # An acting holder holds the office for now, asked about either way.
        ("The acting chief coastguard, Moira Dunne, warned that staff were short.", "the chief coastguard", "Moira Dunne"),
        ("The acting chief coastguard, Moira Dunne, warned that staff were short.", "the acting chief coastguard", "Moira Dunne"),
        ("Il direttore generale ad interim dell'Asl Valmarena, Franco Sbarra, ha detto che va bene.", "the director general of the Valmarena health authority", "Franco Sbarra"),
        ("Il direttore generale ad interim dell'Asl Valmarena, Franco Sbarra, ha detto che va bene.", "il direttore generale facente funzione dell'Asl Valmarena", "Franco Sbarra"),
        # The office as a verb in the perfect, with how long, a paragraph after the name.
        ("Tobias Wrenn said the bridge would be free.\n\nWrenn, who has led Brantfield council since 2022, faces a vote.", "the leader of Brantfield council", "Tobias Wrenn"),
        # A deputy named by a possessive holds the deputy's office of the person just named.
        ("Il sindaco di Valdorso, Aldo Cremi, ha parlato. La sua vice, Marta Pella, ha aggiunto che aiuterà.", "la vicesindaca di Valdorso", "Marta Pella"),
        ("Il sindaco di Valdorso, Aldo Cremi, ha parlato. La sua vice, Marta Pella, ha aggiunto che aiuterà.", "the deputy mayor of Valdorso", "Marta Pella"),
        ("The leader of Brantfield council, Tobias Wrenn, spoke. His deputy, Alisha Cole, said more.", "Brantfield's deputy council leader", "Alisha Cole"),
        # Plural offices, each holder with a portfolio of their own.
        (_PLURAL, "the budget councillor", "Carlo Benassi"),
        (_PLURAL, "l'assessora alla Scuola", "Anna Ruggeri"),
        (_PLURAL, "the sports councillor of Valtorbida", "Elio Ferrando"),
        (_PLURAL, "l'assessora al Commercio di Valtorbida", "Lina Tosi"),
    ],
)  # fmt: skip
def test_offices_in_more_forms(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # The minister is not her spokeswoman, nor the mayor his deputy.
        ("The minister's spokeswoman, Priya Sorel, said more.", "the minister"),
        ("Il sindaco di Valdorso, Aldo Cremi, ha parlato. La sua vice, Marta Pella, ha aggiunto che aiuterà.", "la vicesindaca di Montalto"),
        # A possessive deputy of someone who holds no office holds none.
        ("Aldo Cremi ha parlato. La sua vice, Marta Pella, ha aggiunto che aiuterà.", "la vicesindaca"),
    ],
)  # fmt: skip
def test_offices_not_held(text: str, phrase: str) -> None:
    assert match_role(phrase, find_roles(text)) == ""


_LEDE = (
    "BRANTFIELD, Feb 26 (Reuters) - Tobias Wrenn said on Thursday that the bridge would be free."
)


@pytest.mark.parametrize(
    ("headline", "text", "name"),
    [
        # A headline's office without a name is that of the person the lede opens with.
        ("Brantfield council leader backs toll-free bridge", _LEDE, "Tobias Wrenn"),
        ("Brantfield, l'assessore alla Mobilità presenta il ponte", _LEDE, "Tobias Wrenn"),
        # Not when the lede opens with something else, nor when the headline names someone.
        ("Brantfield council leader backs toll-free bridge", "BRANTFIELD, Feb 26 (Reuters) - The bridge will be free, Tobias Wrenn said.", ""),
        ("Wrenn: Brantfield council leader backs bridge", _LEDE, ""),
        # A headline word that merely contains the surname ('parking', 'King') names nobody.
        ("Brantfield council leader keeps parking free",
         "BRANTFIELD, Feb 26 (Reuters) - Emma King said on Thursday that parking would stay free.", "Emma King"),
    ],
)  # fmt: skip
def test_a_headline_office_is_the_lede_subject(headline: str, text: str, name: str) -> None:
    roles = find_roles(text, headline=headline)
    office = (
        "the leader of Brantfield council" if "leader" in headline else "the mobility councillor"
    )
    assert match_role(office, roles) == name


def _consortium() -> list[Holder]:
    # One office, two holders: Ada Tealdo in February's briefing, Lia Rabaglia (elected
    # in his place) in October's; another country's environment minister in each.
    feb = context_keys("Piana del Sorvo, il consorzio di bonifica presenta i canali")
    oct_ = context_keys("Piana del Sorvo, la nuova presidente del consorzio")
    return [
        Holder("Ada Tealdo", "presidente del consorzio della piana del sorvo", "feb", feb, "2026-02-10"),
        Holder("Lia Rabaglia", "presidente del consorzio di bonifica della piana del sorvo", "oct", oct_, "2026-10-20"),
        Holder("Rita Verdi", "ministra dell ambiente", "feb", feb, "2026-02-10"),
        Holder("Fergus Tall", "environment minister", "oct", oct_, "2026-10-20"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "name"),
    [
        # Undated: the office as it is now, its latest holder.
        ("What did the president of the Piana del Sorvo consortium say about the bills?", "Lia Rabaglia"),
        # Dated: its holder then; a time between the two briefings, the one before it.
        ("What did the president of the Piana del Sorvo consortium say in February?", "Ada Tealdo"),
        ("Cosa ha detto a ottobre il presidente del consorzio della Piana del Sorvo?", "Lia Rabaglia"),
        ("What did the president of the Piana del Sorvo consortium say in June 2026?", "Ada Tealdo"),
        # Two countries' environment ministers are two offices, not one that changed hands:
        # nothing tells them apart here, so nobody is guessed.
        ("What did the environment minister say in October?", ""),
    ],
)  # fmt: skip
def test_an_office_that_changed_hands(question: str, name: str) -> None:
    from rag.query import analyse
    from rag.roles import question_period

    role = analyse(question).role
    assert resolve_holder(role, _consortium(), period=question_period(question)) == name


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("What did the mayor say in March?", (None, 3)),
        ("Cosa ha detto a giugno la sindaca?", (None, 6)),
        ("Cosa ha detto nel marzo 2026 la sindaca?", (2026, 3)),
        ("What did the mayor say in 2025?", (2025, None)),
        ("What did the mayor say about May Street?", None),
    ],
)
def test_the_time_a_question_names(
    question: str, period: tuple[int | None, int | None] | None
) -> None:
    from rag.roles import question_period

    got = question_period(question)
    assert (None if got is None else (got.year, got.month)) == period


def test_an_office_that_changed_hands_is_said_to_have() -> None:
    from rag.answer.models import Answer
    from rag.assistant import Assistant
    from rag.query import Question

    q = Question(text="What did Lia Rabaglia say?", lang="en", role="the consortium president")
    q.speaker = "Lia Rabaglia"
    q.role_dates = [("Ada Tealdo", "2026-02-10"), ("Lia Rabaglia", "2026-10-20")]
    answer = Assistant._role_note(q, Answer(question=q.text, text="…"))
    assert answer.notes == [
        "“the consortium president” in the briefings: Ada Tealdo, 10 Feb 2026; Lia Rabaglia,"
        " 20 Oct 2026. This answer is about Lia Rabaglia."
    ]


_VALSORRA = {
    "valsorra-canali.txt": "VALSORRA, 10 febbraio 2026 (ITALPRESS) – Il presidente del Consorzio di"
    " bonifica di Valsorra, Ermete Calvani, ha annunciato che i canali della piana saranno"
    " rifatti entro l'estate.\n\n[Briefing fittizio scritto per i test.]\n",
    "valsorra-bollette.txt": "VALSORRA, 20 ottobre 2026 (ITALPRESS) – Lucilla Ferretti, eletta a"
    " settembre presidente del Consorzio di bonifica di Valsorra al posto di Ermete Calvani, ha"
    " detto che le bollette irrigue scenderanno del 10 per cento.\n\n[Briefing fittizio scritto"
    " per i test.]\n",
}


@pytest.fixture(scope="module")
def valsorra(tmp_path_factory: pytest.TempPathFactory, e5):
    from rag import Assistant

    folder = tmp_path_factory.mktemp("valsorra")
    for name, text in _VALSORRA.items():
        (folder / name).write_text(text, encoding="utf-8")
    assistant = Assistant(store=folder / "store", embeddings=e5)
    assert assistant.ingest([folder], progress=False).ok
    return assistant


@pytest.mark.parametrize(
    ("question", "speaker", "said"),
    [
        # Undated: the latest holder, who is quoted on the bills ...
        ("What did the president of the Valsorra consortium say about irrigation bills?", "Ferretti", "bollette irrigue"),
        # ... and not on the canals: then the earlier holder, who is.
        ("What did the president of the Valsorra consortium say about the canals?", "Calvani", "canali della piana"),
    ],
)  # fmt: skip
def test_an_office_that_changed_hands_is_answered_by_its_holder(
    valsorra, question: str, speaker: str, said: str
) -> None:
    answer = valsorra.ask(question)
    assert not answer.refused and said in answer.text and speaker in answer.text
    assert any(
        "Ermete Calvani, 10 Feb 2026; Lucilla Ferretti, 20 Oct 2026" in n for n in answer.notes
    )


def test_a_dated_question_asks_the_holder_then(valsorra) -> None:
    question = "What did the president of the Valsorra consortium say in February about the bills?"
    assert valsorra.question(question).speaker == "Ermete Calvani"


@pytest.mark.parametrize(
    ("text", "question", "name"),
    [
        # A possessive office is the office of the organisation named just before it, so
        # that the question naming the organisation finds its holder, not another
        # president whose office shares a word with it.
        ("Il presidente dell'Autorità portuale della Costa Verdina, Aldo Ferro, ha firmato. "
         "Contraria l'associazione ambientalista Mare Verdina. Secondo il suo presidente, Nino Sarti, il porto è inutile.",
         "the president of the Mare Verdina association", "Nino Sarti"),
        ("The chief executive of Wye Water, Joan Kerr, spoke first. "
         "The Dunholm and Wye hospital trust will close a ward, its chief executive Alan Brede said on Monday.",
         "the chief executive of the Dunholm hospital trust", "Alan Brede"),
    ],
)  # fmt: skip
def test_a_possessive_office_is_the_organisation_s(text: str, question: str, name: str) -> None:
    assert match_role(question, find_roles(text), text) == name


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # Office nouns in both genders and both languages, and their abbreviations.
        ("La prefetta di Borgalto, Ada Rinaldi, ha convocato le parti.", "the prefect", "Ada Rinaldi"),
        ("Il dg dell'Asl Valfonda, Marco Tessari, ha parlato.", "the director general of the Valfonda health authority", "Marco Tessari"),
        ("The chairperson of the Wexmoor trust, Jo Amblestone, said so.", "la presidente del trust di Wexmoor", "Jo Amblestone"),
        ("Jane Corrowby, the local member of parliament, said so.", "la deputata locale", "Jane Corrowby"),
        ("L'amministratrice unica di Ferrovie Alte, Rina Scalzi, ha parlato.", "the chief executive of Ferrovie Alte", "Rina Scalzi"),
        # Portfolios and bodies named differently in the two languages.
        ("La ministra del Mare, Ilaria Ventresca, ha parlato.", "the maritime minister", "Ilaria Ventresca"),
        ("Il presidente della commissione Bilancio, Ugo Lenzetti, ha parlato.", "the chair of the finance committee", "Ugo Lenzetti"),
        ("La portavoce della Capitaneria di porto, Lia Serrantoni, ha parlato.", "the coastguard spokeswoman", "Lia Serrantoni"),
        ("Cabinet member for housing Tom Ashgrove said so.", "l'assessore alla Casa", "Tom Ashgrove"),
    ],
)  # fmt: skip
def test_office_nouns_across_gender_and_language(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # How long the office has been held ends the apposition; it says nothing of whose.
        ("Nora Festelli ha parlato. Festelli, assessora alla Cultura dal 2023, era presente.", "the culture councillor", "Nora Festelli"),
        ("Owen Braddock spoke first. Braddock, the head teacher since March, was there.", "la preside", "Owen Braddock"),
        # The office by a copula, in the present.
        ("Nora Festelli ha parlato. Festelli è assessora alla Cultura dal 2023.", "the culture councillor", "Nora Festelli"),
        ("Owen Braddock spoke. Braddock has been the spokesman for the regional health authority since 2024.",
         "il portavoce dell'autorità sanitaria regionale", "Owen Braddock"),
        ("Owen Braddock spoke. Braddock is chief executive of Wexmoor Ferries.", "the Wexmoor Ferries chief executive", "Owen Braddock"),
        # A portfolio after "per" or a body in "forestale" is not a time.
        ("Il commissario straordinario per la ricostruzione, Egidio Ferrante, ha parlato.", "the reconstruction commissioner", "Egidio Ferrante"),
        ("Il comandante della stazione forestale, Rodolfo Imbrighi, ha parlato.", "the forestry station commander", "Rodolfo Imbrighi"),
    ],
)  # fmt: skip
def test_an_office_given_later_or_by_a_copula(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


@pytest.mark.parametrize(
    "text",
    [
        # A past office is not the office.
        "Nora Festelli ha parlato. Festelli è stata assessora alla Cultura.",
        "Nora Festelli ha parlato. Festelli è ex assessora alla Cultura.",
    ],
)
def test_a_past_office_by_a_copula_is_not_held(text: str) -> None:
    assert match_role("the culture councillor", find_roles(text)) == ""


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # A rank written onto the office, or said by "precedente", is still a rank.
        ("L'ex-sindaco di Pietrafonda, Aldo Brusati, ha criticato l'accordo.", "the former mayor of Pietrafonda", "Aldo Brusati"),
        ("L'ex sindaco di Pietrafonda, Aldo Brusati, ha criticato l'accordo.", "il precedente sindaco di Pietrafonda", "Aldo Brusati"),
        ("L'ex sindaco di Pietrafonda, Aldo Brusati, ha criticato l'accordo.", "the mayor of Pietrafonda", ""),
        ("The vice-president of the Harl trust, Mo Pennick, said so.", "il vicepresidente del trust Harl", "Mo Pennick"),
        # An acting holder of a neighbouring office: the chief of a service is its commander.
        ("The acting chief coastguard, Moira Dunley, said so.", "la comandante facente funzione della guardia costiera", "Moira Dunley"),
        ("The acting chief coastguard, Moira Dunley, said so.", "la comandante della guardia costiera", "Moira Dunley"),
        # A body named with a link inside it, before the office.
        ("Lucia Rabbi, presidente del consorzio della Val del Torre, ha parlato.", "the Val del Torre consortium president", "Lucia Rabbi"),
    ],
)  # fmt: skip
def test_ranks_in_more_forms(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


@pytest.mark.parametrize(
    ("question", "role"),
    [
        # A possessor may be a name and the kind of body it names.
        ("What did Wexmoor council's leader say about tolls?", "Wexmoor council's leader"),
        ("What did Montefalco's mayor say about the car park?", "Montefalco's mayor"),
        ("What did Pietrafonda's ex-mayor say about the agreement?", "Pietrafonda's ex-mayor"),
        ("What did New Harlby's deputy mayor say?", "New Harlby's deputy mayor"),
    ],
)
def test_the_role_a_question_names(question: str, role: str) -> None:
    from rag.roles import ROLE_IN_QUESTION

    m = ROLE_IN_QUESTION.search(question)
    assert m is not None and m.group("role") == role


def test_a_role_naming_another_body_yields_to_the_one_that_says_it() -> None:
    """The minister's spokeswoman in a story about a coastguard station is not the
    coastguard's spokeswoman, though her article is first for the question."""
    coast = context_keys("the coastguard station will stay open, the minister said")
    holders = [
        Holder("Priya Lindholm", "the minister s spokeswoman", "a", coast),
        Holder("Lia Serrantoni", "portavoce della capitaneria di porto", "b", frozenset()),
    ]
    assert resolve_holder("the coastguard spokeswoman", holders, ["a", "b"]) == "Lia Serrantoni"


def test_a_bare_office_keeps_its_article() -> None:
    """The "direttrice" of an article about the museum is still its director: the rest of
    the question, not a role naming another museum, decides."""
    holders = [
        Holder("Viola Sperati", "direttrice", "a", context_keys("museo civico affreschi")),
        Holder("Carla Sestieri", "direttrice del museo minerario", "b", frozenset()),
    ]
    assert resolve_holder("the museum director", holders, ["a", "b"]) == "Viola Sperati"
    assert resolve_holder("the museum director", holders, ["b", "a"]) == "Carla Sestieri"
