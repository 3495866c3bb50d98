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
