"""Hybrid retrieval as a LangChain ``BaseRetriever``: dense (Chroma) + BM25 + sparse
latent terms, fused by RRF.

Dense search carries meaning across languages (an English question finds Italian text);
BM25 carries names and rare terms; the e5 sparse head's "latent terms" (rag/sparse.py)
match concepts across languages term by term, and vote when most of the store is in
another language than the question. Reciprocal-rank fusion needs no score calibration
between them, which is why it is the fusion here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from rag.config import DEFAULT_FETCH_K, DEFAULT_K, DEFAULT_SPARSE_VOTE, SparseVote
from rag.documents import date_key
from rag.embeddings import SparseCode, SparseEmbeddings, cached_query_vector
from rag.lexical import LexicalIndex, index_terms
from rag.metadata import ChunkMetadata
from rag.query import Filters, Question, analyse
from rag.quotes import quotes_from_metadata
from rag.roles import (
    Holder,
    best_holders,
    context_keys,
    parse_role,
    qualified_holders,
    question_period,
    resolve_holder,
    roles_from_metadata,
    succession,
)
from rag.sparse import SparseIndex, has_sparse_head
from rag.store import Store, StoreKey
from rag.text import fold

RRF_K = 60
# A question about a person keeps only that person's statements, so it looks further down.
SPEAKER_K = 20
# BM25's vote is scaled by coverage**COVERAGE_POWER: the share of the question's IDF mass
# the chunk matched. Chosen on one half of the squad dev questions (1, 2, 3 tried; 2 best).
COVERAGE_POWER = 2.0
# When the sparse vote counts: "cross" when most of the store is in another language than
# the question (where BM25 reads only names), "all" always, "off" never. Chosen on one half
# of the dev questions (bench/BENCHMARKS.md): in the question's own language the latent
# terms cost more than they gave. A vote for chunks of the other language only, in a store
# of both, would give those chunks an extra vote nearly for free (RRF's rank 2 is worth
# almost rank 1), so the vote, when it counts, ranks every chunk alike.
CROSS_SHARE = 0.5  # "cross": the question's language holds under half of the chunks


@dataclass
class Hit:
    """A retrieved chunk with its scores."""

    chunk_id: str
    text: str
    metadata: ChunkMetadata
    score: float  # fused (RRF)
    dense: float = 0.0  # cosine similarity, 0 when dense search did not return it
    bm25: float = 0.0
    sparse: float = 0.0  # latent-terms dot product, 0 when the sparse vote did not rank it


class HybridRetriever(BaseRetriever):
    """Dense + BM25 + latent-terms retriever over a ``Store``, whose questions ``embeddings``
    (a model of the store's vector space) embeds.

    ``invoke(query, since=..., until=..., sources=[...])`` applies metadata filters for one call;
    the fields set defaults for every call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    embeddings: Embeddings
    k: int = DEFAULT_K
    fetch_k: int = DEFAULT_FETCH_K
    since: str | None = None
    until: str | None = None
    sources: list[str] = Field(default_factory=list)
    sparse_vote: SparseVote = DEFAULT_SPARSE_VOTE
    _lexical: LexicalIndex = PrivateAttr()
    _sparse: SparseIndex = PrivateAttr()
    # Every role holder in the store, for the store's state it was read at.
    _holders: tuple[StoreKey | None, list[Holder]] = PrivateAttr(default=(None, []))

    def model_post_init(self, __context: Any) -> None:
        self.store.check_model(self.embeddings)
        self._lexical = LexicalIndex(self.store.dir / "bm25")
        self._sparse = SparseIndex(self.store.dir / "sparse")

    @property
    def lexical(self) -> LexicalIndex:
        self._lexical.ensure(self.store)
        return self._lexical

    @property
    def sparse_index(self) -> SparseIndex | None:
        """The chunks' sparse codes, when the store has one for every chunk from the head
        of the query embedder (None otherwise: no sparse vote)."""
        return self._sparse_at(self.store.key())

    def _sparse_at(self, key: StoreKey) -> SparseIndex | None:
        if self.sparse_vote == "off" or not has_sparse_head(self.embeddings):
            return None
        self._sparse.ensure(self.store, key)
        return self._sparse if self._sparse.usable(self.embeddings.sparse_head) else None

    def embed_query(self, query: str) -> tuple[float, ...]:
        return cached_query_vector(self.embeddings, query)

    def search(
        self,
        question: Question | str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> list[Hit]:
        """Fused hits, best first.

        ``question`` is the analysed ``Question`` the pipeline carries (a string is analysed
        here, for direct callers); ``filters`` default to the question's, then to this
        retriever's fields. A question about a person gets at least ``SPEAKER_K`` hits.
        """
        info = question if isinstance(question, Question) else analyse(question)
        query = info.text
        if filters is None:
            filters = info.filters or Filters.of(self.since, self.until, self.sources)
        k = k or (max(self.k, SPEAKER_K) if info.speaker else self.k)
        if not query.strip():
            return []
        # One freshness check per search (two cheap calls; `self.lexical` makes its own).
        key = self.store.key()
        if key.count == 0:
            return []
        fetch = max(self.fetch_k, k)
        dense = self.store.query(self.embed_query(query), k=fetch, where=filters.where())
        index = self._lexical
        index.ensure(self.store, key)
        lexical = index.hits(
            query,
            k=fetch,
            since=date_key(filters.since),
            until=date_key(filters.until),
            sources=filters.sources,
            lang=info.lang,
            names=tuple(info.names),
        )
        naming = index.chunks_naming(info.speaker) if info.speaker else set()
        sparse_index = self._sparse_at(key)
        latent = (
            sparse_index.search(
                _sparse_query_cached(cast(SparseEmbeddings, self.embeddings), query),
                k=fetch,
                since=date_key(filters.since),
                until=date_key(filters.until),
                sources=filters.sources,
            )
            if sparse_index is not None
            and (self.sparse_vote == "all" or sparse_index.share(info.lang) < CROSS_SHARE)
            else []
        )
        fused: dict[str, float] = {}
        for rank, (cid, _) in enumerate(dense):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, hit in enumerate(lexical):
            # When the question names a person the corpus knows, exact words (the name, the
            # topic) are the stronger evidence: BM25's vote counts double -- but only where
            # it read the whole question (same language), not just the name.
            same_lang = index.lang_of(hit.chunk_id) in (info.lang, "", "und")
            weight = 2.0 if naming and same_lang else 1.0
            # A rank says nothing about how much of the question matched: a passage sharing
            # one name with a translated question (or a few common words with a same-language
            # one) would vote as much as one holding all the rare words. Scale by coverage.
            weight *= hit.coverage**COVERAGE_POWER
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + weight / (RRF_K + rank + 1)
        for rank, (cid, _) in enumerate(latent):
            # Latent terms carry a question's concepts into another language's words, where
            # BM25 sees only names; within one language BM25 already has the words.
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        chunks: dict[str, tuple[str, ChunkMetadata]] = {}
        if naming:
            # "What did X say about Y": passages that name X come first (an extra first-rank
            # vote); among them, those holding the topic's words, and above all those that
            # quote X saying them, get one more vote each. The dense vote reorders by topic
            # similarity, where the topic word itself is the better evidence.
            chunks = self.store.get_chunks(list(fused))
            first = 1.0 / (RRF_K + 1)
            for cid in naming & fused.keys():
                fused[cid] += first
            if info.topic:
                on_topic = naming & index.chunks_containing(info.topic, lang=info.lang)
                for cid in on_topic & fused.keys():
                    fused[cid] += first
                for cid in fused.keys() & chunks.keys():
                    if _quotes_on(info, *chunks[cid]):
                        fused[cid] += first
        top = sorted(fused, key=lambda c: -fused[c])[:k]
        dense_of, bm25_of = dict(dense), {h.chunk_id: h.score for h in lexical}
        sparse_of = dict(latent)
        chunks = {c: chunks[c] for c in top if c in chunks} or self.store.get_chunks(top)
        return [
            Hit(
                chunk_id=cid,
                text=chunks[cid][0],
                metadata=chunks[cid][1],
                score=fused[cid],
                dense=dense_of.get(cid, 0.0),
                bm25=bm25_of.get(cid, 0.0),
                sparse=sparse_of.get(cid, 0.0),
            )
            for cid in top
            if cid in chunks
        ]

    def resolve_role(self, question: Question, *, named: str = "") -> str:
        """The person a question asks about by role ("the NATO Secretary General"), from
        the roles the briefings give people ("il segretario generale della Nato, Mark
        Rutte"), in the passages the question retrieves; "" when none or several fit.

        ``named``: words the office's holder's article must hold, in the role or around
        it, and that name none of its people: a capitalised run after an office read as
        its organisation ("la vicepresidente della rete Scuole Aperte")."""
        if not question.role:
            return ""
        names: dict[tuple[str, str], str] = {}  # (article, role) -> holder
        dates: dict[str, str] = {}  # article -> its date
        texts: dict[str, list[str]] = {}  # article -> its title and retrieved passages
        quoted: set[str] = set()  # surnames of the people the passages quote
        for hit in self.search(question, k=max(self.k, SPEAKER_K)):
            doc = str(hit.metadata.get("doc_id", ""))
            quoted.update(filter(None, str(hit.metadata.get("speakers", "")).split("|")))
            texts.setdefault(doc, [str(hit.metadata.get("title", ""))]).append(hit.text)
            dates[doc] = str(hit.metadata.get("published_at") or "")
            for role, name in roles_from_metadata(hit.metadata.get("roles")).items():
                names.setdefault((doc, role), name)
        context = {doc: context_keys(" ".join(parts)) for doc, parts in texts.items()}
        found = [
            Holder(name, role, doc, context[doc], dates.get(doc, ""))
            for (doc, role), name in names.items()
        ]
        if named:
            need = context_keys(named)
            people = quoted | {fold(w) for name in names.values() for w in name.split()}
            if any(fold(w) in people for w in named.split()):
                return ""  # a person's name, not an organisation's
            found = [h for h in found if need <= h.context | parse_role(h.role)[1]]
        elif not best_holders(question.role, found):
            # The holder's article may not be among the passages (a briefing in the other
            # language, which the question's words do not reach): any article's holder
            # whose role itself says every qualifier the question gives.
            found = qualified_holders(question.role, self._store_holders())
        # Several equally good holders: the rest of the question tells their articles apart.
        order: list[str] = []
        if len(best_holders(question.role, found)) > 1 and (rest := question.without_role()):
            order = list(
                dict.fromkeys(str(h.metadata.get("doc_id", "")) for h in self.search(rest))
            )
        name = resolve_holder(question.role, found, order, question_period(question.text))
        if not name:  # several fit: the answer says so rather than guessing one
            question.role_holders = sorted({h.name for h in best_holders(question.role, found)})
        # An office that changed hands: the answer says who held it when.
        line = succession(question.role, best_holders(question.role, found))
        question.role_dates = list(dict.fromkeys((h.name, h.date) for h in line))
        return name

    def _store_holders(self) -> list[Holder]:
        """Every (article, role) holder the store's chunks record, read once per state of
        the store."""
        key = self.store.key()
        if self._holders[0] != key:
            seen: dict[tuple[str, str], Holder] = {}
            for _, text, meta in self.store.iter_chunks():
                doc = str(meta.get("doc_id", ""))
                roles = roles_from_metadata(meta.get("roles"))
                context = context_keys(f"{meta.get('title', '')} {text}") if roles else None
                when = str(meta.get("published_at") or "")
                for role, name in roles.items():
                    seen.setdefault(
                        (doc, role), Holder(name, role, doc, context or frozenset(), when)
                    )
            self._holders = (key, list(seen.values()))
        return self._holders[1]

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        **kwargs: Any,
    ) -> list[Document]:
        filters = Filters.of(
            kwargs.get("since", self.since),
            kwargs.get("until", self.until),
            kwargs.get("sources", self.sources),
        )
        hits = self.search(query, k=int(kwargs.get("k", self.k)), filters=filters)
        return [
            Document(
                id=h.chunk_id,
                page_content=h.text,
                metadata={
                    **h.metadata,
                    "score": h.score,
                    "dense": h.dense,
                    "bm25": h.bm25,
                    "sparse": h.sparse,
                },
            )
            for h in hits
        ]


def _quotes_on(info: Question, text: str, meta: ChunkMetadata) -> bool:
    """Whether the chunk quotes the person asked about saying every word of the topic."""
    if f"|{info.speaker_key}|" not in meta.get("speakers", ""):
        return False
    lang = meta.get("lang", "")
    topic = set(index_terms(info.topic, lang))
    return bool(topic) and any(
        q.speaker
        and fold(q.speaker.split()[-1]) == info.speaker_key
        and topic <= set(index_terms(text[q.start : q.end], lang))
        for q in quotes_from_metadata(meta.get("quotes"))
    )


@lru_cache(maxsize=512)
def _sparse_query_cached(embeddings: SparseEmbeddings, query: str) -> SparseCode:
    return embeddings.sparse_query(query)
