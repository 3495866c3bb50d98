"""Loaders: files on disk -> LangChain ``Document`` objects with briefing metadata.

Every document carries ``doc_id``, ``title``, ``source``, ``published_at`` (ISO date or ""),
``place``, ``lang`` and ``path``. Chroma metadata cannot hold ``None``, so unknown is "".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from langchain_core.documents import Document

from rag.errors import DocumentError
from rag.text import detect_language

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")
DEFAULT_MAX_FILE_MB = 20  # a briefing is kilobytes; 20 MB of text is ~25k chunks

# Agency datelines, e.g. " date 2026-02-11 BRUXELLES (BELGIO) (ITALPRESS) – Alla vigilia ..."
# or "ROMA (ITALPRESS) - ...": optional ISO date, an upper-case place, an optional
# upper-case region in brackets, the agency in brackets, then a dash.
_UPPER = r"A-ZÀÈÉÌÒÓÙ"
_DATELINE = re.compile(
    rf"^\s*(?:date\s+(?P<date>\d{{4}}-\d{{2}}-\d{{2}})\s+)?"
    rf"(?P<place>[{_UPPER}][{_UPPER}'’ .-]{{1,40}}?)\s*"
    rf"(?:\((?P<region>[{_UPPER}][{_UPPER}'’ .-]{{1,40}})\)\s*)?"
    rf"\((?P<agency>[{_UPPER}][{_UPPER}0-9 .&-]{{1,20}})\)\s*[–—-]\s*"
)
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@dataclass(frozen=True)
class Dateline:
    published_at: str
    place: str
    source: str
    end: int  # offset where the article body starts


def parse_dateline(text: str) -> Dateline | None:
    """Parse an agency dateline at the start of ``text`` (first 300 characters)."""
    m = _DATELINE.match(text[:300])
    if not m:
        return None
    place = m.group("place").strip(" .-")
    if m.group("region"):
        place = f"{place} ({m.group('region').strip()})"
    return Dateline(
        published_at=m.group("date") or "",
        place=place.title(),
        source=m.group("agency").strip().title(),
        end=m.end(),
    )


def normalize_date(value: object) -> str:
    """ISO date (YYYY-MM-DD) from an ISO date or date-time string; "" when unknown."""
    if not value:
        return ""
    m = _ISO_DATE.search(str(value))
    if not m:
        return ""
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""


def date_key(iso: str) -> int:
    """YYYYMMDD as an int: Chroma filters compare numbers, not strings."""
    return int(iso.replace("-", "")) if iso else 0


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "doc"


def file_doc_id(path: Path) -> str:
    """Stable id for a file: its name plus a hash of its absolute path."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return f"{_slug(path.stem)}-{digest}"


@dataclass
class LoadedFile:
    """What one file yielded: documents, plus per-line problems (for .jsonl)."""

    path: Path
    documents: list[Document] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _decode(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{path}: binary data, not text", path=str(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Italian archives are often Latin-1/Windows-1252; cp1252 is a superset for text.
        text = raw.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * max(1, min(len(text), 8192)):
        raise DocumentError(f"{path}: binary data, not text", path=str(path))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _article(
    text: str,
    *,
    doc_id: str,
    path: Path,
    title: str = "",
    source: str = "",
    published_at: str = "",
    lang: str = "",
) -> Document:
    text = text.strip()
    place = ""
    body_start = 0
    dl = parse_dateline(text)
    if dl is not None:
        place = dl.place
        source = source or dl.source
        published_at = published_at or dl.published_at
        body_start = dl.end
    published_at = normalize_date(published_at)
    return Document(
        page_content=text,
        metadata={
            "doc_id": doc_id,
            "title": (title or path.stem).strip()[:300],
            "source": source or "",
            "published_at": published_at,
            "date_key": date_key(published_at),
            "place": place,
            "lang": lang or detect_language(text[body_start:] or text),
            "path": str(path),
            "content_hash": content_hash(text),
        },
    )


def _split_title(text: str) -> tuple[str, str]:
    """A short first line followed by a blank line is the title."""
    stripped = text.lstrip("\ufeff\n ")
    first, sep, rest = stripped.partition("\n")
    if sep and rest.startswith("\n") and 0 < len(first.strip()) <= 200 and rest.strip():
        if parse_dateline(first) is None:
            return first.strip().lstrip("# ").strip(), rest
    return "", stripped


def _load_text(path: Path, raw: bytes) -> list[Document]:
    title, body = _split_title(_decode(raw, path))
    if not body.strip():
        raise DocumentError(f"{path}: empty file", path=str(path))
    return [_article(body, doc_id=file_doc_id(path), path=path, title=title)]


def _load_html(path: Path, raw: bytes) -> list[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(raw, path), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        if tag.name == "head":
            continue
        tag.decompose()
    title = ""
    if soup.title and soup.title.string:
        title = soup.title.string.strip()
    elif (h1 := soup.find("h1")) is not None:
        title = h1.get_text(" ", strip=True)
    if soup.head:
        soup.head.decompose()
    blocks = [
        el.get_text(" ", strip=True)
        for el in soup.find_all(["p", "h1", "h2", "h3", "h4", "li", "blockquote", "pre", "td"])
    ]
    text = "\n\n".join(b for b in blocks if b)
    if not text:
        text = soup.get_text("\n", strip=True)
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    if not text.strip():
        raise DocumentError(f"{path}: no visible text", path=str(path))
    return [_article(text, doc_id=file_doc_id(path), path=path, title=title)]


def _load_pdf(path: Path, raw: bytes) -> list[Document]:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs what it then raises; the DocumentError below already tells the user.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{path}: not a readable PDF ({exc})", path=str(path)) from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise DocumentError(f"{path}: PDF has no extractable text", path=str(path))
    title, body = _split_title(text)
    return [_article(body, doc_id=file_doc_id(path), path=path, title=meta_title or title)]


def _load_jsonl(path: Path, loaded: LoadedFile) -> None:
    with path.open("rb") as fh:
        for lineno, raw_line in enumerate(fh, 1):
            line = raw_line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
                text = str(row.get("text") or "")
                if not text.strip():
                    raise ValueError("no text")
                doc_id = str(row.get("id") or "").strip()
                if not doc_id:
                    raise ValueError("no id")
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                loaded.problems.append(f"{path}:{lineno}: {exc}")
                continue
            loaded.documents.append(
                _article(
                    text,
                    doc_id=doc_id,
                    path=path,
                    title=str(row.get("title") or doc_id),
                    source=str(row.get("source") or ""),
                    published_at=str(row.get("published_at") or ""),
                    lang=str(row.get("lang") or ""),
                )
            )


def load_file(path: str | os.PathLike[str], *, max_mb: int = DEFAULT_MAX_FILE_MB) -> LoadedFile:
    """Load one file. Raises ``DocumentError`` when nothing in it can be used.

    Files over ``max_mb`` are refused before they are read, so memory stays bounded.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type {suffix or '(none)'}", path=str(path))
    try:
        size = path.stat().st_size
        if size > max_mb * 2**20:
            raise DocumentError(
                f"{path}: file too large ({size / 2**20:.0f} MB; the limit is {max_mb} MB, "
                "set RAG_MAX_FILE_MB to raise it)",
                path=str(path),
            )
        loaded = LoadedFile(path=path)
        if suffix == ".jsonl":
            _load_jsonl(path, loaded)
            if not loaded.documents and not loaded.problems:
                raise DocumentError(f"{path}: empty file", path=str(path))
            return loaded
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})", path=str(path)) from exc
    if not raw.strip():
        raise DocumentError(f"{path}: empty file", path=str(path))
    if suffix in (".html", ".htm"):
        loaded.documents = _load_html(path, raw)
    elif suffix == ".pdf":
        loaded.documents = _load_pdf(path, raw)
    else:
        loaded.documents = _load_text(path, raw)
    return loaded


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Supported files under ``paths`` (files or folders), sorted, each once.

    Symlinked folders are not followed, so a symlink loop cannot hang the walk.
    Hidden files and folders are skipped. A missing path raises ``DocumentError``.
    """
    seen: set[Path] = set()
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise DocumentError(f"{path}: no such file or folder", path=str(path))
        if path.is_dir():
            candidates: list[Path] = []
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                candidates.extend(
                    Path(root) / f
                    for f in sorted(files)
                    if not f.startswith(".") and Path(f).suffix.lower() in SUPPORTED_SUFFIXES
                )
        else:
            candidates = [path]
        for c in candidates:
            key = c.absolute()
            if key not in seen:
                seen.add(key)
                yield c
