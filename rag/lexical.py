"""The BM25 side of hybrid search: a ``bm25s`` index kept in step with the store.

The index lives in ``<store>/bm25`` next to a ``meta.json`` naming what it was built from
(rag/derived.py); it is rebuilt only when the store changed, never per query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.derived import ChunkSource, DerivedIndex, StoreKey, ids_digest, top_k
from rag.text import LANGS, SNOWBALL, fold, stem_lang, stem_words, tokenize  # noqa: F401 (fold: re-exported)

# Bump when the saved index or its terms change; older ones are rebuilt. 4: keyed to
# the collection and its chunk ids (rag/derived.py).
INDEX_FORMAT = 4
RARE_NAME_SHARE = 0.005  # a name in at most 0.5% of chunks still counts across languages


def index_terms(text: str, lang: str) -> list[str]:
    """BM25 terms: ``tokenize`` then the Snowball stemmer of the text's language.

    'clauses'/'clause' and 'ruling'/'ruled' become one term, so a question's wording
    need not repeat the passage's inflection. Query and passage must be stemmed alike, so
    a query is stemmed once per language of the chunks it is scored against.
    """
    return stem_words(tokenize(text), lang)


@dataclass
class _Entry:
    chunk_id: str
    doc_id: str
    source: str
    date_key: int
    lang: str = ""


@dataclass
class LexicalHit:
    chunk_id: str
    score: float  # BM25
    coverage: float  # share of the query's IDF mass matched, 0..1


class LexicalIndex(DerivedIndex):
    """BM25 over chunk texts (title included), with the metadata needed to filter."""

    format = INDEX_FORMAT

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._bm25: Any = None
        self._entries: list[_Entry] = []
        self._lang_of: dict[str, str] = {}
        self._surface: frozenset[str] = frozenset()
        self._stem_langs = np.array([], dtype=object)  # each chunk's stemmer
        self._chunk_langs: list[str] = []  # stemmer languages present

    def _install(self, bm25: Any, entries: list[_Entry], key: StoreKey, surface: set[str]) -> None:
        self._surface = frozenset(surface)
        self._stem_langs = np.array([stem_lang(e.lang) for e in entries], dtype=object)
        self._chunk_langs = sorted(set(self._stem_langs.tolist()))
        self._set_columns(entries)
        self._lang_of = {e.chunk_id: e.lang for e in entries}
        self._bm25, self._entries, self.key = bm25, entries, key

    def _load(self, meta: dict[str, Any], key: StoreKey) -> bool:
        if meta.get("stemmers") != SNOWBALL:
            return False  # terms made another way would not match the query's
        import bm25s

        entries = [_Entry(*row) for row in meta["entries"]]
        # Rows, ids and the BM25 matrix must agree, or scores would land on other chunks.
        if len(entries) != key.count or ids_digest(e.chunk_id for e in entries) != meta["digest"]:
            return False
        bm25 = None
        if entries:
            bm25 = bm25s.BM25.load(str(self.directory / "index"), show_progress=False)
            if int(bm25.scores["num_docs"]) != len(entries):
                return False
        self._install(bm25, entries, key, set(meta["surface"]))
        return True

    def _rebuild(self, store: ChunkSource, key: StoreKey) -> None:
        import bm25s

        entries: list[_Entry] = []
        corpus: list[list[str]] = []
        surface: set[str] = set()  # unstemmed words, so has_term is exact
        for cid, text, meta in store.iter_chunks():
            lang = meta.get("lang", "")
            entries.append(
                _Entry(
                    cid,
                    meta.get("doc_id", ""),
                    meta.get("source", ""),
                    meta.get("date_key", 0),
                    lang,
                )
            )
            full = f"{meta.get('title', '')} {text}"
            surface.update(tokenize(full))
            corpus.append(index_terms(full, lang) or ["_empty_"])
        bm25 = None
        if corpus:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        saved = self._meta(
            key,
            [e.chunk_id for e in entries],
            stemmers=SNOWBALL,
            entries=[[e.chunk_id, e.doc_id, e.source, e.date_key, e.lang] for e in entries],
            surface=sorted(surface),
        )

        def write(tmp: Path) -> None:
            if bm25 is not None:
                bm25.save(str(tmp / "index"))
            (tmp / "meta.json").write_text(json.dumps(saved))

        self._save(write)
        self._install(bm25, entries, key, surface)

    def hits(
        self,
        query: str,
        *,
        k: int,
        since: int = 0,
        until: int = 0,
        sources: frozenset[str] = frozenset(),
        lang: str = "",
        names: tuple[str, ...] = (),
    ) -> list[LexicalHit]:
        """Top-k chunks with a positive BM25 score, after metadata filters, with coverage.

        With ``lang``, chunks in another language are scored on ``names`` only: words
        do not match across languages, but names and numbers do, and a translated
        question's stray word matches would only add noise. Each chunk is scored with the
        query stemmed in the chunk's own language.

        ``coverage`` is the share of the query's information (the IDF mass of its terms,
        a term missing from the corpus counting as the rarest) that the chunk matched: a
        name alone in a long question is weak evidence, all of its rare words strong.
        """
        if self._bm25 is None:
            return []
        n_chunks = len(self._entries)
        scores = np.zeros(n_chunks, dtype=np.float32)
        matched = np.zeros(n_chunks, dtype=np.float32)
        term_scores: dict[str, np.ndarray | None] = {}

        def scored(term: str) -> np.ndarray | None:
            if term not in term_scores:
                term_scores[term] = (
                    np.asarray(self._bm25.get_scores([term]), dtype=np.float32)
                    if term in self._bm25.vocab_dict
                    else None
                )
            return term_scores[term]

        idfs: dict[str, float] = {}

        def idf(term: str) -> float:  # a full pass over the chunks: once per term
            if term not in idfs:
                idfs[term] = self._idf(scored(term))
            return idfs[term]

        def add(rows: np.ndarray, terms: list[str]) -> None:
            for term in terms:  # repeated words count again, as in BM25
                ts = scored(term)
                if ts is not None:
                    scores[rows] += ts[rows]
            # dict.fromkeys, not set(): a fixed order keeps the float sums the same in every run.
            for term in dict.fromkeys(terms):
                ts = scored(term)
                if ts is not None:
                    matched[rows] += np.where(ts[rows] > 0, idf(term), 0.0)

        same = (
            np.isin(self._langs, [lang, "", "und"])
            if lang in LANGS
            else np.ones(n_chunks, dtype=bool)
        )
        for stem in self._chunk_langs:
            part = self._stem_langs == stem
            if (part & same).any():
                add(part & same, index_terms(query, stem))
            if (part & ~same).any():
                add(part & ~same, self._name_terms(names, stem, scored))
        total = sum(idf(t) for t in dict.fromkeys(index_terms(query, stem_lang(lang))))
        scores = self._filtered(scores, since, until, sources)
        return [
            LexicalHit(
                self._entries[i].chunk_id,
                float(scores[i]),
                min(1.0, float(matched[i]) / total) if total > 0 else 0.0,
            )
            for i in top_k(scores, k)
            if scores[i] > 0
        ]

    def _idf(self, term_scores: np.ndarray | None) -> float:
        """BM25's IDF from the chunks a term occurs in; a term the corpus lacks is rarest."""
        n = len(self._entries)
        df = 0 if term_scores is None else int(np.count_nonzero(term_scores))
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def _name_terms(self, names: tuple[str, ...], stem: str, scored: Any) -> list[str]:
        out = []
        for term in sorted({t for n in names for t in index_terms(n, stem)}):
            ts = scored(term)
            # Only a rare name is evidence across languages: one that recurs in
            # many chunks (the subject of a whole collection) ranks noise.
            if ts is not None and 0 < np.count_nonzero(ts) <= max(
                3, RARE_NAME_SHARE * len(self._entries)
            ):
                out.append(term)
        return out

    def lang_of(self, chunk_id: str) -> str:
        return self._lang_of.get(chunk_id, "")

    def chunks_naming(self, name: str) -> set[str]:
        """Chunks that contain every word of ``name`` (stemmed as each chunk's language)."""
        if not self.has_term(name):
            return set()
        return self.chunks_containing(name)

    def chunks_containing(self, text: str, *, lang: str = "") -> set[str]:
        """Chunks (of language ``lang``, when given) that contain every content word of
        ``text``, stemmed as each chunk's language: 'clause' finds 'clauses'."""
        if self._bm25 is None:
            return set()
        found: set[str] = set()
        for stem in self._chunk_langs:
            if lang in LANGS and stem != lang:
                continue
            terms = index_terms(text, stem)
            if not terms or any(token not in self._bm25.vocab_dict for token in terms):
                continue
            rows = np.ones(len(self._entries), dtype=bool)
            for token in terms:
                rows &= np.asarray(self._bm25.get_scores([token])) > 0
            rows &= self._stem_langs == stem
            found.update(self._entries[i].chunk_id for i in np.flatnonzero(rows))
        return found

    def has_term(self, term: str) -> bool:
        """Whether every word of ``term``, exactly as written (unstemmed), is in the corpus."""
        tokens = tokenize(term)  # "Brabeck-Letmathe" is indexed as two words
        return bool(tokens) and all(t in self._surface for t in tokens)

    def doc_ids(self) -> set[str]:
        return {e.doc_id for e in self._entries}
