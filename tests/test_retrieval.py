from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag import Assistant
from rag.quotes import quotes_from_metadata
from rag.retrieval import Filters, HybridRetriever


@pytest.fixture(scope="module")
def retriever(assistant: Assistant) -> HybridRetriever:
    return assistant.retriever


@pytest.mark.parametrize(
    "question",
    [
        "What did Rutte say about deterrence?",
        "NATO secretary general warns attackers of a devastating response",
        "Cosa ha detto Rutte sulla deterrenza?",
    ],
)
def test_question_finds_the_italian_article_among_distractors(
    retriever: HybridRetriever, question: str
) -> None:
    top = retriever.invoke(question)[0]
    assert top.metadata["source"] == "Italpress"
    assert top.metadata["published_at"] == "2026-02-11"
    assert "Rutte" in top.page_content or "Nato" in top.page_content


def test_english_question_without_shared_words_uses_dense_side(retriever: HybridRetriever) -> None:
    hits = retriever.search("harvest of wine grapes in the hills", k=3)
    assert hits[0].metadata["doc_id"] == "wire-003"
    assert hits[0].dense > 0 and hits[0].bm25 == 0


def test_rare_name_is_found_by_bm25(retriever: HybridRetriever) -> None:
    hits = retriever.search("Whitcombe", k=1)
    assert hits[0].metadata["doc_id"] == "wire-002" and hits[0].bm25 > 0


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters.of(since="2026-02-10"), lambda m: m["published_at"] >= "2026-02-10"),
        (Filters.of(until="2026-01-31"), lambda m: "" < m["published_at"] <= "2026-01-31"),
        (Filters.of(sources=["Fictional Wire"]), lambda m: m["source"] == "Fictional Wire"),
        (Filters.of(since="2026-02-01", until="2026-02-28", sources=["Italpress"]),
         lambda m: m["source"] == "Italpress" and "2026-02-01" <= m["published_at"] <= "2026-02-28"),
    ],
)  # fmt: skip
def test_filters_apply_to_both_retrievers(
    retriever: HybridRetriever, filters: Filters, allowed
) -> None:
    hits = retriever.search("deterrenza porto derby chip vendemmia", k=20, filters=filters)
    assert hits
    assert all(allowed(h.metadata) for h in hits)


def test_invoke_accepts_filters_as_kwargs(retriever: HybridRetriever) -> None:
    docs = retriever.invoke("deterrenza", sources=["Fictional Wire"])
    assert docs and {d.metadata["source"] for d in docs} == {"Fictional Wire"}


def test_bad_filter_date_is_a_clear_error() -> None:
    from rag.errors import ConfigError

    # The message names the forms people type (the web chat shows it under the field).
    with pytest.raises(
        ConfigError, match=r"^--since 'last tuesday' is not a date; write it like 2026-02-11"
    ):
        Filters.of(since="last tuesday")


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    store: Any = None
    embeddings: Any = None

    @pytest.fixture(autouse=True)
    def _bind(self, assistant: Assistant) -> None:
        type(self).store = assistant.store
        type(self).embeddings = assistant.embeddings

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"store": type(self).store, "embeddings": type(self).embeddings}

    @property
    def retriever_query_example(self) -> str:
        return "deterrenza Nato"


def test_an_index_saved_by_an_older_version_is_rebuilt(tmp_path, e5) -> None:
    import json
    import shutil

    from rag import Assistant
    from tests.conftest import SAMPLE

    (tmp_path / "in").mkdir()
    shutil.copy(SAMPLE, tmp_path / "in" / SAMPLE.name)
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([tmp_path / "in"], progress=False)
    a.retriever.search("Rutte")
    meta_path = tmp_path / "s" / "bm25" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta.pop("format")
    meta["entries"] = [row[:4] for row in meta["entries"]]  # the old shape: no language
    meta_path.write_text(json.dumps(meta))
    fresh = Assistant(store=tmp_path / "s", embeddings=e5)
    fresh.retriever.search("Rutte")
    assert json.loads(meta_path.read_text())["entries"][0][4] == "it"


@pytest.mark.parametrize(
    "question", ["What did Rutte say about deterrence?", "Cosa ha detto Rutte sulla deterrenza?"]
)
def test_the_passage_on_the_topic_comes_first_among_the_persons_passages(
    retriever: HybridRetriever, question: str
) -> None:
    """Naming Rutte must not let BM25's name-only match outrank a passage on the topic:
    the first hit quotes Rutte on deterrence (the real wire has two such passages)."""
    top = retriever.search(question, k=20)[0]
    said = [q for q in quotes_from_metadata(top.metadata["quotes"]) if q.speaker == "Mark Rutte"]
    assert any("deterrenza" in top.text[q.start : q.end] for q in said)


class _FakeStore:
    """Just what ``LexicalIndex`` reads from a store: its key, digest and the chunks."""

    def __init__(self, chunks: list[tuple[str, str, str]]) -> None:
        self.chunks = chunks  # (doc id, language, text)

    def key(self):
        from rag.derived import StoreKey

        return StoreKey("fake", 1, len(self.chunks))

    def content_digest(self) -> str:
        from rag.derived import ids_digest

        return ids_digest(f"{doc_id}#0" for doc_id, _, _ in self.chunks)

    def iter_chunks(self):
        for doc_id, lang, text in self.chunks:
            yield f"{doc_id}#0", text, {"doc_id": doc_id, "lang": lang, "title": ""}


def _lexical(tmp_path, chunks: list[tuple[str, str, str]]):
    from rag.lexical import LexicalIndex

    index = LexicalIndex(tmp_path / "bm25")
    index.ensure(_FakeStore(chunks))
    return index


_STEM_CORPUS = [
    ("d-clauses", "en", "The committee rewrote two clauses of the fictional harbour treaty."),
    ("d-ruled", "en", "Judge Ambler ruled that the lighthouse tax was unlawful."),
    ("d-other", "en", "Volunteers painted the old lighthouse before the storm season."),
    ("d-it", "it", "Il consiglio ha approvato le clausole del trattato sul porto."),
]


@pytest.mark.parametrize(
    ("query", "doc"),
    [
        ("clause of the treaty", "d-clauses"),
        ("ruling on the tax", "d-ruled"),
        ("What did Ambler say about rulings?", "d-ruled"),
    ],
)
def test_english_bm25_matches_other_inflections(tmp_path, query: str, doc: str) -> None:
    hits = _lexical(tmp_path, _STEM_CORPUS).hits(query, k=3, lang="en")
    assert hits and hits[0].chunk_id == f"{doc}#0"


def test_has_term_is_exact_although_the_index_is_stemmed(tmp_path) -> None:
    """A made-up surname must not exist because its stem does ('Ambl' ~ 'Ambler')."""
    index = _lexical(tmp_path, _STEM_CORPUS)
    assert index.has_term("Ambler") and index.has_term("clauses")
    assert not index.has_term("Amblers") and not index.has_term("clause")
    assert index.chunks_naming("Ambler") == {"d-ruled#0"}
    assert index.chunks_naming("Amblers") == set()


def test_an_index_built_with_other_stemmers_is_rebuilt(tmp_path) -> None:
    import json

    _lexical(tmp_path, _STEM_CORPUS)
    meta_path = tmp_path / "bm25" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["stemmers"] = {}
    meta_path.write_text(json.dumps(meta))
    index = _lexical(tmp_path, _STEM_CORPUS)
    assert json.loads(meta_path.read_text())["stemmers"]
    assert index.hits("clause", k=1, lang="en")[0].chunk_id == "d-clauses#0"


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Quali prodotti sono stati venduti in farmacia?", "it"),
        ("Quale musicista ha recitato in Stormy Monday?", "it"),
        ("Dove si trovano questi animali?", "it"),
        ("When did Washington reach Fort Le Boeuf?", "en"),
        ("In which year was the harbour treaty signed?", "en"),
    ],
)
def test_short_questions_get_their_language(question: str, lang: str) -> None:
    from rag.query import analyse

    assert analyse(question).lang == lang


def _quote_meta(text: str, quote: str, speaker: str) -> dict[str, Any]:
    import json

    start = text.index(quote)
    key = speaker.split()[-1].lower()
    return {
        "lang": "en",
        "speakers": f"|{key}|",
        "quotes": json.dumps([{"start": start, "end": start + len(quote), "speaker": speaker}]),
    }


_HARBOUR = (
    'Rosa Ambler spoke at the port. "The new clauses protect every fisherman," said Ms Ambler. '
    "Critics said the treaty was rushed."
)


@pytest.mark.parametrize(
    ("question", "quote", "speaker", "expected"),
    [
        ("What did Ambler say about the clause?", "The new clauses protect every fisherman", "Rosa Ambler", True),
        ("What did Ambler say about the treaty?", "The new clauses protect every fisherman", "Rosa Ambler", False),
        ("What did Ambler say about protection?", "The new clauses protect every fisherman", "Rosa Ambler", True),
        ("What did Ambler say about the clause?", "The new clauses protect every fisherman", "Tom Ambler-Reid", False),
        ("What did Ambler say about the new port?", "The new clauses protect every fisherman", "Rosa Ambler", False),
    ],
)  # fmt: skip
def test_a_quote_on_the_topic_needs_the_speaker_and_every_topic_word_inside_the_quote(
    question: str, quote: str, speaker: str, expected: bool
) -> None:
    from rag.query import analyse
    from rag.retrieval import _quotes_on

    meta = _quote_meta(_HARBOUR, quote, speaker)
    assert _quotes_on(analyse(question), _HARBOUR, meta) is expected


def test_the_article_quoting_the_person_on_the_topic_comes_first(tmp_path, e5) -> None:
    """The other article names Ambler and says 'levy' more often, but quotes someone else."""
    import json

    from rag import Assistant

    rows = [
        {
            "id": "levy-report",
            "title": "Harbour levy: the full report on the fishing levy",
            "source": "Fictional Wire",
            "published_at": "2026-03-01",
            "lang": "en",
            "text": "The harbour levy dominated the council. Rosa Ambler attended the levy "
            'debate. "The levy is a fair levy and the levy will stay," said Mr Tom Pardew, '
            "the council leader. The levy raises money for the harbour.",
        },
        {
            "id": "ambler-quote",
            "title": "Fishermen meet in Eastvale",
            "source": "Fictional Wire",
            "published_at": "2026-03-02",
            "lang": "en",
            "text": "Fishermen met in the fictional town of Eastvale on Sunday to discuss the "
            'season, the weather and the prices at the market. "Nobody here can afford '
            'the levy this winter," said Ms Rosa Ambler, who chairs the cooperative.',
        },
    ]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "w.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    a = Assistant(store=tmp_path / "s", embeddings=e5)
    a.ingest([tmp_path / "in"], progress=False)
    hits = a.retriever.search("What did Ambler say about the levy?", k=2)
    assert [h.metadata["doc_id"] for h in hits] == ["ambler-quote", "levy-report"]


_COVERAGE_CORPUS = [
    ("d-full", "en", "Judge Ambler ruled that the lighthouse levy was unlawful."),
    ("d-levy", "en", "The council said the levy would be reviewed next year."),
    ("d-council", "en", "The council met on Monday. The council agreed on the budget."),
    ("d-it", "it", "Il giudice Ambler ha parlato a lungo con i pescatori del porto."),
    *[
        (f"d-pad{i}", "en", f"Weather report number {i}: rain over the council hills.")
        for i in range(8)
    ],
]


@pytest.mark.parametrize(
    ("query", "lang", "names", "doc", "low", "high"),
    [
        ("Judge Ambler lighthouse levy", "en", (), "d-full", 0.99, 1.0),
        ("Judge Ambler lighthouse levy", "en", (), "d-levy", 0.0, 0.3),
        ("Why was the council levy reviewed?", "en", (), "d-levy", 0.8, 1.0),
        ("Why was the council levy reviewed?", "en", (), "d-council", 0.0, 0.15),
        ("Chi è il giudice Ambler del faro?", "it", ("Ambler",), "d-full", 0.1, 0.5),
    ],
)  # fmt: skip
def test_coverage_is_the_share_of_the_questions_information_a_chunk_matches(
    tmp_path, query: str, lang: str, names: tuple[str, ...], doc: str, low: float, high: float
) -> None:
    """Rare words weigh more than common ones; across languages only the name counts."""
    hits = _lexical(tmp_path, _COVERAGE_CORPUS).hits(query, k=20, lang=lang, names=names)
    coverage = {h.chunk_id: h.coverage for h in hits}
    assert low <= coverage[f"{doc}#0"] <= high


@pytest.mark.parametrize("existing_ef", [None, 100])
def test_dense_search_keeps_enough_hnsw_candidates(tmp_path, e5, existing_ef) -> None:
    """Chroma's default ef_search (100) misses true nearest chunks; old stores are raised."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from rag.store import HNSW_EF_SEARCH, Store

    if existing_ef:
        client = chromadb.PersistentClient(
            path=str(tmp_path / "s" / "chroma"),
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        client.get_or_create_collection(
            "briefings",
            configuration={"hnsw": {"space": "cosine", "ef_search": existing_ef}},
            embedding_function=None,
        )
        del client
    Store(tmp_path / "s", embeddings=e5)
    reopened = Store(tmp_path / "s", embeddings=e5)
    assert HNSW_EF_SEARCH >= 400
    assert reopened._chunks.configuration_json["hnsw"]["ef_search"] == HNSW_EF_SEARCH
