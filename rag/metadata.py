"""What an article's and a chunk's metadata hold: the one schema its writers and readers share.

Written by the loaders (rag/documents.py: an article's fields), the chunker
(rag/chunking.py: where a chunk sits), ingest (rag/ingest.py: statements and roles, the
vector recipe) and the embedding pass (rag/sparse.py: the latent-terms code); read back
from Chroma by retrieval, the answerers and the derived indexes. Chroma metadata holds
only str, int, float and bool, never None: unknown is "" (or 0), and a key a store made
by an older release lacks reads as its default, which is why readers ``get`` with one.
"""

from __future__ import annotations

from typing import Final, TypedDict

# The sparse latent-terms code of a chunk and the head that made it (rag/sparse.py):
# kilobytes per chunk that only retrieval's own index reads. The store leaves these out of
# what it hands readers (rag/store.py), and keeps them for a caller writing metadata back.
CODE_KEY: Final = "latent_terms"
HEAD_KEY: Final = "latent_head"
INTERNAL_KEYS = frozenset({CODE_KEY, HEAD_KEY})


class _Article(TypedDict, total=False):
    doc_id: str  # unique in the store: a jsonl line's id, else the file's name and path hash
    title: str
    source: str  # the outlet ("Italpress"), "" when unknown
    published_at: str  # ISO date, "" when unknown
    date_key: int  # published_at as YYYYMMDD, 0 when unknown: what date filters compare
    place: str  # the dateline's place ("BRUXELLES"), "" when none
    body_start: int  # where the text starts after the dateline (0 when there is none)
    lang: str  # "it", "en" or "und" (undetermined)
    path: str  # the file, absolute


class ArticleMetadata(_Article, total=False):
    """A loaded ``Document``'s metadata (the whole article)."""

    content_hash: str  # of the NFC text: what tells ingest an article changed


class ChunkMetadata(_Article, total=False):
    """A stored chunk's metadata: its article's fields (not the content hash, which the
    document registry keeps), where the chunk sits in the article, and what ingest found in
    it."""

    chunk_id: str  # hashes the doc id and the text, so equal text, equal id
    chunk_index: int
    char_start: int  # the chunk's offsets in its article's text
    char_end: int
    quotes: str  # JSON list of statements, offsets relative to the chunk (rag/quotes.py)
    speakers: str  # "|surname|surname|": who is quoted, for a cheap membership test
    roles: str  # JSON {role: name} the article gives people (rag/roles.py)
    vector_text: int  # the recipe of what the vector embeds (rag/ingest.py VECTOR_TEXT)
    latent_terms: str  # CODE_KEY: the sparse code, base64 (rag/sparse.py)
    latent_head: str  # HEAD_KEY: which sparse head made it
