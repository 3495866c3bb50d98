"""The typed results every answerer returns (JSON-serialisable pydantic models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from rag.metadata import ChunkMetadata


class Source(BaseModel):
    """One cited passage. ``n`` is the citation number used in ``Answer.text``."""

    n: int
    doc_id: str
    title: str = ""
    source: str = ""
    published_at: str = ""
    quote: str = ""
    score: float = 0.0
    speaker: str = ""
    char_start: int = -1  # offsets of ``quote`` in the article text, -1 when unknown
    char_end: int = -1
    chunk_id: str = ""
    path: str = ""
    context: str = ""  # the chunk the quote came from, for display
    # The sentence of ``quote`` that answers the question best, by the extractive answer's
    # own ranking ('' when the quote is one sentence): what a written answer reports.
    focus: str = ""

    @classmethod
    def from_chunk(
        cls,
        n: int,
        meta: ChunkMetadata,
        *,
        chunk_id: str,
        context: str,
        quote: str,
        score: float,
        char_start: int,
        char_end: int,
        speaker: str = "",
        focus: str = "",
    ) -> Source:
        """A citation of ``quote`` found in the chunk whose metadata is ``meta``."""
        return cls(
            n=n,
            doc_id=meta.get("doc_id", ""),
            title=meta.get("title", ""),
            source=meta.get("source", ""),
            published_at=meta.get("published_at", ""),
            quote=quote,
            score=round(score, 4),
            speaker=speaker,
            focus=focus,
            char_start=char_start,
            char_end=char_end,
            chunk_id=chunk_id,
            path=meta.get("path", ""),
            context=context,
        )

    def citation(self) -> str:
        parts = [p for p in (self.source, self.published_at) if p]
        return ", ".join(parts) if parts else self.title


class Claim(BaseModel):
    """A sentence of the answer and the citation numbers backing it."""

    text: str
    citations: list[int] = Field(default_factory=list)
    verified: bool = True


class Answer(BaseModel):
    question: str
    text: str
    sources: list[Source] = Field(default_factory=list)
    refused: bool = False
    speaker: str = ""
    claims: list[Claim] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # Similarity of the best passage to the question's topic (what refusal thresholds test).
    confidence: float = 0.0
    # The evidence the answer-or-refuse decision weighed (best score, background, margin).
    signals: dict[str, float] = Field(default_factory=dict)
    # The local model's short answer over this answer's quotes, checked sentence by sentence
    # (rag/answer/written.py); None when no model wrote one.
    generated: Answer | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The ``rag ask --json`` shape (DESIGN.md), plus per-claim citations."""
        return {
            "answer": self.text,
            "refused": self.refused,
            "speaker": self.speaker,
            "sources": [
                s.model_dump(exclude={"context", "path", "chunk_id", "focus"}) for s in self.sources
            ],
            "claims": [c.model_dump() for c in self.claims],
            "notes": self.notes,
            "confidence": round(self.confidence, 4),
            **({"generated": self.generated.to_json_dict()} if self.generated else {}),
        }
