"""Question analysis: language, the person asked about, the topic, and follow-ups.

"What did Rutte say about deterrence?" -> speaker "Rutte", topic "deterrence".
"And what did he say about Ukraine?" after it -> "What did Rutte say about Ukraine?".
Rules, not a model: no offline LLM is good enough to rewrite questions here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.documents import _EN_WORDS, _IT_WORDS, detect_language
from rag.lexical import fold

# The patterns are case-insensitive, but a name's later words must really be capitalised:
# otherwise "Cosa ha detto Vollan sulle previsioni del tempo?" reads the speaker as
# "Vollan sulle previsioni".
_NAME = r"(?P<name>[A-ZÀ-Ö][\w'’.-]*(?:\s+(?:de|di|da|van|von|der|le|la|al)?\s*(?-i:[A-ZÀ-Ö])[\w'’-]*){0,3}|he|she|they|him|her|lui|lei|egli|essa)"
_TOPIC = r"(?P<topic>.+?)"
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
]
_SPEAKER_RX = [re.compile(p, re.IGNORECASE) for p in _SPEAKER_PATTERNS]
_TIMELINE = re.compile(
    r"\b(changed|evolved|shifted|over time|timeline|cambiat[oa]|evolut[oa]|nel tempo)\b", re.I
)
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


@dataclass
class QuestionInfo:
    text: str
    lang: str
    speaker: str = ""  # as written in the question, "" when none is asked about
    topic: str = ""
    names: list[str] = field(default_factory=list)  # capitalised names in the question
    timeline: bool = False

    @property
    def names_a_person(self) -> bool:
        """A named speaker, not an unresolved pronoun ("he", "lei")."""
        return bool(self.speaker) and fold(self.speaker) not in _PRONOUNS

    @property
    def speaker_key(self) -> str:
        return fold(self.speaker.split()[-1]) if self.speaker else ""


def analyse(question: str) -> QuestionInfo:
    q = " ".join(question.split())
    info = QuestionInfo(text=q, lang=_question_lang(q))
    for rx in _SPEAKER_RX:
        m = rx.match(q)
        if m:
            name = re.sub(r"['’]s?$", "", (m.groupdict().get("name") or "").strip())
            # IGNORECASE lets "the minister" match the name slot: only names and pronouns count.
            info.speaker = name if name[:1].isupper() or fold(name) in _PRONOUNS else ""
            info.topic = (m.groupdict().get("topic") or "").strip(" ?.!")
            break
    info.names = names_in(q)
    info.timeline = bool(_TIMELINE.search(q))
    return info


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


# Questions are short, so a document's stopword vote is often a tie ("Quali prodotti sono
# stati venduti in farmacia?": "sono" against "in") and ties went to English. Questions add
# their own markers, and "in"/"a", words of both languages, do not vote.
_IT_QUESTION = _IT_WORDS | frozenset(
    """quale quali qual cosa cos chi quando dove perché perche quanto quanta quanti quante
    stato stata stati state si ai dai dagli degli negli nei sui tra fra era erano sia""".split()
)
_EN_QUESTION = (
    _EN_WORDS
    | frozenset("what which who whom whose when where why how did does do is are was".split())
) - {"in", "a"}


def _question_lang(q: str) -> str:
    words = re.findall(r"[a-zàèéìòóù]+", q.lower())
    it = sum(w in _IT_QUESTION for w in words)
    en = sum(w in _EN_QUESTION for w in words)
    if it != en:
        return "it" if it > en else "en"
    lang = detect_language(q)
    if lang != "und":
        return lang
    return "it" if re.search(r"\b(cosa|chi|quando|perch|detto|sulla|sull|sul)\b", q, re.I) else "en"


def _history_pairs(history: Sequence[Any]) -> list[tuple[str, str]]:
    """LangChain messages, (role, text) pairs or {"role","content"} dicts -> pairs."""
    pairs: list[tuple[str, str]] = []
    for item in history or []:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            pairs.append((str(item[0]), str(item[1])))
        elif isinstance(item, dict):
            pairs.append((str(item.get("role", "")), str(item.get("content", ""))))
        else:
            role = getattr(item, "type", "")
            pairs.append(
                ("user" if role == "human" else str(role), str(getattr(item, "content", "")))
            )
    return pairs


def condense(question: str, history: Sequence[Any]) -> str:
    """Rewrite a follow-up into a standalone question, using the last person asked about."""
    q = " ".join(question.split())
    info = analyse(q)
    previous = ""
    for role, text in reversed(_history_pairs(history)):
        if role in ("user", "human"):
            prev = analyse(text)
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
    return q
