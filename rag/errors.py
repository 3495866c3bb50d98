"""Every error the assistant raises on purpose.

    RagError                    base: one line, meant for a user
    ├── ConfigError             bad settings, unknown backend names
    │   └── UnknownModelError   an embedding/LLM name we cannot resolve
    ├── DocumentError           a file that cannot be read or parsed
    ├── StoreError              the Chroma store cannot be opened or used
    │   ├── EmbeddingMismatchError  store built with another embedding model
    │   ├── StoreLockedError    another ingest holds the store
    │   ├── DiskFullError       no space left where the store writes
    │   ├── ReadOnlyStoreError  the store cannot be written (reads still work)
    │   ├── IndexCorruptError   the vector index cannot be read
    │   └── ServerUnreachableError  the `chroma run` server does not answer
    ├── IngestError             an ingest that could not run at all
    └── QuestionError           an empty or unusable question

Messages are a single line; extra context lives in attributes.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: ``str(err)`` is a one-line message for the user."""


class ConfigError(RagError):
    pass


class UnknownModelError(ConfigError, KeyError):
    def __init__(self, name: str, known: list[str] | None = None) -> None:
        self.name = name
        self.known = known or []
        hint = f" (known: {', '.join(self.known)})" if self.known else ""
        super().__init__(f"unknown model {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DocumentError(RagError):
    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class StoreError(RagError):
    pass


class EmbeddingMismatchError(StoreError):
    def __init__(self, *, store_model: str, requested_model: str) -> None:
        self.store_model = store_model
        self.requested_model = requested_model
        super().__init__(
            f"this store was built with embedding model {store_model!r}, not "
            f"{requested_model!r}; use RAG_EMBEDDINGS={store_model} or re-index into a new "
            f"store (--store NEW_DIR)"
        )


class StoreLockedError(StoreError):
    pass


class DiskFullError(StoreError):
    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(f"disk full at {where}: free space and rerun")


class ReadOnlyStoreError(StoreError):
    def __init__(self, where: str) -> None:
        self.where = where
        super().__init__(
            f"the store at {where} is read-only: questions work, but ingest needs to write; "
            "make it writable or pass --store NEW_DIR"
        )


class IndexCorruptError(StoreError):
    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(
            f"the vector index of the store at {where} is corrupt ({detail}); run `rag check "
            "--repair` to rebuild it from the briefings' files"
        )


class ServerUnreachableError(StoreError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(
            f"cannot reach the Chroma server at {url}: start it (`chroma run --path DIR`) "
            "or drop --chroma-url"
        )


class IngestError(RagError):
    pass


class QuestionError(RagError):
    pass
