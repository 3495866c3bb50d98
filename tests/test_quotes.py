import pytest

from rag.documents import load_file
from rag.quotes import (
    Quote,
    find_quotes,
    find_roles,
    match_role,
    quotes_from_metadata,
    quotes_metadata,
    roles_from_metadata,
    roles_metadata,
)
from rag.roles import with_place
from tests.conftest import DATA, SAMPLE


def _text(path) -> str:
    return load_file(path).documents[0].page_content


def _attributed(path, kind: str = "direct") -> list[tuple[str, str]]:
    text = _text(path)
    return [(q.speaker, text[q.start : q.end]) for q in find_quotes(text) if q.kind == kind]


def _direct(text: str) -> list[Quote]:
    return [q for q in find_quotes(text) if q.kind == "direct"]


def test_every_quote_in_the_sample_is_rutte() -> None:
    # The real wire holds seven quoted passages, every one of them Rutte's.
    quotes = _attributed(SAMPLE)
    assert len(quotes) == 7
    assert {s for s, _ in quotes} == {"Mark Rutte"}
    assert any("La deterrenza funziona solo se" in q for _, q in quotes)
    # Introduced by a gerund and 'che', still a direct quote, not reported speech.
    assert any(q.startswith("ogni sistema di difesa aerea consegnato") for _, q in quotes)


def test_the_sample_reports_rutte_without_quotation_marks() -> None:
    reported = _attributed(SAMPLE, "reported")
    assert ("Mark Rutte", "la Nato non accetterà alcuna intimidazione") in reported
    assert {s for s, _ in reported} == {"Mark Rutte"}
    # No reported clause repeats a direct quote.
    direct = _attributed(SAMPLE)
    assert not any(r in d or d in r for _, r in reported for _, d in direct)


def test_the_sample_names_rutte_by_his_office() -> None:
    assert find_roles(_text(SAMPLE)) == {"segretario generale della nato": "Mark Rutte"}


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
    quotes = _direct(text)
    assert quotes and [q.speaker for q in quotes] == [speaker] * len(quotes)


# A pronoun's speaker is the last person named as a subject: not a name a preposition
# governs (an organisation, a programme, a work), unless a relative makes it a subject.
@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('Dana Holt, co-ordinator for the Harbour Freedom Foundation, had doubts. "It will not work," she said.', "Dana Holt"),
        ('Dana Holt told BBC Radio\'s Breakfast With Frost: "It will not work." "Nobody wants it," she said.', "Dana Holt"),
        ('It is a first nomination for Dana Holt, 49, who spoke on Monday. "I am thrilled," she said.', "Dana Holt"),
    ],
)  # fmt: skip
def test_a_pronoun_speaker_is_no_governed_name(text: str, speaker: str) -> None:
    assert [q.speaker for q in _direct(text)][-1] == speaker


def test_quotes_metadata_round_trip_is_relative_to_the_chunk() -> None:
    text = _text(SAMPLE)
    quotes = find_quotes(text)
    first = _direct(text)[0]
    start = first.start - 2
    raw, speakers = quotes_metadata(quotes, start, first.start + 150)
    [q] = quotes_from_metadata(raw)
    assert q.start == 2 and q.kind == "direct" and speakers == "|rutte|"


def test_reported_speech_keeps_its_kind_in_metadata_and_old_metadata_still_loads() -> None:
    text = "Dana Holt said that the depot would close in May."
    [q] = quotes_from_metadata(quotes_metadata(find_quotes(text), 0, len(text))[0])
    assert (q.kind, q.speaker, text[q.start : q.end]) == (
        "reported",
        "Dana Holt",
        "the depot would close in May",
    )
    # Stored before Quote.kind existed: a direct quote.
    [old] = quotes_from_metadata('[{"start": 1, "end": 9, "speaker": "Dana Holt"}]')
    assert old == Quote(1, 9, "Dana Holt", "direct")


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
    assert [(q.speaker, text[q.start : q.end]) for q in _direct(text)] == expected


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # A possessive (English only) names the owner, not part of the person's name.
        ('Fictional Relief Trust\'s Jan Morrow said: "The policy was operated unfairly from the start."', "Jan Morrow"),
        ('Bruckner Werke\'s Ilse Hartwig told reporters: "Our order book is full until the autumn."', "Ilse Hartwig"),
    ],
)  # fmt: skip
def test_possessive_owner_is_not_part_of_the_name(text: str, speaker: str) -> None:
    assert [q.speaker for q in _direct(text)] == [speaker]


def _reported(text: str) -> list[tuple[str, str]]:
    return [(q.speaker, text[q.start : q.end]) for q in find_quotes(text) if q.kind == "reported"]


# Reported speech: the clause the article says someone said, verbatim, without its full stop.
# Fictional people and places.
@pytest.mark.parametrize(
    ("text", "speaker", "clause"),
    [
        # Italian: a speech verb and 'che'.
        ("Il sindaco Vittorio Abbondanza ha dichiarato che il mercato coperto riaprirà a novembre.",
         "Vittorio Abbondanza", "il mercato coperto riaprirà a novembre"),
        ("Aldo Ferretti ha avvertito che la diga non reggerà un altro inverno senza lavori.",
         "Aldo Ferretti", "la diga non reggerà un altro inverno senza lavori"),
        ("Elena Rossetti ha annunciato che la linea sarà elettrificata entro il 2028.",
         "Elena Rossetti", "la linea sarà elettrificata entro il 2028"),
        ("Ieri Marta Quirici ha spiegato ai cronisti che le nuove banchine saranno pronte in estate.",
         "Marta Quirici", "le nuove banchine saranno pronte in estate"),
        # Words between the verb and 'che' stay out of the clause.
        ("Interrogato sul bilancio, Elio Brancati ha ribadito con fermezza che nessun lavoratore perderà il posto.",
         "Elio Brancati", "nessun lavoratore perderà il posto"),
        # The subject in the role form, or after the name.
        ("Il segretario generale della Lega dei Porti, Marta Quirici, ha precisato che nessuna banchina verrà chiusa.",
         "Marta Quirici", "nessuna banchina verrà chiusa"),
        ("Carla Venturini, ministra del Turismo, ha assicurato che i fondi arriveranno entro marzo.",
         "Carla Venturini", "i fondi arriveranno entro marzo"),
        # 'come' after 'sottolineare' reports a statement too.
        ("Elio Brancati ha sottolineato come il consorzio abbia chiuso l'anno in attivo.",
         "Elio Brancati", "il consorzio abbia chiuso l'anno in attivo"),
        # 'secondo X,' and 'X, secondo cui'.
        ("Secondo Carla Venturini, il turismo crescerà del dieci per cento entro l'estate.",
         "Carla Venturini", "il turismo crescerà del dieci per cento entro l'estate"),
        ("Il bilancio è in ordine, ha ricordato Aldo Ferretti, secondo cui il porto resterà in attivo fino al 2027.",
         "Aldo Ferretti", "il porto resterà in attivo fino al 2027"),
        # English: a speech verb and 'that'...
        ("Health Secretary Alan Birch said that waiting lists would fall by a third.",
         "Alan Birch", "waiting lists would fall by a third"),
        ("Nora Quill told reporters on Monday that the harbour would need new cranes.",
         "Nora Quill", "the harbour would need new cranes"),
        ("Bram Olafsen warned that fares would rise again in the spring.",
         "Bram Olafsen", "fares would rise again in the spring"),
        ("Jane Roe, chief executive of Northwind Air, insisted that the merger was still on the table.",
         "Jane Roe", "the merger was still on the table"),
        ("Mark Tennant has also added that the tour would go ahead in June.",
         "Mark Tennant", "the tour would go ahead in June"),
        # ...or without 'that'.
        ("Dana Holt said the depot would close in May.", "Dana Holt", "the depot would close in May"),
        ("Nora Quill told reporters the harbour would need new cranes.",
         "Nora Quill", "the harbour would need new cranes"),
        # Words between the verb and 'that' that are a clause of their own belong to it:
        # the clause after 'that' alone would say the opposite.
        ("Orla Penrose said it was very unlikely that the bank would raise rates again.",
         "Orla Penrose", "it was very unlikely that the bank would raise rates again"),
        # 'according to X,' before or after the clause.
        ("According to Jane Roe, chief executive of Northwind Air, fares will rise again in the spring.",
         "Jane Roe", "fares will rise again in the spring"),
        ("Fares will rise again in the spring, according to Jane Roe.",
         "Jane Roe", "Fares will rise again in the spring"),
        # The clause before the comma, when the rest only says who said it.
        ("The depot will close in May, Dana Holt said.", "Dana Holt", "The depot will close in May"),
        ("The depot will close in May, said Dana Holt.", "Dana Holt", "The depot will close in May"),
        ("Il porto riaprirà a maggio con due nuove banchine, ha spiegato Marta Quirici.",
         "Marta Quirici", "Il porto riaprirà a maggio con due nuove banchine"),
        # An office the article gives to one person names its holder.
        ("Il sindaco Vittorio Abbondanza ha ricevuto Marta Quirici. Il sindaco ha assicurato che il traghetto partirà ogni ora.",
         "Vittorio Abbondanza", "il traghetto partirà ogni ora"),
        # 'Lo ha detto X' after a sentence with no quotation marks, behind a dateline.
        ("VALMARINA (ITALPRESS) – Il porto riaprirà a maggio con due nuove banchine. Lo ha detto la ministra del Turismo Carla Venturini.",
         "Carla Venturini", "Il porto riaprirà a maggio con due nuove banchine"),
    ],
)  # fmt: skip
def test_reported_speech(text: str, speaker: str, clause: str) -> None:
    assert _reported(text) == [(speaker, clause)]


# With no name of its own, a statement continues the last person who spoke in the
# paragraph, or in the one before it.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Marco Ferri ha illustrato il bilancio del porto. Ha poi aggiunto che le tariffe resteranno invariate per tutto l'anno.",
         [("Marco Ferri", "le tariffe resteranno invariate per tutto l'anno")]),
        ("Nora Quill presented the figures on Monday. She also said that the harbour would need new cranes by winter.",
         [("Nora Quill", "the harbour would need new cranes by winter")]),
        ("Jane Roe met Dana Holt on Monday. Dana Holt said the depot was full.\n\nHe added that a second depot would open in May.",
         [("Dana Holt", "the depot was full"), ("Dana Holt", "a second depot would open in May")]),
        ("«Il molo è pronto», ha detto Carla Venturini. Ha aggiunto che il traghetto partirà a giugno.",
         [("Carla Venturini", "il traghetto partirà a giugno")]),
        # Italian drops the subject after a clause: 'Alla domanda ..., ha aggiunto che'.
        ("Aldo Ferretti ha parlato a lungo. Alla domanda sul bilancio, ha aggiunto che i conti sono in ordine.",
         [("Aldo Ferretti", "i conti sono in ordine")]),
        ('Dana Holt said: "We are full." The second depot will open in May, she added.',
         [("Dana Holt", "The second depot will open in May")]),
    ],
)  # fmt: skip
def test_reported_speech_continues_the_last_speaker(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert _reported(text) == expected


# An attribution set off by commas inside the clause it credits: the statement is the
# whole sentence (its subject before the insert, its verb after), the speaker the one the
# insert names, by name, role or pronoun.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Il molo nord, ha assicurato Carla Venturini, riaprirà a maggio.",
         [("Carla Venturini", "Il molo nord, ha assicurato Carla Venturini, riaprirà a maggio")]),
        ("La ministra del Turismo, Carla Venturini, ha visitato il porto. Il molo nord, ha assicurato la ministra, riaprirà a maggio.",
         [("Carla Venturini", "Il molo nord, ha assicurato la ministra, riaprirà a maggio")]),
        ("The footbridge, Dana Holt said, will reopen in May.",
         [("Dana Holt", "The footbridge, Dana Holt said, will reopen in May")]),
        ('"We are ready," said Dana Holt. The footbridge, she said, will reopen in May.',
         [("Dana Holt", "The footbridge, she said, will reopen in May")]),
        ("The footbridge, according to Dana Holt, will reopen in May.",
         [("Dana Holt", "The footbridge, according to Dana Holt, will reopen in May")]),
        ("Il molo nord, secondo la ministra Carla Venturini, riaprirà a maggio.",
         [("Carla Venturini", "Il molo nord, secondo la ministra Carla Venturini, riaprirà a maggio")]),
        # Italian drops the subject of the one already speaking inside the insert too.
        ("Il sindaco Ugo Berretta ha spiegato che il piano costerà 4 milioni di euro. Il cantiere, ha proseguito, durerà fino alla fine dell'estate.",
         [("Ugo Berretta", "il piano costerà 4 milioni di euro"),
          ("Ugo Berretta", "Il cantiere, ha proseguito, durerà fino alla fine dell'estate")]),
        # After a name and its role, the clause before the attribution.
        ("The deal was a natural step for the group, said Tony Frome, the group's chief executive.",
         [("Tony Frome", "The deal was a natural step for the group")]),
        ("Fares will rise in the spring, according to Jane Roe, editor of the Harbour Gazette.",
         [("Jane Roe", "Fares will rise in the spring")]),
    ],
)  # fmt: skip
def test_reported_clause_cut_by_its_attribution(text: str, expected: list[tuple[str, str]]) -> None:
    assert _reported(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # 'which he said', 'as X said', 'recalled in place of X': no insert in a clause.
        "The bill, which he said was too long, will be voted on Monday.",
        "The plan, as Dana Holt said, will cost more than expected.",
        "Szilard Nemeth, recalled in place of Joseph Job, was denied twice by the keeper.",
        # A pronoun with nobody speaking before it is nobody's.
        "Dana Holt runs the depot. The footbridge, she said, will reopen in May.",
        # The next statement is its own: a gerund after the insert.
        "The depot will close in May, Dana Holt said, adding that the staff would move.",
    ],
)  # fmt: skip
def test_no_insert_statement(text: str) -> None:
    sentence = text.split(". ")[-1].rstrip(".")
    assert sentence not in [clause for _, clause in _reported(text)]


@pytest.mark.parametrize(
    "text",
    [
        # 'che' as a relative pronoun, with or without a speech verb before it.
        "Il piano che il governo ha presentato prevede tre nuove linee di autobus.",
        "Marco Ferri ha ricordato il piano che il governo ha presentato in aprile.",
        # A journalist's question, and what someone did not say.
        "Un cronista ha chiesto a Marco Ferri se ha detto che le tariffe aumenteranno.",
        "Marco Ferri ha detto che le tariffe aumenteranno?",
        "Marco Ferri non ha detto che le tariffe aumenteranno.",
        "Did Dana Holt say that the depot would close?",
        # Not a clause: when or where it was said, or too short.
        "Dana Holt said on Friday.",
        "Dana Holt said in a statement.",
        "Marco Ferri ha detto che sì.",
        "After the meeting on Monday, Dana Holt said.",
        "The depot will close in May, Dana Holt said on the radio to a crowd of workers.",
        # Nobody named: an organisation or an unknown subject is not a speaker.
        "The ministry said the depot would close in May.",
        # Unnamed sources and rumours are nobody's statement; a denial's clause is the
        # opposite of what was said.
        "Secondo fonti della Regione, la delibera sarebbe stata firmata senza il parere dei tecnici.",
        "Secondo indiscrezioni, la giunta sarebbe pronta a rinnovare i contratti.",
        "Il prefetto Adelaide Bruschi ha smentito che ci siano stati feriti tra gli evacuati.",
        "Officials at the ministry said they were monitoring the situation.",
        # An institution's statement, though a person is named in its apposition.
        "Il comitato dei cittadini, guidato da Oreste Granata, chiede che il presidio resti aperto.",
        "I ritardi sono raddoppiati. A sostenerlo è l'associazione dei pendolari, il cui portavoce, Oreste Granata, ha presentato un dossier.",
        # After 'agreed to' + a verb, 'that' is a relative pronoun.
        "Wendy Marsh agreed to set up a board that would oversee the harbour.",
        # A question put to someone is not what they said.
        "Asked whether the depot would close, Dana Holt smiled.",
        # A quotation introduced by a speech verb is a direct quote, not reported speech.
        "Marta Quirici ha parlato del porto, osservando che “ogni nuova banchina porta lavoro in città”.",
        '"We will reopen the depot in May," said Dana Holt.',
    ],
)  # fmt: skip
def test_no_reported_speech(text: str) -> None:
    assert _reported(text) == []


def test_a_quote_inside_a_reported_clause_stays_direct() -> None:
    text = (
        'Dana Holt said that the plan was "a waste of public money and time" and would be dropped.'
    )
    assert [(q.kind, q.speaker, text[q.start : q.end]) for q in find_quotes(text)] == [
        ("direct", "Dana Holt", "a waste of public money and time")
    ]


# 'Lo ha detto X' after quotes gives X every quote of the paragraph before it.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("«Il porto riaprirà a maggio». Lo ha detto il sindaco di Valmarina, Vittorio Abbondanza, a margine del consiglio.",
         [("Vittorio Abbondanza", "Il porto riaprirà a maggio")]),
        ("Elio Brancati ha aperto la seduta.\n\n«Il porto riaprirà a maggio», ha spiegato. «Le nuove banchine saranno due». Lo ha dichiarato Marta Quirici ai cronisti.",
         [("Marta Quirici", "Il porto riaprirà a maggio"), ("Marta Quirici", "Le nuove banchine saranno due")]),
        # A paragraph that opens with a quote does not continue the previous speaker then.
        ("Elio Brancati ha detto: «La seduta è aperta a tutti».\n\n«Il porto riaprirà a maggio». Lo ha detto Marta Quirici.",
         [("Elio Brancati", "La seduta è aperta a tutti"), ("Marta Quirici", "Il porto riaprirà a maggio")]),
        # A quote whose own speaker is named after it keeps them.
        ("«Il porto riaprirà a maggio», ha spiegato Elio Brancati. «Le nuove banchine saranno due». Lo ha detto Marta Quirici.",
         [("Elio Brancati", "Il porto riaprirà a maggio"), ("Marta Quirici", "Le nuove banchine saranno due")]),
    ],
)  # fmt: skip
def test_lo_ha_detto_attributes_the_quotes_before_it(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(q.speaker, text[q.start : q.end]) for q in _direct(text)] == expected


@pytest.mark.parametrize(
    ("text", "role", "name"),
    [
        ("Il segretario generale della Lega dei Porti, Marta Quirici, ha parlato.", "segretario generale della lega dei porti", "Marta Quirici"),
        ("Ha parlato la ministra del Turismo, Carla Venturini.", "ministra del turismo", "Carla Venturini"),
        ("Ieri Carla Venturini, ministra del Turismo, ha visitato il porto.", "ministra del turismo", "Carla Venturini"),
        ("Il sindaco di Valmarina Vittorio Abbondanza ha inaugurato il molo.", "sindaco di valmarina", "Vittorio Abbondanza"),
        ("Harbour League Secretary General Marta Quirici spoke on Monday.", "harbour league secretary general", "Marta Quirici"),
        ("The chief executive of Northwind Air, Jane Roe, spoke on Monday.", "chief executive of northwind air", "Jane Roe"),
        ("Jane Roe, chief executive of Northwind Air, spoke on Monday.", "chief executive of northwind air", "Jane Roe"),
        ("On Monday Health Secretary Alan Birch visited the ward.", "health secretary", "Alan Birch"),
    ],
)  # fmt: skip
def test_roles_from_appositions(text: str, role: str, name: str) -> None:
    assert find_roles(text) == {role: name}


@pytest.mark.parametrize(
    "text",
    [
        # Whom the holder replaced does not hold the office.
        "Il presidente del consorzio al posto di Ermanno Tealdi ha parlato.",
        # Someone else's office.
        "Jane Roe's chief executive spoke on Monday.",
    ],
)
def test_no_role(text: str) -> None:
    assert find_roles(text) == {}


@pytest.mark.parametrize(
    ("text", "office", "holder"),
    [
        # A past holder holds the former office, not the office.
        ("Former Health Secretary Alan Birch visited the ward.", "the Health Secretary", ""),
        ("Former Health Secretary Alan Birch visited the ward.", "the former Health Secretary", "Alan Birch"),
        ("The former chief executive, Jane Roe, spoke on Monday.", "the chief executive", ""),
        ("The former chief executive, Jane Roe, spoke on Monday.", "the ex-CEO", "Jane Roe"),
        ("L'ex ministro del Turismo Carla Venturini ha visitato il porto.", "the tourism minister", ""),
        ("L'ex ministro del Turismo Carla Venturini ha visitato il porto.", "the former tourism minister", "Carla Venturini"),
        # An appointment between the name and the office; whom the holder replaced.
        ("Lucia Rabagliati, eletta a settembre presidente del consorzio al posto di Ermanno Tealdi, ha parlato.", "the consortium president", "Lucia Rabagliati"),
        ("Jane Roe, appointed chief executive of Northwind Air in May, spoke.", "the CEO of Northwind Air", "Jane Roe"),
    ],
)  # fmt: skip
def test_former_and_new_holders(text: str, office: str, holder: str) -> None:
    assert match_role(office, find_roles(text)) == holder


ROLES = {
    "segretario generale della nato": "Mark Rutte",  # from the real sample
    "ministra del turismo": "Carla Venturini",
    "sindaco di valmarina": "Vittorio Abbondanza",
    "chief executive of northwind air": "Jane Roe",
    "health secretary": "Alan Birch",
    "deputy mayor of valmarina": "Elio Brancati",
}


@pytest.mark.parametrize(
    ("phrase", "name"),
    [
        # Either language, either word order, a possessive.
        ("the NATO Secretary General", "Mark Rutte"),
        ("NATO's secretary general", "Mark Rutte"),
        ("il segretario generale della Nato", "Mark Rutte"),
        ("the Tourism Minister", "Carla Venturini"),
        ("la ministra del Turismo", "Carla Venturini"),
        ("il ministro del turismo", "Carla Venturini"),
        ("the health minister", "Alan Birch"),
        ("il ministro della Salute", "Alan Birch"),
        ("the CEO of Northwind", "Jane Roe"),
        ("l'amministratore delegato di Northwind Air", "Jane Roe"),
        ("the mayor of Valmarina", "Vittorio Abbondanza"),
        # The office alone is enough when one person holds it...
        ("the mayor", "Vittorio Abbondanza"),
        ("il sindaco", "Vittorio Abbondanza"),
        ("the secretary general", "Mark Rutte"),
        # A deputy holds another office.
        ("the deputy mayor", "Elio Brancati"),
        ("il vicesindaco di Valmarina", "Elio Brancati"),
        # ...and ambiguous when two do (a tourism and a health minister).
        ("the minister", ""),
        ("il ministro", ""),
        # Nobody holds it.
        ("the defence minister", ""),
        ("the mayor of Porto Nuovo", ""),
        ("the president", ""),
        ("the weather", ""),
    ],
)
def test_match_role(phrase: str, name: str) -> None:
    assert match_role(phrase, ROLES) == name


def test_roles_metadata_round_trip() -> None:
    assert roles_from_metadata(roles_metadata(ROLES)) == ROLES
    assert roles_from_metadata("") == {} and roles_from_metadata("not json") == {}


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"We proved them wrong," said Mayor Odile Farrowby of the fictional town.', "Odile Farrowby"),
        ('Councillor Bram Ketteridge said: "Someone signed those contracts."', "Bram Ketteridge"),
        ("“Il ponte riaprirà a maggio”, ha detto l’assessora Nives Trabucchi.", "Nives Trabucchi"),
    ],
)  # fmt: skip
def test_a_title_is_not_part_of_the_name(text: str, speaker: str) -> None:
    assert [q.speaker for q in find_quotes(text) if q.kind == "direct"] == [speaker]


@pytest.mark.parametrize(
    ("text", "speaker", "span"),
    [
        pytest.param(
            "Il sindaco Dario Ortensi ha parlato in aula. Ortensi ha accolto la proposta con favore ma ha avvertito che molti comuni non hanno tecnici.",
            "Ortensi", "molti comuni non hanno tecnici", id="coordinated-verb",
        ),
        pytest.param(
            "According to Mirela Vandross of the campaign group Trains Not Planes, one night train saves a tonne of carbon.",
            "Mirela Vandross", "one night train saves a tonne of carbon", id="according-to-first-name",
        ),
        pytest.param(
            "According to Osmund Trell, a retired teacher who leads a local group, the plant will use too much water.",
            "Osmund Trell", "the plant will use too much water", id="according-to-apposition",
        ),
    ],
)  # fmt: skip
def test_reported_speech_subject_and_span(text: str, speaker: str, span: str) -> None:
    reported = [
        (q.speaker.split()[-1], text[q.start : q.end])
        for q in find_quotes(text)
        if q.kind == "reported"
    ]
    assert reported == [(speaker.split()[-1], span)]


def test_lo_ha_detto_credits_the_person_not_the_organisation_before_them() -> None:
    text = (
        "«Nessun ponte resterà chiuso d'inverno». Lo ha detto il coordinatore della rete "
        "Strade Aperte, Ildebrando Fusari, presentando il rapporto."
    )
    [quote] = [q for q in find_quotes(text) if q.kind == "direct"]
    assert quote.speaker == "Ildebrando Fusari"


# The breadth of how agency copy reports speech: one verb lexicon in every tense, the
# subject before or after the verb, the source phrases, continuations. Fictional people.
@pytest.mark.parametrize(
    ("text", "speaker", "clause"),
    [
        # Tenses: present, imperfect, pluperfect, modal + infinitive, reflexive stance.
        ("Ilaria Montefusco dichiara che il ponte riaprirà entro luglio.",
         "Ilaria Montefusco", "il ponte riaprirà entro luglio"),
        ("A gennaio Ilaria Montefusco diceva che il ponte sarebbe stato pronto in primavera.",
         "Ilaria Montefusco", "il ponte sarebbe stato pronto in primavera"),
        ("Ilaria Montefusco aveva annunciato a dicembre che i lavori sarebbero partiti subito.",
         "Ilaria Montefusco", "i lavori sarebbero partiti subito"),
        ("Ilaria Montefusco ha tenuto a precisare che nessun negozio sarà chiuso.",
         "Ilaria Montefusco", "nessun negozio sarà chiuso"),
        ("Ilaria Montefusco ha voluto sottolineare che il cantiere resterà aperto di notte.",
         "Ilaria Montefusco", "il cantiere resterà aperto di notte"),
        ("Ilaria Montefusco si è detta convinta che i tempi saranno rispettati.",
         "Ilaria Montefusco", "i tempi saranno rispettati"),
        ("Ilaria Montefusco ha fatto sapere che il bando uscirà a settembre.",
         "Ilaria Montefusco", "il bando uscirà a settembre"),
        ("Ilaria Montefusco ha stimato che il traffico calerà di un terzo.",
         "Ilaria Montefusco", "il traffico calerà di un terzo"),
        # 'di' and an infinitive: what the speaker said they did or will do.
        ("Ilaria Montefusco ha detto di voler incontrare i commercianti entro maggio.",
         "Ilaria Montefusco", "voler incontrare i commercianti entro maggio"),
        # A second verb shares the subject of the first, a role before the name included.
        ("Il sindaco Ottone Ravagnani si è detto soddisfatto ma ha ricordato che mancano i parcheggi.",
         "Ottone Ravagnani", "mancano i parcheggi"),
        # Source phrases before the clause.
        ("Stando a Ilaria Montefusco, i lavori costeranno 3 milioni di euro.",
         "Ilaria Montefusco", "i lavori costeranno 3 milioni di euro"),
        ("A detta di Ilaria Montefusco, il ponte reggerà anche i mezzi pesanti.",
         "Ilaria Montefusco", "il ponte reggerà anche i mezzi pesanti"),
        ("Per Ilaria Montefusco, che guida il comitato dei residenti, il progetto va rivisto.",
         "Ilaria Montefusco", "il progetto va rivisto"),
        ("Come ha spiegato Ilaria Montefusco, il cantiere chiuderà per due settimane ad agosto.",
         "Ilaria Montefusco", "il cantiere chiuderà per due settimane ad agosto"),
        ("Secondo quanto dichiarato da Ilaria Montefusco, il mercato resterà dov'è.",
         "Ilaria Montefusco", "il mercato resterà dov'è"),
        ("Stando al prefetto Ilaria Montefusco, che ha ricevuto i sindacati, l'incontro si terrà lunedì.",
         "Ilaria Montefusco", "l'incontro si terrà lunedì"),
        # A lede credited by a cleft after it.
        ("Il mercato coperto riaprirà a novembre. Ad annunciarlo è stata la sindaca Ilaria Montefusco.",
         "Ilaria Montefusco", "Il mercato coperto riaprirà a novembre"),
        # 'Quest'ultimo' is the last person named, speaker or not.
        ("Ilaria Montefusco ha incontrato Ottone Ravagnani. Quest'ultimo ha aggiunto che il bilancio è in ordine.",
         "Ottone Ravagnani", "il bilancio è in ordine"),
        # A place is not a person: 'Borgo Alto' does not speak.
        ("Ottone Ravagnani, viticoltore di Borgo Alto, sostiene che i contributi arrivano tardi.",
         "Ottone Ravagnani", "i contributi arrivano tardi"),
        # Any outlet's dateline stays out of a lede credited after it.
        ("Lusignano, 15 mag. (askanews) - La linea tornerà a orario pieno da lunedì. Lo ha reso noto Ottone Ravagnani.",
         "Ottone Ravagnani", "La linea tornerà a orario pieno da lunedì"),
        # A role, then the name set off by commas; a party in brackets; an age.
        ("Secondo il presidente della Regione, Mario Bellandi, il turismo crescerà ancora.",
         "Mario Bellandi", "il turismo crescerà ancora"),
        ("Il consigliere Mario Bellandi (Pd) ha dichiarato che il bilancio non torna.",
         "Mario Bellandi", "il bilancio non torna"),
        ("Tobias Lindqvar, 54, said that the fares would stay the same.",
         "Tobias Lindqvar", "the fares would stay the same"),
        # An abbreviation's full stop ends no clause.
        ("Mario Bellandi ha detto che il dott. Bianchi sarà nominato primario a maggio.",
         "Mario Bellandi", "il dott. Bianchi sarà nominato primario a maggio"),
        ("Nora Quill said that the U.S. would send new cranes to the port.",
         "Nora Quill", "the U.S. would send new cranes to the port"),
        # English: a time or whom they were told before a clause without 'that'.
        ("Nora Quill told Reuters the harbour would need new cranes.",
         "Nora Quill", "the harbour would need new cranes"),
        ("Nora Quill said on Monday the harbour would need new cranes.",
         "Nora Quill", "the harbour would need new cranes"),
        # 'Anche' before a role subject.
        ("Il sindaco Mario Bellandi ha aperto la seduta. Anche il sindaco ha detto che il bilancio non torna.",
         "Mario Bellandi", "il bilancio non torna"),
        # English: more verbs without 'that', whom they were told, a weekday.
        ("The council leader, Priya Wetherall, insisted the budget was balanced.",
         "Priya Wetherall", "the budget was balanced"),
        ("Ferries will cut winter crossings by a third, chief executive Tobias Lindqvar told Reuters on Tuesday.",
         "Tobias Lindqvar", "Ferries will cut winter crossings by a third"),
        ("Tobias Lindqvar said Thursday that fares would not rise before April.",
         "Tobias Lindqvar", "fares would not rise before April"),
        ("Parking was the main complaint, according to Marguerite Osei, who runs the traders' group.",
         "Marguerite Osei", "Parking was the main complaint"),
    ],
)  # fmt: skip
def test_reported_speech_across_tenses_and_sources(text: str, speaker: str, clause: str) -> None:
    assert _reported(text) == [(speaker, clause)]


@pytest.mark.parametrize(
    ("text", "speaker", "clause"),
    [
        # More verbs of the same families: 'come' after a verb of explaining, a subjunctive.
        ("L'assessore Oreste Granata ha spiegato come il depuratore abbia superato i limiti di legge.",
         "Oreste Granata", "il depuratore abbia superato i limiti di legge"),
        # An indirect question reports what was asked.
        ("Oreste Granata si è chiesto perché la Regione non abbia risposto alle lettere.",
         "Oreste Granata", "la Regione non abbia risposto alle lettere"),
        ("Councillor aide Wendy Marsh asked whether the depot would be sold to a developer.",
         "Wendy Marsh", "the depot would be sold to a developer"),
        # A denial denied says the thing may be so.
        ("Oreste Granata non ha escluso che il mercato venga spostato in piazza.",
         "Oreste Granata", "il mercato venga spostato in piazza"),
        ("Wendy Marsh did not rule out that the depot could close in the spring.",
         "Wendy Marsh", "the depot could close in the spring"),
        # The subject cut from its verb by a role, an insert or a relative clause.
        ("Il gestore della cava, l'ingegnere Oreste Granata, avrebbe detto ai tecnici che i camion passeranno di notte.",
         "Oreste Granata", "i camion passeranno di notte"),
        ("Oreste Granata, a margine della seduta, ha precisato che il ponte resterà aperto alle auto.",
         "Oreste Granata", "il ponte resterà aperto alle auto"),
        # 'In una nota, X scrive che'; a present-tense speech verb.
        ("In una nota, la presidente Ersilia Cantoni scrive che il bando sarà riaperto a marzo.",
         "Ersilia Cantoni", "il bando sarà riaperto a marzo"),
        # The source is the person set off after a role that names an organisation.
        ("Stando a quanto riferito dal presidente della fondazione Amici del Borgo, Oreste Granata, due offerte sono già arrivate.",
         "Oreste Granata", "due offerte sono già arrivate"),
        # A portfolio after the office is not part of the name.
        ("L'assessora al Commercio Ersilia Cantoni ha annunciato che i saldi partiranno prima.",
         "Ersilia Cantoni", "i saldi partiranno prima"),
        # English: a role and a name set off by commas before the verb; 'says'; 'has said'.
        ("The pier will reopen in June, the county engineer, Wendy Marsh, told reporters on Friday.",
         "Wendy Marsh", "The pier will reopen in June"),
        ("The pier will reopen in June, county engineer Wendy Marsh has said.",
         "Wendy Marsh", "The pier will reopen in June"),
        # A dateline without an outlet stays out of a lede credited after it.
        ("HOLMFORTH, England, Sept. 3, 2026 — The pier will reopen in June, Wendy Marsh said.",
         "Wendy Marsh", "The pier will reopen in June"),
        ("Asked whether fares would rise, Wendy Marsh said the board had not yet decided.",
         "Wendy Marsh", "the board had not yet decided"),
        # An organisation after the name qualifies it: the person is the subject.
        ("Analyst Wendy Marsh of Fjord Securities said she expected two more smelters to restart.",
         "Wendy Marsh", "she expected two more smelters to restart"),
        # A passive source phrase; 'secondo' without a comma after the name.
        ("Come sottolineato dal sindaco Aurelio Ferrante, il bilancio è in attivo da tre anni.",
         "Aurelio Ferrante", "il bilancio è in attivo da tre anni"),
        ("Secondo l'assessore Aurelio Ferrante il ponte riaprirà a giugno.",
         "Aurelio Ferrante", "il ponte riaprirà a giugno"),
        # Belief and more verbs of saying; a clause opening with an insert.
        ("Aurelio Ferrante è convinto che il ponte riaprirà a giugno.",
         "Aurelio Ferrante", "il ponte riaprirà a giugno"),
        ("Aurelio Ferrante ha messo in chiaro che il ponte riaprirà a giugno.",
         "Aurelio Ferrante", "il ponte riaprirà a giugno"),
        ("Aurelio Ferrante ha detto che, nonostante i ritardi, il ponte riaprirà a giugno.",
         "Aurelio Ferrante", "nonostante i ritardi, il ponte riaprirà a giugno"),
        ("Wendy Marsh highlighted that the bridge would reopen in June.",
         "Wendy Marsh", "the bridge would reopen in June"),
        # A clause credited after a colon; a name and its role set off after the clause.
        ("Il ponte riaprirà a giugno: lo ha assicurato Aurelio Ferrante.",
         "Aurelio Ferrante", "Il ponte riaprirà a giugno"),
        ("The bridge will reopen in June, Wendy Marsh wrote in a letter to residents.",
         "Wendy Marsh", "The bridge will reopen in June"),
        ("The bridge will reopen in June, Wendy Marsh, the council's deputy leader, said.",
         "Wendy Marsh", "The bridge will reopen in June"),
        ("The bridge will reopen in June, said Wendy Marsh, the council's deputy leader.",
         "Wendy Marsh", "The bridge will reopen in June"),
        # An office named again without its adjective; an office compounded with '-master'.
        ("La dirigente scolastica, Annalisa Perrone, ha chiuso l'istituto. Stando alla dirigente, i tecnici arriveranno lunedì.",
         "Annalisa Perrone", "i tecnici arriveranno lunedì"),
        ("Harbourmaster Desmond Hale said in a statement that two boats had sunk in the storm.",
         "Desmond Hale", "two boats had sunk in the storm"),
        # 'Per X' with no comma, once X has spoken.
        ("«Una stagione mai vista», ha detto Saverio Lombardo. Per Lombardo i croceristi saranno centomila.",
         "Saverio Lombardo", "i croceristi saranno centomila"),
        # An aside after the source's comma is not the clause.
        ("Per il consigliere Oreste Granata, invece, il nuovo calendario è realistico.",
         "Oreste Granata", "il nuovo calendario è realistico"),
        # 'che' before a speech verb is the relative subject of that verb, not its clause.
        ("Lo ha reso noto il presidente, Oreste Granata, che ha poi aggiunto che le autobotti serviranno le frazioni.",
         "Oreste Granata", "le autobotti serviranno le frazioni"),
        # The place and date after an outlet stay out of a credited lede; an elided 'Lo'.
        ("(ANSA) - PONTELAGO, 14 OTT - Il reparto aprirà a marzo. L'ha annunciato il direttore Oreste Granata.",
         "Oreste Granata", "Il reparto aprirà a marzo"),
    ],
)  # fmt: skip
def test_reported_speech_in_more_agency_forms(text: str, speaker: str, clause: str) -> None:
    assert _reported(text) == [(speaker, clause)]


# A sentence that goes on to another statement ends the first one's clause there.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La sindaca Ersilia Cantoni ha ribadito che la scuola non chiuderà, mentre il consigliere Oreste Granata ha rimarcato che i fondi sono già stanziati.",
         [("Ersilia Cantoni", "la scuola non chiuderà"), ("Oreste Granata", "i fondi sono già stanziati")]),
        ("Il teatro non chiuderà. Lo ha detto l'assessore Oreste Granata, aggiungendo che il bando uscirà a dicembre.",
         [("Oreste Granata", "Il teatro non chiuderà"), ("Oreste Granata", "il bando uscirà a dicembre")]),
        ("Ersilia Cantoni ha ricordato come gli abbonati siano raddoppiati, dicendosi convinta che il teatro possa farcela da solo.",
         [("Ersilia Cantoni", "gli abbonati siano raddoppiati"), ("Ersilia Cantoni", "il teatro possa farcela da solo")]),
        ("Il sindaco Oreste Granata, per il quale il piano è condiviso da tutti, aggiunge che i parcheggi saranno gratuiti.",
         [("Oreste Granata", "il piano è condiviso da tutti"), ("Oreste Granata", "i parcheggi saranno gratuiti")]),
        ("The depot will shut in May, chief executive Wendy Marsh said on Thursday, adding that no jobs would go before 2027.",
         [("Wendy Marsh", "The depot will shut in May"), ("Wendy Marsh", "no jobs would go before 2027")]),
    ],
)  # fmt: skip
def test_two_statements_in_one_sentence(text: str, expected: list[tuple[str, str]]) -> None:
    assert _reported(text) == expected


# Credits without a verb, and interviews in question-and-answer lines.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The person after an organisation's name, not the organisation.
        ('"Abbiamo restaurato due carrozze", ha spiegato il presidente dell\'associazione Binari Antichi, Teodoro Pellegrini.',
         [("Teodoro Pellegrini", "Abbiamo restaurato due carrozze")]),
        ('"We will appeal," said Jo Reyes of Harrowgate Renewables.',
         [("Jo Reyes", "We will appeal,")]),
        ("Il presidente Oreste Granata ha aperto il convegno. «I bacini vanno aperti subito». Parole della sottosegretaria Ersilia Cantoni, in visita ai campi.",
         [("Ersilia Cantoni", "I bacini vanno aperti subito")]),
        ("La sottosegretaria Ersilia Cantoni ha parlato per prima. «Non lasceremo sole le aziende», è stato il commento di Oreste Granata.",
         [("Oreste Granata", "Non lasceremo sole le aziende")]),
        ("La sottosegretaria Ersilia Cantoni ha parlato per prima. «Perderemo metà del raccolto». Così il presidente Oreste Granata.",
         [("Oreste Granata", "Perderemo metà del raccolto")]),
        ("La rettrice Ersilia Cantoni ha risposto alle nostre domande.\n\nD. Quanti posti mancano?\nR. Almeno mille, e la lista cresce.\n\nD. Chi paga?\nR. Il ministero, per metà.",
         [("Ersilia Cantoni", "Almeno mille, e la lista cresce"), ("Ersilia Cantoni", "Il ministero, per metà")]),
    ],
)  # fmt: skip
def test_credits_without_a_verb_and_interviews(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(q.speaker, text[q.start : q.end]) for q in _direct(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 'A suo dire' continues the one who just spoke.
        ("La sindaca Ilaria Montefusco ha dichiarato che lo stadio resterà aperto. A suo dire, i costi saranno a carico del club.",
         [("Ilaria Montefusco", "lo stadio resterà aperto"), ("Ilaria Montefusco", "i costi saranno a carico del club")]),
        # A role the article gives one person names the subject of a later verb.
        ("La direttrice generale dell'Asl, Ernesta Pallavicini, ha visitato il cantiere. La direttrice ha precisato che i lavori finiranno a marzo.",
         [("Ernesta Pallavicini", "i lavori finiranno a marzo")]),
    ],
)  # fmt: skip
def test_reported_speech_continuations(text: str, expected: list[tuple[str, str]]) -> None:
    assert _reported(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A quote cut by a dashed insert is two quotes, both the insert's speaker's.
        ("«La situazione è seria - ha detto il presidente, Lamberto Cipollone - ma non c'è motivo di fare scorte».",
         [("Lamberto Cipollone", "La situazione è seria"), ("Lamberto Cipollone", "ma non c'è motivo di fare scorte")]),
        # A role after the verb names the speaker.
        ("Il ministro dell'Ambiente, Ruggero Pelliccioni, ha firmato il decreto. Gemma Rinaldi lo ha criticato. «La data non cambia», ha replicato in serata il ministro.",
         [("Ruggero Pelliccioni", "La data non cambia")]),
        ("La dirigente scolastica, Annalisa Perrone, ha chiuso l'istituto. «Non posso tenere i ragazzi al freddo», spiega la preside.",
         [("Annalisa Perrone", "Non posso tenere i ragazzi al freddo")]),
    ],
)  # fmt: skip
def test_direct_quotes_in_agency_italian(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(q.speaker, text[q.start : q.end]) for q in _direct(text)] == expected


@pytest.mark.parametrize(
    ("text", "phrase", "name"),
    [
        # Italian offices with adjectives and articulated prepositions, asked in English.
        ("La direttrice generale dell'Asl Valle del Celso, Ernesta Pallavicini, ha visitato il cantiere.",
         "the director general of the Valle del Celso health authority", "Ernesta Pallavicini"),
        ("L'assessora comunale al Welfare, Noemi Ferraris, ha aperto i centri.",
         "the welfare councillor", "Noemi Ferraris"),
        ("Il commissario straordinario per la ricostruzione, Egidio Ferrante, ha visitato le scuole.",
         "the reconstruction commissioner", "Egidio Ferrante"),
        ("Il sindaco Duilio Marcanti ha parlato in consiglio.", "il primo cittadino", "Duilio Marcanti"),
        ("Aldercombe's council leader, Priya Wetherby, spoke on Thursday.", "the council leader", "Priya Wetherby"),
    ],
)  # fmt: skip
def test_roles_of_agency_copy(text: str, phrase: str, name: str) -> None:
    assert match_role(phrase, find_roles(text)) == name


def test_a_local_office_is_qualified_by_the_briefing_place() -> None:
    roles = with_place(find_roles("Il sindaco Ermes Tavecchio ha firmato l'ordinanza."), "Lagonero")
    assert match_role("the mayor of Lagonero", roles) == "Ermes Tavecchio"
    assert match_role("il sindaco", roles) == "Ermes Tavecchio"
    assert match_role("the mayor of Porto Nuovo", roles) == ""


def test_an_office_naming_its_own_place_is_not_the_briefing_place_s() -> None:
    text = "La sindaca di Pietralba, Nora Vetti, ha firmato l'ordinanza."
    roles = with_place(find_roles(text), "Roccafiora", text)
    assert match_role("the mayor of Pietralba", roles) == "Nora Vetti"
    assert match_role("the mayor of Roccafiora", roles) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A surname written in full is that person's; a bare one the last written in full.
        ('The trust will shut a ward in May, its chief executive Alan Brede said on Monday. "We cannot staff it," Brede said. '
         'Joan Brede, a union steward, said the ward had been short of nurses for months. "We are exhausted," she told the Gazette. '
         "According to Joan Brede, twenty nurses have left this year.",
         [("Alan Brede", "reported", "The trust will shut a ward in May"), ("Alan Brede", "direct", "We cannot staff it,"),
          ("Joan Brede", "reported", "the ward had been short of nurses for months"), ("Joan Brede", "direct", "We are exhausted,"),
          ("Joan Brede", "reported", "twenty nurses have left this year")]),
        ("Il sindaco Marco Tessari ha detto che il piano costerà 4 milioni di euro. «Non possiamo più aspettare», ha detto Tessari. "
         "Lucia Tessari, capogruppo dell'opposizione, ha sostenuto che il piano arriva tardi. «Serve un confronto con le frazioni», ha aggiunto Tessari.",
         [("Marco Tessari", "reported", "il piano costerà 4 milioni di euro"), ("Marco Tessari", "direct", "Non possiamo più aspettare"),
          ("Lucia Tessari", "reported", "il piano arriva tardi"), ("Lucia Tessari", "direct", "Serve un confronto con le frazioni")]),
    ],
)  # fmt: skip
def test_two_people_sharing_a_surname_are_kept_apart(
    text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert [(q.speaker, q.kind, text[q.start : q.end]) for q in find_quotes(text)] == expected


@pytest.mark.parametrize(
    ("text", "speaker", "clause"),
    [
        # A relative clause between the subject and its verb, longer than a role.
        ("Moira Kell, who has run the food bank on Dale Street since it opened and sits on the council's poverty panel, said demand had doubled since the winter.",
         "Moira Kell", "demand had doubled since the winter"),
        # 'Secondo' and a role the article gives nobody, then the name in apposition.
        ("Contrario il comitato Salviamo il Lago. Secondo la sua portavoce, Irene Solari, il progetto cancellerà l'ultimo canneto della riva.",
         "Irene Solari", "il progetto cancellerà l'ultimo canneto della riva"),
    ],
)  # fmt: skip
def test_the_speaker_named_after_a_long_apposition(text: str, speaker: str, clause: str) -> None:
    assert _reported(text) == [(speaker, clause)]


def _statements(text: str) -> set[tuple[str, str, str]]:
    return {(q.speaker, q.kind, text[q.start : q.end]) for q in find_quotes(text)}


@pytest.mark.parametrize("verb", ["stated", "noted", "pointed out", "explained", "added"])
def test_a_that_less_clause_follows_more_verbs_than_said(verb: str) -> None:
    # Fictional: agency copy drops 'that' after any verb of saying, not only 'said'.
    text = f"Council leader Orla Brightwater {verb} the new bridge would open in May."
    assert ("Orla Brightwater", "reported", "the new bridge would open in May") in (
        _statements(text)
    )


def test_a_plain_object_after_such_a_verb_is_no_statement() -> None:
    # 'noted the rise ...' has no clause of its own: nothing was reported.
    text = "Council leader Orla Brightwater noted the rise in ferry fares since the spring."
    assert not [q for q in find_quotes(text) if q.kind == "reported"]


def test_a_credit_may_say_to_whom_when_and_where_at_length() -> None:
    # Fictional: more than eight words after the verb, all of them circumstance.
    text = (
        "The lifeboat station at Corrowen will stay open for ten more years, the fisheries "
        "minister, Tamsin Ellery-Voss, told reporters on Friday after a visit to the harbour."
    )
    assert (
        "Tamsin Ellery-Voss",
        "reported",
        "The lifeboat station at Corrowen will stay open for ten more years",
    ) in _statements(text)


def test_a_surname_with_a_particle_is_one_persons_throughout() -> None:
    # Fictional: 'De Lellis' alone, later, is Sergio De Lellis, not a person 'Sergio De'.
    text = (
        "Secondo Sergio De Lellis, che guida il comitato, serve una deviazione entro marzo. "
        "«Ogni giorno di chiusura costa caro», ha detto De Lellis. Il servizio, ha spiegato "
        "De Lellis, costerà ai due comuni 180 mila euro l'anno."
    )
    found = _statements(text)
    assert ("Sergio De Lellis", "reported", "serve una deviazione entro marzo") in found
    assert ("Sergio De Lellis", "direct", "Ogni giorno di chiusura costa caro") in found
    assert (
        "Sergio De Lellis",
        "reported",
        "Il servizio, ha spiegato De Lellis, costerà ai due comuni 180 mila euro l'anno",
    ) in found


def test_a_bare_particle_surname_first_gives_way_to_the_full_name() -> None:
    # Fictional: the shop's name comes before its owner's full name.
    text = (
        "The bookshop Van der Merwe & Daughters will close in March. Its owner, Winifred "
        'Van der Merwe, said the rent had tripled. "We cannot stay," Van der Merwe said.'
    )
    assert {q.speaker for q in find_quotes(text)} == {"Winifred Van der Merwe"}


def test_a_compound_first_name_after_a_portfolio_is_kept_whole() -> None:
    # Fictional: 'al Demanio' then a two-word first name: four capitalised words in a row.
    text = (
        "In una nota, l'assessora al Demanio Maria Grazia Tornabuoni scrive che sette "
        "concessioni non saranno rinnovate."
    )
    assert {q.speaker for q in find_quotes(text)} == {"Maria Grazia Tornabuoni"}


def test_a_hyphenated_name_stays_inside_a_dashed_insert() -> None:
    # Fictional: the hyphen of 'Oddone-Riva' is no dash closing the insert.
    text = (
        "«La situazione è seria - ha detto il presidente di Federcasse, Lamberto "
        "Oddone-Riva - ma non c'è motivo di fare scorte»."
    )
    assert _statements(text) >= {
        ("Lamberto Oddone-Riva", "direct", "La situazione è seria"),
        ("Lamberto Oddone-Riva", "direct", "ma non c'è motivo di fare scorte"),
    }


@pytest.mark.parametrize(
    "sentence, clause",
    [
        (
            "Nel frattempo le lezioni continueranno nei moduli del campo, ha spiegato Elmi.",
            "Nel frattempo le lezioni continueranno nei moduli del campo",
        ),
        (
            "Per alcune visite i tempi sono troppo lunghi, ha riconosciuto Elmi.",
            "Per alcune visite i tempi sono troppo lunghi",
        ),
    ],
)
def test_a_clause_opening_like_an_adverbial_is_still_a_clause(sentence: str, clause: str) -> None:
    # Fictional: 'Nel'/'Per' open an adverbial phrase, but these have their own verb.
    text = f"La sindaca Corinna Elmi ha visitato la scuola. {sentence}"
    assert ("Corinna Elmi", "reported", clause) in _statements(text)


def test_an_adverbial_phrase_before_the_credit_is_no_statement() -> None:
    text = "La sindaca Corinna Elmi ha visitato la scuola. Dopo la visita di ieri, ha detto Elmi."
    assert not [q for q in find_quotes(text) if q.kind == "reported"]


def test_an_insert_may_cut_a_short_predicate_and_name_an_elided_role() -> None:
    # Fictional: 'was balanced' is two words, and "l'assessore" one token but two words.
    text = (
        "Council leader Orla Brightwater spoke on Monday. The budget, the council leader "
        "insisted, was balanced.\n\nL'assessore Vanni Orsolato ha parlato in aula. I rimborsi "
        "per gli abbonamenti, ha poi osservato l'assessore, saranno versati a giugno."
    )
    found = _statements(text)
    assert (
        "Orla Brightwater",
        "reported",
        "The budget, the council leader insisted, was balanced",
    ) in found
    assert (
        "Vanni Orsolato",
        "reported",
        "I rimborsi per gli abbonamenti, ha poi osservato l'assessore, saranno versati a giugno",
    ) in found


def test_an_apposition_may_open_with_its_organisation() -> None:
    # Fictional: 'Voltrane Cells chief executive' between the name and its verb.
    text = (
        "Anselm Rydberg-Hale opened the plant. Rydberg-Hale, Voltrane Cells chief executive, "
        "said the plant would recycle most of its water."
    )
    assert ("Anselm Rydberg-Hale", "reported", "the plant would recycle most of its water") in (
        _statements(text)
    )


def test_a_multiword_verb_takes_its_clitic_in_a_credit_after_the_lede() -> None:
    # Fictional: 'A renderlo noto è stato' credits the sentence before, as 'Ad annunciarlo'.
    text = (
        "Il mercato coperto di Serbaiola riaprirà a settembre dopo i lavori al tetto. A "
        "renderlo noto è stata l'assessora al Commercio, Livia Tarantelli, in consiglio."
    )
    assert (
        "Livia Tarantelli",
        "reported",
        "Il mercato coperto di Serbaiola riaprirà a settembre dopo i lavori al tetto",
    ) in _statements(text)


def test_an_office_before_a_full_name_is_a_title_not_a_first_name() -> None:
    # Fictional: 'Prefect' is an office, so 'Prefect Odile Varnay' is Odile Varnay.
    text = (
        "The ferry will stop running in January because the pier is unsafe, Prefect Odile "
        "Varnay said on Friday."
    )
    assert (
        "Odile Varnay",
        "reported",
        "The ferry will stop running in January because the pier is unsafe",
    ) in _statements(text)


def test_about_before_a_number_opens_a_bare_clause() -> None:
    # Fictional: 'said about 40 stalls would' reports a clause; 'said about the plan' does not.
    text = (
        "Market warden Piers Galloway spoke at the hall. He said about 40 stalls would move "
        "to the car park. Later he said about the plan that it was late."
    )
    found = _statements(text)
    assert ("Piers Galloway", "reported", "about 40 stalls would move to the car park") in found
    assert not any(span.startswith("about the plan") for _, _, span in found)
