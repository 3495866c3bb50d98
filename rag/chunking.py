"""Sentence-aware chunks with a small overlap and content-derived ids.

Hand-written rather than RecursiveCharacterTextSplitter because chunks must end on
sentence boundaries (quotes are answered sentence by sentence) and must know their
character offsets in the article (answers cite the quote's exact position).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_core.documents import Document

from rag.config import DEFAULT_CHUNK_CHARS, DEFAULT_CHUNK_OVERLAP_SENTENCES

_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sig", "sigg", "dott", "on", "st", "jr", "sr", "gen",
    "col", "avv", "ing", "vs", "etc", "ecc", "n", "no", "art", "pag", "p", "co", "inc", "ltd",
}  # fmt: skip
# Month abbreviations: before a number they are a date ("DUNMERE, Feb. 9, 2026", "7 mar.
# 2026"), never a sentence's end; before a capital they may end one ("... in Mar. The").
_MONTH_ABBREV = frozenset(
    "jan feb mar apr jun jul aug sept sep oct nov dec gen mag giu lug ago set ott dic".split()
)
_WORD_WINDOW = 40  # how far back the word before a full stop is looked for: keeps it linear
# A sentence ends at . ! ? or … (optionally followed by closing quotes/brackets),
# then whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"[.!?…]+[\"”»’)\]]*\s+(?=[\"“«‘(\[]?[A-ZÀ-ÖØ-Þ0-9])")
_PARA = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Sentence spans (start, end) of ``text``; paragraph breaks always end a sentence."""
    spans: list[Span] = []
    for para in _iter_paragraphs(text):
        start = para.start
        for m in _BOUNDARY.finditer(text, para.start, para.end):
            window = text[max(start, m.start() - _WORD_WINDOW) : m.start() + 1]
            word = re.search(r"(\w+)[.!?…]*$", window)
            if word and text[m.start()] == "." and m.end() - m.start() <= 2:
                w = word.group(1).lower()
                if w in _ABBREV or len(w) == 1:
                    continue
                if w in _MONTH_ABBREV and text[m.end() : m.end() + 1].isdigit():
                    continue
            end = m.end()
            spans.append(_trim(text, start, end))
            start = end
        if start < para.end:
            spans.append(_trim(text, start, para.end))
    return [s for s in spans if s.end > s.start]


def _iter_paragraphs(text: str) -> list[Span]:
    out, start = [], 0
    for m in _PARA.finditer(text):
        out.append(Span(start, m.start()))
        start = m.end()
    out.append(Span(start, len(text)))
    return [_trim(text, p.start, p.end) for p in out if text[p.start : p.end].strip()]


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def chunk_id(doc_id: str, text: str) -> str:
    """Same document + same text -> same id, across runs and machines."""
    return hashlib.sha1(f"{doc_id}\x00{text}".encode()).hexdigest()[:32]


def chunk_document(
    doc: Document,
    *,
    max_chars: int = DEFAULT_CHUNK_CHARS,
    overlap_sentences: int = DEFAULT_CHUNK_OVERLAP_SENTENCES,
) -> list[Document]:
    """Pack whole sentences into chunks of at most ``max_chars`` (a longer sentence is cut).

    Each chunk's metadata is the document's plus ``chunk_id``, ``chunk_index``,
    ``char_start`` and ``char_end`` (offsets in the document text).
    """
    text = doc.page_content
    sentences: list[Span] = []
    for s in split_sentences(text):
        # A sentence longer than a chunk (tables, run-on text) is cut at word boundaries.
        start = s.start
        while s.end - start > max_chars:
            cut = text.rfind(" ", start, start + max_chars)
            cut = cut if cut > start else start + max_chars
            sentences.append(_trim(text, start, cut))
            start = cut
        sentences.append(_trim(text, start, s.end))
    sentences = [s for s in sentences if s.end > s.start]

    chunks: list[Document] = []
    seen: set[str] = set()
    i = 0
    while i < len(sentences):
        j = i
        while j < len(sentences) and (j == i or sentences[j].end - sentences[i].start <= max_chars):
            j += 1
        start, end = sentences[i].start, sentences[j - 1].end
        body = text[start:end]
        # Repeated text (boilerplate, a pasted paragraph) would repeat the chunk id; the
        # first occurrence already makes it retrievable.
        if body not in seen:
            seen.add(body)
            meta = dict(doc.metadata)
            meta.update(
                chunk_id=chunk_id(str(meta.get("doc_id", "")), body),
                chunk_index=len(chunks),
                char_start=start,
                char_end=end,
            )
            chunks.append(Document(page_content=body, metadata=meta, id=meta["chunk_id"]))
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap_sentences)
    return chunks
