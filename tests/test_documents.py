from pathlib import Path

import pytest

from rag.documents import detect_language, iter_files, load_file, parse_dateline
from rag.errors import DocumentError
from tests.conftest import DATA, SAMPLE


@pytest.mark.parametrize(
    ("line", "date", "place", "source"),
    [
        pytest.param(
            " date 2026-02-11 BRUXELLES (BELGIO) (ITALPRESS) – Alla vigilia",
            "2026-02-11", "Bruxelles (Belgio)", "Italpress", id="italpress-full",
        ),
        pytest.param("ROMA (ITALPRESS) - Il governo", "", "Roma", "Italpress", id="no-date"),
        pytest.param(
            "date 2025-10-02 L'AQUILA (ANSA) — Il sindaco", "2025-10-02", "L'Aquila", "ANSA",
            id="em-dash-apostrophe",
        ),
    ],
)  # fmt: skip
def test_parse_dateline(line: str, date: str, place: str, source: str) -> None:
    dl = parse_dateline(line)
    assert dl is not None
    assert (dl.published_at, dl.place, dl.source) == (date, place, source)
    assert line[dl.end :].strip()[0].isupper()


@pytest.mark.parametrize("line", ["Il governo ha deciso oggi.", "The (BBC) said - nothing"])
def test_parse_dateline_ignores_plain_text(line: str) -> None:
    assert parse_dateline(line) is None


def test_sample_article_metadata() -> None:
    [doc] = load_file(SAMPLE).documents
    m = doc.metadata
    assert m["source"] == "Italpress"
    assert m["published_at"] == "2026-02-11"
    assert m["place"] == "Bruxelles (Belgio)"
    assert m["lang"] == "it"
    # The wire has no headline line: the title is made from its dateline and first clause.
    assert m["title"] == (
        "Italpress, Bruxelles (Belgio), 11 Feb 2026: "
        "Alla vigilia della riunione dei ministri della Difesa dell’Alleanza Atlantica"
    )
    assert doc.page_content[m["body_start"] :].startswith("Alla vigilia della riunione")
    assert m["path"] == str(SAMPLE)
    assert "La deterrenza funziona solo se" in doc.page_content


@pytest.mark.parametrize(
    ("name", "title", "lang", "must_have", "must_not"),
    [
        ("calcio-derby.md", "Derby di Castelfranco, vince la capolista", "it", "derby", "#"),
        ("energy-briefing.html", "Grid operator warns on winter demand", "en", "reserve capacity", "tracking"),
        ("porto-bilancio.txt", "Porto di Valmarina, approvato il bilancio", "it", "moli", "\ufeff"),
    ],
)  # fmt: skip
def test_loaders(name: str, title: str, lang: str, must_have: str, must_not: str) -> None:
    [doc] = load_file(DATA / name).documents
    assert doc.metadata["title"] == title
    assert doc.metadata["lang"] == lang
    assert must_have in doc.page_content
    assert must_not not in doc.page_content


def test_html_drops_script_and_style() -> None:
    [doc] = load_file(DATA / "energy-briefing.html").documents
    assert "color: red" not in doc.page_content
    assert "not text" not in doc.page_content


def test_jsonl_articles_keep_their_ids_and_fields() -> None:
    loaded = load_file(DATA / "wires.jsonl")
    assert [d.metadata["doc_id"] for d in loaded.documents] == ["wire-001", "wire-002", "wire-003"]
    first = loaded.documents[0].metadata
    assert (first["source"], first["published_at"], first["lang"]) == (
        "Agenzia Immaginaria", "2026-02-02", "it",
    )  # fmt: skip
    assert loaded.problems == []


def test_jsonl_bad_line_is_reported_and_good_lines_kept(tmp_path: Path) -> None:
    f = tmp_path / "mixed.jsonl"
    f.write_text('{"id": "a", "text": "Testo uno."}\n{broken\n{"id": "b", "text": "Text two."}\n')
    loaded = load_file(f)
    assert [d.metadata["doc_id"] for d in loaded.documents] == ["a", "b"]
    assert len(loaded.problems) == 1 and ":2:" in loaded.problems[0]


def test_pdf_loader(tmp_path: Path) -> None:
    pdf = _make_pdf(tmp_path / "note.pdf", "Rapporto trimestrale sul porto di Valmarina")
    [doc] = load_file(pdf).documents
    assert "Rapporto trimestrale" in doc.page_content


def _make_pdf(path: Path, text: str) -> Path:
    """A minimal one-page PDF with real text, written by hand (no PDF writer dependency)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "empty file", id="empty"),
        pytest.param(b"\x00\x01\x02binary\x00" * 50, "binary", id="binary"),
    ],
)
def test_bad_text_files_raise_document_error(tmp_path: Path, content: bytes, reason: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(DocumentError, match=reason):
        load_file(f)


def test_corrupt_pdf_raises_document_error(tmp_path: Path) -> None:
    f = tmp_path / "broken.pdf"
    f.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(DocumentError, match="PDF"):
        load_file(f)


def test_latin1_italian_is_decoded(tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes("La città è più bella perché è così.".encode("latin-1"))
    [doc] = load_file(f).documents
    assert doc.page_content == "La città è più bella perché è così."


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Il segretario generale della Nato ha parlato con i giornalisti.", "it"),
        ("The secretary general of the alliance spoke to reporters.", "en"),
        ("12345 !!!", "und"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_iter_files_walks_folders_once_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("x")
    (tmp_path / "sub" / "c.exe").write_text("x")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path, tmp_path / "a.txt"])]
    assert found == ["a.txt", "sub/b.md"]


def test_iter_files_missing_path() -> None:
    with pytest.raises(DocumentError, match="no such file"):
        list(iter_files(["/nonexistent/briefings"]))
