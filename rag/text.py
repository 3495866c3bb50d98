"""Language data and text handling for every module: one room, one copy of each list.

Normalisation (NFC), folding, tokens, stopwords per language, the stemmer and language
identification live here, so that ingest, retrieval, quote attribution and answering read
a word the same way. A second copy of a word list elsewhere is a bug waiting to diverge.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

Lang = Literal["it", "en", "und"]
LANGS: tuple[str, ...] = ("it", "en")

# Words too common to carry a topic, per language. The BM25 index and topic matching use
# their union (a question in one language is scored against passages in both), so the
# union is what ``tokenize`` drops; a few speech words ("detto", "said") are here because
# every quote has one.
STOPWORDS: dict[str, frozenset[str]] = {
    "it": frozenset(
        """
a ad al alla alle allo agli ai all anche che chi ci come con cosa da dai dal dalla dalle de degli dei
del della delle dello di dov dove e ed era gli ha hanno ho il in la le lei lo loro lui ma mi ne nei
nel nella nelle non o per perche piu quale quali quando quanto quella quelle quello questa queste
questo se si sia sono su sua sue sui sul sulla suo suoi tra un una uno detto dice sta stato
""".split()
    ),
    "en": frozenset(
        """
the of and to in is it that for was on are with as his her he she they be at by this have from or
had not but what which were their has been would did does do about say said says who whom how
when where why an its i we you our your them than then there so if into can could will
""".split()
    ),
}
STOPWORDS_ANY: frozenset[str] = STOPWORDS["it"] | STOPWORDS["en"]

# The commonest function words of each language, for the language vote of a document.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "it": frozenset(
        "il lo la gli le di del della dei delle che non per con una uno è sono ha hanno "
        "alla al nel nella anche come più questo questa sul sulla dalla dal ma se".split()
    ),
    "en": frozenset(
        "the of and to in is that it for was on are with as his her they be at by this "
        "have from or had not but what said which were their has been would".split()
    ),
}
# Questions are short, so a document's vote is often a tie ("Quali prodotti sono stati
# venduti in farmacia?": "sono" against "in"); questions add their own markers, and
# "in"/"a", words of both languages, do not vote.
QUESTION_MARKERS: dict[str, frozenset[str]] = {
    "it": FUNCTION_WORDS["it"]
    | frozenset(
        """quale quali qual cosa cos chi quando dove perché perche quanto quanta quanti quante
        stato stata stati state si ai dai dagli degli negli nei sui tra fra era erano sia""".split()
    ),
    "en": (
        FUNCTION_WORDS["en"]
        | frozenset("what which who whom whose when where why how did does do is are was".split())
    )
    - {"in", "a"},
}

_WORD = re.compile(r"\w+", re.UNICODE)
_LETTERS = re.compile(r"[a-zàèéìòóù]+")


def normalize(text: str) -> str:
    """NFC: a decomposed accent ('e' + U+0301) and its composed form are one character,
    so offsets, hashes and every pattern below see one spelling."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case without accents: 'Capacità' and 'capacita' are the same term."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Every folded word of ``text``, stopwords included."""
    return _WORD.findall(fold(text))


def tokenize(text: str) -> list[str]:
    """Folded content words: stopwords of either language and one-letter words dropped."""
    return [w for w in _WORD.findall(fold(text)) if len(w) > 1 and w not in STOPWORDS_ANY]


# -- the stemmer
# Snowball stemmers by language. Italian is left unstemmed: on squad_it dev its Snowball
# stemmer lost BM25 Hits@1 (0.761 -> 0.736 on one half, +0.010 on the other), where the
# English one gained on both halves of squad_en (0.764 -> 0.803, 0.792 -> 0.802).
SNOWBALL = {"en": "english"}
_stemmers: dict[str, Any] = {}
_stem_lock = threading.Lock()


def stem_lang(lang: str) -> str:
    """The stemming a text of ``lang`` gets: its own language's, English when unknown."""
    return lang if lang in LANGS else "en"


def stem_words(tokens: Iterable[str], lang: str) -> list[str]:
    """Tokens stemmed as a text of ``lang`` is: 'clauses'/'clause' -> one term."""
    tokens = list(tokens)
    key = stem_lang(lang)
    if key not in SNOWBALL:
        return tokens
    stemmer = _stemmers.get(key)
    if stemmer is None:
        import Stemmer

        with _stem_lock:  # PyStemmer objects are not thread-safe: one per language, locked
            stemmer = _stemmers.setdefault(key, Stemmer.Stemmer(SNOWBALL[key]))
    with _stem_lock:
        return list(stemmer.stemWords(tokens))


def cognate(token: str) -> str:
    """A shared prefix for words of one root across Italian and English:
    'deterrence'/'deterrenza', 'rates'/'rate' -> the same key. Coarse on purpose: it is
    evidence that a sentence names a topic, never a BM25 term."""
    return token[: max(4, len(token) - 2)][:6]


# -- language identification
def detect_language(text: str) -> Lang:
    """'it', 'en' or 'und', by counting the commonest function words of each language.

    Two languages are all the corpus needs; a stopword vote is deterministic and instant,
    where statistical detectors are either random-seeded or heavy.
    """
    found = _LETTERS.findall(normalize(text[:5000]).lower())
    it = sum(w in FUNCTION_WORDS["it"] for w in found)
    en = sum(w in FUNCTION_WORDS["en"] for w in found)
    if it == en == 0:
        return "und"
    return "it" if it > en else "en"


def question_language(question: str) -> Lang:
    """The language of a short question: its markers vote first, then the document vote,
    then a few Italian giveaways; English when nothing tells."""
    found = _LETTERS.findall(normalize(question).lower())
    it = sum(w in QUESTION_MARKERS["it"] for w in found)
    en = sum(w in QUESTION_MARKERS["en"] for w in found)
    if it != en:
        return "it" if it > en else "en"
    lang = detect_language(question)
    if lang != "und":
        return lang
    italian = re.search(r"\b(cosa|chi|quando|perch|detto|sulla|sull|sul)\b", question, re.I)
    return "it" if italian else "en"
