"""A question, analysed once: language, the person asked about, the topic, follow-ups
and the filters that apply to it.

"What did Rutte say about deterrence?" -> speaker "Rutte", topic "deterrence".
"And what did he say about Ukraine?" after it -> "What did Rutte say about Ukraine?".
Rules, not a model: no offline LLM is good enough to rewrite questions here.

``analyse`` builds the one typed ``Question`` that retrieval and every answerer take;
nothing downstream parses the string again.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from langchain_core.messages import convert_to_messages

from rag.datelines import _date_parts as date_parts
from rag.documents import date_key
from rag.errors import ConfigError
from rag.roles import ROLE_IN_QUESTION, parse_role
from rag.text import fold, question_language

# The patterns are case-insensitive, but a name's later words must really be capitalised:
# otherwise "Cosa ha detto Vollan sulle previsioni del tempo?" reads the speaker as
# "Vollan sulle previsioni".
_NAME = r"(?P<name>[A-ZÀ-Ö][\w'’.-]*(?:\s+(?:de|di|da|van|von|der|le|la|al)?\s*(?-i:[A-ZÀ-Ö])[\w'’-]*){0,3}|he|she|they|him|her|lui|lei|egli|essa)"
_TOPIC = r"(?P<topic>.+?)"
_VERBS = (
    r"(?:say|said|think|want|ask|propose|promise|expect|plan|demand|suggest|warn|tell|claim|"
    r"announce|call\s+for|fear|hope|believe|predict|argue|insist|urge|recommend|reveal|"
    r"explain|admit|criticise|criticize|complain|describe)\w*"
)
_VERBI = (
    r"(?:detto|dichiarato|affermato|sostenuto|chiesto|proposto|promesso|annunciato|spiegato|"
    r"previsto|avvertito|precisato|sottolineato|criticato|denunciato|ribadito|aggiunto|"
    r"assicurato|ammesso|raccontato|suggerito)"
)
_END = r"\s*[?.!]*\s*$"
_SPEAKER_PATTERNS = [
    rf"^(?:and\s+|so\s+)?what\s+(?:did|has|have|does|do)\s+{_NAME}\s+(?:say|said|think|thought|tell|told|claim|claimed|declare|declared)\s+(?:about|on|of|regarding|concerning|over)\s+{_TOPIC}{_END}",
    rf"^(?:and\s+)?what\s+(?:was|is|were)\s+{_NAME}(?:['’]s?)\s+(?:comment|view|position|stance|reaction|response|take|opinion|message)s?\s+(?:on|about|regarding|over)\s+{_TOPIC}{_END}",
    rf"^(?:and\s+)?(?:did|has|does)\s+{_NAME}\s+(?:mention|say anything about|talk about|speak about|comment on|discuss|address|refer to)\s+{_TOPIC}{_END}",
    rf"^(?:and\s+)?how\s+(?:has|did)\s+{_NAME}(?:['’]s?)?\s+(?:position|view|stance|tone)s?\s+(?:on|about)\s+{_TOPIC}\s+(?:changed|evolved|shifted){_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+(?:ha|hanno|aveva)\s+(?:detto|dichiarato|affermato|sostenuto)\s+{_NAME}\s+(?:sulla|sullo|sulle|sugli|sull['’]|sul|sui|su|della|del|di|a proposito d\w*|riguardo a\w*|in merito a\w*)\s*{_TOPIC}{_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+(?:ha|hanno)\s+detto\s+{_NAME}{_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+pensa\s+{_NAME}\s+(?:della|dello|delle|degli|del|dei|di|sulla|sul|su)\s*{_TOPIC}{_END}",
    rf"^(?:e\s+)?{_NAME}\s+ha\s+(?:parlato|accennato|menzionato)\s+(?:della|dello|delle|degli|del|dei|di|alla|al|a)?\s*{_TOPIC}{_END}",
    rf"^(?:e\s+)?(?:ha|hanno)\s+(?:parlato|accennato|menzionato)\s+(?:della|dello|delle|degli|del|dei|di|alla|al|a)?\s*{_TOPIC}{_END}",
    rf"^(?:and\s+)?what\s+did\s+{_NAME}\s+say{_END}",
    # The person as the source of the rest: "When will refunds be paid, according to
    # Orsomando?", "Quanto costerà, secondo la sindaca Bottazzi?" (the rest is the topic).
    rf"^(?P<topic>.+?),?\s+according\s+to\s+{_NAME}{_END}",
    rf"^according\s+to\s+{_NAME}\s*,\s*(?P<topic>.+?){_END}",
    rf"^(?P<topic>.+?),?\s+(?:secondo|a\s+detta\s+di|stando\s+a)\s+{_NAME}{_END}",
    rf"^(?:secondo|a\s+detta\s+di|stando\s+a)\s+{_NAME}\s*,\s*(?P<topic>.+?){_END}",
    # Any other verb of saying or wanting, its object the topic: "What did Fonsato ask the
    # port authority for?", "What does he think every province needs?", "What did X say the
    # money would be spent on?".
    rf"^(?:and\s+|so\s+)?what\s+(?:did|does|do|has|have|will|would)\s+{_NAME}\s+{_VERBS}\s+(?:(?:about|on|regarding|concerning|over)\s+)?{_TOPIC}{_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+(?:ha|hanno|aveva)\s+{_VERBI}\s+{_NAME}\s+(?:(?:sulla|sullo|sulle|sugli|sull['’]|sul|sui|su|della|del|di|a proposito d\w*|riguardo a\w*|in merito a\w*|per)\s*)?{_TOPIC}{_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+(?:pensa|vuole|chiede|propone|teme|prevede|spera)\s+{_NAME}\s+(?:(?:della|dello|delle|degli|del|dei|di|sulla|sul|su|per)\s*)?{_TOPIC}{_END}",
    # What the person said about something, asked by another question word: "How long did
    # Pike say the closures would last?", "When does Orsini expect the refunds?".
    # A pronoun there is read only once a follow-up named the person (``condense``).
    rf"^(?:and\s+|so\s+)?(?:how(?:\s+(?:long|much|many|soon|often|far))?|when|where|why)\s+(?:did|does|do|has|have|will|would)\s+{_NAME}\s+{_VERBS}\s+(?:that\s+)?{_TOPIC}{_END}",
]
_SPEAKER_RX = [re.compile(p, re.IGNORECASE) for p in _SPEAKER_PATTERNS]
# The "according to X" / "secondo X" patterns: X may as well be an organisation.
_SOURCE_RX = frozenset(
    rx for rx in _SPEAKER_RX if "according" in rx.pattern or "secondo" in rx.pattern
)
_FIRST_GENERIC = len(_SPEAKER_PATTERNS) - 4  # any verb, not one of saying (the last four)
_NAMED_ONLY = _SPEAKER_RX[-1]  # "How long did he say...?" reads "he" only once condensed
# A person asked about by role ("the NATO Secretary General", "la ministra del Turismo"):
# resolved against the roles the briefings give people (rag/quotes.py) at retrieval.
_ROLE = r"(?P<role>(?:the|il|lo|la|l['’])\s*[^?]{3,80}?)"
_ROLE_PATTERNS = [
    rf"^(?:and\s+|so\s+)?what\s+(?:did|has|does)\s+{_ROLE}\s+(?:say|said|think|tell|told|claim|declare)\s+(?:about|on|of|regarding|concerning|over)\s+{_TOPIC}{_END}",
    rf"^(?:and\s+)?what\s+did\s+{_ROLE}\s+say{_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+(?:ha|aveva)\s+(?:detto|dichiarato|affermato|sostenuto)\s+{_ROLE}\s+(?:sulla|sullo|sulle|sugli|sull['’]|sul|sui|su|a proposito d\w*|riguardo a\w*|in merito a\w*)\s*{_TOPIC}{_END}",
    rf"^(?:e\s+)?(?:che\s+)?cosa\s+(?:ha|aveva)\s+detto\s+{_ROLE}{_END}",
]
_ROLE_RX = [re.compile(p, re.IGNORECASE) for p in _ROLE_PATTERNS]
# "Who said that NATO's reaction would be devastating?": the claim is the topic. Asked
# what someone wanted or asked for ("Who wants to know where the money went?", "Chi ha
# chiesto un'ispezione?"), the wish is the topic, its verb with it: the statement says
# the wanting ("Vogliamo sapere...").
_WHO_PATTERNS = [
    r"^(?:and\s+)?who\s+(?:said|says|stated|declared|warned|claimed|argued|insisted|promised|announced|predicted|explained|added|told\s+\w+)\s+(?:that\s+)?(?P<topic>.+?)\s*[?.!]*\s*$",
    r"^(?:e\s+)?chi\s+(?:ha\s+|aveva\s+)?(?:detto|dichiarato|affermato|sostenuto|avvertito|annunciato|spiegato|sottolineato|promesso|ribadito|previsto|sostiene|dice|afferma)\s+(?:che\s+)?(?P<topic>.+?)\s*[?.!]*\s*$",
    r"^(?:and\s+)?who\s+(?P<topic>(?:wants?|wanted|asks?|asked|calls?\s+for|called\s+for|demands?|demanded|proposes?|proposed|urges?|urged|requests?|requested)\b.+?)\s*[?.!]*\s*$",
    r"^(?:e\s+)?chi\s+(?P<topic>(?:vuole|voleva|chiede|chiedeva|propone|pretende|sollecita|(?:ha|aveva)\s+(?:chiesto|proposto|preteso|sollecitato))\b.+?)\s*[?.!]*\s*$",
]
_WHO_RX = [re.compile(p, re.IGNORECASE) for p in _WHO_PATTERNS]
# "When was the plan presented?", "When did the cable car reopen, and where was this
# reported from?", "Quando è stato approvato il dragaggio?": the event, which the article
# reporting it dates and places in its dateline.
_WHEN_PATTERNS = [
    r"^(?:and\s+)?(?:when|where)(?:\s+and\s+(?:when|where))?\s+(?:was|were|did|does|do|is|are|has|have|had|will|would)\s+(?P<topic>.+?)(?:,?\s+and\s+(?:when|where|in\s+which|in\s+what|from\s+where)\b.*)?\s*[?.!]*\s*$",
    r"^(?:e\s+)?(?:quando|dove)(?:\s+e\s+(?:quando|dove))?\s+(?:(?:è|e|sono|ha|hanno|aveva|era|erano|fu|viene|verrà|sarà)\s+)?(?:stat[oaie]\s+)?(?P<topic>.+?)(?:,?\s+e\s+(?:quando|dove|in\s+quale|da\s+dove)\b.*)?\s*[?.!]*\s*$",
]
_WHEN_RX = [re.compile(p, re.IGNORECASE) for p in _WHEN_PATTERNS]
# A preposition at the end of the topic is the question word's ("what did she ask the port
# authority for?"), not part of what was said.
_STRANDED = re.compile(r"\s+(?:for|about|on|of|to|with|from|over)$", re.IGNORECASE)
# "What did she ask the port authority for?": after a verb of asking, the noun phrase is
# who was asked; what was asked for is the question word.
_ADDRESSEE = re.compile(
    r"\b(?:ask|asks|asked|urge|urges|urged|beg|begs|begged|press|pressed)\s+(?P<whom>.+?)\s+for\s*[?.!]*$",
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"\b(changed|evolved|shifted|over time|timeline|cambiat[oa]|evolut[oa]|nel tempo)\b", re.I
)
# "he"/"she" after an auxiliary or opening the question: the subject, not "her" the object.
_SUBJECT_PRONOUN = re.compile(
    r"(?:\b(?:did|does|do|has|have|had|was|is|will|would|can|could)\s+|^)(?P<pronoun>he|she)\b",
    re.IGNORECASE,
)
_BARE = frozenset("about on of for over regarding su di per".split())
_PRONOUNS = frozenset("he she they him her lui lei egli essa".split())
_ELLIPTIC = re.compile(
    r"^(?:and|e|what about|how about|e invece|e per quanto riguarda)\s+"
    r"(?:about|on|sulla|sullo|sulle|sugli|sull['’]|sul|sui|su|della|del|di)?\s*(?P<topic>.+?)\s*[?.!]*$",
    re.IGNORECASE,
)
_QUESTION_WORDS = frozenset(
    fold(w)
    for w in """what who whom whose when where why how which did does do is are was were has have
    and or but the a an in on of to for about cosa che chi quando dove perché perche come quale
    quali ha hanno e il lo la i gli le un una di del della su sul sulla in nel nella per con
    according secondo tell me please give list show find explain describe summarize summarise
    quali dimmi elenca spiega riassumi mostra trova""".split()
)


class DateInputError(ConfigError):
    """A date typed by a person that is not one; the message says why, in plain words."""


_MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()
_DATE_EXAMPLES = "2026-02-11, 11/02/2026, 11 Feb 2026 or 11 febbraio 2026"


def parse_date_input(value: str | date | None) -> str:
    """The ISO date (YYYY-MM-DD) of a date as people type it; "" for no date.

    Accepts 2026-02-11, 2026/02/11, 11/02/2026, 11.02.2026, 11-02-2026 (day first, the
    way Italian and British readers write it), "11 Feb 2026", "Feb 11, 2026" and Italian
    month names ("11 febbraio 2026"). Raises ``DateInputError`` naming what is wrong:
    "2026-02-30 is not a date: February 2026 has 28 days". Shared by the CLI and the web
    chat so both accept and explain the same things.
    """
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = " ".join(str(value).split()).strip(" ,")
    if not text:
        return ""
    canonical = text
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", text):
        canonical = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    elif m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text):
        canonical = f"{m[1]}/{m[2]}/{m[3]}"
    parts = date_parts(canonical) or date_parts(canonical.lower())
    if parts is None:
        raise DateInputError(f"{text!r} is not a date; write it like {_DATE_EXAMPLES}")
    year, month, day = parts
    if year is None:
        raise DateInputError(f"{text!r} has no year; write it like {text} 2026")
    if not 1 <= month <= 12:
        order = " (with slashes or dots the day comes first)" if "-" not in canonical else ""
        raise DateInputError(f"{text} is not a date: there is no month {month}{order}")
    if day < 1:
        raise DateInputError(f"{text} is not a date: there is no day {day}")
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        days = calendar.monthrange(year, month)[1]
        raise DateInputError(
            f"{text} is not a date: {_MONTH_NAMES[month - 1]} {year} has {days} days"
        ) from None


@dataclass(frozen=True)
class Filters:
    """Metadata filters: inclusive ISO date range and a set of outlets."""

    since: str = ""
    until: str = ""
    sources: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        since: str | date | None = None,
        until: str | date | None = None,
        sources: str | list[str] | tuple[str, ...] | frozenset[str] | None = None,
    ) -> Filters:
        def norm(v: str | date | None, name: str) -> str:
            try:
                return parse_date_input(v)
            except DateInputError as err:
                raise ConfigError(f"--{name} {err}") from err

        if isinstance(sources, str):
            sources = [sources]
        return cls(norm(since, "since"), norm(until, "until"), frozenset(sources or ()))

    def where(self) -> dict[str, Any] | None:
        """The filters as a Chroma ``where`` clause (None when there are none)."""
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"date_key": {"$gte": date_key(self.since)}})
        if self.until:
            clauses.append({"date_key": {"$lte": date_key(self.until)}})
            clauses.append({"date_key": {"$gt": 0}})
        if self.sources:
            clauses.append({"source": {"$in": sorted(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)


@dataclass
class Question:
    """A question as every stage of the pipeline reads it.

    ``text`` is the standalone question (a follow-up rewritten with the person it is
    about); ``asked`` is what the user typed.
    """

    text: str
    lang: str
    speaker: str = ""  # as written in the question, "" when none is asked about
    topic: str = ""
    names: list[str] = field(default_factory=list)  # capitalised names in the question
    timeline: bool = False
    asked: str = ""
    filters: Filters = field(default_factory=Filters)
    role: str = ""  # "the NATO Secretary General": a person asked about by role
    # The people who fit the role equally well when it did not resolve to one of them.
    role_holders: list[str] = field(default_factory=list)
    # (holder, ISO date of the article) of an office that changed hands, oldest first.
    role_dates: list[tuple[str, str]] = field(default_factory=list)
    asks_who: bool = False  # "Who said that ...?": the topic is the claim
    # "When was the plan presented?": the event asked about, which the dateline of the
    # article reporting it dates and places (a person asked about still reads the topic).
    event: str = ""
    wants: str = ""  # what kind of thing answers it: "person", "date", "number", "place"
    of_saying: bool = True  # "what did X say/think..." (not "what did X ask for/want")
    # X only as the source of the rest ("…, according to X?"): X may be an organisation,
    # and is the person asked about only if the briefings quote X.
    by_source: bool = False

    @property
    def names_a_person(self) -> bool:
        """A named speaker, not an unresolved pronoun ("he", "lei")."""
        return bool(self.speaker) and fold(self.speaker) not in _PRONOUNS

    def without_role(self) -> str:
        """The question without its role phrase ("What did say about the plastic ban?"),
        "" when nothing but question words is left."""
        rest = " ".join(self.text.replace(self.role, " ").split()) if self.role else self.text
        words = re.findall(r"[\w'’-]+", rest)
        return rest if any(fold(w) not in _QUESTION_WORDS for w in words) else ""

    @property
    def speaker_key(self) -> str:
        return fold(self.speaker.split()[-1]) if self.speaker else ""


# The name the answerers used before the pipeline carried one object.
QuestionInfo = Question


def analyse(
    question: str,
    chat_history: Sequence[Any] = (),
    *,
    filters: Filters | None = None,
) -> Question:
    """The question, with a follow-up resolved against ``chat_history``, analysed once."""
    asked = " ".join(question.split())
    standalone = condense(asked, chat_history) if chat_history else asked
    info = _parse(standalone)
    info.asked = asked
    info.filters = filters or Filters()
    return info


def _parse(q: str) -> Question:
    info = Question(text=q, lang=question_language(q))
    for i, rx in enumerate(_SPEAKER_RX):
        m = rx.match(q)
        if m:
            name = re.sub(r"['’]s?$", "", (m.groupdict().get("name") or "").strip())
            if rx is _NAMED_ONLY and fold(name) in _PRONOUNS:
                continue
            info.of_saying = i < _FIRST_GENERIC
            info.by_source = rx in _SOURCE_RX
            # IGNORECASE lets "the minister" match the name slot: only names and pronouns count.
            info.speaker = name if name[:1].isupper() or fold(name) in _PRONOUNS else ""
            info.topic = (m.groupdict().get("topic") or "").strip(" ?.!")
            if fold(info.topic) in _BARE:  # "What did X warn about?": no topic
                info.topic = ""
            info.topic = _STRANDED.sub("", info.topic)
            if (m2 := _ADDRESSEE.search(q)) and m2.group("whom") == info.topic:
                info.topic = ""  # "ask the port authority for?": whom, not what about
            break
    if not info.speaker:
        for rx in _ROLE_RX:
            if m := rx.match(q):
                info.role, info.speaker = _role_and_name(m.group("role").strip())
                info.topic = (m.groupdict().get("topic") or "").strip(" ?.!")
                break
    if not info.speaker and not info.role:
        for rx in _WHO_RX:
            if m := rx.match(q):
                info.asks_who = True
                info.topic = m.group("topic").strip(" ?.!")
                break
    if not info.speaker and not info.role and not info.asks_who:
        for rx in _WHEN_RX:
            if m := rx.match(q):
                info.event = m.group("topic").strip(" ?.!")
                break
    if not info.speaker and not info.role and not info.asks_who:
        # A role anywhere else in the question: resolved like the templates' roles, and
        # kept only if it resolves to one person.
        if (m := ROLE_IN_QUESTION.search(q)) and parse_role(m.group("role"))[0]:
            info.role = m.group("role")
    info.names = names_in(q)
    info.timeline = bool(_TIMELINE.search(q))
    info.wants = next((kind for kind, rx in _WANTS if rx.search(q)), "")
    return info


# What kind of thing answers a question, from its question words (checked in this order:
# "in what year" is a date, "how many" a number, before "what"/"quale" say nothing).
_WANTS = [
    (kind, re.compile(p, re.IGNORECASE))
    for kind, p in (
        (
            "date",
            r"\b(?:when|(?:what|which) (?:years?|dates?|decades?|century|centuries|months?|days?)|"
            r"quando|(?:in )?(?:quale|quali|che) (?:anno|anni|data|date|secolo|secoli|decennio|"
            r"decenni|giorno|giorni|mese|mesi))\b",
        ),
        (
            "number",
            r"\b(?:how many|how much|how long|how old|what percentage|what proportion|"
            r"quant[aeio]|quanto tempo|che percentuale|quale percentuale)\b",
        ),
        (
            "place",
            r"\b(?:where|in what (?:city|country|place|state)|dove|in quale (?:città|paese|luogo|stato))\b",
        ),
        # "Who ..." or, after a preposition, "... by example of who?", "di chi", "a chi".
        (
            "person",
            r"^(?:who|whom|whose|chi)\b|\b(?:which person|quale persona|(?:da|di|a|con|per) chi)\b"
            r"|\b(?:of|by|to|with|for|from) (?:who|whom)\b",
        ),
    )
]


_ROLE_WORDS = frozenset(
    """secretary general minister president vice mayor chancellor director governor chief
    executive officer chair chairman chairwoman commissioner spokesman spokeswoman
    spokesperson head leader senator councillor ministro ministra presidente sindaco sindaca
    segretario segretaria generale direttore direttrice assessore assessora governatore
    amministratore delegato portavoce""".split()
)
ROLE_WORDS = _ROLE_WORDS  # for answerers: a title before a name ("Mayor Delphine Carrawick")
_OF = frozenset("of for at del della dello dei degli delle di al alla allo ai agli".split())
_ARTICLES = frozenset("the il lo la i gli le".split())
_TRAILING_NAME = re.compile(r"(?:\s+(?-i:[A-ZÀ-Ö])[\w'’-]+){1,3}$")


def _role_and_name(phrase: str) -> tuple[str, str]:
    """ "the French transport minister Étienne Roucaval" -> (role, "Étienne Roucaval"): a
    role followed by a name asks about the name; "the NATO Secretary General" is all role."""
    m = _TRAILING_NAME.search(phrase)
    if m:
        tokens = m.group(0).split()
        before = phrase[: m.start()].split()
        while before and before[-1][:1].isupper():
            tokens.insert(0, before.pop())  # the whole capitalised run
        if before and fold(before[-1]) in _ARTICLES:
            # "the chief executive of the North Vale Hospitals Trust": a capitalised run
            # after an article is an organisation's name, not a person's.
            return phrase, ""
        if before and fold(before[-1]) in _OF:
            # "ministra del Turismo Carla Rossi": Turismo names the office, and what is left
            # is a name only if it is a whole one ("chief executive of Northwind Air").
            tokens = tokens[1:] if len(tokens) > 2 else []
        elif len(before) >= 2 and fold(before[-2]) in _OF and before[-1].islower():
            # "la sindaca delle isole Halm", "il presidente della regione Valdorno": the
            # run names the islands or the region the office is of, unless it is more than
            # one word after them ("del comune Valdorno Carla Rossi").
            tokens = tokens[1:] if len(tokens) > 2 else []
        while tokens and (tokens[0].isupper() or fold(tokens[0]) in _ROLE_WORDS):
            tokens = tokens[1:]
        if tokens and not any(fold(t) in _ROLE_WORDS for t in tokens):
            name = " ".join(tokens)
            return phrase[: len(phrase) - len(name)].strip(), name
    return phrase, ""


def names_in(text: str) -> list[str]:
    """Capitalised words that look like names (not the sentence's first word)."""
    words = re.findall(r"[\w'’-]+", text)
    out = []
    for i, w in enumerate(words):
        w = re.sub(r"['’]s$", "", w)
        if not w[:1].isupper() or fold(w) in _QUESTION_WORDS or len(w) < 2:
            continue
        # A capitalised first word is a name only when it is not an ordinary word
        # capitalised by position: all capitals (NATO) or followed by another name.
        if i == 0 and not (w.isupper() or (len(words) > 1 and words[1][:1].isupper())):
            continue
        out.append(w)
    return out


def history_pairs(history: Sequence[Any]) -> list[tuple[str, str]]:
    """Chat history in any form LangChain takes (messages, (role, text) pairs,
    {"role", "content"} dicts) as ("user" | "assistant" | role, text) pairs."""
    roles = {"human": "user", "ai": "assistant"}
    out: list[tuple[str, str]] = []
    for item in history or []:
        if isinstance(item, dict):
            # Chat UIs add keys of their own (metadata, options) that no message has.
            item = {"role": item.get("role", ""), "content": item.get("content", "")}
        [message] = convert_to_messages([item])
        out.append((roles.get(message.type, message.type), str(message.text)))
    return out


def condense(question: str, history: Sequence[Any]) -> str:
    """Rewrite a follow-up into a standalone question, using the last person asked about."""
    q = " ".join(question.split())
    info = _parse(q)
    previous = ""
    for role, text in reversed(history_pairs(history)):
        if role == "user":
            prev = _parse(" ".join(text.split()))
            if prev.names_a_person:
                previous = prev.speaker
                break
    if not previous:
        return q
    if info.speaker and not info.names_a_person:
        return re.sub(rf"\b{re.escape(info.speaker)}\b", previous, q, count=1)
    if not info.speaker:
        m = _ELLIPTIC.match(q)
        if m:
            topic = m.group("topic")
            if info.lang == "it":
                return f"Cosa ha detto {previous} su {topic}?"
            return f"What did {previous} say about {topic}?"
        if re.match(r"^(?:ha|hanno)\s+(?:parlato|accennato|menzionato)\b", q, re.I):
            return f"{previous} {q[0].lower()}{q[1:]}"
        # A person's pronoun in a question no template reads ("How long did he say the
        # closures would last?") is still the person asked about before.
        if m := _SUBJECT_PRONOUN.search(q):
            return f"{q[: m.start('pronoun')]}{previous}{q[m.end('pronoun') :]}"
    return q
