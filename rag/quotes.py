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
from dataclasses import asdict, dataclass

from rag.lexical import fold

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


def _quote_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    taken = [False] * len(text)
    for open_, close in _QUOTE_PAIRS:
        i = 0
        while True:
            a = text.find(open_, i)
            if a < 0:
                break
            b = text.find(close, a + 1)
            if b < 0:
                break
            # A straight-quote pair never spans a paragraph break (a lost closing mark).
            if open_ == '"' and "\n\n" in text[a:b]:
                i = a + 1
                continue
            if not any(taken[a : b + 1]) and len(text[a + 1 : b].split()) >= 3:
                spans.append((a + 1, b))
                for j in range(a, b + 1):
                    taken[j] = True
            i = b + 1
    return sorted(spans)


class _People:
    """Person names in one article, and every place each is mentioned."""

    def __init__(self, text: str, quoted: list[tuple[int, int]]) -> None:
        self.full: dict[str, str] = {}  # folded surname -> full name
        self.mentions: list[tuple[int, int, str]] = []  # (start, end, full name)

        def outside(pos: int) -> bool:
            return not any(a <= pos < b for a, b in quoted)

        for rx in (_TITLED, _FULL_NAME):
            for m in rx.finditer(text):
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


def find_quotes(text: str) -> list[Quote]:
    """Direct quotes in ``text``, each attributed to the most plausible speaker."""
    spans = _quote_spans(text)
    people = _People(text, spans)
    quotes: list[Quote] = []
    last_speaker_in_para: dict[int, str] = {}
    for a, b in spans:
        para_start = text.rfind("\n\n", 0, a) + 1
        para_end = text.find("\n\n", b)
        para_end = len(text) if para_end < 0 else para_end
        # 1. After the closing mark: '", said Mr Smith' / '," BA chairman Martin Broughton
        #    said' / '”, ha ammonito Rutte': a speech verb close by, and the name beside it.
        after = text[b + 1 : min(para_end, b + 120)]
        speaker = ""
        verb = _VERB.search(after)
        between = after[: verb.start()] if verb else ""
        if verb and verb.start() < 80 and not re.search(r"[.!?]\s", between):
            verb_at = b + 1 + verb.start()
            # '"...," Roy Asher, chief investment officer of X, told Reuters': the name
            # right after the closing mark, before any apposition, is the speaker.
            speaker = people.speaker_between(b + 1, verb_at, text)
            if not speaker:
                lead = re.match(rf"[\s,]*(?:{_CAP}\s+){{0,3}}", after)
                right_after = people.first_after(b + 1, b + 2 + (lead.end() if lead else 0))
                speaker = right_after or people.last_before(verb_at, b + 1)
            if not speaker and not _PRONOUN.search(between):  # verb, then name
                stop = re.search(r"[.!?](?:\s|$)", after[verb.end() :])
                reach = min(50, stop.start() if stop else 50)
                window = (b + 1 + verb.end(), b + 1 + verb.end() + reach)
                speaker = people.speaker_between(*window, text) or people.first_after(*window)
        # 2. Before the opening mark, in the same paragraph: 'Rutte ha ribadito: “...'.
        #    The name beside the last speech verb wins ('Weingarten asked Mr Sullivan: "').
        if not speaker:
            sentence_start = max(para_start, text.rfind(". ", para_start, a) + 1)
            before = list(_VERB.finditer(text, sentence_start, a))
            if before:
                speaker = people.last_before(before[-1].start(), sentence_start)
        if not speaker:
            speaker = people.last_before(a, para_start)
        # 3. A paragraph that opens with a quote continues the previous speaker.
        if not speaker:
            prev = [s for p, s in last_speaker_in_para.items() if p < para_start]
            speaker = prev[-1] if prev else people.first_after(b + 1, para_end)
        if speaker:
            last_speaker_in_para[para_start] = speaker
        quotes.append(Quote(a, b, speaker))
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
