"""``ChatLocal``: a LangChain chat model over llama.cpp, in-process (``xllamacpp``).

``local`` is the default model, ``local:qwen2.5-0.5b`` the small one, ``local:/path/x.gguf``
any GGUF a user brings; the chat template is the one inside the GGUF. The model loads once
per process, in a thread started by ``warm_up``; xllamacpp's loader holds the GIL while it
runs (every Python thread stalls, measured 6-10 s on the busy machine), so callers load it
when no answer waits. Generation releases the GIL (stalls of at most 0.07 s measured), so
extractive answers proceed while the model writes, and one lock queues generations:
llama.cpp on 2 cores is no faster answering two questions at once, and a queue keeps each
answer's first token as early as it can be.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from rag.errors import ConfigError

DEFAULT_CTX = 2048  # three statements and two sentences need ~600 tokens
DEFAULT_MAX_TOKENS = 160  # two short sentences fit; a runaway answer stops in ~6 s

_loaded: dict[tuple[str, int, int], Future[Any]] = {}
_loaded_lock = threading.Lock()
# One generation at a time per process, whichever model object asks.
GENERATION_LOCK = threading.Lock()


def resolve(spec: str) -> Path:
    """The GGUF file for ``local``, ``local:NAME`` or ``local:/path.gguf``; a one-line
    ``ConfigError`` when it is missing or not what it should be."""
    from rag.llm.weights import locate

    name = spec.partition(":")[2] if ":" in spec else ""
    if name and (name.endswith(".gguf") or os.sep in name or name.startswith(".")):
        path = Path(name).expanduser()
        if not path.is_file():
            raise ConfigError(f"no GGUF model file at {path}")
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise ConfigError(f"{path} is not a GGUF model file")
        return path
    return locate(name or None)


def auto_threads() -> int:
    """Two threads on a quiet machine, one on a busy one.

    llama.cpp's threads meet at a barrier after every layer, so a thread the OS deschedules
    stalls the other: on the shared 2-core machine (load ~15) two threads generated 10x
    slower than one (bench/BENCHMARKS.md)."""
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0] >= cores
    except OSError:
        busy = False
    return 1 if busy or cores < 2 else 2


def _load(path: str, threads: int, n_ctx: int) -> Any:
    try:
        import xllamacpp
    except ImportError as exc:
        raise ConfigError(
            "the local model needs xllamacpp: pip install 'briefings-rag[local]'"
        ) from exc
    params = xllamacpp.CommonParams()
    params.model.path = path
    params.n_ctx = n_ctx
    params.n_parallel = 1
    # Prompts are a few hundred tokens: a smaller batch keeps llama.cpp's compute buffers
    # (and the process's RSS) small at no cost in speed.
    params.n_batch = 512
    params.n_ubatch = 512
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False
    params.verbosity = -1  # llama.cpp's per-token log lines would flood the server log
    params.use_jinja = True  # the GGUF's own chat template (Qwen's)
    return xllamacpp.Server(params)


def load(path: Path, *, threads: int = 2, n_ctx: int = DEFAULT_CTX) -> Future[Any]:
    """The process's one server for ``path``, loading in a background thread."""
    key = (str(path), threads, n_ctx)
    with _loaded_lock:
        if key not in _loaded:
            future: Future[Any] = Future()

            def run() -> None:
                try:
                    future.set_result(_load(*key))
                except BaseException as exc:  # handed to whoever waits for the model
                    future.set_exception(exc)

            threading.Thread(target=run, name="rag-llm-load", daemon=True).start()
            _loaded[key] = future
        return _loaded[key]


def _usage(timings: dict[str, Any]) -> AIMessageChunk:
    """An empty chunk carrying the token counts (LangChain's ``usage_metadata``) and
    llama.cpp's timings; ``cache_n`` prompt tokens were reused from the previous request."""
    prompt, generated = int(timings.get("prompt_n", 0)), int(timings.get("predicted_n", 0))
    cached = int(timings.get("cache_n", 0))
    return AIMessageChunk(
        content="",
        usage_metadata={
            "input_tokens": prompt + cached,
            "output_tokens": generated,
            "total_tokens": prompt + cached + generated,
            "input_token_details": {"cache_read": cached},
        },
        response_metadata={"timings": timings},
    )


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


class ChatLocal(BaseChatModel):
    """A GGUF chat model run by llama.cpp in this process."""

    model_path: str
    threads: int = 0  # 0: auto_threads() when the model loads
    n_ctx: int = DEFAULT_CTX
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 0.0  # greedy: the same quotes give the same answer
    stop: list[str] = Field(default_factory=list)
    # A last assistant message is a reply begun for the model, which llama.cpp continues
    # (its ``prefill_assistant``, on by default): the stream holds only the continuation.
    continues_reply: bool = True
    _future: Future[Any] | None = PrivateAttr(default=None)

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> ChatLocal:
        return cls(model_path=str(resolve(spec)), **kwargs)

    @property
    def _llm_type(self) -> str:
        return "llama.cpp-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "threads": self.threads}

    def warm_up(self) -> Future[Any]:
        """Start loading (once per process); returns at once."""
        if self._future is None:
            threads = self.threads or auto_threads()
            self._future = load(Path(self.model_path), threads=threads, n_ctx=self.n_ctx)
        return self._future

    @property
    def ready(self) -> bool:
        return self.warm_up().done()

    def _server(self) -> Any:
        try:
            return self.warm_up().result()
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"the local model {self.model_path} did not load: {exc}") from exc

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, max_tokens: int | None = None
    ) -> dict[str, Any]:
        return {
            "messages": [{"role": _role(m), "content": str(m.content)} for m in messages],
            "max_tokens": max_tokens or self.max_tokens,
            "temperature": self.temperature,
            "stop": [*(stop or []), *self.stop],
            "stream": True,
        }

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        server = self._server()
        request = self._request(messages, stop, kwargs.get("max_tokens"))
        deltas: queue.Queue[Any] = queue.Queue()
        done = object()

        def on_chunk(chunk: Any) -> None:
            data = json.loads(chunk) if isinstance(chunk, str) else chunk
            deltas.put(data)

        def generate() -> None:
            try:
                with GENERATION_LOCK:
                    server.handle_chat_completions(request, on_chunk)
            except BaseException as exc:
                deltas.put(exc)
            finally:
                deltas.put(done)

        threading.Thread(target=generate, name="rag-llm-generate", daemon=True).start()
        while (item := deltas.get()) is not done:
            if isinstance(item, BaseException):
                raise ConfigError(f"the local model failed: {item}") from item
            if "error" in item:
                raise ConfigError(f"the local model failed: {item['error']}")
            for choice in item.get("choices", []):
                text = (choice.get("delta") or {}).get("content") or ""
                if text:
                    if run_manager:
                        run_manager.on_llm_new_token(text)
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text))
            if timings := item.get("timings"):
                # The last chunk: llama.cpp's own counts, which is what the time budget is
                # made of (prompt tokens at ~78/s, generated ones at ~29/s on 2 quiet cores).
                yield ChatGenerationChunk(message=_usage(timings))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(
            str(c.message.content) for c in self._stream(messages, stop, run_manager, **kwargs)
        )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
