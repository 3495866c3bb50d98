import pytest

from rag.documents import load_file
from rag.quotes import find_quotes, quotes_from_metadata, quotes_metadata
from tests.conftest import DATA, SAMPLE


def _attributed(path) -> list[tuple[str, str]]:
    text = load_file(path).documents[0].page_content
    return [(q.speaker, text[q.start : q.end]) for q in find_quotes(text)]


def test_every_quote_in_the_sample_is_rutte() -> None:
    quotes = _attributed(SAMPLE)
    assert len(quotes) == 5
    assert {s for s, _ in quotes} == {"Mark Rutte"}
    assert any("La deterrenza funziona solo se" in q for _, q in quotes)


def test_two_speakers_are_kept_apart() -> None:
    quotes = _attributed(DATA / "difesa-due-voci.txt")
    speakers = [s for s, _ in quotes]
    assert speakers == ["Giulia Ferrantelli", "Pieter Van Aalst", "Giulia Ferrantelli"]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"We have enough reserve capacity for a normal winter," said chief engineer Alan Pembury.', "Alan Pembury"),
        ('Mr John Smith told reporters: "The plan will not change this year."', "John Smith"),
        ("“Ridurremo i tempi di viaggio di quaranta minuti”, ha detto il direttore Elena Rossetti.", "Elena Rossetti"),
        ('"The harbour needs investment before winter," Nora Quill, chief economist at Fictional Capital Partners, told reporters.', "Nora Quill"),
        ('"The merger option is still on the table," chief executive Peter Vandamme-Roux confirmed on Thursday.', "Peter Vandamme-Roux"),
        ('Defence lawyer Reid Ostrander asked Mr Pullman: "Were you paid to say this, yes or no?"', "Reid Ostrander"),
        ('"Exports will recover by the spring," Oskar Lindqvist, an analyst with Northern Bank, said.', "Oskar Lindqvist"),
        ('"Rates will stay where they are this year," said Jane Roe of the Fictional Institute. "We see no reason to move."', "Jane Roe"),
        ('"Demand stayed weak all winter," said Northwind Air chief executive Bram Olafsen. Northwind fell.', "Bram Olafsen"),
        ('"It is too early to count the damage," Atlas Re\'s spokesman Ferin Woltz told reporters.', "Ferin Woltz"),
        ('"We need a feasible plan first," Fictional Bureau of Statistics chief Wei Lanfang told reporters.', "Wei Lanfang"),
        ('"The deal is done and we are happy with it," said Sean O\'Brien, the fictional chairman.', "Sean O'Brien"),
        ('Ian MacKenzie said: "We expected much more from this market."', "Ian MacKenzie"),
    ],
)  # fmt: skip
def test_attribution_patterns(text: str, speaker: str) -> None:
    quotes = find_quotes(text)
    assert quotes and [q.speaker for q in quotes] == [speaker] * len(quotes)


def test_quotes_metadata_round_trip_is_relative_to_the_chunk() -> None:
    text = load_file(SAMPLE).documents[0].page_content
    quotes = find_quotes(text)
    start = quotes[0].start - 10
    raw, speakers = quotes_metadata(quotes, start, start + 200)
    [q] = quotes_from_metadata(raw)
    assert q.start == 10 and speakers == "|rutte|"


# Wire copy (and text flattened from it) often leaves a quote open when it runs on into a
# new sentence or paragraph, loses a mark, or puts the speaker's name in an apposition.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A quote that runs on reopens without closing; both parts are the speaker's.
        ('Dana Morrow said: "The depot is full. "Over the winter we expect twice the usual traffic." The depot opened in May.',
         [("Dana Morrow", "The depot is full."), ("Dana Morrow", "Over the winter we expect twice the usual traffic.")]),
        # "He added:" between two quotes stays outside both.
        ('Mr Halvard Ekberg said: "I lost a year of my life. He added: "The inspectors wanted to break me."',
         [("Halvard Ekberg", "I lost a year of my life."), ("Halvard Ekberg", "The inspectors wanted to break me.")]),
        # A closing mark whose opening was lost is ignored, not paired with the next quote.
        ('Exports can suffer", a spokesman said. "We think the case against us is weak," said Tomas Brielle.',
         [("Tomas Brielle", "We think the case against us is weak,")]),
        # A paragraph break ends an open quote; the next paragraph's quote continues it.
        ('Nadia Kessler said: "The port will reopen in May.\n\n"We have hired forty new pilots for the season," she added.',
         [("Nadia Kessler", "The port will reopen in May."), ("Nadia Kessler", "We have hired forty new pilots for the season,")]),
        ("Il sindaco Carla Venturi ha detto: «Il porto riaprirà a maggio.\n\n«Abbiamo assunto quaranta nuovi piloti per la stagione», ha aggiunto.",
         [("Carla Venturi", "Il porto riaprirà a maggio."), ("Carla Venturi", "Abbiamo assunto quaranta nuovi piloti per la stagione")]),
        # One utterance in two spans: the name after the last one speaks for both.
        ('Lena Marsh said the data was weak.\n\n"These rules make the minister a registrar of last resort. "We are taking legal advice on this," Ms Orla Penrose said.',
         [("Orla Penrose", "These rules make the minister a registrar of last resort."), ("Orla Penrose", "We are taking legal advice on this,")]),
        # A quote that closed its sentence is followed by someone else's sentence...
        ('Sir Edwin Marlow told the committee: "I agree that the decisions were made badly." Opposition leader Carla Renwick said she thought the report was fair.',
         [("Edwin Marlow", "I agree that the decisions were made badly.")]),
        # ...unless that sentence is only the attribution.
        ('"Why were ten thousand fans so angry?" Harbour coach Dale Whitcombe asked.',
         [("Dale Whitcombe", "Why were ten thousand fans so angry?")]),
        # The subject of "said" is the name before the apposition, not the one inside it.
        ('Mark Tennant, director of Silver Harbour Music, said: "It is fantastic news for our fans in the north."',
         [("Mark Tennant", "It is fantastic news for our fans in the north.")]),
        ("Marco Ferri, direttore di Porto Nuovo Servizi, ha detto: «Il bilancio tornerà in attivo entro l'estate».",
         [("Marco Ferri", "Il bilancio tornerà in attivo entro l'estate")]),
        # A straight mark between two spaces closes the open quote.
        ('"The commission is buckling under the pressure, " party spokesman Aldo Brenner said.',
         [("Aldo Brenner", "The commission is buckling under the pressure,")]),
    ],
)  # fmt: skip
def test_quote_spans_and_speakers_in_wire_copy(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(q.speaker, text[q.start : q.end]) for q in find_quotes(text)] == expected


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # A possessive (English only) names the owner, not part of the person's name.
        ('Fictional Relief Trust\'s Jan Morrow said: "The policy was operated unfairly from the start."', "Jan Morrow"),
        ('Bruckner Werke\'s Ilse Hartwig told reporters: "Our order book is full until the autumn."', "Ilse Hartwig"),
    ],
)  # fmt: skip
def test_possessive_owner_is_not_part_of_the_name(text: str, speaker: str) -> None:
    assert [q.speaker for q in find_quotes(text)] == [speaker]
