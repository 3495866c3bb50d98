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
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from rag.text import fold

_QUOTE_PAIRS = (("“", "”"), ("«", "»"), ('"', '"'))
_SPEECH_VERBS = (
    # Italian
    r"ha (?:detto|dichiarato|aggiunto|affermato|spiegato|ribadito|sottolineato|ammonito|"
    r"osservato|precisato|ricordato|avvertito|evidenziato|concluso|commentato|rilevato|"
    r"assicurato|annunciato|risposto|chiarito|insistito|denunciato|scritto|spiegato)|"
    r"dice|dichiara|afferma|aggiunge|spiega|sottolinea|secondo|ha detto|"
    # English
    r"said|says|added|told|explained|insisted|warned|stated|argued|noted|claimed|"
    r"commented|continued|admitted|believes|according to|acknowledged|stressed|"
    r"declared|remarked|suggested|replied|responded|observed|announced|wrote|confirmed|"
    r"agreed|revealed|predicted|conceded|asked|urged|maintained|pointed out|complained|"
    r"argues|adds|warns|explains|insists|tells|notes|concluded|joked|recalled|admits"
)
_VERB = re.compile(rf"\b(?:{_SPEECH_VERBS})\b", re.IGNORECASE)
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
    Ucraina Russia Italia Europa Francia Germania Cina Washington London Londra Paris Parigi
    Interrogato Interpellato Rispondendo Alla Nel Sul Secondo Stato Paese
    Group Chief Executive Officer Economist Analyst Director Chairman Chairwoman Spokesman
    Spokeswoman Manager Managing President Vice Minister Secretary General Head Senior
    Finance Financial Operating Deputy Acting Former Chancellor Governor Professor Coach
    Mr Mrs Ms Dr Sir Lord Lady Said Says Told Added BBC News Reuters Times Sunday
    Bank Managers Management Investment Investments Association Institute University Council
    Company Corporation Corp Inc Ltd Plc Fund Party Union Agency Office Commission Federation
    League Club United City Court Department Ministry Board Authority Capital Securities
    """.split()
)
# Brabeck-Letmathe, Mong-koo, McCune, MacKenzie, O'Brien, D'Alema
_CAP = r"(?:Mc|Mac|O['’]|D['’])?[A-ZÀ-Ö][a-zà-ÿ'’]+(?:-[A-ZÀ-Öa-zà-ÿ][a-zà-ÿ'’]+)*"
_PARTICLE = r"(?:de|di|da|del|della|van|von|der|den|le|la|bin|al|ibn|mac|mc)"
_FULL_NAME = re.compile(rf"\b({_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{1,2}})\b")
_LINK = r"(?!of\b|for\b|at\b|with\b|from\b|in\b|di\b|del\b|della\b|dell\b|per\b)"
_TITLED = re.compile(
    rf"\b(?:{_TITLES})\.?(?:\s+{_LINK}[a-zà-ÿ]+){{0,3}}\s+({_CAP}(?:\s+{_CAP})?)\b"
)
_WORD_CAP = re.compile(rf"\b{_CAP}\b")
_ENDS_PHRASE = re.compile(rf"['’]?\s*(?:[,.;:!?)]|$|\n|(?:{_SPEECH_VERBS})\b)", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:he|she|they|lui|lei|egli)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quote:
    """A quoted span ``text[start:end]`` (without the marks) and who said it."""

    start: int
    end: int
    speaker: str  # full name as first written in the article, "" when unknown


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
    return spans


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


class _People:
    """Person names in one article, and every place each is mentioned."""

    def __init__(self, text: str, quoted: list[tuple[int, int]]) -> None:
        self.full: dict[str, str] = {}  # folded surname -> full name
        self.mentions: list[tuple[int, int, str]] = []  # (start, end, full name)

        def outside(pos: int) -> bool:
            return not any(a <= pos < b for a, b in quoted)

        for rx in (_TITLED, _FULL_NAME):
            for m in _name_matches(rx, text):
                name = m.group(1)
                tokens = name.split()
                while tokens and fold(tokens[0]) in _NOT_NAMES:
                    tokens = tokens[1:]
                while tokens and fold(tokens[-1]) in _NOT_NAMES:
                    tokens = tokens[:-1]
                if not tokens or not outside(m.start(1)):
                    continue
                if rx is _FULL_NAME and len(tokens) < 2:
                    continue
                surname = fold(tokens[-1])
                self.full.setdefault(surname, " ".join(tokens))
        for m in _WORD_CAP.finditer(text):
            key = fold(m.group(0))
            if key in self.full and outside(m.start()):
                self.mentions.append((m.start(), m.end(), self.full[key]))
        self.mentions.sort()

    def last_before(self, pos: int, floor: int) -> str:
        best = ""
        for start, _, name in self.mentions:
            if start >= pos:
                break
            if start >= floor:
                best = name
        return best

    def speaker_between(self, start: int, end: int, text: str) -> str:
        """The first name in [start, end) that ends a phrase: followed by punctuation or a
        speech verb ('Brett Godfrey.', 'Roy Asher,', 'Floiran Woest told'), so that an
        organisation before a role ('Virgin Blue chief executive Brett Godfrey') is skipped.
        """
        for s, e, name in self.mentions:
            if start <= s < end and _ENDS_PHRASE.match(text, e):
                return name
        return ""

    def first_after(self, pos: int, ceiling: int) -> str:
        for start, _, name in self.mentions:
            if pos <= start < ceiling:
                return name
        return ""


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


def _tail_speaker(people: _People, text: str, a: int, b: int, close_at: int, para_end: int) -> str:
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
        speaker = people.speaker_between(*window, text) or people.first_after(*window)
    return speaker


def find_quotes(text: str) -> list[Quote]:
    """Direct quotes in ``text``, each attributed to the most plausible speaker."""
    spans = _quote_spans(text)
    people = _People(text, [(a, b) for a, b, _ in spans])
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
        speaker = _tail_speaker(people, text, group[-1][0], b, close_at, para_end)
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
            speaker = people.last_before(a, para_start)
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
        Quote(max(q.start, start) - start, min(q.end, end) - start, q.speaker)
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
