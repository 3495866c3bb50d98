"""The default answerer: verbatim sentences from the briefings, attributed and cited.

No LLM: every sentence of an answer is a span of an article, so it cannot invent.
Sentences are ranked by embedding similarity to the question's topic (which works
across languages) plus a lexical bonus; a question about a person uses only quotes
attributed to that person at ingest.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.answer.models import Answer, Claim, Source
from rag.chunking import split_sentences
from rag.embeddings import cached_query_vector
from rag.lexical import fold, tokenize
from rag.query import QuestionInfo
from rag.quotes import quotes_from_metadata
from rag.retrieval import Hit

# Calibrated on the dev splits of ../shared/bench (see bench/BENCHMARKS.md).
MIN_TOPIC_SIMILARITY = 0.82  # best quote vs. topic, for "what did X say about Y"
MIN_SENTENCE_SIMILARITY = 0.81  # best sentence vs. question, for other questions
TOPIC_WORD_BONUS = 0.02
MAX_EMBEDDED = 12  # sentences embedded per question: the bulk of answer latency
KEEP_WITHIN = 0.015  # extra quotes kept when this close to the best one
MAX_QUOTES = 3
MIN_CLAUSE_WORDS = 5  # a shorter quote is a phrase, not a statement about a topic

_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre".split(),
}


def human_date(iso: str, lang: str) -> str:
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{int(d)} {_MONTHS['it' if lang == 'it' else 'en'][int(m) - 1]} {y}"


@dataclass
class _Candidate:
    hit: Hit
    text: str
    start: int  # offsets in the article
    end: int
    speaker: str
    quoted: bool
    score: float = 0.0
    topic_words: int = 0  # words of the question's topic found in the sentence


class ExtractiveAnswerer:
    """Answers from retrieved hits. ``has_term`` says whether a word occurs in the corpus.

    ``sentence_embeddings`` (default: ``embeddings``) embeds the candidate sentences; it
    must share ``embeddings``' vector space. Those sentences are most of an answer's time,
    and they only rank a handful of passages already retrieved, so a faster, slightly less
    exact sibling of the model serves there (see ``scoring_embeddings``).
    """

    def __init__(
        self,
        embeddings: Embeddings,
        *,
        has_term: Callable[[str], bool],
        sentence_embeddings: Embeddings | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.sentence_embeddings = sentence_embeddings or embeddings
        self.has_term = has_term
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # -- embeddings of sentences, cached: the same passages come back question after question
    def _vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vecs = self.sentence_embeddings.embed_documents(missing)
            with self._lock:
                for t, v in zip(missing, vecs, strict=True):
                    self._cache[t] = np.asarray(v, dtype=np.float32)
                while len(self._cache) > 20000:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.stack([self._cache[t] for t in texts])

    def answer(self, info: QuestionInfo, hits: list[Hit]) -> Answer:
        if info.names_a_person:
            return self._about_speaker(info, hits)
        return self._general(info, hits)

    # -- "what did X say about Y"
    def _about_speaker(self, info: QuestionInfo, hits: list[Hit]) -> Answer:
        if not self.has_term(info.speaker_key):
            return _refusal(info, _no_person(info))
        mine = [c for c in _candidates(hits) if c.speaker and _same_person(c.speaker, info)]
        if not mine:
            return _refusal(info, _no_quote(info))
        # The person's own words first: what an article reports them saying (no quotation
        # marks) answers only when none of their quotes does, or when it names the topic
        # and their quotes do not.
        direct = [c for c in mine if c.quoted]
        reported = [c for c in mine if not c.quoted]
        if not direct:
            return self._from_statements(info, reported)[0]
        answer, on_topic = self._from_statements(info, direct)
        if reported and (answer.refused or (info.topic and not on_topic)):
            fallback, fallback_on_topic = self._from_statements(info, reported)
            if not fallback.refused and (answer.refused or fallback_on_topic):
                return fallback
        return answer

    def _from_statements(
        self, info: QuestionInfo, candidates: list[_Candidate]
    ) -> tuple[Answer, bool]:
        """The best of one person's statements on the question's topic, or a refusal; and
        whether a statement names a word of the topic."""
        topic = info.topic or info.text
        candidates = self._score(topic, candidates)
        if info.topic:
            # A phrase of a few words quoted inside reported speech (the plan was "a shameful
            # betrayal") embeds close to almost any topic: only a clause is evidence of what
            # was said about the topic, unless the phrase itself names it.
            said = [
                c for c in candidates if c.topic_words or len(c.text.split()) >= MIN_CLAUSE_WORDS
            ]
            if not said:
                best = max(c.score for c in candidates)
                return _refusal(info, _no_topic(info, candidates), confidence=best), False
            candidates = said
        best = max(c.score for c in candidates)
        on_topic = any(c.topic_words for c in candidates)
        if info.topic and best < MIN_TOPIC_SIMILARITY and not on_topic:
            return _refusal(info, _no_topic(info, candidates), confidence=best), False
        limit = 6 if info.timeline else MAX_QUOTES
        answer = _compose(info, _pick(candidates, best, limit, by_topic_words=bool(info.topic)))
        answer.confidence = best
        return answer, on_topic

    # -- any other question
    def _general(self, info: QuestionInfo, hits: list[Hit]) -> Answer:
        candidates = [c for c in _candidates(hits[:4], sentences=True) if len(c.text) > 25]
        if not candidates:
            return _refusal(info, _nothing(info))
        candidates = self._score(info.text, candidates)
        best = max(c.score for c in candidates)
        if best < MIN_SENTENCE_SIMILARITY:
            return _refusal(info, _nothing(info), confidence=best)
        answer = _compose(info, _pick(candidates, best, 2))
        answer.confidence = best
        return answer

    def _score(self, topic: str, candidates: list[_Candidate]) -> list[_Candidate]:
        """Score candidates; only the most promising ``MAX_EMBEDDED`` are embedded.

        Embedding sentences is the slow part of answering, so candidates are first
        ordered by topic words, then by retrieval rank (their input order).
        """
        topic_terms = {_stem(t) for t in tokenize(topic)}
        for c in candidates:
            # A topic word in the sentence (or a cognate: deterrence/deterrenza) is
            # direct evidence; embeddings carry the rest, across languages.
            c.topic_words = len(topic_terms & {_stem(t) for t in tokenize(c.text)})
        order = sorted(
            range(len(candidates)), key=lambda i: (-min(candidates[i].topic_words, 3), i)
        )
        kept = [candidates[i] for i in order[:MAX_EMBEDDED]]
        qv = np.asarray(cached_query_vector(self.embeddings, topic), dtype=np.float32)
        sims = self._vectors([c.text for c in kept]) @ qv
        for c, sim in zip(kept, sims, strict=True):
            c.score = float(sim) + TOPIC_WORD_BONUS * min(c.topic_words, 3)
        return kept


def _stem(token: str) -> str:
    """Crude shared stem: 'rates'/'rate', 'deterrence'/'deterrenza' -> same string."""
    return token[: max(4, len(token) - 2)][:6]


def _same_person(speaker: str, info: QuestionInfo) -> bool:
    # "Chung" is "Chung Mong-koo" (family name first); "Rutte" is "Mark Rutte".
    said = {fold(t) for t in re.split(r"[\s'’]+", speaker) if t}
    asked = [fold(t).rstrip(".") for t in re.split(r"[\s'’]+", info.speaker) if t]

    def matches(t: str) -> bool:
        if len(t) == 1:
            # An initial ("R Sridharan") fits a first name with that letter, or a speaker
            # the article names by surname only.
            return len(said) == 1 or any(w.startswith(t) for w in said)
        return t in said

    return all(matches(t) for t in asked if t)


def _candidates(hits: list[Hit], *, sentences: bool = False) -> list[_Candidate]:
    """Quote sentences (or every sentence) of the hits, with article offsets."""
    out: list[_Candidate] = []
    seen: set[tuple[str, int]] = set()
    for hit in hits:
        base = int(hit.metadata.get("char_start", 0) or 0)
        doc_id = str(hit.metadata.get("doc_id", ""))
        if sentences:
            quotes = quotes_from_metadata(hit.metadata.get("quotes"))
            for s in split_sentences(hit.text):
                speaker = next(
                    (q.speaker for q in quotes if q.start <= s.start < q.end and q.speaker), ""
                )
                _add(out, seen, hit, doc_id, base, s.start, s.end, speaker, False)
            continue
        for q in quotes_from_metadata(hit.metadata.get("quotes")):
            quote_text = hit.text[q.start : q.end]
            for s in split_sentences(quote_text):
                _add(
                    out,
                    seen,
                    hit,
                    doc_id,
                    base,
                    q.start + s.start,
                    q.start + s.end,
                    q.speaker,
                    # Reported speech is the article's wording: never inside quotation marks.
                    q.kind == "direct",
                )
    return out


def _add(
    out: list[_Candidate],
    seen: set[tuple[str, int]],
    hit: Hit,
    doc_id: str,
    base: int,
    start: int,
    end: int,
    speaker: str,
    quoted: bool,
) -> None:
    text = hit.text[start:end].strip()
    # Overlapping chunks repeat sentences: keep each article position once.
    if not text or (doc_id, base + start) in seen:
        return
    seen.add((doc_id, base + start))
    out.append(_Candidate(hit, text, base + start, base + end, speaker, quoted))


def _pick(
    candidates: list[_Candidate], best: float, limit: int, *, by_topic_words: bool = False
) -> list[_Candidate]:
    """The best candidates: those scored within ``KEEP_WITHIN`` of the best and, when asked
    about a topic, every quote that names as much of the topic as any quote does.

    Embedding similarity between several quotes of one person on one topic is close to
    noise (0.85 vs 0.87); a quote that says the topic word is direct evidence, so "what
    did X say about Y" shows each of X's quotes that say Y, best first, up to ``limit``.
    """
    ranked = sorted(candidates, key=lambda c: -c.score)
    most_words = max((min(c.topic_words, 3) for c in ranked), default=0) if by_topic_words else 0
    return [
        c
        for c in ranked
        if c.score >= best - KEEP_WITHIN or (most_words and min(c.topic_words, 3) >= most_words)
    ][:limit]


def _compose(info: QuestionInfo, chosen: list[_Candidate]) -> Answer:
    """Group by article, order articles by date, number the citations in reading order."""
    groups: OrderedDict[str, list[_Candidate]] = OrderedDict()
    for c in sorted(
        chosen, key=lambda c: (str(c.hit.metadata.get("published_at") or "9999"), c.start)
    ):
        groups.setdefault(str(c.hit.metadata.get("doc_id")), []).append(c)
    lines: list[str] = []
    sources: list[Source] = []
    claims: list[Claim] = []
    speaker = ""
    for cands in groups.values():
        meta = cands[0].hit.metadata
        when = human_date(str(meta.get("published_at", "")), info.lang)
        cite = ", ".join(p for p in (str(meta.get("source", "")), when) if p) or str(
            meta.get("title")
        )
        who = cands[0].speaker if info.speaker else ""
        speaker = speaker or who
        if who:
            verb = "ha detto" if info.lang == "it" else "said"
            lines.append(f"{who} {verb} ({cite}):")
        else:
            lines.append(f"{'Secondo' if info.lang == 'it' else 'According to'} {cite}:")
        for c in sorted(cands, key=lambda c: c.start):
            n = len(sources) + 1
            text = f"“{c.text}”" if c.quoted else c.text
            lines.append(f"{text} [{n}]")
            claims.append(Claim(text=c.text, citations=[n]))
            sources.append(
                Source.from_chunk(
                    n,
                    meta,
                    chunk_id=c.hit.chunk_id,
                    context=c.hit.text,
                    quote=c.text,
                    score=c.score,
                    char_start=c.start,
                    char_end=c.end,
                    speaker=c.speaker,
                )
            )
    return Answer(
        question=info.text, text="\n".join(lines), sources=sources, speaker=speaker, claims=claims
    )


def _refusal(info: QuestionInfo, text: str, *, confidence: float = 0.0) -> Answer:
    return Answer(question=info.text, text=text, refused=True, confidence=confidence)


def _no_person(info: QuestionInfo) -> str:
    if info.lang == "it":
        return f"Le fonti non menzionano {info.speaker}: non posso dire cosa abbia detto."
    return (
        f"The briefings do not mention {info.speaker}, so they do not say what {info.speaker} said."
    )


def _no_quote(info: QuestionInfo) -> str:
    if info.lang == "it":
        return f"Le fonti non riportano dichiarazioni di {info.speaker} su questo tema."
    return f"The briefings do not quote {info.speaker} on this."


def _no_topic(info: QuestionInfo, candidates: list[_Candidate]) -> str:
    """Say so plainly, and point at what the briefings do quote this person on."""
    titles = list(
        dict.fromkeys(
            str(c.hit.metadata.get("title", "")) for c in candidates if c.hit.metadata.get("title")
        )
    )[:2]
    if info.lang == "it":
        where = f" Lo citano invece in: {'; '.join(titles)}." if titles else ""
        return f"Le fonti non riportano dichiarazioni di {info.speaker} su {info.topic}.{where}"
    where = f" They quote {info.speaker} in: {'; '.join(titles)}." if titles else ""
    return f"The briefings do not report {info.speaker} saying anything about {info.topic}.{where}"


def _nothing(info: QuestionInfo) -> str:
    if info.lang == "it":
        return "Le fonti non contengono una risposta a questa domanda."
    return "The briefings do not answer this question."
