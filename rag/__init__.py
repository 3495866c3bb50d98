"""Briefings assistant: quoted, dated, cited answers over news briefings, offline.

    from rag import Assistant, build_chain
    assistant = Assistant(store="./.rag")
    assistant.ingest(["corpus/"])
    answer = assistant.ask("What did Rutte say about deterrence?")

Names are imported lazily so ``import rag`` (and ``rag --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.answer.models import Answer, Claim, Source
    from rag.assistant import Assistant, StoreStatus
    from rag.chain import build_chain
    from rag.config import Settings
    from rag.errors import (
        ConfigError,
        DocumentError,
        EmbeddingMismatchError,
        IngestError,
        QuestionError,
        RagError,
        StoreError,
        StoreLockedError,
        UnknownModelError,
    )
    from rag.ingest import Failure, IngestReport
    from rag.retrieval import HybridRetriever

__all__ = [
    "Answer",
    "Assistant",
    "Claim",
    "ConfigError",
    "DocumentError",
    "EmbeddingMismatchError",
    "Failure",
    "HybridRetriever",
    "IngestError",
    "IngestReport",
    "QuestionError",
    "RagError",
    "Settings",
    "Source",
    "StoreError",
    "StoreLockedError",
    "StoreStatus",
    "UnknownModelError",
    "build_chain",
]

_WHERE = {
    "Answer": "rag.answer.models",
    "Claim": "rag.answer.models",
    "Source": "rag.answer.models",
    "Assistant": "rag.assistant",
    "StoreStatus": "rag.assistant",
    "build_chain": "rag.chain",
    "Settings": "rag.config",
    "Failure": "rag.ingest",
    "IngestReport": "rag.ingest",
    "HybridRetriever": "rag.retrieval",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    if name in __all__:
        return getattr(import_module("rag.errors"), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
