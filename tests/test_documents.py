import datetime as dt
import json
import time
import unicodedata
from pathlib import Path

import pytest

from rag.chunking import chunk_document
from rag.documents import (
    detect_language,
    first_clause,
    iter_files,
    load_file,
    parse_dateline,
    split_front_matter,
)
from rag.errors import DocumentError
from rag.quotes import find_quotes
from tests.conftest import DATA, SAMPLE


# Datelines as each agency writes them; the text after the dash is fictional.
@pytest.mark.parametrize(
    ("line", "date", "place", "source", "body"),
    [
        pytest.param(" date 2026-02-11 BRUXELLES (BELGIO) (ITALPRESS) – Alla vigilia",
                     "2026-02-11", "Bruxelles (Belgio)", "Italpress", "Alla vigilia", id="italpress-iso"),
        pytest.param("GENOVA, 14 gennaio 2026 (ITALPRESS) – Il porto immaginario",
                     "2026-01-14", "Genova", "Italpress", "Il porto", id="italpress-date"),
        pytest.param("ROMA (ITALPRESS) - Il governo", "", "Roma", "Italpress", "Il governo", id="no-date"),
        pytest.param("PARIGI (ITALPRESS) – Il sindaco", "", "Parigi", "Italpress", "Il sindaco",
                     id="italpress-no-date"),
        pytest.param("12 marzo 2026\nPARIGI (ITALPRESS) – Il sindaco",
                     "2026-03-12", "Parigi", "Italpress", "Il sindaco", id="date-line-above"),
        pytest.param("2026-03-12\nPARIGI (ITALPRESS) – Il sindaco",
                     "2026-03-12", "Parigi", "Italpress", "Il sindaco", id="iso-line-above"),
        pytest.param("Giovedì 12 marzo 2026\n\nPARIGI (ITALPRESS) – Il sindaco",
                     "2026-03-12", "Parigi", "Italpress", "Il sindaco", id="weekday-line-above"),
        pytest.param("12/03/2026\nPARIGI (ITALPRESS) – Il sindaco",
                     "2026-03-12", "Parigi", "Italpress", "Il sindaco", id="numeric-line-above"),
        pytest.param("Giovedì 12 marzo 2026\n\nIl consiglio immaginario", "2026-03-12", "", "",
                     "Il consiglio", id="date-line-alone"),
        pytest.param("date 2025-10-02 L'AQUILA (ANSA) — Il sindaco", "2025-10-02", "L'Aquila", "ANSA",
                     "Il sindaco", id="em-dash-apostrophe"),
        pytest.param("(ANSA) - BARI, 2 FEB - Il sindaco", "", "Bari", "ANSA", "Il sindaco",
                     id="ansa-no-year"),
        pytest.param("(ANSA) - BARI, 2 febbraio 2026 - Il sindaco", "2026-02-02", "Bari", "ANSA",
                     "Il sindaco", id="ansa-year"),
        pytest.param("(AGI) - Palermo, 7 mar. - Il prefetto", "", "Palermo", "AGI", "Il prefetto",
                     id="agi"),
        pytest.param("(DIRE) Roma, 3 apr. 2026 - La giunta", "2026-04-03", "Roma", "Dire", "La giunta",
                     id="dire"),
        pytest.param("ROMA (Adnkronos) - La giunta", "", "Roma", "Adnkronos", "La giunta", id="adnkronos"),
        pytest.param("Roma, 3 apr. (askanews) - La giunta", "", "Roma", "askanews", "La giunta",
                     id="askanews"),
        pytest.param("Milano, 5 maggio 2026 (LaPresse) - La giunta", "2026-05-05", "Milano", "LaPresse",
                     "La giunta", id="lapresse"),
        pytest.param("CITTÀ DEL VATICANO (ITALPRESS) - Il portavoce", "", "Città del Vaticano",
                     "Italpress", "Il portavoce", id="accents-particles"),
        pytest.param("REGGIO NELL'EMILIA (ANSA) - Il sindaco", "", "Reggio nell'Emilia", "ANSA",
                     "Il sindaco", id="elided-particle"),
        pytest.param("GENOVA (LIGURIA), 14 gennaio 2026 – Il porto", "2026-01-14", "Genova (Liguria)",
                     "", "Il porto", id="region-before-date"),
        pytest.param("ROMA (XYZ NOTIZIE) - La giunta", "", "Roma", "Xyz Notizie", "La giunta",
                     id="unknown-agency-title-cased"),
        pytest.param("LONDON, March 3, 2026 — The council", "2026-03-03", "London", "", "The council",
                     id="english-month-first"),
        pytest.param("LONDON, 3 March 2026 - The council", "2026-03-03", "London", "", "The council",
                     id="english-day-first"),
        pytest.param("LONDON, 2026-01-08 — The council", "2026-01-08", "London", "", "The council",
                     id="english-iso"),
        pytest.param("BRUSSELS (Reuters) - The council", "", "Brussels", "Reuters", "The council",
                     id="reuters"),
        pytest.param("LONDON, Sept. 3 (Reuters) - The council", "", "London", "Reuters", "The council",
                     id="reuters-date-no-year"),
        pytest.param("WASHINGTON, FEB 3, 2026 (AP) — The council", "2026-02-03", "Washington", "AP",
                     "The council", id="ap-caps-month"),
        pytest.param("(Bloomberg) -- The council", "", "", "Bloomberg", "The council", id="bloomberg"),
        # The date first, then the place between dashes.
        pytest.param("Tuesday, 10 March 2026 — KESTRELTON — The council", "2026-03-10", "Kestrelton", "",
                     "The council", id="date-first-place-between-dashes"),
        pytest.param("12 marzo 2026 – VALBRUNA – Il sindaco", "2026-03-12", "Valbruna", "", "Il sindaco",
                     id="data-prima-luogo-tra-trattini"),
        pytest.param("Tuesday, 10 March 2026 — KESTRELTON (Reuters) — The council", "2026-03-10",
                     "Kestrelton", "Reuters", "The council", id="date-first-place-agency"),
        # A state, region or country after a comma goes in brackets, as a bracketed one does.
        pytest.param("MARLOWE CREEK, Ohio (AP) — The mayor", "", "Marlowe Creek (Ohio)", "AP", "The mayor",
                     id="place-state-agency"),
        pytest.param("BRANTHAM, England, June 16, 2026 — The council", "2026-06-16", "Brantham (England)",
                     "", "The council", id="place-country-date"),
        pytest.param("BRANTHAM, ENGLAND, 16 June 2026 (Reuters) - The council", "2026-06-16",
                     "Brantham (England)", "Reuters", "The council", id="place-country-date-agency"),
        # A two-letter agency in the outlet's place, after the date or a comma region.
        pytest.param("HOLTBY, Feb. 9, 2026 (PA) — The council", "2026-02-09", "Holtby", "PA", "The council",
                     id="pa-after-date"),
        pytest.param("HOLTBY, Yorkshire (PA) — The council", "", "Holtby (Yorkshire)", "PA", "The council",
                     id="pa-after-region"),
        # Straight after the town, PA is Palermo's province code, not the outlet.
        pytest.param("CEFALÙ (PA) (ITALPRESS) – Il sindaco", "", "Cefalù (PA)", "Italpress", "Il sindaco",
                     id="province-code-then-agency"),
        # A wire's time stamp after the date on its own line.
        pytest.param("2026-05-12 10:47\n\nROMA (DIRE) - La giunta", "2026-05-12", "Roma", "Dire",
                     "La giunta", id="date-and-time-line-above"),
        pytest.param("12 marzo 2026, ore 10.47\nPARIGI (ITALPRESS) – Il sindaco", "2026-03-12", "Parigi",
                     "Italpress", "Il sindaco", id="date-ore-time-line-above"),
        # A paper's dateline in mixed case: the year and a capitalised body make it one.
        pytest.param("Reggio Emilia, 3 marzo 2026 – Il sindaco", "2026-03-03", "Reggio Emilia", "",
                     "Il sindaco", id="mixed-case-place-dated"),
        pytest.param("Kestrelton, Tuesday 3 March 2026 - The council", "2026-03-03", "Kestrelton", "",
                     "The council", id="mixed-case-place-weekday"),
        # The agency's name without brackets, before the place and its own dash.
        pytest.param("AGI - Cerreta, 3 marzo - Il prefetto", "", "Cerreta", "AGI", "Il prefetto",
                     id="bare-agency-first"),
        pytest.param("LaPresse – Cerreta, 5 maggio 2026 – La giunta", "2026-05-05", "Cerreta", "LaPresse",
                     "La giunta", id="bare-agency-first-dated"),
        # The date first, then the place: straight after it, or after a comma.
        pytest.param("March 3, 2026 HOLTBY — The council", "2026-03-03", "Holtby", "", "The council",
                     id="date-then-place"),
        pytest.param("3 March 2026, HOLTBY (PA) - The council", "2026-03-03", "Holtby", "PA",
                     "The council", id="date-comma-place-pa"),
        pytest.param("Tuesday, 3 March 2026, HOLTBY (Reuters) - The council", "2026-03-03", "Holtby",
                     "Reuters", "The council", id="weekday-date-comma-place-agency"),
        # The outlet after the place's dash, with a dash of its own or none.
        pytest.param("Cerreta, 3 marzo – (Adnkronos) La giunta", "", "Cerreta", "Adnkronos", "La giunta",
                     id="agency-after-dash"),
        pytest.param("Cerreta, 3 marzo 2026 - (askanews) - La giunta", "2026-03-03", "Cerreta", "askanews",
                     "La giunta", id="agency-between-dashes"),
        # The date between dashes after the place.
        pytest.param("CERRETA (ITALPRESS) – 3 marzo 2026 – La giunta", "2026-03-03", "Cerreta",
                     "Italpress", "La giunta", id="date-between-dashes-after-agency"),
        pytest.param("HOLTBY — March 3, 2026 — The council", "2026-03-03", "Holtby", "", "The council",
                     id="place-then-date-between-dashes"),
        # A joint credit names its first agency.
        pytest.param("(ANSA-AFP) - PARIGI, 3 MAR - Il sindaco", "", "Parigi", "ANSA", "Il sindaco",
                     id="joint-credit-first"),
        pytest.param("CERRETA, 3 marzo (Adnkronos/Labitalia) - La giunta", "", "Cerreta", "Adnkronos",
                     "La giunta", id="joint-credit-after-date"),
        # A weekday alone dates nothing and is no region; a time after the date is skipped.
        pytest.param("HOLTBY, Tuesday (Reuters) - The council", "", "Holtby", "Reuters", "The council",
                     id="weekday-alone"),
        pytest.param("Cerreta, 3 marzo 2026, ore 10:30 (ITALPRESS) - La giunta", "2026-03-03", "Cerreta",
                     "Italpress", "La giunta", id="time-after-date"),
        # A site's "Published:" or "Pubblicato il" before the date line.
        pytest.param("Published: March 3, 2026\nHOLTBY (Reuters) - The council", "2026-03-03", "Holtby",
                     "Reuters", "The council", id="published-prefix"),
        pytest.param("Pubblicato il 3 marzo 2026\nCERRETA (ITALPRESS) - La giunta", "2026-03-03",
                     "Cerreta", "Italpress", "La giunta", id="pubblicato-prefix"),
    ],
)  # fmt: skip
def test_parse_dateline(line: str, date: str, place: str, source: str, body: str) -> None:
    dl = parse_dateline(line)
    assert dl is not None
    assert (dl.published_at, dl.place, dl.source) == (date, place, source)
    assert line[dl.end :].startswith(body)


# A date without a year takes the year that puts it nearest the file's date; with no
# such date it stays undated rather than guessed (place and outlet are kept).
@pytest.mark.parametrize(
    ("line", "reference", "date"),
    [
        ("(ANSA) - BARI, 2 FEB - Il sindaco", dt.date(2026, 2, 3), "2026-02-02"),
        ("LONDON, Dec. 30 (Reuters) - The council", dt.date(2026, 1, 2), "2025-12-30"),
        ("(AGI) - Palermo, 7 gen. - Il prefetto", dt.date(2025, 12, 31), "2026-01-07"),
        ("(ANSA) - BARI, 2 FEB - Il sindaco", None, ""),
    ],
)
def test_year_less_date_takes_the_nearest_year(
    line: str, reference: dt.date | None, date: str
) -> None:
    dl = parse_dateline(line, reference=reference)
    assert dl is not None and dl.published_at == date and dl.place


@pytest.mark.parametrize(
    "line",
    [
        "Il governo ha deciso oggi.",
        "The (BBC) said - nothing",
        "LONDON is the capital - and the largest city",
        "NATO ministers met - again - in Brussels",
        "NATO — the alliance said on Tuesday",
        "Il 3 marzo 2026 il consiglio - riunito in seduta - ha deciso",
        "12 marzo 2026 il consiglio ha deciso - all'unanimità",
        "Oggi, 3 marzo 2026 – il consiglio ha deciso",
        "Oggi, 3 marzo 2026 – Il consiglio ha deciso",
        "Roma, 3 marzo – la giunta ha deciso",  # mixed case without a year: a sentence
        "Roma, 3 marzo 2026 – la giunta ha deciso",
        "Mario Rossi (PD) - il consigliere immaginario - ha detto",
        "Roma (Lazio) - la giunta ha deciso",
        "Nel corso della riunione (ANSA) - dice",
        "(FOTO) - ROMA - la giunta",
        # A date first needs a place in capitals between dashes, like any undated dateline.
        "12 marzo 2026 – il consiglio – ha deciso",
        "Tuesday, 10 March 2026 — The council — met again",
        # After a comma, a name and a party, or a list of towns, are not place and region.
        "Mario Rossi, Sindaco (PD) - il consigliere immaginario - ha detto",
        "Roma, Milano e Napoli - le città",
        "LONDON, Paris - and Berlin",
        "BRANTHAM, England (Lazio) (Reuters) - two regions",
        "CEFALÙ (PA) - il sindaco immaginario ha detto",
        "12 marzo 2026 10.47 il consiglio ha deciso - all'unanimità",
        # An agency's name without brackets needs a place and that place's dash after it.
        "AGI - la giunta ha deciso",
        "Reuters - The council said so",
        "ANSA - Roma e Milano",
        # A date then a place in capitals, with no outlet: the body is capitalised too.
        "12 March 2026 NATO — the alliance said",
        # After the dash, only a known agency's bracket is the outlet.
        "Roma, 3 marzo – (foto) la giunta",
        "Roma, 3 marzo – (Lega) la giunta",
        "LONDON, Tuesday - and again",
        # A province code is no bare agency.
        "PA - PALERMO, 3 mar. - Il sindaco",
    ],
)
def test_parse_dateline_ignores_plain_text(line: str) -> None:
    assert parse_dateline(line) is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("A" * 100_000, id="capitals"),
        pytest.param("ROMA " * 20_000, id="words"),
        pytest.param("ROMA (" * 20_000, id="brackets"),
        pytest.param("(ANSA) - " + "BARI, " * 20_000, id="agency-first"),
        pytest.param("12 marzo " * 10_000, id="dates"),
        pytest.param("12 marzo 2026 — " * 7_000, id="dates-and-dashes"),
        pytest.param("QUENBURY, Ohio, " * 7_000, id="comma-regions"),
        pytest.param("12 marzo 2026\n\n" * 7_000, id="date-lines"),
        pytest.param("AGI - " * 20_000, id="bare-agencies"),
        pytest.param("ROMA, 3 marzo – (Adnkronos) – " * 4_000, id="agencies-after-dashes"),
    ],
)
def test_dateline_parsing_is_linear_on_a_100kb_line(tmp_path: Path, text: str) -> None:
    f = tmp_path / "line.txt"
    f.write_text(text)
    started = time.perf_counter()
    parse_dateline(text)
    load_file(f)
    assert time.perf_counter() - started < 1.0


def test_sample_article_metadata() -> None:
    [doc] = load_file(SAMPLE).documents
    m = doc.metadata
    assert m["source"] == "Italpress"
    assert m["published_at"] == "2026-02-11"
    assert m["place"] == "Bruxelles (Belgio)"
    assert m["lang"] == "it"
    # The wire has no headline line: the title is made from its dateline and first clause.
    assert m["title"] == (
        "Italpress, Bruxelles (Belgio), 11 Feb 2026: "
        "Alla vigilia della riunione dei ministri della Difesa dell’Alleanza Atlantica"
    )
    assert doc.page_content[m["body_start"] :].startswith("Alla vigilia della riunione")
    assert m["path"] == str(SAMPLE)
    assert "La deterrenza funziona solo se" in doc.page_content


FICTION = "[Fictional briefing written for tests.]"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_gives_title_date_source_and_is_not_article_text(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "nota.md",
        '---\ntitle: "Valmarina: il molo nuovo"\ndate: 2026-02-09\nsource: Agenzia Immaginaria\n'
        "---\n# Titolo interno\n\nVALMARINA, 2 febbraio 2026 (ITALPRESS) – Il sindaco immaginario "
        f"ha inaugurato il molo.\n\n{FICTION}\n",
    )
    [doc] = load_file(f).documents
    m = doc.metadata
    # The file's own fields win over its dateline; the dateline still gives the place.
    assert (m["title"], m["published_at"], m["source"], m["place"]) == (
        "Valmarina: il molo nuovo", "2026-02-09", "Agenzia Immaginaria", "Valmarina",
    )  # fmt: skip
    assert doc.page_content.startswith("VALMARINA, 2 febbraio 2026")
    assert "title:" not in doc.page_content and "---" not in doc.page_content


@pytest.mark.parametrize(
    ("text", "fields", "rest"),
    [
        ("---\ndate: 11 febbraio 2026\nlang: it\n---\nTesto.", {"date": "11 febbraio 2026", "lang": "it"},
         "Testo."),
        ("---\npublished_at: '2026-02-11'\noutlet: Foglio\n---\n", {"date": "2026-02-11", "source": "Foglio"},
         ""),
        # A rule, not metadata: it stays in the text.
        ("---\nUna riga tra due righelli.\n---\nTesto.", {}, "---\nUna riga tra due righelli.\n---\nTesto."),
        ("Testo.\n---\ntitle: x\n---\n", {}, "Testo.\n---\ntitle: x\n---\n"),
    ],
)  # fmt: skip
def test_split_front_matter(text: str, fields: dict[str, str], rest: str) -> None:
    assert split_front_matter(text) == (fields, rest)


def test_front_matter_date_written_out_is_read(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "nota.txt",
        f"---\ndate: 11 febbraio 2026\n---\nIl sindaco immaginario. {FICTION}",
    )
    [doc] = load_file(f).documents
    assert doc.metadata["published_at"] == "2026-02-11"


@pytest.mark.parametrize(
    ("name", "text", "date"),
    [
        pytest.param("2026-02-11-giunta.txt", "ROMA (ITALPRESS) – La giunta immaginaria.", "2026-02-11",
                     id="file-name-when-dateline-has-no-date"),
        pytest.param("2026-02-11-giunta.txt", "La giunta immaginaria ha deciso.", "2026-02-11",
                     id="file-name-without-dateline"),
        pytest.param("2026-01-15-porto.txt", "GENOVA, 14 gennaio 2026 (ITALPRESS) – Il porto immaginario.",
                     "2026-01-14", id="dateline-beats-file-name"),
        pytest.param("2026-02-03-bari.txt", "(ANSA) - BARI, 2 FEB - Il sindaco immaginario.", "2026-02-02",
                     id="year-from-file-name"),
        pytest.param("giunta.txt", "(ANSA) - BARI, 2 FEB - Il sindaco immaginario.", "",
                     id="no-year-anywhere-is-undated"),
    ],
)  # fmt: skip
def test_date_precedence(tmp_path: Path, name: str, text: str, date: str) -> None:
    [doc] = load_file(_write(tmp_path / name, f"{text}\n\n{FICTION}")).documents
    assert doc.metadata["published_at"] == date
    assert doc.metadata["date_key"] == (int(date.replace("-", "")) if date else 0)


def test_headline_less_briefing_gets_a_readable_title(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "2026-02-11-x.txt",
        "ROMA (ITALPRESS) – Il consiglio comunale immaginario di Valmarina ha approvato il "
        f"bilancio, con venti voti favorevoli.\n\n{FICTION}",
    )
    [doc] = load_file(f).documents
    assert doc.metadata["title"] == (
        "Italpress, Roma, 11 Feb 2026: "
        "Il consiglio comunale immaginario di Valmarina ha approvato il bilancio"
    )


# A date on its own line, then the headline, then the dateline: the headline is the title,
# and the date above it still dates the dateline below it.
@pytest.mark.parametrize(
    ("text", "title", "date", "place", "source", "body"),
    [
        pytest.param("Giovedì 19 marzo 2026\n\nBorghi immaginari, un piano per i trasporti\n\n"
                     "ROMA (Adnkronos) - Il piano", "Borghi immaginari, un piano per i trasporti",
                     "2026-03-19", "Roma", "Adnkronos", "Il piano", id="adnkronos"),
        pytest.param("Monday, April 27, 2026\n\nBattery plant comes to Marlowe Creek\n\n"
                     "MARLOWE CREEK, Ohio (AP) — A battery maker", "Battery plant comes to Marlowe Creek",
                     "2026-04-27", "Marlowe Creek (Ohio)", "AP", "A battery maker", id="ap"),
        pytest.param("12 March 2026\n\nMinisters split over Brantham quotas\n\n"
                     "BRUSSELS (Reuters) - Ministers", "Ministers split over Brantham quotas",
                     "2026-03-12", "Brussels", "Reuters", "Ministers", id="reuters"),
        pytest.param("24/04/2026\n\nValbruna, il tram chiude per sei mesi\n\n"
                     "MILANO (LaPresse) - La linea", "Valbruna, il tram chiude per sei mesi",
                     "2026-04-24", "Milano", "LaPresse", "La linea", id="lapresse"),
        pytest.param("2026-05-12 10:47\n\nPronto soccorso immaginario, nuove regole\n\n"
                     "ROMA (DIRE) - Nessun paziente", "Pronto soccorso immaginario, nuove regole",
                     "2026-05-12", "Roma", "Dire", "Nessun paziente", id="dire-date-and-time"),
        pytest.param("22 Sep 2026\n\nFennick Mutual to shut branches\n\n(Bloomberg) -- Fennick",
                     "Fennick Mutual to shut branches", "2026-09-22", "", "Bloomberg", "Fennick",
                     id="bloomberg-no-place"),
        # The headline straight under the date line, no blank line between them.
        pytest.param("Martedì 7 aprile 2026\nValbruna, riapre il mercato coperto\n\n"
                     "ROMA (askanews) - Il mercato", "Valbruna, riapre il mercato coperto",
                     "2026-04-07", "Roma", "askanews", "Il mercato", id="headline-under-date-no-blank"),
        # With no dateline under it the headline is still the title, and the date still counts.
        pytest.param("12 marzo 2026\n\nValbruna, approvato il bilancio\n\nIl consiglio immaginario",
                     "Valbruna, approvato il bilancio", "2026-03-12", "", "", "Il consiglio",
                     id="no-dateline"),
        # The line under the date is the dateline itself: no headline, a generated title.
        pytest.param("12 marzo 2026\n\nPARIGI (ITALPRESS) – Il sindaco immaginario ha parlato.\n\nPoi",
                     "Italpress, Parigi, 12 Mar 2026: Il sindaco immaginario ha parlato", "2026-03-12",
                     "Parigi", "Italpress", "Il sindaco", id="dateline-under-date-is-no-headline"),
    ],
)  # fmt: skip
def test_headline_under_a_date_line(
    tmp_path: Path, text: str, title: str, date: str, place: str, source: str, body: str
) -> None:
    [doc] = load_file(_write(tmp_path / "wire.txt", f"{text}\n\n{FICTION}")).documents
    m = doc.metadata
    assert (m["title"], m["published_at"], m["place"], m["source"]) == (title, date, place, source)
    assert doc.page_content[m["body_start"] :].startswith(body)
    # The headline is the title, not article text; the date line stays, one blank line above.
    assert title not in doc.page_content
    assert doc.page_content.startswith(text.partition("\n")[0] + "\n\n")
    assert "\n\n\n" not in doc.page_content


# A byline is neither the headline nor article text, above or under the headline.
@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Council votes on the Kestrelton bridge\nBy Jane Roe\n\nLONDON, March 3, 2026 (Reuters) - The",
         "Council votes on the Kestrelton bridge"),
        ("By Jane Roe and John Doe, Political Editors\n\nLONDON, March 3, 2026 (Reuters) - The",
         "Reuters, London, 3 Mar 2026: The"),
        ("Valbruna, il ponte riapre\ndi Maria de Santis\n\nROMA, 3 marzo 2026 (ITALPRESS) – The",
         "Valbruna, il ponte riapre"),
    ],
)  # fmt: skip
def test_a_byline_is_not_title_nor_text(tmp_path: Path, text: str, title: str) -> None:
    [doc] = load_file(_write(tmp_path / "wire.txt", f"{text} council met.\n\n{FICTION}")).documents
    assert doc.metadata["title"].startswith(title)
    assert doc.metadata["source"] in ("Reuters", "Italpress") and doc.metadata["published_at"]
    assert "Roe" not in doc.page_content and "Santis" not in doc.page_content


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("ROME, March 3 - The council of imaginary Valbruna met.\n\nIt voted. (ANSA).", "ANSA"),
        ("LONDON, March 3, 2026 — The council met.\n\nIt voted.\n(Reuters)\n", "Reuters"),
        # An unknown bracket at the end is not an outlet.
        ("LONDON, March 3, 2026 — The council met.\n\nIt voted (2).", ""),
        ("Il consiglio immaginario di Valbruna ha votato il bilancio. (PD)", ""),
    ],
)
def test_an_outlet_named_at_the_end_is_the_source(tmp_path: Path, text: str, source: str) -> None:
    first, _, rest = text.partition("\n")
    [doc] = load_file(_write(tmp_path / "wire.txt", f"{first}\n\n{FICTION}\n{rest}")).documents
    assert doc.metadata["source"] == source


@pytest.mark.parametrize(
    ("body", "clause"),
    [
        ("Alla vigilia della riunione dei ministri, il segretario ha parlato.",
         "Alla vigilia della riunione dei ministri"),
        # Too short a first clause ("Oggi") is not a title: the next break is taken.
        ("Oggi, il consiglio comunale ha approvato il bilancio; domani la giunta.",
         "Oggi, il consiglio comunale ha approvato il bilancio"),
        ("Breve notizia.", "Breve notizia"),
        ("Una frase lunghissima senza alcuna pausa che continua a parlare del porto e dei moli e "
         "delle banchine e dei pescatori fino alla fine",
         "Una frase lunghissima senza alcuna pausa che continua a parlare del porto e dei…"),
        ("Un rapporto\nsu due righe, poi altro.", "Un rapporto su due righe"),
    ],
)  # fmt: skip
def test_first_clause(body: str, clause: str) -> None:
    assert first_clause(body) == clause


def test_jsonl_line_without_title_gets_a_readable_title(tmp_path: Path) -> None:
    f = _write(
        tmp_path / "w.jsonl",
        '{"id": "w-1", "source": "Agenzia Immaginaria", "published_at": "2026-02-02", '
        '"place": "Alba", '
        '"text": "La nuova linea tra Alba e Bruna aprirà a settembre, dice il direttore."}\n',
    )
    [doc] = load_file(f).documents
    assert doc.metadata["title"] == (
        "Agenzia Immaginaria, Alba, 2 Feb 2026: La nuova linea tra Alba e Bruna aprirà a settembre"
    )


COMPOSED = (
    "VALMARINA, 3 marzo 2026 (ITALPRESS) – Il sindaco immaginario di Città Alta, Niccolò "
    "Fantàzzi, ha parlato al porto. “È una giornata storica per la città e per il porto”, ha "
    f"detto Niccolò Fantàzzi.\n\n{FICTION}"
)


def test_decomposed_accents_load_as_the_composed_text(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", COMPOSED)
    assert decomposed != COMPOSED
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    [nfc] = load_file(_write(tmp_path / "a" / "nota.txt", COMPOSED)).documents
    [nfd] = load_file(_write(tmp_path / "b" / "nota.txt", decomposed)).documents
    assert nfd.page_content == nfc.page_content == COMPOSED
    different = {"doc_id", "path"}  # the two files are in two folders
    assert {k: v for k, v in nfd.metadata.items() if k not in different} == {
        k: v for k, v in nfc.metadata.items() if k not in different
    }
    [quote] = find_quotes(nfd.page_content)
    assert quote.speaker == "Niccolò Fantàzzi"


def test_jsonl_text_and_title_are_nfc(tmp_path: Path) -> None:
    title = unicodedata.normalize("NFD", "Città Alta, è festa")
    text = unicodedata.normalize("NFD", "La città è in festa per il molo immaginario.")
    f = _write(tmp_path / "w.jsonl", json.dumps({"id": "w-1", "title": title, "text": text}) + "\n")
    [doc] = load_file(f).documents
    assert doc.metadata["title"] == "Città Alta, è festa"
    assert doc.page_content == "La città è in festa per il molo immaginario."


def test_chunks_carry_body_start() -> None:
    [doc] = load_file(SAMPLE).documents
    chunks = chunk_document(doc)
    assert len(chunks) > 1
    assert {c.metadata["body_start"] for c in chunks} == {doc.metadata["body_start"]}


def test_ingest_reports_undated_files_and_stores_body_start(tmp_path: Path, e5) -> None:
    from rag import Assistant

    src = tmp_path / "in"
    src.mkdir()
    dated = _write(
        src / "dated.txt",
        f"ROMA, 3 marzo 2026 (ITALPRESS) – Il molo immaginario apre.\n\n{FICTION}",
    )
    undated = _write(src / "undated.txt", f"Il molo immaginario di Valmarina apre. {FICTION}")
    assistant = Assistant(store=tmp_path / "store", embeddings=e5)
    report = assistant.ingest([src], progress=False)
    assert report.ok and len(report.added) == 2
    assert report.undated == [str(undated)]
    stored = {m["path"]: m for _, m in assistant.store.iter_chunk_metadata()}
    assert stored[str(dated)]["body_start"] == len("ROMA, 3 marzo 2026 (ITALPRESS) – ")
    assert stored[str(undated)]["body_start"] == 0
    # Unchanged documents are not reported again.
    assert assistant.ingest([src], progress=False).undated == []


@pytest.mark.parametrize(
    ("name", "title", "lang", "must_have", "must_not"),
    [
        ("calcio-derby.md", "Derby di Castelfranco, vince la capolista", "it", "derby", "#"),
        ("energy-briefing.html", "Grid operator warns on winter demand", "en", "reserve capacity", "tracking"),
        ("porto-bilancio.txt", "Porto di Valmarina, approvato il bilancio", "it", "moli", "\ufeff"),
    ],
)  # fmt: skip
def test_loaders(name: str, title: str, lang: str, must_have: str, must_not: str) -> None:
    [doc] = load_file(DATA / name).documents
    assert doc.metadata["title"] == title
    assert doc.metadata["lang"] == lang
    assert must_have in doc.page_content
    assert must_not not in doc.page_content


def test_html_drops_script_and_style() -> None:
    [doc] = load_file(DATA / "energy-briefing.html").documents
    assert "color: red" not in doc.page_content
    assert "not text" not in doc.page_content


def test_jsonl_articles_keep_their_ids_and_fields() -> None:
    loaded = load_file(DATA / "wires.jsonl")
    assert [d.metadata["doc_id"] for d in loaded.documents] == ["wire-001", "wire-002", "wire-003"]
    first = loaded.documents[0].metadata
    assert (first["source"], first["published_at"], first["lang"]) == (
        "Agenzia Immaginaria", "2026-02-02", "it",
    )  # fmt: skip
    assert loaded.problems == []


def test_jsonl_bad_line_is_reported_and_good_lines_kept(tmp_path: Path) -> None:
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"id": "a", "text": "Testo uno."}\n{broken\n{"id": "b", "text": "Text two."}\n')
    loaded = load_file(f)
    assert [d.metadata["doc_id"] for d in loaded.documents] == ["a", "b"]
    assert len(loaded.problems) == 1 and ":2:" in loaded.problems[0]


def test_pdf_loader(tmp_path: Path) -> None:
    pdf = _make_pdf(tmp_path / "note.pdf", "Rapporto trimestrale sul porto di Valmarina")
    [doc] = load_file(pdf).documents
    assert "Rapporto trimestrale" in doc.page_content


def _make_pdf(path: Path, text: str) -> Path:
    """A minimal one-page PDF with real text, written by hand (no PDF writer dependency)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "empty file", id="empty"),
        pytest.param(b"\x00\x01\x02binary\x00" * 50, "binary", id="binary"),
    ],
)
def test_bad_text_files_raise_document_error(tmp_path: Path, content: bytes, reason: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(DocumentError, match=reason):
        load_file(f)


def test_corrupt_pdf_raises_document_error(tmp_path: Path) -> None:
    f = tmp_path / "broken.pdf"
    f.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(DocumentError, match="PDF"):
        load_file(f)


def test_latin1_italian_is_decoded(tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes("La città è più bella perché è così.".encode("latin-1"))
    [doc] = load_file(f).documents
    assert doc.page_content == "La città è più bella perché è così."


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Il segretario generale della Nato ha parlato con i giornalisti.", "it"),
        ("The secretary general of the alliance spoke to reporters.", "en"),
        ("12345 !!!", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_iter_files_walks_folders_once_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("x")
    (tmp_path / "sub" / "c.exe").write_text("x")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path, tmp_path / "a.txt"])]
    assert found == ["a.txt", "sub/b.md"]


def test_iter_files_missing_path() -> None:
    with pytest.raises(DocumentError, match="no such file"):
        list(iter_files(["/nonexistent/briefings"]))


SAMPLE_SHA256 = "e3ebca6821b2fd484722cc613006273d429fc6406d14bc25ddf4e8ac3fc0c986"


def test_the_sample_is_the_real_wire_byte_for_byte() -> None:
    """corpus/ ships the Italpress wire exactly as published (../shared/corpus), never a
    rewrite: the hash pins it even where ../shared is not beside the repository."""
    import hashlib

    from tests.conftest import ROOT

    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == SAMPLE_SHA256
    shared = ROOT.parent / "shared" / "corpus" / "000_fdceb2a563e04028.txt"
    if shared.exists():
        assert SAMPLE.read_bytes() == shared.read_bytes()
