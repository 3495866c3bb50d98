import time

import pytest
from langchain_core.documents import Document

from rag.chunking import chunk_document, split_sentences
from rag.documents import load_file
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def sample_doc() -> Document:
    return load_file(SAMPLE).documents[0]


def test_sentences_respect_abbreviations_and_quotes() -> None:
    text = 'Mr. Smith arrived. "We won," he said. Il dott. Rossi è qui! Poi è partito.'
    got = [text[s.start : s.end] for s in split_sentences(text)]
    assert got == [
        "Mr. Smith arrived.",
        '"We won," he said.',
        "Il dott. Rossi è qui!",
        "Poi è partito.",
    ]


# A month abbreviation before a number is a date, not a sentence's end; before a capital
# it may end one. The towns are fictional.
@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        pytest.param("DUNMERE, Feb. 9, 2026 (PA) — The bridge will close. It reopens in May.",
                     ["DUNMERE, Feb. 9, 2026 (PA) — The bridge will close.", "It reopens in May."],
                     id="feb-dateline"),
        pytest.param("KESTERBY, Nov. 14, 2026 — Work starts on Sept. 3 and ends on Dec. 20. Then rest.",
                     ["KESTERBY, Nov. 14, 2026 — Work starts on Sept. 3 and ends on Dec. 20.", "Then rest."],
                     id="english-months"),
        pytest.param("(AGI) - Valbruna, 7 mar. 2026 - Il cantiere apre il 3 giu. 2026 e chiude a ott. "
                     "Poi si vedrà.",
                     ["(AGI) - Valbruna, 7 mar. 2026 - Il cantiere apre il 3 giu. 2026 e chiude a ott.",
                      "Poi si vedrà."], id="italian-months"),
        pytest.param("The works end in Jan. The council meets in Feb. 2027 again.",
                     ["The works end in Jan.", "The council meets in Feb. 2027 again."],
                     id="month-before-capital-ends-a-sentence"),
        pytest.param("Il bilancio è chiuso. 12 consiglieri hanno votato.",
                     ["Il bilancio è chiuso.", "12 consiglieri hanno votato."],
                     id="other-words-before-a-number-end-a-sentence"),
    ],
)  # fmt: skip
def test_month_abbreviation_before_a_number_does_not_end_a_sentence(
    text: str, sentences: list[str]
) -> None:
    assert [text[s.start : s.end] for s in split_sentences(text)] == sentences


# The word before each full stop is looked for a few characters back, not from the
# sentence's start: a 100 kB paragraph of initials once took minutes.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("A. " * 33_000, id="initials"),
        pytest.param("Feb. 9 " * 14_000, id="month-dates"),
        pytest.param("Il sindaco parla. " * 5_500, id="sentences"),
    ],
)
def test_sentence_splitting_is_linear_on_100kb(text: str) -> None:
    started = time.perf_counter()
    split_sentences(text)
    assert time.perf_counter() - started < 1.0


def test_chunks_cover_the_text_with_exact_offsets(sample_doc: Document) -> None:
    chunks = chunk_document(sample_doc, max_chars=400, overlap_sentences=1)
    assert len(chunks) > 1
    for c in chunks:
        start, end = c.metadata["char_start"], c.metadata["char_end"]
        assert sample_doc.page_content[start:end] == c.page_content
        assert len(c.page_content) <= 400 or "." not in c.page_content[:-1]
    assert chunks[0].metadata["char_start"] == 0
    assert chunks[-1].metadata["char_end"] == len(sample_doc.page_content.rstrip())


def test_overlap_repeats_the_last_sentence(sample_doc: Document) -> None:
    chunks = chunk_document(sample_doc, max_chars=400, overlap_sentences=1)
    overlapped = 0
    for a, b in zip(chunks, chunks[1:], strict=False):
        if len(split_sentences(a.page_content)) > 1:  # a one-sentence chunk cannot overlap
            last = split_sentences(a.page_content)[-1]
            assert b.page_content.startswith(a.page_content[last.start : last.end])
            overlapped += 1
    assert overlapped >= 1
    no_overlap = chunk_document(sample_doc, max_chars=400, overlap_sentences=0)
    for a, b in zip(no_overlap, no_overlap[1:], strict=False):
        assert b.metadata["char_start"] >= a.metadata["char_end"]


def test_chunk_ids_are_stable_and_content_derived(sample_doc: Document) -> None:
    first = [c.id for c in chunk_document(sample_doc, max_chars=400)]
    again = [c.id for c in chunk_document(sample_doc, max_chars=400)]
    assert first == again and len(set(first)) == len(first)
    edited = Document(
        page_content=sample_doc.page_content.replace("devastante", "terribile"),
        metadata=sample_doc.metadata,
    )
    changed = [c.id for c in chunk_document(edited, max_chars=400)]
    assert changed != first
    assert set(changed) & set(first), "untouched chunks keep their ids"


def test_every_chunk_carries_document_metadata(sample_doc: Document) -> None:
    for c in chunk_document(sample_doc):
        for key in ("doc_id", "title", "source", "published_at", "lang", "path"):
            assert c.metadata[key] == sample_doc.metadata[key]


def test_overlong_sentence_is_cut() -> None:
    # Distinct words: identical chunks are kept once (see the next test).
    words = [f"parola{i}" for i in range(500)]
    doc = Document(page_content=" ".join(words), metadata={"doc_id": "x"})
    chunks = chunk_document(doc, max_chars=300, overlap_sentences=0)
    assert all(len(c.page_content) <= 300 for c in chunks)
    assert "".join(c.page_content.replace(" ", "") for c in chunks) == "".join(words)


@pytest.mark.parametrize("max_chars", [200, 900])
def test_repeated_text_gives_each_chunk_once(max_chars: int) -> None:
    line = "Riga di testo ripetuta per il file enorme. " * 12
    doc = Document(
        page_content=(line + "\n") * 40 + "Il sindaco ha parlato del porto.",
        metadata={"doc_id": "rep"},
    )
    chunks = chunk_document(doc, max_chars=max_chars)
    ids = [c.id for c in chunks]
    assert len(set(ids)) == len(ids)
    assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks)))
    assert "sindaco" in chunks[-1].page_content
