"""``Assistant``: the one Python API the CLI, the web chat and developers share."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel

from rag.answer.models import Answer
from rag.config import Settings
from rag.datelines import display_date
from rag.embeddings import get_embeddings, scoring_embeddings
from rag.errors import ConfigError, QuestionError
from rag.metadata import HEAD_KEY
from rag.sentence_vectors import FillReport, SentenceVectors, model_identity
from rag.sentence_vectors import fill as fill_sentence_vectors
from rag.sparse import has_sparse_head
from rag.store import Store

# Answering's modules (the query reader, the retriever, the answerer, LangChain's model
# and runnable layers) are imported where they are first used: `rag ingest`, `rag status`
# and `rag check` processes never load them (~1.6 s of every such process's start).
if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from rag.answer.base import ChatAnswerer
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.answer.written import WrittenAnswerer
    from rag.check import CheckReport
    from rag.ingest import IngestReport
    from rag.query import Filters, Question
    from rag.retrieval import Hit, HybridRetriever
    from rag.statement_search import StatementSearch


class StoreStatus(BaseModel):
    documents: int
    chunks: int
    embedding_model: str
    store: str
    mode: str
    sources: list[str]
    generation: int
    sparse_codes: int = 0  # chunks with a sparse latent-terms code; all of them for a vote


class Assistant:
    """Ingest briefings and answer questions over them.

    >>> assistant = Assistant(store="./.rag")           # doctest: +SKIP
    >>> assistant.ingest(["corpus/"])                    # doctest: +SKIP
    >>> assistant.ask("What did Rutte say about deterrence?").text  # doctest: +SKIP

    Heavy collaborators are injectable (``embeddings=``), and default from ``Settings``.
    Everything is built lazily, so constructing an Assistant is cheap.
    """

    def __init__(
        self,
        store: str | os.PathLike[str] | None = None,
        *,
        settings: Settings | None = None,
        embeddings: Embeddings | str | None = None,
        chroma_url: str | None = None,
        llm: BaseChatModel | str | None = None,
    ) -> None:
        overrides: dict[str, Any] = {}
        if store is not None:
            overrides["store"] = Path(store)
        if chroma_url is not None:
            overrides["chroma_url"] = chroma_url
        if isinstance(embeddings, str):
            overrides["embeddings"] = embeddings
        if isinstance(llm, str):
            overrides["llm"] = llm
        base = settings or Settings()
        self.settings = base.model_copy(update=overrides) if overrides else base
        self._embeddings = embeddings if isinstance(embeddings, Embeddings) else None
        self._store: Store | None = None
        self._retriever: HybridRetriever | None = None
        self._answerer: ExtractiveAnswerer | None = None
        self._statements: StatementSearch | None = None
        self._llm = None if llm is None or isinstance(llm, str) else llm
        self._generator: ChatAnswerer | None = None
        self._writer: WrittenAnswerer | None = None
        self._chain: Runnable[dict[str, Any], Answer] | None = None
        # The parts are built on first use; a server's first requests arrive together.
        self._init_lock = threading.RLock()

    @classmethod
    def from_env(cls, **overrides: Any) -> Assistant:
        """Settings from ``RAG_*`` variables and ``rag.toml``; keyword overrides win."""
        return cls(settings=Settings(**overrides))

    # -- lazily built parts
    @property
    def embeddings(self) -> Embeddings:
        with self._init_lock:
            if self._embeddings is None:
                self._embeddings = get_embeddings(
                    self.settings.embeddings, batch_size=self.settings.batch_size
                )
            return self._embeddings

    @property
    def store(self) -> Store:
        with self._init_lock:
            if self._store is None:
                self._store = Store(
                    self.settings.store,
                    embeddings=self.embeddings,
                    chroma_url=self.settings.chroma_url,
                    collection=self.settings.collection,
                )
            return self._store

    @property
    def retriever(self) -> HybridRetriever:
        """The LangChain ``BaseRetriever`` (hybrid dense + BM25)."""
        with self._init_lock:
            if self._retriever is None:
                from rag.retrieval import HybridRetriever

                self._retriever = HybridRetriever(
                    store=self.store,
                    embeddings=self.embeddings,
                    k=self.settings.k,
                    fetch_k=self.settings.fetch_k,
                    sparse_vote=self.settings.sparse_vote,
                )
            return self._retriever

    @property
    def answerer(self) -> ExtractiveAnswerer:
        with self._init_lock:
            if self._answerer is None:
                from rag.answer.extractive import ExtractiveAnswerer

                retriever = self.retriever
                sentences = scoring_embeddings(self.embeddings)
                self._answerer = ExtractiveAnswerer(
                    self.embeddings,
                    has_term=lambda t: retriever.lexical.has_term(t),
                    sentence_embeddings=sentences,
                    saved=SentenceVectors(self.store.dir, model_identity(sentences)),
                )
            return self._answerer

    @property
    def generator(self) -> ChatAnswerer | None:
        """The ``GenerativeAnswerer`` when an LLM is configured (``llm=`` or ``RAG_LLM``);
        ``local`` models write over the extractive answer instead (``writer``)."""
        with self._init_lock:
            if self._generator is None and (
                self._llm is not None or (self.settings.llm and not is_local(self.settings.llm))
            ):
                from rag.answer.generative import GenerativeAnswerer

                self._generator = GenerativeAnswerer(self._llm or _chat_model(self.settings))
            return self._generator

    @property
    def writes(self) -> bool:
        """Whether answers get a local model's written part by default (``RAG_LLM=local``)."""
        return self._llm is None and is_local(self.settings.llm)

    @property
    def writer(self) -> Any:
        """The ``WrittenAnswerer`` over the local model (``RAG_LLM=local[:NAME|:PATH]``, else
        the default model); a ``ConfigError`` when it is not prepared."""
        with self._init_lock:
            if self._writer is None:
                from rag.answer.written import WrittenAnswerer
                from rag.llm.chat import ChatLocal

                spec = self.settings.llm if is_local(self.settings.llm) else "local"
                llm = ChatLocal.from_spec(str(spec), threads=self.settings.llm_threads)
                self._writer = WrittenAnswerer(llm, self.writer_embeddings)
            return self._writer

    @property
    def writer_embeddings(self) -> Embeddings:
        """What checks the written answer's sentences against their quotes (e5's int8)."""
        return scoring_embeddings(self.embeddings)

    def warm_up(self) -> None:
        """Start loading the local model (once per process). The load runs in a thread but
        holds the GIL while llama.cpp reads the weights (~3 s quiet), so call it when no
        answer is waiting: at server start, or when the user asks for the model."""
        warm = getattr(self.writer.llm, "warm_up", None)  # other chat models need none
        if warm is not None:
            warm()

    # -- operations
    def ingest(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        prune: bool = False,
        progress: bool | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        dry_run: bool = False,
    ) -> IngestReport:
        """Add new and changed files under ``paths``; ``prune`` drops vanished ones under
        them; ``dry_run`` only reports what would change."""
        from rag.ingest import ingest

        return ingest(
            self.store,
            paths,
            embeddings=self.embeddings,
            prune=prune,
            chunk_chars=self.settings.chunk_chars,
            overlap_sentences=self.settings.chunk_overlap_sentences,
            batch_size=self.settings.batch_size,
            max_file_mb=self.settings.max_file_mb,
            progress=progress,
            on_progress=on_progress,
            dry_run=dry_run,
        )

    def fill_sentences(
        self,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> FillReport:
        """Save the vector of every sentence answers may score (rag/sentence_vectors.py),
        so that answering embeds almost nothing; resumable, and safe to kill."""
        return fill_sentence_vectors(
            self.store.dir,
            self.store.iter_chunks(),
            scoring_embeddings(self.embeddings),
            should_stop=should_stop,
            on_progress=on_progress,
        )

    def start_sentence_fill(self) -> bool:
        """Start ``rag sentences`` for this store in its own low-priority process, unless
        ``sentence_fill`` is off: the store is searchable already, and answers get faster
        as the fill goes on. One fill runs at a time per store, and a running one goes on
        to what was added meanwhile. Whether one was started."""
        if not self.settings.sentence_fill:
            return False
        import subprocess
        import sys

        env = {
            **os.environ,
            "RAG_STORE": str(Path(self.settings.store).resolve()),
            "RAG_EMBEDDINGS": self.settings.embeddings,
            "RAG_COLLECTION": self.settings.collection,
        }
        if self.settings.chroma_url:
            env["RAG_CHROMA_URL"] = self.settings.chroma_url
        subprocess.Popen(  # noqa: S603 -- our own module, by the running interpreter
            [sys.executable, "-m", "rag", "sentences", "--background"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives this process, and a Ctrl-C of its terminal
        )
        return True

    def check(self, *, repair: bool = False) -> CheckReport:
        """Whether registry, chunks and derived indexes agree (``rag check``); ``repair``
        fixes what can be derived (rag/check.py)."""
        from rag.check import check_store

        return check_store(
            self.store,
            embeddings=self.embeddings,
            repair=repair,
            chunk_chars=self.settings.chunk_chars,
            overlap_sentences=self.settings.chunk_overlap_sentences,
            batch_size=self.settings.batch_size,
            max_file_mb=self.settings.max_file_mb,
        )

    def ask(
        self,
        question: str,
        *,
        chat_history: Sequence[Any] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        sources: Sequence[str] | None = None,
    ) -> Answer:
        """Answer ``question`` (follow-ups resolved against ``chat_history``).

        Runs ``self.chain``: the same LCEL chain ``build_chain`` returns and ``rag eval``
        measures."""
        self.check_question(question)  # the chain checks too; an empty one loads nothing
        return self.chain.invoke(
            {
                "question": question,
                "chat_history": list(chat_history or []),
                "since": since,
                "until": until,
                "sources": list(sources or []),
            }
        )

    @property
    def chain(self) -> Runnable[dict[str, Any], Answer]:
        """condense -> retrieve -> answer, as a LangChain ``Runnable``."""
        with self._init_lock:
            if self._chain is None:
                from rag.chain import build_chain

                self._chain = build_chain(assistant=self)
            return self._chain

    def stream(
        self,
        question: str,
        *,
        chat_history: Sequence[Any] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        sources: Sequence[str] | None = None,
        write: bool | None = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as the answer is produced, then the final ``Answer``.

        With an LLM the deltas are its tokens (unchecked); the final ``Answer`` is checked.
        With the local model writing (``write=True``, or ``RAG_LLM=local``) the extractive
        ``Answer`` comes first, at once; then the model's deltas; then that ``Answer`` again
        with ``generated`` set to the checked written answer (None when the extractive
        answer refused: the model never runs then).
        """
        # The model is not loaded here but once the extractive answer is out: llama.cpp's
        # loader holds the GIL (a 10 s stall of every thread at load 28), so loading beside
        # the retrieval would hold up the very answer it should not. A model that cannot
        # load fails after the extractive answer, which stands on its own.
        write = self.writes if write is None else write
        q = self.question(
            question, chat_history=chat_history, since=since, until=until, sources=sources
        )
        hits = self.hits(q)
        if write:
            extractive = self._extractive(q, hits)
            yield extractive
            yield from self._written(q, extractive)
            return
        if self.generator is None:
            answer = self.answer(q, hits)
            yield from answer.text.splitlines(keepends=True)
            yield answer
            return
        yield from self.generator.stream(q, hits)

    # -- the pipeline's steps, each once per question
    def question(
        self,
        question: str,
        *,
        chat_history: Sequence[Any] | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        sources: Sequence[str] | None = None,
    ) -> Question:
        """Check, condense (rules first; an LLM, when configured, for the rest) and analyse
        the question once, with its filters."""
        from rag.query import Filters, analyse

        asked = " ".join(self.check_question(question).split())
        filters = Filters.of(since, until, list(sources or []))
        q = analyse(self.condense(asked, list(chat_history or [])), filters=filters)
        q.asked = asked
        # After condensing, so that a follow-up the LLM rewrote is resolved too.
        q = self._resolve_role(q) if q.role else q
        if q.by_source and q.names_a_person and not self._quoted(q):
            # "…, according to Nordvik Ferries?": not someone the briefings quote, so the
            # question is about what they say, as if it named nobody.
            q = analyse(q.text, filters=q.filters)
            q.speaker, q.topic, q.asked = "", "", asked
        return q

    def _quoted(self, q: Question) -> bool:
        """Whether the passages retrieved for ``q`` quote the person it names."""
        key = f"|{q.speaker_key}|"
        return any(key in str(h.metadata.get("speakers", "")) for h in self.retriever.search(q))

    def _resolve_role(self, q: Question) -> Question:
        """A question asked by role, asked again about the person holding it: "What did
        the Tourism Minister say about villages?" is "What did Carla Brunamonti say about
        villages?" from here on, so it is read (topic, templates) and answered exactly as
        that question. Unresolved (nobody, or several, hold it): the question as asked."""
        if q.speaker:
            # "la vicepresidente della rete Scuole Aperte": the capitalised run after an
            # office may be its organisation, not a name; the office with it says whose.
            whole = replace(q, role=f"{q.role} {q.speaker}", speaker="")
            if not self.retriever.resolve_role(whole, named=q.speaker):
                return q
            q = whole
        name = self.retriever.resolve_role(q)
        if not name:
            return q
        return _asked_about(q, q.role, name)

    def _extractive(self, question: Question, hits: list[Hit]) -> Answer:
        """The extractive answer, with its role note. An office that changed hands, asked
        about with no time named, means its latest holder; when the briefings do not quote
        them on the question's topic, every earlier holder is asked in turn, latest first,
        and the first one quoted on it answers (the note says who held the office when)."""
        from rag.roles import question_period

        answer = self.answerer.answer(question, hits)
        if answer.refused and len(question.role_dates) >= 2 and question.speaker:
            if question_period(question.text) is None:
                earlier = [n for n, _ in reversed(question.role_dates) if n != question.speaker]
                for name in dict.fromkeys(earlier):
                    other = _asked_about(question, question.speaker, name)
                    found = self.answerer.answer(other, self.hits(other))
                    if not found.refused:
                        return self._role_note(other, found)
        return self._role_note(question, answer)

    @staticmethod
    def _role_note(question: Question, answer: Answer) -> Answer:
        """An answer to a role several people hold says who they are: it names none of
        them rather than guess which one was meant. An office that changed hands between
        dated briefings says who held it when, and whom the answer is about."""
        if len(question.role_dates) >= 2 and question.speaker:
            held = "; ".join(f"{name}, {display_date(when)}" for name, when in question.role_dates)
            if question.lang == "it":
                note = f"«{question.role}» nelle fonti: {held}. La risposta riguarda {question.speaker}."
            else:
                note = f"“{question.role}” in the briefings: {held}. This answer is about {question.speaker}."
            return answer.model_copy(update={"notes": [*answer.notes, note]})
        if question.speaker or len(question.role_holders) < 2:
            return answer
        names = ", ".join(question.role_holders)
        if question.lang == "it":
            note = f"Più persone corrispondono a «{question.role}» nelle fonti: {names}."
        else:
            note = f"Several people in the briefings fit “{question.role}”: {names}."
        return answer.model_copy(update={"notes": [*answer.notes, note]})

    def hits(self, question: Question) -> list[Hit]:
        """What the answer is built on: the hybrid retriever's hits for ``question``; for
        "who said <claim>?", first the chunks holding the statements closest to the claim
        (rag/statement_search.py), which the passage search ranks far down across
        languages."""
        hits = self.retriever.search(question)
        if not (question.asks_who and question.topic):
            return hits
        import numpy as np

        from rag.embeddings import cached_query_vector

        vector = np.asarray(cached_query_vector(self.embeddings, question.topic), np.float32)
        first = self.statements.search(vector, question.topic)
        seen = {h.chunk_id for h in first}
        return first + [h for h in hits if h.chunk_id not in seen]

    @property
    def statements(self) -> StatementSearch:
        """The store's statements, searched by what they say (from the saved vectors)."""
        with self._init_lock:
            if self._statements is None:
                from rag.statement_search import StatementSearch

                model = scoring_embeddings(self.embeddings)
                self._statements = StatementSearch(
                    self.store, SentenceVectors(self.store.dir, model_identity(model)), model
                )
            return self._statements

    def answer(self, question: Question, hits: list[Hit]) -> Answer:
        """The answer from ``hits``: the LLM's (checked) when configured, else extractive
        (with the local model's checked written part in ``generated`` when it writes)."""
        if self.generator is not None:
            return self.generator.answer(question, hits)
        extractive = self._extractive(question, hits)
        if not self.writes:
            return extractive
        return [p for p in self._written(question, extractive) if isinstance(p, Answer)][-1]

    def _written(self, question: Question, extractive: Answer) -> Iterator[str | Answer]:
        """The local model's deltas, then ``extractive`` with its checked written part."""
        generated = None
        for part in self.writer.stream(question, extractive):
            if isinstance(part, Answer):
                generated = part
            else:
                yield part
        yield extractive.model_copy(update={"generated": generated})

    def condense(self, question: str, chat_history: Sequence[Any]) -> str:
        """A standalone question: rules first; an LLM, when configured, for the rest."""
        from rag.query import condense, history_pairs

        question = " ".join(question.split())
        standalone = condense(question, chat_history)
        if standalone == question and chat_history and self.generator is not None:
            return self.generator.condense(question, history_pairs(chat_history))
        return standalone

    def check_question(self, question: str) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("the question is empty; ask something about the briefings")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(
                f"the question is too long ({len(question)} characters; the limit is {limit})"
            )
        return question.strip()

    def answer_standalone(self, question: str, *, filters: Filters | None = None) -> Answer:
        """Answer a question that needs no history (kept for callers of earlier releases)."""
        from rag.query import analyse

        q = analyse(self.check_question(question), filters=filters)
        return self.answer(q, self.hits(q))

    def status(self) -> StoreStatus:
        store = self.store
        records = store.doc_records()
        head = self.embeddings.sparse_head if has_sparse_head(self.embeddings) else ""
        return StoreStatus(
            documents=len(records),
            chunks=store.chunk_count(),
            embedding_model=store.model_name,
            store=str(store.chroma_url or store.dir),
            mode="server" if store.chroma_url else "embedded",
            sources=sorted({r.source for r in records.values() if r.source}),
            generation=store.generation(),
            sparse_codes=len(store.chunk_ids_where({HEAD_KEY: head})) if head else 0,
        )

    def document_text(self, doc_id: str) -> str:
        """The article text, reassembled from its chunks (for "open the whole article")."""
        return self.store.document_text(doc_id)


def is_local(llm: str | None) -> bool:
    """``local``, ``local:NAME`` or ``local:/path/model.gguf``: the in-process model."""
    return bool(llm) and (llm == "local" or str(llm).startswith("local:"))


def _chat_model(settings: Settings) -> BaseChatModel:
    """``init_chat_model("ollama:llama3.1")`` and friends, from ``RAG_LLM``."""
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ConfigError(
            "RAG_LLM needs the optional LLM packages: pip install 'briefings-rag[llm]'"
        ) from exc
    provider, sep, model = str(settings.llm).partition(":")
    if not sep or not model:
        raise ConfigError(f"RAG_LLM {settings.llm!r} must look like 'provider:model'")
    kwargs: dict[str, Any] = {}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    try:
        return init_chat_model(model, model_provider=provider, **kwargs)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot use LLM {settings.llm!r}: {exc}".splitlines()[0]) from exc


def _asked_about(q: Question, said: str, name: str) -> Question:
    """``q`` asked again about the person ``name`` in place of ``said`` (the role, or an
    earlier holder's name), read (topic, templates) as that question, keeping what was
    asked and the role it came from."""
    from rag.query import analyse

    again = analyse(q.text.replace(said, name, 1), filters=q.filters)
    again.asked, again.role, again.role_dates = q.asked, q.role, q.role_dates
    if not again.speaker:  # no template reads the rest: the person all the same
        again.speaker = name
    again.names = list(dict.fromkeys([*again.names, *name.split()]))
    return again
