"""Files people add through the web chat: named so they never collide, never replace a
document someone else added, and moved aside when they cannot be read.

- A saved name keeps the file's own name (Unicode, NFC, letters, digits and ``._-``) plus
  a short hash of its content, and always its extension: ``Новости.txt`` and
  ``Статья.txt`` stay two files, and a 139-character name is cut in its stem, not its
  ``.txt``.
- An uploaded ``.jsonl`` names its documents with ids of its own; those ids are
  namespaced by the saved file (``upload/<saved name>/<id>``), so a line whose ``id``
  equals an existing document's id adds a new document instead of replacing that one.
  (``rag ingest`` on the command line keeps the ids as written: whoever runs it owns the
  store.)
- An upload that fails to ingest is moved to ``<store>/failed-uploads/``, outside the
  upload folder, so a later ingest of that folder does not trip over it again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

ALLOWED_TYPES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
MAX_STEM_CHARS = 80
FAILED_DIR = "failed-uploads"


def content_tag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:8]


def safe_name(name: str, data: bytes = b"") -> str:
    """A basename that cannot climb out of the upload folder and cannot collide with
    another upload: ``<stem>-<hash of the content><.ext>``."""
    base = unicodedata.normalize("NFC", re.split(r"[\\/]", str(name))[-1])
    stem, dot, ext = base.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        stem, ext = base, ""
    stem = re.sub(r"[^\w.-]+", "_", stem).strip("._")
    stem = re.sub(r"\.{2,}", ".", stem)[:MAX_STEM_CHARS].rstrip("._") or "upload"
    suffix = f".{ext.lower()}" if ext else ""
    return f"{stem}-{content_tag(data)}{suffix}"


def _namespace_jsonl(src: Path, dest: Path) -> None:
    """Copy a jsonl upload, each line's ``id`` prefixed with this upload's namespace.

    Lines that are not JSON objects are copied unchanged, for ingest to report."""
    prefix = f"upload/{dest.name}/"
    with src.open("rb") as fin, dest.open("wb") as fout:
        for raw in fin:
            try:
                row = json.loads(raw)
            except (ValueError, RecursionError):
                fout.write(raw)
                continue
            if isinstance(row, dict) and str(row.get("id") or "").strip():
                row["id"] = prefix + str(row["id"]).strip()
                try:
                    line = json.dumps(row, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate ("\ud800"): kept escaped,
                    line = json.dumps(row).encode("ascii")  # for ingest to name the line
                fout.write(line + b"\n")
            else:
                fout.write(raw)


def save_uploads(paths: list[str], upload_dir: Path, max_mb: int) -> tuple[list[Path], list[str]]:
    """Copy accepted uploads into ``upload_dir``; return (saved paths, rejection messages)."""
    saved: list[Path] = []
    rejected: list[str] = []
    upload_dir.mkdir(parents=True, exist_ok=True)
    root = upload_dir.resolve()
    for p in paths:
        src = Path(p)
        shown = unicodedata.normalize("NFC", src.name)
        suffix = Path(shown).suffix.lower()
        if suffix not in ALLOWED_TYPES:
            rejected.append(f"{shown}: unsupported file type (allowed: {', '.join(ALLOWED_TYPES)})")
            continue
        size = src.stat().st_size
        if size > max_mb * 1024 * 1024:
            rejected.append(f"{shown}: {size / 1048576:.1f} MB is above the {max_mb} MB limit")
            continue
        dest = (root / safe_name(src.name, src.read_bytes())).resolve()
        if dest.parent != root:  # belt and braces: never write outside the upload folder
            rejected.append(f"{shown}: invalid file name")
            continue
        if suffix == ".jsonl":
            _namespace_jsonl(src, dest)
        else:
            shutil.copyfile(src, dest)
        saved.append(dest)
    return saved, rejected


def move_failed(path: Path, upload_dir: Path) -> Path | None:
    """Move a failed upload out of ``upload_dir`` (to ``<store>/failed-uploads/``)."""
    path = Path(path).resolve()
    root = upload_dir.resolve()
    if path.parent != root or not path.exists():
        return None
    failed = root.parent / FAILED_DIR
    failed.mkdir(parents=True, exist_ok=True)
    target = failed / path.name
    path.replace(target)
    return target


def ingest_uploads(
    assistant: Any,
    saved: list[Path],
    upload_dir: Path,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> tuple[Any, list[str]]:
    """Ingest saved uploads: (the report, None when nothing went in; a line per failure).

    Together first; when that fails as a whole, one by one, so one poison file is one
    named failure. Every file that fails, whole or in part, is moved aside."""
    lines: list[str] = []
    try:
        report = assistant.ingest(saved, progress=False, on_progress=on_progress)
    except Exception as err:  # noqa: BLE001 - any fault here is reported, not raised
        if len(saved) == 1:
            move_failed(saved[0], upload_dir)
            return None, [f"Failed {saved[0].name}: {type(err).__name__}: {err}"]
        report = _one_by_one(assistant, saved, upload_dir, lines)
    if report is not None and report.changed:
        assistant.start_sentence_fill()
    for f in report.failed if report is not None else []:
        moved = move_failed(Path(f.path), upload_dir)
        where = " (moved to failed-uploads)" if moved else ""
        lines.append(f"Failed {Path(f.path).name}: {f.reason}{where}")
    return report, lines


def _one_by_one(assistant: Any, saved: list[Path], upload_dir: Path, lines: list[str]) -> Any:
    reports = []
    for path in saved:
        try:
            reports.append(assistant.ingest([path], progress=False))
        except Exception as err:  # noqa: BLE001
            move_failed(path, upload_dir)
            lines.append(f"Failed {path.name}: {type(err).__name__}: {err}")
    if not reports:
        return None
    merged = reports[0]
    for r in reports[1:]:
        for name in ("added", "updated", "unchanged", "removed", "failed", "undated"):
            getattr(merged, name).extend(getattr(r, name))
        merged.chunks_embedded += r.chunks_embedded
        merged.seconds += r.seconds
    return merged
