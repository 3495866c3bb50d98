"""Loaders: files on disk -> LangChain ``Document`` objects with briefing metadata.

Every document carries ``doc_id``, ``title``, ``source``, ``published_at`` (ISO date or ""),
``place``, ``lang``, ``path`` and ``body_start`` (rag/metadata.py ``ArticleMetadata``).
Chroma metadata cannot hold ``None``, so unknown is "".

``page_content`` is the whole article, dateline included (answer offsets index it, and
readers are shown all of it); ``body_start`` is where the body starts after the dateline,
so answers and source cards can skip the dateline, which is metadata, not a sentence.
Text is NFC-normalised on load, and the content hash is of the NFC text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from langchain_core.documents import Document

from rag.config import DEFAULT_MAX_FILE_MB

# Datelines are parsed in rag.datelines; Dateline and parse_dateline are importable here too.
from rag.datelines import Dateline as Dateline
from rag.datelines import display_date, parse_date, parse_dateline, trailing_outlet
from rag.errors import DocumentError
from rag.metadata import ArticleMetadata
from rag.text import detect_language

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".jsonl")

_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# Front matter at the top of a .md/.txt file: "---", "key: value" lines, "---".
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_MATTER_MAX = 8192  # where the closing "---" must be by
_FRONT_LINE = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)")
_FRONT_KEYS = {
    "title": "title",
    "headline": "title",
    "date": "date",
    "published_at": "date",
    "published": "date",
    "pubdate": "date",
    "source": "source",
    "outlet": "source",
    "agency": "source",
    "publisher": "source",
    "place": "place",
    "location": "place",
    "lang": "lang",
    "language": "lang",
}
# Where a headline-less article's generated title cuts its first clause.
_CLAUSE_END = re.compile(r"[,;:.!?…](?=\s|$)")
_CLAUSE_MIN, _CLAUSE_MAX, _TITLE_WORDS_MAX = 20, 100, 80


def normalize_date(value: object) -> str:
    """ISO date (YYYY-MM-DD) from an ISO date or date-time string, or a date written out
    ("11 febbraio 2026", "March 3, 2026"); "" when unknown."""
    if not value:
        return ""
    m = _ISO_DATE.search(str(value))
    if not m:
        return parse_date(str(value))
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""


def _nfc(text: str) -> str:
    # Decomposed accents ("e" + U+0301) would make "è" two characters: words, names and
    # hashes would differ from the same text typed on another keyboard.
    return unicodedata.normalize("NFC", text)


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
    return _nfc(text.replace("\r\n", "\n").replace("\r", "\n"))


def _article(
    text: str,
    *,
    doc_id: str,
    path: Path,
    title: str = "",
    source: str = "",
    published_at: str = "",
    place: str = "",
    lang: str = "",
) -> Document:
    """One article. ``title``, ``source``, ``published_at`` and ``place`` come from the
    file's own fields (jsonl, front matter) and win over the dateline, which wins over a
    date in the file name."""
    _check_encodable(path, text, title, source, published_at, place, lang)
    text = _nfc(text).strip()
    given = normalize_date(published_at)
    named = normalize_date(path.stem)
    reference = given or named
    dl = parse_dateline(text, reference=date.fromisoformat(reference) if reference else None)
    body_start = 0
    if dl is not None:
        place = place or dl.place
        source = source or dl.source
        published_at = given or dl.published_at or named
        body_start = dl.end
    else:
        published_at = reference
    source = source or trailing_outlet(text)  # "... (ANSA).": named at the end
    title = _nfc(title).strip() or headline_title(source, place, published_at, text[body_start:])
    metadata: ArticleMetadata = {
        "doc_id": doc_id,
        "title": (title or path.stem)[:300],
        "source": source,
        "published_at": published_at,
        "date_key": date_key(published_at),
        "place": place,
        "body_start": body_start,
        "lang": lang or detect_language(text[body_start:] or text),
        # Absolute, so that a later run from another working folder finds the file
        # (a relative path named another file there, and --prune deleted the document).
        "path": str(path.resolve()),
        "content_hash": content_hash(text),
    }
    return Document(page_content=text, metadata=dict(metadata))


def first_clause(text: str) -> str:
    """The opening words of ``text`` as a title: up to its first comma, semicolon, colon or
    full stop when that falls between 20 and 100 characters in (the real wire's "Alla
    vigilia della riunione dei ministri della Difesa dell’Alleanza Atlantica"), else its
    first 80 characters cut at a word and marked "…"."""
    flat = " ".join(text[: _CLAUSE_MAX * 4].split())
    for m in _CLAUSE_END.finditer(flat, 0, _CLAUSE_MAX + 1):
        if m.start() >= _CLAUSE_MIN:
            return flat[: m.start()]
    if len(flat) <= _TITLE_WORDS_MAX:
        return flat.rstrip(".!?…")
    cut = flat.rfind(" ", 0, _TITLE_WORDS_MAX + 1)
    return flat[: cut if cut > 0 else _TITLE_WORDS_MAX].rstrip(" ,;:") + "…"


def headline_title(source: str, place: str, published_at: str, body: str) -> str:
    """A readable title for an article without a headline: outlet, place, date and its
    first clause ("Italpress, Bruxelles (Belgio), 11 Feb 2026: Alla vigilia ..."), so
    that a source list never shows a file name."""
    where = ", ".join(p for p in (source, place, display_date(published_at)) if p)
    clause = first_clause(body)
    return f"{where}: {clause}" if where and clause else where or clause


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(fields, rest) of a text opening with front matter; ({}, text) when it does not.

    Fields are ``title``, ``date``, ``source``, ``place`` and ``lang`` (under their usual
    names: published_at, outlet, ...). A "---" block with none of them is not front
    matter but a rule, and stays in the text.
    """
    m = _FRONT_MATTER.match(text[:_FRONT_MATTER_MAX])
    if m is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in m[1].split("\n"):
        f = _FRONT_LINE.fullmatch(line.strip())
        if f is None or f[1].lower() not in _FRONT_KEYS:
            continue
        value = f[2].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].strip()
        if value:
            fields.setdefault(_FRONT_KEYS[f[1].lower()], value)
    if not fields:
        return {}, text
    return fields, text[m.end() :]


_NAME = r"[A-ZÀ-Þ][\w'’.-]*(?:\s+(?:(?:de|di|da|van|von|der|la|le|del|della)\s+)?[A-ZÀ-Þ][\w'’.-]*){0,3}"
# A byline, never a headline nor article text: "By Jane Doe", "BY JANE DOE AND JOHN ROE",
# "di Mario Rossi", "By Jane Doe, Political Editor". A name then lower case is a headline
# ("Di Maio incontra i sindacati").
_BYLINE = re.compile(
    rf"(?:[Bb]y|BY|[Dd]i|DI)\s+{_NAME}(?:\s*(?:,|and|AND|e|E|&)\s*{_NAME})*(?:\s*[,|–—-]\s*[^\n]{{1,40}})?"
)


def _split_title(text: str) -> tuple[str, str]:
    """(title, rest): a short first line followed by a blank line is the title, unless it
    is a dateline. A date on its own line is not the title either, but the headline under
    it is ("Giovedì 19 marzo 2026", blank, headline, blank, "ROMA (Adnkronos) - ..."):
    the date line then stays above the rest, where the dateline parser reads it."""
    stripped = text.lstrip("\ufeff\n ")
    head, _, after = stripped.partition("\n")
    if _BYLINE.fullmatch(head.strip()):  # "By Jane Doe" above the headline or dateline
        return _split_title(after)
    second, _, after_second = after.partition("\n")
    if (
        _BYLINE.fullmatch(second.strip())
        and 0 < len(head.strip()) <= 200
        and parse_dateline(head) is None
    ):  # a headline with its byline under it
        return head.lstrip("# ").strip(), after_second.lstrip("\n ")
    if (
        _is_date_line(head, parse_dateline(head))
        and 0 < len(second.strip()) <= 200
        and after_second.startswith("\n")
        and parse_dateline(second) is None
    ):  # a date line with the headline straight under it
        return second.lstrip("# ").strip(), f"{head.strip()}\n\n{after_second.lstrip()}"
    first, rest = _short_paragraph(stripped)
    if not first:
        return "", stripped
    dl = parse_dateline(first)
    if dl is None:
        return first.lstrip("# ").strip(), rest
    if _is_date_line(first, dl):
        headline, after = _short_paragraph(rest.lstrip("\n "))
        if headline and parse_dateline(headline) is None:
            return headline.lstrip("# ").strip(), f"{first}\n\n{after.lstrip()}"
    return "", stripped


def _is_date_line(line: str, dl: Dateline | None) -> bool:
    """``dl``, the line's parsed dateline, is a date alone: no place, outlet or text."""
    return dl is not None and not (dl.place or dl.source or line[dl.end :].strip())


def _short_paragraph(text: str) -> tuple[str, str]:
    """(line, rest) when ``text`` opens with one short line and a blank line before more
    text, else ("", text)."""
    first, sep, rest = text.partition("\n")
    if sep and rest.startswith("\n") and 0 < len(first.strip()) <= 200 and rest.strip():
        return first.strip(), rest
    return "", text


def _load_text(path: Path, raw: bytes) -> list[Document]:
    fields, text = split_front_matter(_decode(raw, path))
    title, body = _split_title(text)
    if not body.strip():
        raise DocumentError(f"{path}: empty file", path=str(path))
    return [
        _article(
            body,
            doc_id=file_doc_id(path),
            path=path,
            title=fields.get("title") or title,
            source=fields.get("source", ""),
            published_at=fields.get("date", ""),
            place=fields.get("place", ""),
            lang=fields.get("lang", ""),
        )
    ]


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
    from pypdf.errors import PyPdfError

    # pypdf logs what it then raises; the DocumentError below already tells the user.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        # PyPdfError includes LimitReachedError: a compression bomb, refused by pypdf's
        # limits before it fills memory.
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DocumentError(f"{path}: not a readable PDF ({reason})", path=str(path)) from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise DocumentError(f"{path}: PDF has no extractable text", path=str(path))
    title, body = _split_title(text)
    return [_article(body, doc_id=file_doc_id(path), path=path, title=meta_title or title)]


def _iter_jsonl(path: Path) -> Iterator[Document | str]:
    """A .jsonl file's documents, a line at a time (memory stays bounded whatever its
    size), and a problem (str) for each line that cannot be used: one bad line is one
    named failure, never the end of the file or the run."""
    with path.open("rb") as fh:
        for lineno, raw_line in enumerate(fh, 1):
            line = raw_line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
                text = _nfc(str(row.get("text") or ""))
                if not text.strip():
                    raise ValueError("no text")
                doc_id = str(row.get("id") or "").strip()
                if not doc_id:
                    raise ValueError("no id")
                doc = _article(
                    text,
                    doc_id=doc_id,
                    path=path,
                    title=_nfc(str(row.get("title") or "")),
                    source=_nfc(str(row.get("source") or "")),
                    published_at=str(row.get("published_at") or ""),
                    place=_nfc(str(row.get("place") or "")),
                    lang=str(row.get("lang") or ""),
                )
            except RecursionError:  # JSON nested thousands deep
                yield f"{path}:{lineno}: nested too deeply"
                continue
            except DocumentError as exc:
                yield f"{path}:{lineno}: {str(exc).removeprefix(f'{path}: ')}"
                continue
            except ValueError as exc:  # JSONDecodeError is a ValueError
                yield f"{path}:{lineno}: {exc}"
                continue
            yield doc


def _check_encodable(path: Path, *values: str) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate, as JSON's "\\ud800" gives):
    the store cannot encode it, and one such document would fail its whole batch."""
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DocumentError(
                f"{path}: invalid Unicode (lone surrogate {value[exc.start]!r})", path=str(path)
            ) from exc


def load_file(path: str | os.PathLike[str], *, max_mb: int = DEFAULT_MAX_FILE_MB) -> LoadedFile:
    """Load one file. Raises ``DocumentError`` when nothing in it can be used.

    Files over ``max_mb`` are refused before they are read, so memory stays bounded.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    _precheck(path, max_mb)
    try:
        loaded = LoadedFile(path=path)
        if suffix == ".jsonl":
            for item in _iter_jsonl(path):
                if isinstance(item, str):
                    loaded.problems.append(item)
                else:
                    loaded.documents.append(item)
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


def stream_file(
    path: str | os.PathLike[str], *, max_mb: int = DEFAULT_MAX_FILE_MB
) -> Iterator[Document | str]:
    """``load_file``, a document at a time: a .jsonl is read line by line as it is
    consumed, so an ingest holds one batch of it in memory, not the whole file. Yields
    documents and per-line problems (str); raises ``DocumentError`` like ``load_file``."""
    path = Path(path)
    if path.suffix.lower() != ".jsonl":
        loaded = load_file(path, max_mb=max_mb)
        yield from loaded.problems
        yield from loaded.documents
        return
    _precheck(path, max_mb)
    empty = True
    try:
        for item in _iter_jsonl(path):
            empty = False
            yield item
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})", path=str(path)) from exc
    if empty:
        raise DocumentError(f"{path}: empty file", path=str(path))


def _precheck(path: Path, max_mb: int) -> None:
    """What every file must pass before it is read: a supported type and size."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type {suffix or '(none)'}", path=str(path))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read ({exc.strerror or exc})", path=str(path)) from exc
    if size > max_mb * 2**20:
        raise DocumentError(
            f"{path}: file too large ({size / 2**20:.0f} MB; the limit is {max_mb} MB, "
            "set RAG_MAX_FILE_MB to raise it)",
            path=str(path),
        )


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
