"""Who said what: direct quotes and reported speech, attributed to a speaker.

Runs once per article at ingest; the results ride on each chunk's metadata, so answering
"what did X say" costs no parsing at question time. Hand-written because no maintained
offline library attributes quotes in Italian and English; the rules are the ones wire
copy follows: a quote sits next to a speech verb and a name, or continues the paragraph
of the last person named.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cached_property

from rag.roles import (
    OFFICE_OF,
    is_office,
    match_role,
    parse_role,
    roles_from_metadata,
    roles_in,
    roles_metadata,
)
from rag.speech_verbs import (
    ASKING,
    EN_QUOTING,
    EN_REPORTING,
    IT_ADVERBS,
    IT_CLITIC_INFINITIVE,
    IT_FINITE,
    IT_PARTICIPLES,
    IT_REPORTING,
)
from rag.text import fold

__all__ = [
    "Quote",
    "find_quotes",
    "find_roles",
    "match_role",
    "quotes_from_metadata",
    "quotes_metadata",
    "roles_from_metadata",
    "roles_metadata",
]

_QUOTE_PAIRS = (("“", "”"), ("«", "»"), ('"', '"'))
_SPEECH_VERBS = rf"{IT_REPORTING}|secondo|{EN_QUOTING}"
# '«...», è stato il commento di X': a noun of saying credits the quote like a verb.
_CREDIT_NOUN = (
    r"(?:il\s+)?commento\s+(?:di|del|della|dello|dell['’])|parole\s+(?:di|del|della|dello|dell['’])"
)
_VERB = re.compile(rf"\b(?:{_SPEECH_VERBS}|{_CREDIT_NOUN})(?:\b|(?<=['’]))", re.IGNORECASE)
_TITLES = (
    r"Mr|Mrs|Ms|Miss|Dr|Prof|Sir|Lord|Lady|Dame|President|Prime Minister|Chancellor|Minister|"
    r"Secretary|Senator|Governor|Judge|Chief|Coach|Captain|presidente|premier|ministro|ministra|"
    r"segretario|segretaria|sindaco|sindaca|senatore|senatrice|deputato|deputata|commissario|"
    r"commissaria|portavoce|direttore|direttrice|generale|ammiraglio|cancelliere|governatore|"
    r"governatrice|leader|ambasciatore|ambasciatrice|chairman|chairwoman|chief executive|"
    r"executive|analyst|economist|spokesman|spokeswoman|spokesperson|director|manager|boss|"
    r"coach|lawyer|head|founder|secretary|minister|president|chancellor|captain|striker|"
    r"midfielder|defender|singer|actor|actress|producer|editor|professor|chief|officer"
)
_NOT_NAMES = frozenset(
    fold(w)
    for w in """
    Il Lo La Le Gli I Un Una Uno Alla Alle Al Allo Agli Ai Nel Nella Nei Nelle Del Della Dei Delle
    Dal Dalla Dai Sul Sulla Sui Per Con Secondo Dopo Prima Mentre Anche Ma E O Se Come Quando Dove
    Questo Questa Quello Quella In Da Di A Su Tra Fra Non Poi Ora Oggi Ieri Domani Inoltre Infine
    The A An And But Or If As At By For From In Into Of On To With Without After Before While
    This That These Those It He She They We You I His Her Their Our Its Mr Mrs Ms Dr
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Lunedi Martedi Mercoledi Giovedi
    Venerdi Sabato Domenica Gennaio Febbraio Marzo Aprile Maggio Giugno Luglio Agosto Settembre
    Ottobre Novembre Dicembre Nato Ue Onu Usa Alleanza Atlantica Unione Europea Stati Uniti
    Commissione Consiglio Parlamento Governo Camera Senato Ministero Kiev Mosca Bruxelles Roma
    Turismo Salute Sanità Difesa Esteri Economia Finanze Trasporti Interno Giustizia Lavoro
    Istruzione Ambiente Cultura Agricoltura Health Defence Foreign Home Transport Tourism
    Ucraina Russia Italia Europa Francia Germania Cina Washington London Londra Paris Parigi
    Interrogato Interpellato Rispondendo Alla Nel Sul Secondo Stato Paese
    Group Chief Executive Officer Economist Analyst Director Chairman Chairwoman Spokesman
    Spokeswoman Manager Managing President Vice Minister Secretary General Head Senior
    Finance Financial Operating Deputy Acting Former Chancellor Governor Professor Coach
    Mr Mrs Ms Dr Sir Lord Lady Said Says Told Added BBC News Reuters Times Sunday
    Bank Managers Management Investment Investments Association Institute University Council
    Company Corporation Corp Inc Ltd Plc Fund Party Union Agency Office Commission Federation
    Renewables Energy Metals Holdings Partners Airlines Motors Systems Technologies Logistics
    Industries Foods Pharmaceuticals Telecom Commodities Shipping Ferries Rail Railways
    League Club United City Court Department Ministry Board Authority Capital Securities
    Mayor Councillor Cllr Alderman Senator Judge Justice Inspector Detective Sergeant Constable
    Bishop Cardinal Reverend Rev Sindaco Sindaca Assessore Assessora Onorevole Ministro
    Ministra Presidente Segretario Segretaria Commissario Commissaria Dottor Dottoressa
    """.split()
)
# Words that open a place name, never a person's: 'Borgo Alto', 'Castel Fiorito'.
_PLACE_WORDS = frozenset(
    fold(w)
    for w in """
    Borgo Castel Castello Monte Porto San Santa Santo Villa Valle Ponte Torre Rocca Colle
    Lago Isola Capo Piazza Via Corso Viale Largo Fort Port Mount Lake Saint St Val
    """.split()
)
# Brabeck-Letmathe, Mong-koo, McCune, MacKenzie, O'Brien, D'Alema
_CAP = r"(?:Mc|Mac|O['’]|D['’])?[A-ZÀ-Ö][a-zà-ÿ'’]+(?:-[A-ZÀ-Öa-zà-ÿ][a-zà-ÿ'’]+)*"
_PARTICLE = r"(?:de|di|da|del|della|van|von|der|den|le|la|bin|al|ibn|mac|mc)"
# Capitalised, a particle still opens the surname rather than being a name of its own:
# 'Sergio De Lellis', 'Luigi Di Cesare', 'Anselm Van der Merwe' are two names long.
_CAP_PARTICLE = r"(?:De|Di|Da|Del|Della|Dal|Dalla|Van|Von)"
_SURNAME_LEAD = rf"(?:(?:{_PARTICLE}|{_CAP_PARTICLE})\s+){{0,2}}"
_PARTICLES_BEFORE = re.compile(rf"(?<!\S)(?:(?:{_CAP_PARTICLE}|{_PARTICLE})\s+){{1,2}}$")
_FULL_NAME = re.compile(rf"\b({_CAP}(?:\s+{_SURNAME_LEAD}{_CAP}){{1,2}})\b")
_LINK = r"(?!of\b|for\b|at\b|with\b|from\b|in\b|di\b|del\b|della\b|dell\b|per\b)"
_TITLED = re.compile(
    # An abbreviation's full stop ('Dr. Kittredge'), not a sentence's ('... il ministro. Pellizzari').
    rf"\b(?:(?:Mr|Mrs|Ms|Dr|Prof|St|Sen|Gov|Rep|Gen|Capt|Rev)\.|(?:{_TITLES}))(?:\s+{_LINK}[a-zà-ÿ]+){{0,3}}\s+({_CAP}(?:\s+{_SURNAME_LEAD}{_CAP})?)\b"
)
_WORD_CAP = re.compile(rf"\b{_CAP}\b")
# An office compounded with '-master' or '-man' before a name: 'Harbourmaster Desmond
# Fairweather', 'Welshman Jimmy Watkins', in a run of three capitalised words only (so
# 'Norman Lamont' keeps his first name).
_AGENT_NOUN = re.compile(r"[A-Z][a-z]{2,}(?:master|mistress|man|woman|person)")
# A capitalised run right after one of these names an organisation, not a person.
_INSTITUTION_BEFORE = re.compile(
    r"\b(?:associazione|fondazione|cooperativa|comitato|società|consorzio|gruppo|partito"
    r"|sindacato|movimento|azienda|impresa|ditta|federazione|onlus|association|foundation"
    r"|group|company|firm|charity|campaign|network|coalition)\s+$",
    re.IGNORECASE,
)
# A sentence's first word with an elided article, "L'assessore", "Dell'ex": no name.
_ELIDED_WORD = re.compile(r"(?:L|Dell|All|Nell|Sull|Dall|Quest|Un)['’][a-zà-ÿ]")
_ENDS_PHRASE = re.compile(
    rf"['’]?\s*(?:[,.;:!?)]|[-–—](?=\s)|$|\n|(?:{_SPEECH_VERBS})\b)", re.IGNORECASE
)
_PRONOUN = re.compile(r"\b(?:he|she|they|lui|lei|egli)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    """A statement ``text[start:end]`` (without quotation marks) and who made it."""

    start: int
    end: int
    speaker: str  # full name as the article writes it, "" when unknown
    # "direct": the speaker's words between quotation marks; "reported": the clause the
    # article reports them as saying ("ha dichiarato che ..."), in the article's words.
    kind: str = "direct"


_OPENERS = {"“": "curly", "«": "angle"}
_CLOSERS = {"”": "curly", "»": "angle"}
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


def _straight_role(text: str, i: int) -> str:
    """'open', 'close' or 'either' for a straight double quote, from its neighbours.

    Straight marks are the same both ways; wire copy opens a quote after a space or a
    colon and closes it before a space or punctuation. A mark between two spaces
    ('France, " EPP spokesman') closes an open quote or opens a new one.
    """
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if (before.isspace() or before in "([{—–-:/") and not after.isspace():
        return "open"
    if not before.isspace() and (after.isspace() or after in ".,;:!?)]}—–-'’"):
        return "close"
    return "either"


def _quote_spans(text: str) -> list[tuple[int, int, bool]]:
    """Spans of direct quotes, read the way wire copy writes them.

    A quote that runs over a sentence or paragraph break opens again without having been
    closed ('...Christmas. "Over the period...' or a paragraph starting with a mark); a
    mark that opens while a quote is open therefore ends that quote at its last full
    sentence, and a paragraph break ends it too. A closing mark with no open quote (its
    opening was lost) is ignored rather than paired with the next quote's opening mark,
    which would turn the text between two quotes into a quote. Marks of another family
    inside an open quote are a quote within the quote.

    Each span is (start, end, closed): ``closed`` is False when the quote ended without its
    own closing mark, i.e. it goes on in the next quote.
    """
    spans: list[tuple[int, int, bool]] = []
    open_at = -1  # index after the opening mark of the open quote
    family = ""

    def close(end: int, closed: bool) -> None:
        nonlocal open_at, family
        stripped = text[open_at:end].rstrip()
        if len(stripped.split()) >= 3:
            spans.append((open_at, open_at + len(stripped), closed))
        open_at, family = -1, ""

    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n" and text.startswith("\n\n", i) and open_at >= 0:
            close(i, False)
        elif ch in _OPENERS or ch in _CLOSERS or ch == '"':
            kind = (
                ("open", _OPENERS[ch])
                if ch in _OPENERS
                else ("close", _CLOSERS[ch])
                if ch in _CLOSERS
                else (_straight_role(text, i), "straight")
            )
            role, fam = kind
            if role == "either":
                role = "close" if open_at >= 0 and fam == family else "open"
            if open_at >= 0 and fam != family:
                pass  # a quote inside the quote
            elif role == "open":
                if open_at >= 0:
                    # Reopened without a close: the open quote ended at its last sentence
                    # ('Muslim. He added: "The...' keeps 'He added:' out of the quote).
                    ends = [m.end() for m in _SENTENCE_END.finditer(text, open_at, i)]
                    close(ends[-1] if ends else i, False)
                open_at, family = i + 1, fam
            elif role == "close" and open_at >= 0:
                close(i, True)
        i += 1
    if open_at >= 0:
        close(n, False)
    return _split_at_inserts(text, spans)


# '«La situazione è seria - ha detto il presidente, Lamberto Ciuffreda - ma ...»': narration
# set between dashes inside the marks; what it names is outside the quote.
# A hyphen inside a word ('Malvestiti-Rocca') is no dash of the insert.
_INSERT = re.compile(r"\s[-–—]\s+((?:[^-–—«»\"“”\n]|(?<=\w)-(?=\w)){3,120}?)\s[-–—]\s+")


def _split_at_inserts(text: str, spans: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """Each quote cut in two around a dashed insert that opens with a speech verb (or a
    name and one), so each part is a quote of its own and the insert names their speaker."""
    out: list[tuple[int, int, bool]] = []
    for a, b, closed in spans:
        for m in _INSERT.finditer(text, a, b):
            verb = _VERB.search(m.group(1))
            if verb and verb.start() <= 40:
                if len(text[a : m.start()].split()) >= 2:
                    out.append((a, m.start(), True))
                a = m.end()
        out.append((a, b, closed))
    return out


_POSSESSIVE = re.compile(r"\S+['’]s?\s+")


def _name_matches(rx: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``rx.finditer``, except that a possessive ends what came before it: in "Amnesty
    International's Jan Shaw" the owner is an organisation and the name is "Jan Shaw",
    which a plain scan would lose to "Amnesty International's Jan"."""
    pos = 0
    while (m := rx.search(text, pos)) is not None:
        owners = [p for p in _POSSESSIVE.finditer(text, m.start(1), m.end(1)) if p.end() < m.end(1)]
        if owners:
            pos = owners[-1].end()
            continue
        yield m
        pos = m.end()


def _parts(tokens: list[str]) -> int:
    """How many names the tokens hold: a particle belongs to the surname after it."""
    return sum(
        1 for t in tokens if not (re.fullmatch(_CAP_PARTICLE, t) or re.fullmatch(_PARTICLE, t))
    )


def _same_person(a: str, b: str) -> bool:
    """Whether two names with one surname are one person's: one is the other's tail
    ('Van Aalst' of 'Pieter Van Aalst'), not another first name ('Elena Ferrandi')."""
    short, long = sorted((a, b), key=len)
    return long == short or long.endswith(" " + short)


class _People:
    """Person names in one article, and every place each is mentioned."""

    def __init__(self, text: str, quoted: list[tuple[int, int]]) -> None:
        # Folded surname -> the full names that end in it, in order of first appearance:
        # two people may share a surname ('Paolo Ferrandi' and 'Elena Ferrandi').
        self.full: dict[str, list[str]] = {}
        self.mentions: list[tuple[int, int, str]] = []  # (start, end, full name)

        quoted = sorted(quoted)
        quoted_starts = [a for a, _ in quoted]

        def outside(pos: int) -> bool:
            i = bisect_right(quoted_starts, pos) - 1
            return i < 0 or pos >= quoted[i][1]

        def trimmed(m: re.Match[str]) -> tuple[list[str], int]:
            """The name's tokens without non-names at either end, and how many led."""
            tokens = m.group(1).split()
            lead = 0
            while lead < len(tokens) and (
                fold(tokens[lead]) in _NOT_NAMES
                or _ELIDED_WORD.match(tokens[lead])
                or (
                    lead == 0
                    and _parts(tokens) == 3
                    and (_AGENT_NOUN.fullmatch(tokens[0]) or is_office(tokens[0]))
                )
                or (lead and tokens[lead].islower())  # "L'assessora al Commercio"
            ):
                lead += 1
            tokens = tokens[lead:]
            while tokens and fold(tokens[-1]) in _NOT_NAMES:
                tokens = tokens[:-1]
            return tokens, lead

        for rx in (_TITLED, _FULL_NAME):
            for m in _name_matches(rx, text):
                tokens, lead = trimmed(m)
                if rx is _FULL_NAME and lead and tokens:
                    # 'Secretary General Mark Rutte', 'alla Cultura Pier Luigi Morlacchi',
                    # 'Secondo Sergio De Lellis': the name starts after the words that led
                    # and may run past this match.
                    at = [w.start() for w in re.finditer(r"\S+", m.group(1))][lead]
                    again = rx.match(text, m.start(1) + at)
                    name_again, lead_again = trimmed(again) if again else ([], 1)
                    if (
                        again
                        and not lead_again
                        and not any(
                            fold(t) in _NOT_NAMES and not re.fullmatch(_CAP_PARTICLE, t)
                            for t in name_again
                        )
                    ):  # not 'Prime Minister Abdullatif', 'Conservative Party Co-Chairman'
                        m, tokens, lead = again, name_again, 0
                if not tokens or not outside(m.start(1)):
                    continue
                if rx is _FULL_NAME and re.fullmatch(_CAP_PARTICLE, tokens[0]):
                    continue  # 'De Lellis', 'Van der Merwe': a surname alone, no full name
                if (
                    _parts(tokens) >= 3
                    and not lead
                    and OFFICE_OF.search(text, max(0, m.start(1) - 40), m.start(1))
                ):
                    # The portfolio or place of the office before it ('al Demanio'), then
                    # the name, which may run past this match ('Maria Grazia Parodi').
                    tokens = tokens[1:]
                    at = m.start(1) + len(m.group(1)) - len(m.group(1).split(None, 1)[1])
                    if rx is _FULL_NAME and (again := rx.match(text, at)):
                        longer, lead_again = trimmed(again)
                        if not lead_again and len(longer) > len(tokens):
                            tokens = longer
                if rx is _FULL_NAME and len(tokens) < 2:
                    continue
                if any(fold(t) in _PLACE_WORDS for t in tokens[:-1]):
                    continue  # 'Pendolari Val Lusina', 'Borgo Alto'
                if not lead and _INSTITUTION_BEFORE.search(
                    text, max(0, m.start(1) - 30), m.start(1)
                ):
                    continue  # "l'associazione Binari Antichi", 'the campaign group Rails Not Runways'
                names = self.full.setdefault(fold(tokens[-1]), [])
                name = " ".join(tokens)
                bare = [k for k, known in enumerate(names) if _parts(known.split()) == 1]
                if _parts(tokens) > 1 and any(_same_person(name, names[k]) for k in bare):
                    # 'il presidente De Lellis' before 'Ermanno De Lellis': a surname alone
                    # gives way to the full name.
                    names[next(k for k in bare if _same_person(name, names[k]))] = name
                elif not any(_same_person(name, known) for known in names):
                    names.append(name)  # the first written of 'Pieter Van Aalst' and 'Van Aalst'
        # A surname written in full is that person's; a bare one is whoever of that
        # surname was last written in full before it, as a reader takes it.
        last: dict[str, str] = {}
        for m in _WORD_CAP.finditer(text):
            key = fold(m.group(0))
            if key not in self.full or not outside(m.start()):
                continue
            names = self.full[key]
            written = [n for n in names if text[max(0, m.end() - len(n)) : m.end()] == n]
            name = written[0] if written else last.get(key, names[0])
            last[key] = name
            start = m.start()
            # A bare 'De Lellis' / 'Van der Merwe' is mentioned from its particle on, so
            # that the particle is not taken for a word before the name.
            particles = _PARTICLES_BEFORE.search(text, max(0, start - 16), start)
            if particles and f" {particles.group(0)}{m.group(0)}" in f" {name}":
                start = particles.start()
            self.mentions.append((start, m.end(), name))
        self.mentions.sort()

    def last_before(self, pos: int, floor: int) -> str:
        i = bisect_left(self.mentions, (pos,))
        return self.mentions[i - 1][2] if i and self.mentions[i - 1][0] >= floor else ""

    def last_subject_before(self, text: str, pos: int, floor: int) -> str:
        """The last person named before ``pos`` who could be its pronoun's antecedent: not
        a name a preposition governs ('co-ordinator for the Electronic Frontier
        Foundation', 'the uncut version of Dirty War'), which is an organisation's, a
        work's or someone spoken about."""
        for i in range(bisect_left(self.mentions, (pos,)) - 1, -1, -1):
            start, end, name = self.mentions[i]
            if start < floor:
                break
            if text[end - len(name) : end] == name:
                start = end - len(name)  # the mention of a surname written in full
            if not _GOVERNED.search(text, max(0, start - 30), start) or _THEN_WHO.match(text, end):
                return name
        return ""

    def speaker_between(self, start: int, end: int, text: str) -> str:
        """The first name in [start, end) that ends a phrase: followed by punctuation or a
        speech verb ('Brett Godfrey.', 'Roy Asher,', 'Floiran Woest told'), so that an
        organisation before a role ('Virgin Blue chief executive Brett Godfrey') is skipped.
        """
        for s, e, name in self._from(start):
            if s >= end:
                break
            if _ENDS_PHRASE.match(text, e):
                return name
        return ""

    def first_after(self, pos: int, ceiling: int) -> str:
        for start, _, name in self._from(pos):
            return name if start < ceiling else ""
        return ""

    def _from(self, pos: int) -> Iterator[tuple[int, int, str]]:
        """Mentions that start at ``pos`` or later, in order."""
        for i in range(bisect_left(self.mentions, (pos,)), len(self.mentions)):
            yield self.mentions[i]

    def as_written(self, text: str) -> list[tuple[int, int, str]]:
        """Each mention widened to the whole name where the article writes it in full
        ('Mark Rutte', not just 'Rutte'), so that what stands before it is the role; a
        first name inside a widened mention is not a mention of its own."""
        out = []
        for start, end, name in self.mentions:
            full_start = end - len(name)
            out.append((full_start if text[full_start:end] == name else start, end, name))
        kept: list[tuple[int, int, str]] = []
        reach = -1
        for span in sorted(out, key=lambda m: (m[0], -m[1])):
            if span[1] > reach:
                kept.append(span)
                reach = span[1]
        return kept


# A preposition (and an article) right before a name, in lower case as running text writes
# it ('Dai Lloyd' is a name).
_GOVERNED = re.compile(
    r"\b(?:for|of|at|from|with|by|into|on|per|di|del|della|dello|dei|degli|delle|da|dal"
    r"|dalla|dai|su|sul|sulla|con|nel|nella)\s+(?:(?:the|il|lo|la|i|gli|le)\s+)?$"
    r"|\b(?:dell|dall|sull|nell)['’]\s*$"
    # ... or capitalised inside a title ('Breakfast With Frost', 'World At One').
    r"|\b[A-Z][\w'’]*\s+(?:With|At|Of|For|On|From|By)\s+$"
)
# '... for Staunton, 49, who told BBC News', 'il tono di Loris Cavagnetti, viticoltore di
# Borgo Alto, che ha perso': a relative, after an age or a role, makes the name a subject.
_THEN_WHO = re.compile(r"\S*\s*,\s*(?:[^,.;:!?\n]{1,60},\s*)?(?:who|che|il quale|la quale)\b")
_ONLY_MARKS = re.compile(r"[\s\"“”«»]*")
# Between a name and its speech verb: nothing, or a few lower-case words ("has also").
_NAME_THEN_VERB = re.compile(r"\s+(?:[a-zà-ÿ]+\s+){0,3}")


def _subject_before(people: _People, text: str, verb_at: int, floor: int) -> str:
    """The speaker of a speech verb that follows its subject in ``text[floor:verb_at]``.

    'Lord Armstrong told Newsnight:' -> the name right before the verb;
    'Mark Mackie, director of Regular Music, said:' -> the name before the apposition,
    not the organisation inside it; otherwise the last name before the verb.
    """
    before = [(s, e, name) for s, e, name in people.mentions if floor <= s and e <= verb_at]
    if not before:
        return ""
    _, end, name = before[-1]
    if _NAME_THEN_VERB.fullmatch(text, end, verb_at) or end == verb_at:
        return name
    if text[floor:verb_at].rstrip().endswith(","):
        for _, end, name in before:
            if text.startswith(",", end):
                return name
    return before[-1][2]


_ROLE_AFTER_VERB = re.compile(
    r"[^.!?\n]{0,30}?\b((?:il|lo|la|l['’]|the)\s*[^,.;:!?\n]{2,60})", re.IGNORECASE
)


def _utterances(text: str, spans: list[tuple[int, int, bool]]) -> list[list[tuple[int, int]]]:
    """Spans grouped into utterances: a quote left open runs on into the next one.

    '"It is a service. "These plans could fail," she warned.' is one utterance in two
    spans (the dataset flattened a paragraph break); it has one speaker, whose name may sit
    before the first span or after the last.
    """
    groups: list[list[tuple[int, int]]] = []
    open_end = -1  # end of the previous span when it was left open
    for a, b, closed in spans:
        if groups and open_end >= 0 and _ONLY_MARKS.fullmatch(text, open_end, a):
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
        open_end = -1 if closed else b
    return groups


def _tail_speaker(
    people: _People,
    roles: dict[str, str],
    text: str,
    a: int,
    b: int,
    close_at: int,
    para_end: int,
) -> str:
    """The speaker named after the closing mark: '", said Mr Smith' / '," BA chairman
    Martin Broughton said' / '”, ha ammonito Rutte'."""
    after = text[close_at : min(para_end, close_at + 120)]
    verb = _VERB.search(after)
    if not verb or verb.start() >= 80:
        return ""
    between = after[: verb.start()]
    if re.search(r"[.!?]\s", between):
        return ""
    # A quote that closed its own sentence, followed by a capital, is followed by a new
    # sentence ('...expect." Liberal Democrat leader Menzies Campbell said he thought'),
    # unless that sentence is only the attribution ('...now?" Smith asked.'); 'Smith
    # said: "' introduces the next quote.
    if (
        text[a:b].rstrip()[-1:] in (".", "?", "!")
        and re.match(r"\s*[A-ZÀ-Ö]", after)
        and not re.match(r"\s*(?:[.;]|,(?!\s*[\"“«])|$)", after[verb.end() :])
    ):
        return ""
    verb_at = close_at + verb.start()
    # '"...," Roy Asher, chief investment officer of X, told Reuters': the name right
    # after the closing mark, before any apposition, is the speaker.
    speaker = people.speaker_between(close_at, verb_at, text)
    if not speaker:
        lead = re.match(rf"[\s,]*(?:{_CAP}\s+){{0,3}}", after)
        right_after = people.first_after(close_at, close_at + 1 + (lead.end() if lead else 0))
        speaker = right_after or people.last_before(verb_at, close_at)
    if not speaker and not _PRONOUN.search(between):  # verb, then name
        stop = re.search(r"[.!?](?:\s|$)", after[verb.end() :])
        reach = min(50, stop.start() if stop else 50)
        window = (close_at + verb.end(), close_at + verb.end() + reach)
        # '..., ha spiegato il presidente dell'associazione Binari Antichi, Teodoro
        # Pellegrini.': the person after the organisation, up to the sentence's end.
        sentence = (window[0], close_at + verb.end() + min(120, stop.start() if stop else 120))
        speaker = (
            _apposed_person(people, text, *sentence)
            or people.speaker_between(*window, text)
            or people.first_after(*window)
        )
        # '», ha replicato in serata il ministro.': a role the article gives one person.
        role = _ROLE_AFTER_VERB.match(text, *window)
        speaker = speaker or (_role_holder(role.group(1), roles) if role else "")
    return speaker


# Italian puts adjectives after an office ('la dirigente scolastica', 'il direttore
# generale') and drops them when it names the office again ('la dirigente').
_POSTPOSED_ADJ = re.compile(r"[a-z]+(?:ale|ali|ario|aria|ivo|iva|ico|ica|ato|ata)")
_LEADING_ARTICLES = frozenset("il lo la l i gli le the un una uno".split())


def _role_holder(phrase: str, roles: dict[str, str]) -> str:
    """The person the article gives the role ``phrase``: ``match_role``, or else the one
    role the article names with ``phrase`` and one adjective after it ('la dirigente' for
    'la dirigente scolastica, Annalisa Perticone'); "" when none or several."""
    if name := match_role(phrase, roles):
        return name
    words = _words(phrase)
    while words and words[0] in _LEADING_ARTICLES:
        words = words[1:]
    if not words or len(words) > 2:
        return ""
    holders = {
        name
        for key, name in roles.items()
        if (parts := key.split())[: len(words)] == words
        and len(parts) == len(words) + 1
        and _POSTPOSED_ADJ.fullmatch(parts[-1])
    }
    return holders.pop() if len(holders) == 1 else ""


def find_quotes(text: str) -> list[Quote]:
    """Direct quotes and reported statements in ``text``, in text order, each attributed
    to the most plausible speaker."""
    spans = _quote_spans(text)
    people = _People(text, [(a, b) for a, b, _ in spans])
    roles = roles_in(text, people.as_written(text))
    direct = _direct_quotes(text, spans, people, roles)
    direct = sorted(direct + _interview_answers(text, people, direct), key=lambda q: q.start)
    direct, said_so = _said_so_by(text, people, roles, direct)
    reported = _reported_statements(text, people, roles, direct + said_so)
    return sorted(direct + said_so + reported, key=lambda q: q.start)


# An interview set out as questions and answers: 'D. Quanti posti mancano?' / 'R. Almeno
# mille.', 'Q: ...' / 'A: ...', 'Domanda: ...' / 'Risposta: ...'.
_QA_LINE = re.compile(
    r"^(?:(?P<q>D|Q|Domanda|Question)|(?P<a>R|A|Risposta|Answer))\s*[.:]\s+(?P<text>\S[^\n]*?)\s*$",
    re.MULTILINE,
)


def _interview_answers(text: str, people: _People, quotes: list[Quote]) -> list[Quote]:
    """The answers of an interview in question-and-answer lines, as the interviewee's direct
    words: the person named last before the first question (the introduction names whom
    the agency interviewed). An answer line counts only right after a question line."""
    out: list[Quote] = []
    first_question, asked = -1, False
    for m in _QA_LINE.finditer(text):
        if m.group("q"):
            first_question = m.start() if first_question < 0 else first_question
            asked = True
            continue
        if not asked:
            continue
        asked = False
        speaker = people.last_before(first_question, 0)
        a, b = m.span("text")
        if text[b - 1] == ".":
            b -= 1
        if speaker and not any(q.start < b and a < q.end for q in quotes):
            out.append(Quote(a, b, speaker))
    return out


def find_roles(text: str, *, headline: str = "") -> dict[str, str]:
    """Normalised role phrase ('segretario generale della nato') -> the full name of the
    person the article gives it to; ``headline``, the article's own, may give one more."""
    people = _People(text, [(a, b) for a, b, _ in _quote_spans(text)])
    return roles_in(text, people.as_written(text), headline=headline)


def _direct_quotes(
    text: str, spans: list[tuple[int, int, bool]], people: _People, roles: dict[str, str]
) -> list[Quote]:
    """Direct quotes, each attributed to the most plausible speaker."""
    quotes: list[Quote] = []
    last_speaker_in_para: dict[int, str] = {}
    prev_end, prev_speaker = -1, ""
    for group in _utterances(text, spans):
        a, b = group[0][0], group[-1][1]
        para_start = text.rfind("\n\n", 0, a) + 1
        last_para_start = text.rfind("\n\n", 0, b) + 1
        para_end = text.find("\n\n", b)
        para_end = len(text) if para_end < 0 else para_end
        close_at = b + 1 if b < len(text) and text[b] in '"”»' else b
        # 1. After the closing mark of the utterance's last span.
        speaker = _tail_speaker(people, roles, text, group[-1][0], b, close_at, para_end)
        # 2. Right after the previous quote, with nothing but marks between: the same
        #    speaker goes on ('"A." "B."').
        if not speaker and prev_speaker and _ONLY_MARKS.fullmatch(text, prev_end, a):
            speaker = prev_speaker
        # 3. Before the opening mark, in the same sentence and after any earlier quote:
        #    'Rutte ha ribadito: “...'. The subject of the last speech verb wins
        #    ('Weingarten asked Mr Pullman: "').
        if not speaker:
            floor = max(para_start, prev_end)
            sentence_start = max(floor, text.rfind(". ", floor, a) + 1)
            before = list(_VERB.finditer(text, sentence_start, a))
            if before:
                speaker = _subject_before(people, text, before[-1].start(), sentence_start)
        if not speaker:
            speaker = people.last_subject_before(text, a, para_start)
        # 4. A paragraph that opens with a quote continues the previous speaker.
        if not speaker:
            prev = [s for p, s in last_speaker_in_para.items() if p < para_start]
            speaker = prev[-1] if prev else people.first_after(close_at, para_end)
        if speaker:
            last_speaker_in_para[last_para_start] = speaker
        quotes.extend(Quote(qa, qb, speaker) for qa, qb in group)
        prev_end, prev_speaker = close_at, speaker
    return quotes


def quotes_metadata(quotes: list[Quote], start: int, end: int) -> tuple[str, str]:
    """The quotes overlapping ``[start, end)`` as chunk metadata: (JSON list, '|a|b|' speakers).

    Offsets are made relative to ``start`` and clipped to the chunk.
    """
    inside = [
        Quote(max(q.start, start) - start, min(q.end, end) - start, q.speaker, q.kind)
        for q in quotes
        if q.start < end and q.end > start
    ]
    speakers = sorted({fold(q.speaker.split()[-1]) for q in inside if q.speaker})
    return json.dumps([asdict(q) for q in inside]), (
        "|" + "|".join(speakers) + "|"
    ) if speakers else ""


def quotes_from_metadata(value: object) -> list[Quote]:
    try:
        return [Quote(**q) for q in json.loads(str(value or "[]"))]
    except (ValueError, TypeError):
        return []


# -- Reported speech: 'Rutte ha ribadito che la Nato ...', 'Smith said the plan would fail.'

# '(?=[a-zA-Z])(?<!\w)' is '\b' before a letter, written so that the engine skips every
# other position without trying the alternation there (a third faster on bbc_quotes).
_REPORTING_VERB = re.compile(
    rf"(?=[a-zA-Z])(?<!\w)(?:{IT_REPORTING}|{EN_REPORTING})\b", re.IGNORECASE
)
_EN_VERB = re.compile(EN_REPORTING, re.IGNORECASE)
# A gerund's subject is the sentence's: 'Smith rejected the bid, saying that ...'.
_GERUND = re.compile(r"\w+(?:ando|endo|ing)(?:si\s+\w+)?", re.IGNORECASE)
# 'come' reports a statement after these verbs ('ha sottolineato come Kiev abbia ...'); after
# others it means 'how'.
_COME_VERBS = re.compile(
    r"(?:sottoline|evidenzi|ricord|osserv|rilev|spieg|raccont|denunci|lament|rimarc)",
    re.IGNORECASE,
)
# Verbs whose object (the person told) may stand between them and 'that'.
_TAKES_OBJECT = re.compile(r"told|tells|warned|warns|assured|promised", re.IGNORECASE)
# Up to five words between the verb and its 'che'/'that' ('ha ribadito con fermezza che',
# 'told reporters on Monday that').
_CONJ_AFTER = re.compile(
    r"(?P<mid>,?(?:\s+[\w'’-]+,?){0,8}?)\s+(?P<conj>che|come|that)\b\s*", re.IGNORECASE
)
# An indirect question's clause, after a verb of asking.
_ASKED_AFTER = re.compile(
    r"(?P<mid>,?(?:\s+[\w'’-]+,?){0,5}?)\s+(?P<conj>se|perché|perche|whether|if)\b\s*",
    re.IGNORECASE,
)
# 'ha chiesto che ...' asks for something the speaker says must happen, a statement too.
_IT_ASKING_THAT = re.compile(r"(?!si\s)(?:.*\s)?(?:chiest[oaie]|chiede|chiedeva)", re.IGNORECASE)
# 'Asked whether fares would rise, she said ...': the question opens the sentence; what
# follows is no conditional ('If he said that ...').
_ASKED_LEAD = re.compile(
    r"\s*(?:asked|alla\s+domanda|interpellat[oaie]|rispondendo\s+alla\s+domanda)\b[^,.;:!?\n]*,",
    re.IGNORECASE,
)
# 'agreed to establish a body that would ...': after 'to' a verb, so 'that' is a relative;
# 'said to reporters that' is whom they spoke to.
_TO_INFINITIVE = re.compile(
    r",?\s+to\s+(?!(?:the|a|an|reporters|journalists|his|her|their|its|me|us|him|them)\b)"
    r"(?-i:[a-z])",
    re.IGNORECASE,
)
# 'di' then an infinitive ('di aver chiesto', 'di voler', 'di non essere'): what the speaker
# said they did or will do.
_DI_INFINITIVE = re.compile(
    r"\s+di\s+(?=(?:non\s+)?[a-zà-ÿ]+(?:are|ere|ire|rre|ver|ser|ler|ter|far|dir)\b)",
    re.IGNORECASE,
)
_MID_OPENERS = frozenset(
    """
    on in at to during after before by with from last this yesterday today earlier later
    recently previously also again repeatedly however too now then once
    monday tuesday wednesday thursday friday saturday sunday tonight
    a al alla ai agli alle all in nel nella nei nelle con durante per davanti dopo oggi ieri
    poi anche piu inoltre ancora gia chiaramente nuovamente stamani stamattina stasera infine
    quindi invece pero subito stamani stasera stanotte lunedi martedi mercoledi giovedi
    venerdi sabato domenica
    """.split()
)
_MID_CLAUSE_WORDS = frozenset(
    """
    it he she they we i was is were would could not unlikely likely possible clear true
    hoped hopes believed believes thought thinks feared fears doubt doubted wrong false
    non e era sarebbe improbabile probabile possibile chiaro vero
    """.split()
)
# 'Smith said the plan would fail.': a clause straight after 'said', unless what follows is
# a time, a place or a manner ('said on Friday.', 'said in a statement').
_BARE_NEXT = {
    **dict.fromkeys(
        (
            "said",
            "says",
            "insisted",
            "insists",
            "argued",
            "argues",
            "claimed",
            "claims",
            "believes",
            "predicted",
            "conceded",
            "maintained",
            "estimated",
        ),
        # 'said on Monday the plan ...': a time, then the clause.
        re.compile(
            r"\s+(?:(?:on\s+(?-i:[A-Z])\w+|yesterday|today|monday|tuesday|wednesday|thursday"
            r"|friday|saturday|sunday)\s+)?(?=[A-Za-z])",
            re.IGNORECASE,
        ),
    ),
    # 'told reporters the ...', 'told Reuters the ...', 'told the BBC the ...'
    **dict.fromkeys(
        ("told", "tells"),
        re.compile(
            r"\s+(?:reporters|journalists|(?:the\s+)?(?-i:[A-Z][\w&]+)(?:\s+(?-i:[A-Z][\w&]+))?)"
            r"(?:\s+(?:on\s+(?-i:[A-Z])\w+|yesterday|today))?\s+(?=[A-Za-z])",
            re.IGNORECASE,
        ),
    ),
}
# Verbs that drop 'that' as readily as 'said' does ('noted the plan would fail') but also
# take a plain object ('noted the increase', 'confirmed the closure'): their bare clause
# must show a finite verb of its own (below) before it counts as what was said.
_BARE_IF_FINITE = re.compile(
    r"stated|states|noted|notes|added|adds|warned|warns|explained|explains|stressed"
    r"|stresses|acknowledged|acknowledges|admitted|admits|confirmed|confirms|announced"
    r"|announces|agreed|agrees|suggested|suggests|revealed|reveals|reckons|reckoned"
    r"|recalled|observed|emphasised|emphasized|reiterated|argued|contended|asserted"
    r"|complained|replied|responded|conceded|concedes|insisted|insists|pointed\s+out"
    r"|points\s+out",
    re.IGNORECASE,
)
_FINITE_AFTER = re.compile(
    r"(?:he|she|it|they|we|i|there|you)\s+(?-i:[a-z])"
    r"|(?:(?!(?:that|to|of|for)\b)[\w'’-]+\s+){1,6}?"
    r"(?:would|will|was|were|is|are|had|has|have|could|can|should|must|may|might|did|does"
    r"|do|(?<!the\s)(?<!its\s)(?<!their\s)(?<!his\s)(?<!her\s)(?<!a\s)(?-i:[a-z])\w+ed)\b",
    re.IGNORECASE,
)
_NUMBER_WORD = re.compile(
    r"\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|hundred|thousand|half|dozen"
)
_NOT_A_CLAUSE = frozenset(
    """
    in on at to during after before by with from last this yesterday today tonight earlier
    later recently previously so and but as of for about while when through via under over
    following ahead nothing little goodbye yes no sorry thank thanks against monday tuesday wednesday
    thursday friday saturday sunday
    """.split()
)
# The full stop of an abbreviation or an initial ends no sentence: 'il dott. Bianchi',
# 'the U.S. would', 'Dr. Kittredge', 'Jan. 22'. One fixed-width look-behind per form.
_ABBREVIATIONS = (
    "dott dott.ssa prof sen avv ing sig sigg geom arch Dr Mr Mrs Ms St Prof Sen Gov Rep Gen "
    "Lt Col Sgt Capt Rev Jan Feb Aug Sept Oct Nov Dec"
).split()
# Tried only where a full stop has matched, so the look-behinds cost nothing elsewhere.
_NOT_ABBREVIATION = "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS) + (
    r"(?<!(?<![\w])[A-Z]\.)"
)
_SENTENCE_BREAK = re.compile(rf"(?:[!?…]|\.{_NOT_ABBREVIATION})[”»\"’)]?\s+|\n")
_CLAUSE_END = re.compile(rf"(?:[!?…]|\.{_NOT_ABBREVIATION})(?=[”»\"’)]?(?:\s|$))|\n")
_QUESTION_OR_NOT = re.compile(
    r"\b(?:se|whether|if)\b|(?:\b(?:non|not|never|mai)|n['’]t)\s+(?:\w+\s+)?$", re.IGNORECASE
)
# Nothing of its own before the verb: the subject is the one already speaking ('Ha poi
# aggiunto che', '..., e ha detto che').
_NO_SUBJECT = re.compile(r"(?:^|,)\s*(?:(?:e|ed|ma|poi)\s+)?$", re.IGNORECASE)
# Between a subject and its verb only auxiliaries and adverbs ('Smith has also said'), not
# the rest of a noun phrase ('the minister at the centre of the Kuznetsova doping row says').
_AUX = (
    r"(?:(?:has|have|had|also|then|later|previously|earlier|again|recently|repeatedly|"
    r"once|yesterday|today|would|will|ha|aveva|è|era|poi|anche|ieri|oggi|inoltre|quindi|infine)\s+){0,3}"
)
# A party or place in brackets after the name ('Mario Rossi (Pd) ha detto') and an age or a
# role set off by commas ('Lindqvar, 54, said') stand between a subject and its verb.
# 'Mr Hilton on Tuesday said': a day between them too.
_CLOSE_TO_VERB = re.compile(
    rf"\s*(?:\([^()\n]{{1,40}}\)\s*)?(?:on\s+(?-i:[A-Z])[a-z]+day\s+)?{_AUX}"
)
# 'Analyst Henrik Aasland of Fjord Securities said': the organisation qualifies the name.
_OF_ORGANISATION = re.compile(
    rf"\s+(?:of|at|from|di|del|della|dell['’]\s*)\s*(?:the\s+)?(?:[A-ZÀ-Ö][\w&'’.-]*\s+){{1,4}}{_AUX}"
)
_APPOSITION = re.compile(rf",\s*[a-zà-ÿ0-9][^,.;:!?]{{0,80}},\s*{_AUX}")
# 'Rydberg-Hale, Voltrane Cells chief executive, said': an apposition may open with its
# organisation's name when an office follows (checked with parse_role).
_OWNED_APPOSITION = re.compile(
    rf",\s*(?P<role>(?:[A-ZÀ-Ö][\w&'’.-]*\s+){{1,4}}[a-zà-ÿ][^,.;:!?]{{0,60}}),\s*{_AUX}"
)
# 'Susan Pike, who represents nurses ... and is not related to the chief executive, said': a
# relative clause is bounded by its pronoun and its comma, so it may run longer than a role.
_RELATIVE_APPOSITION_THEN_VERB = re.compile(
    rf",\s*(?:who|che|il quale|la quale)\s[^,.;:!?]{{2,120}},\s*{_AUX}", re.IGNORECASE
)
# 'Rossi, che ha poi spiegato che', 'Roe, who said that'
_RELATIVE_SUBJECT = re.compile(rf",\s*(?:che|who|il quale|la quale)\s+{_AUX}", re.IGNORECASE)
_AFTER_ROLE = re.compile(rf",\s*{_AUX}")
# 'Il titolare dell'impianto, l'imprenditore Dario Scognamiglio, ha detto': a comma, then at
# most a few lower-case words of role, right before the name.
# The role opens with an article and is only lower-case words: not ', spokeswoman for net
# provider Pipex,' nor ', which makes Stella Artois,' (the name there is not the subject).
_AFTER_COMMA_ROLE = re.compile(
    r",\s*(?:$|(?:l['’]\s*|(?:il|la|lo|the|un|una|a|an)\s+)(?:[a-zà-ÿ]+\s+){0,2}[a-zà-ÿ]+\s+$)"
)
_COORDINATED = re.compile(
    rf"\s(?:ma|e|ed|and|but)\s+(?:(?:poi|anche|also|then)\s+)?{_AUX}$", re.IGNORECASE
)
_LATTER = re.compile(rf"\b(?:quest['’]\s*ultim[oa]|the latter)\s+{_AUX}$", re.IGNORECASE)
# Before a sentence's first name, nothing or only its role ('Il sindaco Duilio Marcantoni').
_LEADS_SUBJECT = re.compile(
    r"\s*(?:(?:il|lo|la|l['’]|i|gli|le|the)\s*[^,.;:!?]{0,80}?,?\s*)?", re.IGNORECASE
)
_PHRASE_THEN_APPOSITION = re.compile(
    r"\s*((?:il|lo|la|l['’]|i|gli|le|the)\s*[^,]{2,60}?)\s*,[^,]{2,80},\s*$", re.IGNORECASE
)
_PRONOUN_SUBJECT = re.compile(rf"\b(?:he|she|lui|lei|egli|ella)\s+{_AUX}$", re.IGNORECASE)
_ROLE_SUBJECT = re.compile(
    r"(?:^|,)\s*(?:(?:anche|pure|persino|also|even)\s+)?((?:the|il|lo|la|l['’])\s*[^,]{2,60}?)\s*$",
    re.IGNORECASE,
)
# Who the statement is credited to, before or after it: 'secondo X', 'according to X',
# 'stando a X', 'a detta di X', 'secondo quanto dichiarato da X'; and, at the start of a
# sentence only, 'per X,' and 'come ha spiegato X,' (elsewhere they mean other things).
_IT_BY = r"(?:da|dal|dalla|dallo|dai|dagli|dalle|dall['’])"
_IT_TO = r"(?:a|al|alla|allo|ai|agli|alle|all['’])"
_IT_OF = r"(?:di|del|della|dello|dei|degli|delle|dell['’])"
_ACCORDING = re.compile(
    r"\b(?P<how>(?:secondo\s+quanto\s+(?:" + IT_PARTICIPLES + r")\s+" + _IT_BY + r"|secondo"
    r"|according\s+to|stando\s+" + _IT_TO + r"|a\s+detta\s+" + _IT_OF + r"|(?P<initial>per"
    r"|come\s+(?:ha|aveva)\s+(?:(?:" + IT_ADVERBS + r")\s+)?(?:" + IT_PARTICIPLES + r")"
    r"|come\s+(?:" + IT_PARTICIPLES + r")\s+" + _IT_BY + r""
    r"|as\s+(?:said|explained|noted|put\s+it)\s+by)))(?:\s+|(?<=['’]))"
    r"(?!cui\b|il quale\b|la quale\b|whom\b)"
    r"(?P<who>[^,.;:!?\n“”«»\"]{2,80}?)\s*(?P<sep>[,.;])",
    re.IGNORECASE,
)
_ACCORDING_BARE = re.compile(
    rf"\b(?:secondo|stando\s+{_IT_TO}|a\s+detta\s+{_IT_OF}|(?P<per>per))(?:\s+|(?<=['’]))",
    re.IGNORECASE,
)
# Only an article and lower-case role words between the source word and the name.
_ROLE_WORDS = re.compile(r"\s*(?:(?:il|lo|la|l['’]|the)\s*)?(?:[a-zà-ÿ'’]+\s+){0,5}")
_CLAUSE_AFTER_NAME = re.compile(
    r"\s+(?!(?:e|ed|o|and|or|di|del|della|dei|de|da|of|in|a)\b)[a-zà-ÿ]", re.IGNORECASE
)
_ASIDE = re.compile(
    r"\s*(?:invece|però|pero|comunque|inoltre|infatti|quindi|tuttavia|al\s+contrario|however"
    r"|instead|meanwhile|though|too|also),\s*",
    re.IGNORECASE,
)
_NAME_APPOSITION = re.compile(rf"\s*{_CAP}(?:\s+{_CAP}){{0,2}},\s*")
# 'A suo dire, ...', 'A suo avviso, ...': the one already speaking.
_BY_PRONOUN = re.compile(
    r"\b(?:a\s+(?:suo|loro)\s+(?:dire|avviso|parere|giudizio)|in\s+(?:his|her|their)\s+view),\s*",
    re.IGNORECASE,
)
# '..., according to Marguerite Osei, who runs the Traders' Group.'
_RELATIVE_TO_END = re.compile(r"\s*(?:who|which|che|il quale|la quale)\b[^.!?\n]*$", re.IGNORECASE)
_RELATIVE_APPOSITION = re.compile(
    r"\s*(?:who|che|il quale|la quale)\s[^,.;:!?]{2,120},\s*", re.IGNORECASE
)
_ACCORDING_TO_WHOM = re.compile(
    r",\s*(?:secondo cui|(?:secondo|per)\s+(?:il|la)\s+quale|(?:secondo|per)\s+(?:i|le)\s+quali"
    r"|according to whom)\s+",
    re.IGNORECASE,
)
_SENTENCE_OPENER = re.compile(r"\s*(?:(?:e|ed|ma|and|but)\s+)?$", re.IGNORECASE)
_DESCRIBED = re.compile(r"\s*(?:a|an|un|una|uno|un['’])\s[^,.;:!?]{2,120},\s*", re.IGNORECASE)
_ROLE_APPOSITION_AFTER = re.compile(r"\s*[^,.;:!?]{2,60},\s*")
_ARTICLE_START = re.compile(r"\s*(?:il|lo|la|l['’]|i|gli|le|the)\b", re.IGNORECASE)
_IT_OF_RX = r"(?:di|del|della|dello|dei|degli|delle|dell['’])"
_SAID_SO = re.compile(
    rf"\ba(?:d)?\s+(?:{IT_CLITIC_INFINITIVE})\s+(?:(?:è|e['’]|sono)\s+stat[oaie]|è)\b|"
    r"(?:\b(?:lo|così|è quanto)\s+|\bl['’]\s*)(?:ha|hanno|aveva)\s+(?:(?:poi|anche)\s+)?"
    rf"(?:{IT_PARTICIPLES})\b|\blo\s+(?:{IT_FINITE})\b"
    # Nominal credits: '«...». Parole del sottosegretario X', '«...». Così il presidente X',
    # 'Questo il commento di X', 'È il commento di X'.
    rf"|\b(?:(?:queste|sono)\s+(?:le\s+)?)?parole\s+{_IT_OF_RX}"
    rf"|\b(?:(?:questo|è|e['’])\s+(?:stato\s+)?)?il\s+(?:commento|pensiero)\s+{_IT_OF_RX}"
    r"|\bcosì(?=\s+(?:il|lo|la|l['’]|i|gli|le|(?-i:[A-ZÀ-Ö]))\S*\s[^.!?\n]{0,80}?(?-i:[A-ZÀ-Ö]))",
    re.IGNORECASE,
)
_DATELINE = re.compile(
    r"[^\n]{0,80}?\((?:[A-Z]{3,}|[A-Za-z][a-z]{3,}|[A-Z][a-z]+[A-Z]\w*)\)\s*[–—-]\s*"
    # '(ANSA) - PONTELAGO, 14 OTT - ', '(AGI) - Calabrone Marittima, 21 ago. - '
    r"(?:[A-ZÀ-Ö][\w'’ ]{1,40},\s*\d{1,2}\s+[A-Za-z]{3,9}\.?\s+[–—-]\s*)?"
    # 'ASHCOMBE VALE, England, Sept. 3, 2026 — ', 'KESTERBY, Nov. 14, 2026 —': no outlet
    r"|(?<![^\n])[A-ZÀ-Ö][A-ZÀ-Ö'’. -]{2,40}(?:,[^\n–—]{0,60}?)?\s+(?:[–—]|--)\s*"
)
# A sentence that opens with these is an adverbial phrase before the comma ('After the
# meeting on Monday, Smith said.'), not a statement.
_ADVERBIAL_OPENERS = frozenset(
    """
    after before in on at during following when while although as if since for with
    dopo prima durante nel nella quando mentre sebbene se con per
    """.split()
)
_TIME = (
    r"(?:on\s+\w+|in\s+a\s+statement|in\s+an\s+interview|yesterday|today|earlier|later"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|tonight"
    r"|last\s+week|ieri|oggi|in\s+una\s+nota"
    r"|in\s+a\s+(?:letter|speech|post|note|blog\s+post|press\s+release|video)(?:\s+to\s+\w+)?"
    r"|on\s+(?:social\s+media|(?-i:[A-Z])\w+))"
)
# 'told reporters', 'told Reuters on Tuesday': whom the words were said to.
_TOLD_WHOM = r"(?:reporters|journalists|(?-i:[A-Z][\w&]+)|the\s+(?-i:[A-Z])\w+)"
# 'after a visit to the harbour', 'during talks in Dunholm': when or where it was said, a
# prepositional phrase with no clause in it (nothing with 'that'). Not 'at': 'hinted at a
# Budget giveaway' is what was hinted.
_CIRCUMSTANCE = (
    r"(?:after|during|following|outside|before|dopo|durante)"
    r"(?:\s+(?!(?:that|che)\b)[\w'’-]+){1,6}"
)
_TIME_ONLY = re.compile(
    rf"\s+(?:(?:{_TOLD_WHOM}(?:\s+{_TIME})?|{_TIME})(?:\s+{_CIRCUMSTANCE})?|{_CIRCUMSTANCE})\s*",
    re.IGNORECASE,
)
_NAME_THEN_ROLE = re.compile(
    rf"(\s+(?:{_CAP}\s+){{1,2}}{_CAP})\s*,\s*(?:the|a|an|il|la|lo|l['’])\b[^,]{{2,80}}"
)
_OWNER = re.compile(r"['’]s?\b")
_BLANK_LINE = re.compile(r"(?=\n\n)")
# Between a clause's comma and the speech verb of the next statement in its sentence:
# nothing ('..., aggiunge che'), or 'mentre'/'while' and that statement's subject.
_BEFORE_NEXT_ACT = re.compile(
    r",\s*(?:(?:mentre|while|whereas)\s[^,.;:!?\n]{0,80}?)?\s*", re.IGNORECASE
)
_OPENS_RELATIVE = re.compile(
    r",\s*(?:who|whose|which|where|che|cui|il\s+quale|la\s+quale|i\s+quali|le\s+quali|dove)\b",
    re.IGNORECASE,
)
# A finite verb no adverbial phrase holds: an auxiliary, a copula, a modal or a future.
_FINITE_CUE = re.compile(
    r"\b(?:è|sono|sarà|saranno|era|erano|ha|hanno|avrà|avranno|potrà|potranno|può|possono"
    r"|deve|devono|dovrà|dovranno|resta|restano|\w{3,}(?:erà|irà|eranno|iranno|aranno)"
    r"|is|are|was|were|will|would|has|have|had|could|can|should|must)\b",
    re.IGNORECASE,
)
_LEADING_DASH = re.compile(r"[-–—]\s")
MIN_CLAUSE_WORDS = 3
MIN_CUT_CLAUSE_WORDS = 6  # before a direct quote that cuts the clause short
MAX_SENTENCE_CHARS = 1000  # how far back a sentence's start is looked for


class _Context:
    """What reported-speech rules need to know about one article.

    Every lookup is a bisection over spans sorted by start, so an article costs time in
    proportion to its length, not to its length times its number of speech verbs."""

    def __init__(
        self, text: str, people: _People, roles: dict[str, str], quotes: list[Quote]
    ) -> None:
        self.text = text
        self._breaks = [m.start() for m in _BLANK_LINE.finditer(text)]
        self.people = people
        self.roles = roles
        self.direct = sorted(quotes, key=lambda q: q.start)
        self._direct_starts = [q.start for q in self.direct]
        self.said: list[Quote] = []  # reported statements accepted so far, by start
        self._said_starts: list[int] = []
        self.names = people.as_written(text)
        self._name_starts = [m[0] for m in self.names]
        # (position, name) of every named subject of a speech verb, also where no clause
        # followed ('Mr Johnson told BBC Radio 4 he thought ... He added that'): who 'he' is.
        self.voices: list[tuple[int, str]] = []

    @cached_property
    def verbs(self) -> list[re.Match[str]]:
        return list(_REPORTING_VERB.finditer(self.text))

    @cached_property
    def _verb_starts(self) -> list[int]:
        return [v.start() for v in self.verbs]

    def names_in(self, start: int, end: int) -> list[tuple[int, int, str]]:
        out = []
        for i in range(bisect_left(self._name_starts, start), len(self.names)):
            m = self.names[i]
            if m[0] >= end:
                break
            if m[1] <= end:
                out.append(m)
        return out

    def paragraph(self, pos: int) -> tuple[int, int]:
        """[start, end) of the paragraph at ``pos``: after the blank line before it (at the
        second of its line breaks), up to the next blank line."""
        i = bisect_right(self._breaks, pos - 2)
        start = self._breaks[i - 1] + 1 if i else 0
        j = bisect_left(self._breaks, pos)
        return start, self._breaks[j] if j < len(self._breaks) else len(self.text)

    def sentence_start(self, pos: int) -> int:
        floor = max(self.paragraph(pos)[0], pos - MAX_SENTENCE_CHARS)
        breaks = [m.end() for m in _SENTENCE_BREAK.finditer(self.text, floor, pos)]
        return breaks[-1] if breaks else floor

    def sentence_end(self, pos: int) -> int:
        para_end = self.paragraph(pos)[1]
        stop = _CLAUSE_END.search(self.text, pos, para_end)
        return stop.start() if stop else para_end

    def _direct_near(self, start: int, end: int) -> list[Quote]:
        """Direct quotes and 'Lo ha detto' statements overlapping [start - 1, end]."""
        i = max(0, bisect_right(self._direct_starts, start) - 2)
        out = []
        for q in (self.direct[k] for k in range(i, len(self.direct))):
            if q.start > end:
                break
            if q.end >= start - 1:
                out.append(q)
        return out

    def inside_quote(self, pos: int) -> bool:
        return any(q.kind == "direct" and q.start - 1 <= pos for q in self._direct_near(pos, pos))

    def reported_at(self, pos: int) -> bool:
        i = bisect_right(self._said_starts, pos) - 1
        return i >= 0 and pos < self.said[i].end

    def clause(self, start: int) -> tuple[int, int] | None:
        """The reported clause from ``start`` to the end of its sentence, without the full
        stop and before any direct quote inside it; None for a question or too short."""
        text = self.text
        para_end = self.paragraph(start)[1]
        while start < para_end and (
            text[start].isspace() or text[start] == "," or _LEADING_DASH.match(text, start)
        ):
            start += 1
        stop = _CLAUSE_END.search(text, start, para_end)
        end = stop.start() if stop else para_end
        if stop and text[stop.start()] == "?":
            return None
        end = self.next_speech_act(start, end)
        least = MIN_CLAUSE_WORDS
        for q in self._direct_near(start, end):
            if start - 1 <= q.start < end:
                if q.start <= start + 2:
                    return None  # 'osservando che “...”': a direct quote, already counted
                # 'said the Bill was "...': the quote carries the statement, unless what
                # comes before it says something of its own.
                end, least = q.start - 1, MIN_CUT_CLAUSE_WORDS
                break
        while end > start and (text[end - 1].isspace() or text[end - 1] in ',;:–—-“«"('):
            end -= 1
        if text[start:end].count('"') % 2 and text.startswith('"', end):
            end += 1  # the closing mark of a phrase quoted inside ('he was "delighted"')
        if len(text[start:end].split()) < least:
            return None
        return start, end

    def next_speech_act(self, start: int, end: int, gerund_only: bool = False) -> int:
        """Where a clause in ``[start, end)`` stops because the sentence goes on to another
        statement: at the comma before '..., mentre X ha rimarcato che', '..., aggiunge
        che', '..., aggiungendo che', '..., dicendosi convinta che', '..., adding that'.
        Each of those is a statement of its own, found from its verb."""
        i = bisect_right(self._verb_starts, start)
        for verb in self.verbs[i:]:
            if verb.start() >= end:
                break
            comma = self.text.rfind(",", start, verb.start())
            if comma < 0 or not _BEFORE_NEXT_ACT.fullmatch(self.text, comma, verb.start()):
                continue
            finite = not _GERUND.fullmatch(verb.group(0))
            if finite and (gerund_only or _OPENS_RELATIVE.search(self.text, start, comma)):
                continue  # 'the man, who later disappeared, claimed': the comma ends 'who'
            if ASKING.fullmatch(verb.group(0)):
                continue
            italian = not _EN_VERB.fullmatch(verb.group(0))
            if _clause_after_verb(self, verb, italian)[0] >= 0:
                return comma
        return end

    def overlaps_direct(self, start: int, end: int) -> bool:
        return bool(self._direct_near(start, end))

    def last_speaker(self, pos: int) -> str:
        """The last person named as speaker in this paragraph or the one before it, else
        the last person named in this paragraph."""
        para_start = self.paragraph(pos)[0]
        floor = self.paragraph(max(0, para_start - 2))[0] if para_start > 1 else 0
        best: tuple[int, str] = (-1, "")
        for quotes, starts in ((self.direct, self._direct_starts), (self.said, self._said_starts)):
            for q in (quotes[k] for k in range(bisect_left(starts, pos) - 1, -1, -1)):
                if q.start < floor:
                    break
                if q.speaker:
                    best = max(best, (q.start, q.speaker))
                    break
        i = bisect_left(self.voices, (pos, ""))
        if i and self.voices[i - 1][0] >= floor:
            best = max(best, self.voices[i - 1])
        if best[0] >= 0:
            return best[1]
        return self.people.last_subject_before(self.text, pos, para_start)

    def last_voice(self, pos: int) -> str:
        """The last one who spoke in this paragraph or the one before it, when nobody else
        is named since ('Oliver Letwin, ..., affects bewilderment ... The attack, he says,'
        is not the last speaker's); "" rather than a guess."""
        para_start = self.paragraph(pos)[0]
        floor = self.paragraph(max(0, para_start - 2))[0] if para_start > 1 else 0
        events = [
            (q.start, q.speaker)
            for q in (*self.direct, *self.said)
            if floor <= q.start < pos and q.speaker
        ]
        events += [(at, name) for at, name in self.voices if floor <= at < pos]
        if not events:
            return ""
        at, voice = max(events)
        # Names inside what was said, and in this sentence itself, are talked about.
        others = [
            n
            for n in self.names_in(at, self.sentence_start(pos))
            if n[2] != voice and not self.inside_quote(n[0]) and not self.reported_at(n[0])
        ]
        return "" if others else voice

    def add(self, start: int, end: int, speaker: str) -> None:
        i = bisect_left(self._said_starts, start)
        clash = (i and self.said[i - 1].end > start) or (
            i < len(self.said) and self.said[i].start < end
        )
        if speaker and not clash:
            self.said.insert(i, Quote(start, end, speaker, "reported"))
            self._said_starts.insert(i, start)


def _subject(ctx: _Context, sent_start: int, verb_at: int, italian: bool) -> str | None:
    """The speaker who is the subject of the verb at ``verb_at``: a name right before it
    ('Rutte ha ribadito'), before an apposition ('Jane Roe, chief executive of X, said') or
    after a role ('il segretario generale della Nato, Mark Rutte, ha ribadito'), or a role
    the article gives to one person ('il sindaco ha dichiarato'). None when the subject is
    the one already speaking ('He added that', 'Ha poi aggiunto che', and in Italian, which
    drops the subject, '..., ha aggiunto che'); "" when unknown."""
    text = ctx.text
    for start, end, name in reversed(ctx.names_in(sent_start, verb_at)):
        if _CLOSE_TO_VERB.fullmatch(text, end, verb_at):
            return name
        if (
            _APPOSITION.fullmatch(text, end, verb_at)
            or _RELATIVE_SUBJECT.fullmatch(text, end, verb_at)
            or _RELATIVE_APPOSITION_THEN_VERB.fullmatch(text, end, verb_at)
            or _OF_ORGANISATION.fullmatch(text, end, verb_at)
        ):
            return name
        owned = _OWNED_APPOSITION.fullmatch(text, end, verb_at)
        if owned and parse_role(owned.group("role"))[0]:
            return name
        after_role = bool(_AFTER_COMMA_ROLE.search(text, sent_start, start))
        if after_role and _AFTER_ROLE.fullmatch(text, end, verb_at):
            return name
    head = text[sent_start:verb_at]
    names = ctx.names_in(sent_start, verb_at)
    if latter := _LATTER.search(head):
        # "Quest'ultimo ha aggiunto che": the last person named before, speaker or not.
        return ctx.people.last_before(sent_start + latter.start(), ctx.paragraph(sent_start)[0])
    if (
        names
        and _COORDINATED.search(head)
        and _LEADS_SUBJECT.fullmatch(text, sent_start, names[0][0])
    ):
        # 'Quagliarini ha accolto il piano ma ha avvertito che ...': a second verb joined
        # to the first shares the subject that opens the sentence.
        return names[0][2]
    if _PRONOUN_SUBJECT.search(head) or not head.strip():
        return None
    if phrase := _PHRASE_THEN_APPOSITION.match(head):
        # 'Il comitato dei cittadini, guidato da X, chiede che': the subject opens the
        # sentence; an institution is nobody (the name inside the apposition is not it).
        return match_role(phrase.group(1), ctx.roles) if parse_role(phrase.group(1))[0] else ""
    if italian and _NO_SUBJECT.search(head):
        return None
    role = _ROLE_SUBJECT.search(head)
    if role and len(role.group(1).split()) <= 6:
        return _role_holder(role.group(1), ctx.roles)
    return ""


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def _clause_after_verb(ctx: _Context, verb: re.Match[str], italian: bool) -> tuple[int, str]:
    """Where the reported clause after a speech verb starts, and the speaker when the
    Italian subject follows the verb ('ha detto il ministro Carla Venturini che'); -1 when
    no clause follows. The words between the verb and its 'che'/'that' must say when, where
    or to whom ('ha ribadito con fermezza che', 'told reporters on Monday that'), not be a
    clause of their own ('said it was unlikely that' reports the opposite of what follows)."""
    text, said = ctx.text, verb.group(0)
    if italian and (infinitive := _DI_INFINITIVE.match(text, verb.end())):
        return infinitive.end(), ""  # 'ha detto di voler incontrare i pendolari'
    asking = ASKING.fullmatch(said)
    head = ctx.text[ctx.sentence_start(verb.start()) : verb.start()]
    if asking and (not head.strip() or _REPORTING_VERB.search(head)):
        # 'Asked whether ..., she said': the question put to the speaker; 'said he had
        # wondered whether': a question inside what someone said.
        return -1, ""
    if asking and (question := _ASKED_AFTER.match(text, verb.end())):
        if not _MID_CLAUSE_WORDS.intersection(_words(question.group("mid"))):
            return question.end(), ""  # 'si è chiesto perché ...', 'asked whether ...'
    if asking and not _IT_ASKING_THAT.fullmatch(said):
        return -1, ""  # 'asked that ...' is a request, 'asked the minister' no statement
    conj = _CONJ_AFTER.match(text, verb.end())
    if conj and conj.group("conj").lower() == "che" and _REPORTING_VERB.match(text, conj.end()):
        # 'Lo ha reso noto il presidente, X, che ha poi aggiunto che': 'che' is X, the
        # subject of the next verb, whose own clause follows it.
        return -1, ""
    if conj and (conj.group("conj").lower() != "come" or _COME_VERBS.match(said.split()[-1])):
        mid = _words(conj.group("mid"))
        inverted = ctx.names_in(*conj.span("mid"))
        if not mid:
            return conj.end(), ""
        if not _MID_CLAUSE_WORDS.intersection(mid) and not _TO_INFINITIVE.match(conj.group("mid")):
            if mid[0] in _MID_OPENERS:
                return conj.end(), ""
            if italian and inverted:
                return conj.end(), inverted[-1][2]
            if _TAKES_OBJECT.fullmatch(said) and len(mid) <= 4:
                return conj.end(), ""  # 'told the committee that'
    after = _BARE_NEXT.get(said.lower())
    finite_needed = after is None and _BARE_IF_FINITE.fullmatch(said)
    if finite_needed:
        after = _BARE_NEXT["said"]
    bare = after.match(text, verb.end()) if after else None
    if bare:
        word = _words(text[bare.end() : bare.end() + 30])
        # 'said about 300 students would': before a number 'about' is 'roughly', the
        # clause's subject, not what was talked about ('said about the plan').
        roughly = word[:1] in (["about"], ["over"], ["around"]) and _NUMBER_WORD.fullmatch(
            (word[1:] or [""])[0]
        )
        if word and (word[0] not in _NOT_A_CLAUSE or roughly):
            if not (finite_needed or roughly) or _FINITE_AFTER.match(text, bare.end()):
                return bare.end(), ""
    return -1, ""


def _reported_after_verbs(ctx: _Context) -> None:
    """'X ha dichiarato che <clause>', 'X said (that) <clause>', 'He added that <clause>'."""
    text = ctx.text
    for verb in ctx.verbs:
        v0 = verb.start()
        if ctx.inside_quote(v0) or ctx.reported_at(v0):
            continue
        sent_start = ctx.sentence_start(v0)
        lead = _ASKED_LEAD.match(text, sent_start, v0)
        if _QUESTION_OR_NOT.search(text, lead.end() if lead else sent_start, v0):
            continue
        italian = not _EN_VERB.fullmatch(verb.group(0))
        gerund = _GERUND.fullmatch(verb.group(0))
        subject = None if gerund else _subject(ctx, sent_start, v0, italian)
        if subject:
            ctx.voices.append((v0, subject))
        clause_at, speaker = _clause_after_verb(ctx, verb, italian)
        span = ctx.clause(clause_at) if clause_at >= 0 else None
        if span is None:
            continue
        if not speaker and gerund:
            # The gerund's subject is the sentence's: its first name, or in Italian the
            # one already speaking ('..., osservando che').
            names = ctx.names_in(sent_start, v0)
            speaker = names[0][2] if names else ctx.last_speaker(v0) if italian else ""
        elif not speaker:
            speaker = ctx.last_speaker(v0) if subject is None else subject
        ctx.add(*span, speaker)


def _reported_by_source(ctx: _Context) -> None:
    """'Secondo X, <clause>', '<clause>, according to X.', 'X, secondo cui <clause>'."""
    text = ctx.text
    for m in _ACCORDING.finditer(text):
        if ctx.inside_quote(m.start()):
            continue
        who = ctx.names_in(*m.span("who"))
        if who:
            # Not 'according to a statement from Mr Spitzer's office', nor 'according to
            # all those players and even Federer himself'.
            if _OWNER.match(text, who[-1][1]) or re.search(r"\b(?:and|e)\b", m.group("who")):
                continue
            # 'according to Linnea Sauvageot of the campaign group Rails Not Runways': the
            # first name is the person, what follows qualifies them.
            speaker = who[0][2]
        else:
            # A role the article gives nobody by itself may be named right after it
            # ('Secondo il suo presidente, Nunzio Aricò, <clause>'), below.
            speaker = _role_holder(m.group("who"), ctx.roles)
        sent_start = ctx.sentence_start(m.start())
        dateline = _DATELINE.match(text, sent_start, m.start())
        opens = dateline.end() if dateline else sent_start
        initial = _SENTENCE_OPENER.fullmatch(text, opens, m.start())
        final = text[sent_start : m.start()].rstrip().endswith(",") and (
            m.group("sep") != ","
            or _RELATIVE_TO_END.match(text, m.end(), ctx.sentence_end(m.end()))
        )
        if m.group("sep") == "," and initial:
            at = m.end()
            if aside := _ASIDE.match(text, at):
                at = aside.end()  # 'Per il consigliere X, invece, <clause>'
            # 'according to Jane Roe, chief executive of X, ...': the clause follows the role
            role = _ROLE_APPOSITION_AFTER.match(text, at)
            if role and parse_role(text[at : role.end()])[0]:
                at = role.end()
            elif described := _DESCRIBED.match(text, at):
                at = described.end()  # 'according to X, a retired teacher who ..., <clause>'
            elif relative := _RELATIVE_APPOSITION.match(text, at):
                at = relative.end()  # 'Stando al prefetto X, che ha ricevuto ..., <clause>'
            elif (not who or who[0][0] > m.start("who")) and (
                named := _NAME_APPOSITION.match(text, at)
            ):
                # 'Secondo il presidente della Regione, Mario Rossi, <clause>'; 'Stando a
                # quanto riferito dal presidente della fondazione Amici della Scena, Carmine
                # Votta, <clause>' (the name in the role is an organisation's).
                person = ctx.names_in(at, named.end())
                if person:
                    speaker, at = person[-1][2], named.end()
            span = ctx.clause(at)
        elif final and not m.group("initial") and speaker:
            span = _clause_before(ctx, sent_start, text.rfind(",", sent_start, m.start()))
        else:
            continue
        if span:
            ctx.add(*span, speaker)

    for m in _ACCORDING_BARE.finditer(text):
        # 'Secondo l'assessore Aurelio Ferrante il ponte riaprirà': no comma after the name.
        sent_start = ctx.sentence_start(m.start())
        if ctx.inside_quote(m.start()) or not _SENTENCE_OPENER.fullmatch(
            text, sent_start, m.start()
        ):
            continue
        who = ctx.names_in(m.end(), m.end() + 80)
        if not who or not _ROLE_WORDS.fullmatch(text, m.end(), who[0][0]):
            continue
        if not _CLAUSE_AFTER_NAME.match(text, who[0][1]):
            continue  # a comma (the rule above), more of the name, or a second person
        if m.group("per") and not any(
            q.speaker == who[0][2] and q.start < m.start() for q in ctx.direct
        ):
            continue  # 'Per X il Comune ha stanziato ...' is for X, unless X has spoken
        span = ctx.clause(who[0][1])
        if span:
            ctx.add(*span, who[0][2])

    for m in _ACCORDING_TO_WHOM.finditer(text):
        if ctx.inside_quote(m.start()):
            continue
        sent_start = ctx.sentence_start(m.start())
        names = [n for n in ctx.names_in(sent_start, m.start()) if n[1] == m.start()]
        role = _ROLE_SUBJECT.search(text, sent_start, m.start())
        speaker = names[0][2] if names else _role_holder(role.group(1), ctx.roles) if role else ""
        span = ctx.clause(m.end())
        if span and speaker:
            ctx.add(*span, speaker)


def _reported_by_pronoun(ctx: _Context) -> None:
    """'A suo dire, <clause>': after the named speakers are known, the last of them."""
    text = ctx.text
    for m in _BY_PRONOUN.finditer(text):
        sent_start = ctx.sentence_start(m.start())
        if ctx.inside_quote(m.start()) or text[sent_start : m.start()].strip():
            continue
        span = ctx.clause(m.end())
        speaker = ctx.last_speaker(m.start())
        if span and speaker:
            ctx.add(*span, speaker)


def _reported_before_verbs(ctx: _Context) -> None:
    """'<clause>, Smith said.', '<clause>, said Smith.', '<clause>, ha spiegato il sindaco.':
    the clause before the comma, when the rest of the sentence only says who said it."""
    text = ctx.text
    for verb in ctx.verbs:
        v0, v1 = verb.span()
        if ctx.inside_quote(v0) or ctx.reported_at(v0) or ASKING.fullmatch(verb.group(0)):
            continue
        para_end = ctx.paragraph(v0)[1]
        stop = _CLAUSE_END.search(text, v1, para_end)
        end = stop.start() if stop else para_end
        if stop and text[end] != ".":
            continue
        # '<clause>, X said on Thursday, adding that ...': the next statement is its own.
        end = ctx.next_speech_act(v1, end, gerund_only=True)
        tail = text[v1:end]
        if "," in tail and (named := _NAME_THEN_ROLE.fullmatch(tail)):
            tail = named.group(1)  # 'said Wendy Marsh, the council's deputy leader.'
        # Eight words say who spoke; more only when they all say to whom, when or where
        # ('told reporters on Thursday after a visit to the harbour').
        if "," in tail or (len(tail.split()) > 8 and not _TIME_ONLY.fullmatch(tail)):
            continue
        sent_start = ctx.sentence_start(v0)
        comma = text.rfind(",", sent_start, v0)
        if comma < 0 or text.find("\n", comma, v0) >= 0:
            continue
        italian = not _EN_VERB.fullmatch(verb.group(0))
        if text[comma + 1 : v0].strip():
            subject = _subject(ctx, comma + 1, v0, italian)  # 'Smith said.', 'he said.'
            if subject == "" or (_words(tail) and not _TIME_ONLY.fullmatch(tail)):
                continue
        else:  # 'said Smith.', 'ha detto il sindaco.'
            names = ctx.names_in(v1, end)
            subject = names[0][2] if names else _role_holder(tail, ctx.roles)
            if not subject and (not _words(tail) or _TIME_ONLY.fullmatch(tail)):
                # '<clause>, the transport minister, Imogen Castellane, told reporters.'
                subject, comma = _apposed_subject(ctx, sent_start, comma)
            if not subject:
                continue
        span = _clause_before(ctx, sent_start, comma)
        if span:
            ctx.add(*span, ctx.last_speaker(v0) if subject is None else subject)


def _apposed_subject(ctx: _Context, sent_start: int, comma: int) -> tuple[str, int]:
    """The speaker set off by commas right before a verb ('<clause>, Imogen Castellane,
    told', '<clause>, the minister, Imogen Castellane, told') and the comma that ends the
    clause before them; ("", comma) when what precedes is no lone name."""
    text = ctx.text
    c2 = text.rfind(",", sent_start, comma)
    names = ctx.names_in(c2 + 1, comma) if c2 >= 0 else []
    role = text[c2 + 1 : comma].strip()
    if not names and role[:1].islower() and len(role.split()) <= 8:
        # '<clause>, Wendy Marsh, the council's deputy leader, said.': the role after the name
        c3 = text.rfind(",", sent_start, c2)
        names = ctx.names_in(c3 + 1, c2) if c3 >= 0 else []
        if len(names) == 1 and text[c3 + 1 : c2].strip() == text[names[0][0] : names[0][1]]:
            return names[0][2], c3
        return "", comma
    if len(names) != 1 or role != text[names[0][0] : names[0][1]]:
        return "", comma
    c3 = text.rfind(",", sent_start, c2)
    role = text[c3 + 1 : c2].strip() if c3 >= 0 else ""
    # 'the regional transport minister', 'her lawyer': a role, lower-case and short.
    if role and (parse_role(role)[0] or (role[0].islower() and len(role.split()) <= 6)):
        return names[0][2], c3
    return names[0][2], c2


def _clause_before(ctx: _Context, sent_start: int, comma: int) -> tuple[int, int] | None:
    """The statement from the sentence's start (after any dateline) to ``comma``; None for
    an adverbial phrase alone ('After the meeting on Monday,'), a fragment, or a direct
    quote, which has its own attribution."""
    dateline = _DATELINE.match(ctx.text, sent_start, comma)
    start = dateline.end() if dateline else sent_start
    while start < comma and ctx.text[start].isspace():
        start += 1
    words = _words(ctx.text[start:comma])
    # 'After the meeting on Monday, Smith said.' is an adverbial phrase, but 'Nel frattempo
    # le lezioni continueranno ..., ha spiegato' and 'Per alcune prestazioni i tempi sono
    # troppo lunghi, ha riconosciuto' are clauses: their own finite verb says so.
    adverbial = (
        words
        and words[0] in _ADVERBIAL_OPENERS
        and "," not in ctx.text[start:comma]
        and not _FINITE_CUE.search(ctx.text, start, comma)
    )
    if len(words) < MIN_CLAUSE_WORDS or adverbial:
        return None
    return None if ctx.overlaps_direct(start, comma) else (start, comma)


# Words that open no continuation of a cut clause: a relative ('..., said X, who ...'), a
# gerund's next statement ('..., he said, adding that'), a speech verb's own clause.
_NOT_CONTINUATION = re.compile(
    r"\s*(?:who|whom|whose|which|where|che|cui|dove|il\s+quale|la\s+quale|that"
    r"|\w+(?:ando|endo|ing))\b",
    re.IGNORECASE,
)
# 'which he said', 'as Mr Letwin said', 'come ha detto X': a relative or an agreement, no
# insert in a clause.
_RELATIVE_WORDS = frozenset("which who whom that as che cui quale quali come".split())
# Nouns of occupation that open an apposition after a name ('..., according to John
# Houlihan, editor of the magazine.'), beside the offices ``parse_role`` knows.
_OCCUPATIONS = frozenset(
    "editor adviser advisor chief analyst author expert liaison partner fellow lecturer".split()
)


def _insert_speaker(ctx: _Context, c1: int, v0: int, v1: int, c2: int, italian: bool) -> str:
    """Who an attribution set off by commas names: its subject before the verb ('Colquhoun
    said', 'he said', 'the minister said', with at most whom or when after it) or after it
    ('ha assicurato l'assessore', 'ha spiegato Ferlini', 'said Smith'); "" when the insert
    says anything else."""
    text = ctx.text
    pre, post = text[c1 + 1 : v0], text[v1:c2]
    if pre.strip():
        if _RELATIVE_WORDS.intersection(_words(pre)) or (
            _words(post) and not _TIME_ONLY.fullmatch(post)
        ):
            return ""  # 'the bill, which he said would ...' is no insert
        subject = _subject(ctx, c1 + 1, v0, italian)
        # 'he said': the one speaking already, never merely the last person named.
        return ctx.last_voice(v0) if subject is None else subject
    names = ctx.names_in(v1, c2)
    if names:
        return names[-1][2] if _only_name(ctx, v1, c2, names) else ""
    role = post.strip()
    if italian and not role:
        # 'Il cantiere, ha proseguito, non fermerà ...': Italian drops the subject of the
        # one already speaking, as in 'Ha poi aggiunto che'.
        return ctx.last_voice(v0)
    # An elided article is a word of its own: "l'assessore" is article and role.
    if not _ARTICLE_START.match(role) or not 1 < len(_words(role)) <= 6:
        return ""
    return _role_holder(role, ctx.roles)


def _only_name(ctx: _Context, start: int, end: int, names: list[tuple[int, int, str]]) -> bool:
    """Whether ``text[start:end]`` is one name, after at most its role ('ha spiegato il
    presidente Ferlini'), not a name inside other words ('recalled in place of X',
    'according to the UN Commission for Latin America')."""
    text = ctx.text
    if len(names) != 1 or text[names[0][1] : end].strip():
        return False
    role = text[start : names[0][0]].strip()
    return not role or bool(
        _ROLE_WORDS.fullmatch(text, start, names[0][0])
        and (_ARTICLE_START.match(role) or parse_role(role)[0])
    )


def _apposition(text: str) -> bool:
    """Whether ``text`` (up to its first comma) is a role set off after a name ('editor of
    the magazine', 'a professor at Yale', 'senior vice president of TV Guide'), not the
    rest of a clause."""
    phrase = text.split(",", 1)[0]
    words = _words(phrase)
    return bool(words) and bool(
        re.match(r"\s*(?:an?|the|un|una|uno)\s", phrase, re.IGNORECASE)
        or parse_role(phrase)[0]
        or _OCCUPATIONS.intersection(words)
    )


def _continues(after: str) -> bool:
    """Whether ``after`` goes on with the clause an insert cut: lower-case, a few words,
    not a relative, a gerund or a name."""
    words = _words(after)
    # Fewer words do when the first is the clause's own verb ('..., she said, was balanced').
    long_enough = len(words) >= MIN_CLAUSE_WORDS or (
        len(words) == MIN_CLAUSE_WORDS - 1 and bool(_FINITE_CUE.match(after.strip()))
    )
    return long_enough and after.strip()[:1].islower() and not _NOT_CONTINUATION.match(after)


def _around_insert(
    ctx: _Context, sent_start: int, c1: int, c2: int, named_after: bool = False
) -> tuple[int, int] | None:
    """The sentence around an attribution set off by commas at ``c1``..``c2``, without its
    final stop, when the words before and after it make one clause: the sentence starts
    with its subject, and what follows goes on with a verb, not a relative, a gerund or a
    name; None otherwise, or for a question or a direct quote."""
    text = ctx.text
    dateline = _DATELINE.match(text, sent_start, c1)
    start = dateline.end() if dateline else sent_start
    while start < c1 and text[start].isspace():
        start += 1
    end = ctx.sentence_end(c2)
    if end < len(text) and text[end] == "?":
        return None
    after = text[c2 + 1 : end]
    if named_after and _apposition(after):
        # '<clause>, said Tony Froggatt, S&N's chief executive.': the clause before the
        # attribution is the statement; the sentence, when it goes on after the role ('What
        # this means, said X, senior vice president of Y, is that ...').
        rest = after.split(",", 1)[1] if "," in after else ""
        if not _continues(rest):
            return _clause_before(ctx, sent_start, c1)
        after = rest
    if (
        not _words(text[start:c1])
        or not _continues(after)
        or _REPORTING_VERB.search(text, start, c1)
        or ctx.overlaps_direct(start, end)
    ):
        return None
    return start, end


def _reported_around_inserts(ctx: _Context) -> None:
    """'Il ponte, ha assicurato il sindaco, riaprirà a maggio', 'The bridge, she said, will
    reopen', 'The plant, according to X, will open in 2028': an attribution set off by
    commas inside the clause it credits. The statement is the whole sentence (its subject
    stands before the insert, its verb after), the speaker the one the insert names."""
    text = ctx.text
    for verb in ctx.verbs:
        v0, v1 = verb.span()
        said = verb.group(0)
        if ctx.inside_quote(v0) or ctx.reported_at(v0) or ASKING.fullmatch(said):
            continue
        if _GERUND.fullmatch(said):
            continue
        sent_start = ctx.sentence_start(v0)
        c1 = text.rfind(",", sent_start, v0)
        c2 = text.find(",", v1, ctx.sentence_end(v1))
        if c1 < 0 or c2 < 0 or text.find("\n", c1, c2) >= 0:
            continue
        italian = not _EN_VERB.fullmatch(said)
        speaker = _insert_speaker(ctx, c1, v0, v1, c2, italian)
        named_after = not text[c1 + 1 : v0].strip() and bool(ctx.names_in(v1, c2))
        span = _around_insert(ctx, sent_start, c1, c2, named_after) if speaker else None
        if span:
            ctx.add(*span, speaker)
    for m in _ACCORDING.finditer(text):
        if m.group("sep") != "," or m.group("initial") or ctx.inside_quote(m.start()):
            continue
        sent_start = ctx.sentence_start(m.start())
        c1 = text.rfind(",", sent_start, m.start())
        if c1 < 0 or text[c1 + 1 : m.start()].strip():
            continue
        who = ctx.names_in(*m.span("who"))
        if who:
            speaker = who[0][2] if _only_name(ctx, *m.span("who"), who) else ""
        else:
            speaker = _role_holder(m.group("who"), ctx.roles)
        span = _around_insert(ctx, sent_start, c1, m.end() - 1, bool(who)) if speaker else None
        if span:
            ctx.add(*span, speaker)


def _reported_statements(
    text: str, people: _People, roles: dict[str, str], quotes: list[Quote]
) -> list[Quote]:
    """Reported statements (kind 'reported') that do not repeat a direct quote."""
    ctx = _Context(text, people, roles, quotes)
    _reported_by_source(ctx)
    _reported_after_verbs(ctx)
    _reported_before_verbs(ctx)
    _reported_by_pronoun(ctx)
    _reported_around_inserts(ctx)
    return ctx.said


_THEN_NAME = re.compile(r",\s*(?:[A-ZÀ-Ö][\w'’-]*\s+){0,2}")


def _apposed_person(people: _People, text: str, start: int, end: int) -> str:
    """'il coordinatore della rete Scuole Aperte, Eusebio Marangoni,': of two names in a
    row, the one set off by commas after the other is the person; the first qualified the
    role (an organisation)."""
    found = []
    for s, e, n in people._from(start):  # mentions by start: no scan of the whole article
        if s >= end:
            break
        if e <= end:
            found.append((s, e, n))
    for (_, e1, _), (s2, e2, n2) in zip(found, found[1:], strict=False):
        # Mentions span the surname: "Aperte, Ildebrando Fusari," has the first name between.
        if _THEN_NAME.fullmatch(text, e1, s2) and text[e2 : e2 + 1] in (",", ".", ";", ""):
            return n2
    return ""


def _said_so_by(
    text: str, people: _People, roles: dict[str, str], quotes: list[Quote]
) -> tuple[list[Quote], list[Quote]]:
    """'“...”. Lo ha detto X': the quotes before the formula in its paragraph are X's; with
    no quote there, the sentence before it is X's reported statement.

    Returns the direct quotes (re-attributed) and those reported statements.
    """
    quotes = list(quotes)
    reported: list[Quote] = []
    ctx = _Context(text, people, roles, quotes)
    floor_in_para: dict[int, int] = {}
    for m in _SAID_SO.finditer(text):
        before = text[: m.start()].rstrip()
        if before and before[-1] not in '.!?”»":':
            continue
        colon = len(before) - 1 if before.endswith(":") else -1
        if colon >= 0 and not m.group(0)[:1].islower():
            continue  # ': Lo ha detto' opens a new sentence; ': lo ha detto X' credits the clause
        if ctx.inside_quote(m.start()):
            continue
        para_start, para_end = ctx.paragraph(m.start())
        stop = _CLAUSE_END.search(text, m.end(), para_end)
        sentence_end = stop.start() if stop else para_end
        head = re.split(r"[,.;:]", text[m.end() : sentence_end], maxsplit=1)[0]
        if (
            _ARTICLE_START.match(head)
            and not ctx.names_in(m.end(), m.end() + len(head))
            and not parse_role(head)[0]
        ):
            continue  # 'A sostenerlo è l'associazione dei pendolari, il cui portavoce ...'
        speaker = _apposed_person(people, text, m.end(), sentence_end)
        speaker = speaker or people.speaker_between(m.end(), sentence_end, text)
        speaker = speaker or people.first_after(m.end(), sentence_end)
        if not speaker:
            role = re.match(r"[^,.;:]{2,60}", text[m.end() : sentence_end])
            speaker = _role_holder(role.group(0), roles) if role else ""
        if not speaker:
            continue
        floor = floor_in_para.get(para_start, para_start)
        floor_in_para[para_start] = m.end()
        before_formula = [
            i for i, q in enumerate(quotes) if floor <= q.start and q.end <= m.start()
        ]
        # Back from the formula, up to a quote whose own speaker is named after it
        # ('«A», ha spiegato Elio Brancati. «B». Lo ha detto Marta Quirici': B only).
        mine, reach = [], m.start()
        for i in reversed(before_formula):
            if ctx.names_in(quotes[i].end, reach):
                break
            mine.append(i)
            reach = quotes[i].start
        for i in mine:
            quotes[i] = Quote(quotes[i].start, quotes[i].end, speaker, quotes[i].kind)
        if not before_formula:
            start = ctx.sentence_start(len(before) - 1)
            dateline = _DATELINE.match(text, start, len(before))
            start = dateline.end() if dateline else start
            span = ctx.clause(start)
            if span and colon >= 0:
                span = (span[0], min(span[1], colon))  # '<clause>: lo ha assicurato X.'
            if span and span[1] <= m.start():
                reported.append(Quote(*span, speaker, "reported"))
    return quotes, reported
