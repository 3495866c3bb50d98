"""The web chat in a real headless Chromium against a real `rag serve` subprocess.

One server per module, its store ingested at start-up (`--ingest`) from the sample corpus
plus fictional briefings that attack the page: HTML, a quote holding a Markdown image that
points at a listener the tests watch, and a right-to-left override in a title and outlet.
Each test is one path an analyst takes (click [2], re-check an earlier answer, a refusal
the filters caused, copy and export, uploads). Screenshots of each state, at 1280x900 and
390x844, go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.conftest import (
    DETERRENCE_QUOTE,
    ROOT,
    SAMPLE,
    _free_port,
    needs_local_model,
    wait_for_port,
)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ANSWER_TIMEOUT = 60_000  # ms; the first question loads the embedding model

HOSTILE_HTML = """<!doctype html>
<html><head><title>Prova di sicurezza del portale</title></head>
<body>
<h1>Prova di sicurezza del portale</h1>
<p>ROMA, 2026-03-02 — Il tecnico immaginario Bruno Ferretti ha presentato un test.</p>
<p>“Il codice &lt;img src=x onerror="window.__pwned=1"&gt; e \
&lt;script&gt;window.__pwned=1&lt;/script&gt; deve restare testo”, \
ha detto il tecnico immaginario Bruno Ferretti.</p>
</body></html>
"""

BRIDGE_TXT = """Comune, il nuovo ponte sul fiume apre all'inizio dell'estate

 date 2026-03-05 VERONA (ITALPRESS) – Il cantiere del nuovo ponte pedonale procede secondo i \
tempi previsti. “Il nuovo ponte sarà pronto entro giugno”, ha detto il sindaco immaginario \
Livia Marchetti.
"""

BRIDGE_QUOTE = "Il nuovo ponte sarà pronto entro giugno"

# A briefing whose quote holds Markdown, KaTeX and template syntax: shown as text, it
# fetches nothing (the image URL points at a listener the test watches).
TRACKER_TXT = """Prova di tracciamento del portale immaginario

 date 2026-03-04 TORINO (ITALPRESS) – La tecnica immaginaria Ada Quaglino ha presentato una \
verifica. “Il testo ![x](http://127.0.0.1:{port}/track.png) e $x^2$ e ${{window.__pwned=1}} \
restano testo”, ha detto la tecnica immaginaria Ada Quaglino.

[Fictional briefing written for tests.]
"""
RLO, PDF = "\u202e", "\u202c"
RTL_JSONL = (
    '{"id": "rtl-1", "title": "'
    + RLO
    + "Il bilancio rovesciato del comune immaginario"
    + PDF
    + '", "source": "Agenzia '
    + RLO
    + "Immaginaria"
    + '", "published_at": "2026-03-06", '
    '"text": "Il bilancio del comune immaginario di Valdorso. \u201cIl bilancio del comune '
    "immaginario \u00e8 in ordine\u201d, ha detto la sindaca immaginaria Nadia Sorrentino. "
    '[Fictional briefing written for tests.]"}\n'
)

needs_browser = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")


class _Listener(http.server.BaseHTTPRequestHandler):
    """Records every request a page might make to it because of a document."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tracker() -> Iterator[tuple[int, list[str]]]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], _Listener.seen
    srv.shutdown()


def _serve(args: list[str], workdir: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = _free_port()
    log = workdir / f"serve-{port}.log"
    # RAG_MODEL_DIR stays: where this machine keeps converted models, not a setting.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") or k == "RAG_MODEL_DIR"}
    env.update(GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
        )
    return proc, port, log


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui")


@pytest.fixture(scope="module")
def server(workdir: Path, tracker: tuple[int, list[str]]) -> Iterator[str]:
    docs = workdir / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    (docs / "prova-sicurezza.html").write_text(HOSTILE_HTML, encoding="utf-8")
    (docs / "tracciamento.txt").write_text(TRACKER_TXT.format(port=tracker[0]), encoding="utf-8")
    (docs / "rovesciato.jsonl").write_text(RTL_JSONL, encoding="utf-8")
    proc, port, log = _serve(["--store", str(workdir / "store"), "--ingest", str(docs)], workdir)
    wait_for_port(port, proc, log, timeout=180)
    yield f"http://127.0.0.1:{port}"
    _stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(server)
    pg.locator("#question textarea").wait_for(timeout=30_000)
    yield pg
    context.close()


def _ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def _bot_messages(page):
    return page.locator("#chat [data-testid='bot']")


def _answered(page, count: int):
    """The ``count``-th answer, once it is complete (its Copy button is there)."""
    from playwright.sync_api import expect

    bots = _bot_messages(page)
    expect(bots).to_have_count(count, timeout=ANSWER_TIMEOUT)
    expect(bots.nth(count - 1).locator("button.copy-answer")).to_be_visible(timeout=ANSWER_TIMEOUT)
    return bots.nth(count - 1)


def _fill(page, elem_id: str, value: str) -> None:
    page.locator(f"#{elem_id} input, #{elem_id} textarea").first.fill(value)


def _shoot(page, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.mark.browser
@needs_browser
def test_citations_link_to_their_quote_and_earlier_answers_keep_theirs(page) -> None:
    from playwright.sync_api import expect

    _ask(page, "What did Rutte say about deterrence?")
    first = _answered(page, 1)
    expect(first).to_contain_text(DETERRENCE_QUOTE)
    # two statements of one article: one card, its quotes numbered inside
    section = page.locator("#sources-1")
    expect(section).to_be_visible()
    expect(section.locator(".source-card")).to_have_count(1)
    expect(section.locator("li.quote")).to_have_count(2)
    card = section.locator(".source-card")
    expect(card).to_contain_text("Italpress")
    expect(card).to_contain_text("11 Feb 2026")
    expect(page.locator("#src-1-1 mark")).to_contain_text("La deterrenza funziona solo")
    expect(page.locator("#src-1-1 .source-context")).to_contain_text("Rutte ha ribadito")
    _shoot(page, "01-mission-answer")

    first.locator("a.cite", has_text="[2]").click()
    expect(page.locator("#src-1-2")).to_have_class(re.compile(r"\bhighlight\b"))
    expect(page.locator("#src-1-1")).not_to_have_class(re.compile(r"\bhighlight\b"))
    expect(card).to_have_class(re.compile(r"\bhighlight\b"))
    expect(page.locator("#src-1-2")).to_be_in_viewport()
    # ... and the same quote inside the whole article, opened
    expect(page.locator("#art-1-2")).to_be_visible()
    expect(page.locator("#art-1-2")).to_have_class(re.compile(r"\bhighlight\b"))
    expect(card.locator(".article")).to_contain_text("comando di coordinamento")
    _shoot(page, "01b-citation-2-clicked")

    _ask(page, "And what did he say about Ukraine's resilience?")
    second = _answered(page, 2)
    expect(second).to_contain_text(re.compile("resilienza|L’Ucraina non può sostenere"))
    expect(second).to_contain_text("Rutte")
    expect(page.locator("#sources-2")).to_be_visible()
    expect(page.locator("#sources-1")).to_be_hidden()
    _shoot(page, "02-follow-up", full_page=True)

    # the first answer's [1] still resolves, to the first answer's own source
    first.locator("a.cite", has_text="[1]").click()
    expect(page.locator("#sources-1")).to_be_visible()
    expect(page.locator("#src-1-1")).to_have_class(re.compile(r"\bhighlight\b"))
    expect(page.locator("#src-1-1")).to_contain_text("La deterrenza funziona solo")
    _shoot(page, "02b-earlier-citation")

    page.locator("#new-chat").click()
    expect(_bot_messages(page)).to_have_count(0)
    expect(page.locator("#sources .source-card")).to_have_count(0)
    expect(page.locator("#chat")).to_contain_text("New chat. No filters")


WRITE_TIMEOUT = 600_000  # ms; the model loads, then writes on 2 shared cores


@pytest.mark.browser
@pytest.mark.llm
@needs_browser
@needs_local_model
def test_the_local_model_writes_a_checked_english_answer_under_the_italian_quotes(page) -> None:
    from playwright.sync_api import expect

    page.locator("#write-llm input[type='checkbox']").check()  # starts loading the model
    _ask(page, "What did Rutte say about deterrence?")
    bot = _bot_messages(page).last
    # the quotes first, as without the model; then the model's part under them. The load
    # the tick started holds the server's GIL until it is done, hence the longer wait.
    expect(bot.locator(".answer-text")).to_contain_text(DETERRENCE_QUOTE, timeout=WRITE_TIMEOUT)
    written = bot.locator("[data-testid='written']")
    expect(written).to_be_visible()
    expect(written).to_have_attribute("data-status", "done", timeout=WRITE_TIMEOUT)
    expect(written).to_contain_text("checked against the quotes")
    expect(written).to_contain_text("Machine translation from Italian")
    text = written.locator(".written-text").inner_text()
    assert re.search(r"\b(the|that|said|is|must)\b", text), text  # English
    link = written.locator("a.cite").first
    n = link.get_attribute("data-n")
    link.click()
    expect(page.locator(f"#src-{bot.get_attribute('data-answer')}-{n}")).to_have_class(
        re.compile(r"\bhighlight\b")
    )
    _shoot(page, "11-local-model-answer", full_page=True)


@pytest.mark.browser
@needs_browser
def test_dates_are_read_as_typed_and_wrong_ones_are_named(page) -> None:
    from playwright.sync_api import expect

    _fill(page, "since", "2026-02-30")
    help_line = page.locator("#date-help")
    expect(help_line).to_contain_text(
        "From date: 2026-02-30 is not a date: February 2026 has 28 days"
    )
    expect(help_line).not_to_contain_text("--since")
    _ask(page, "What did Rutte say about deterrence?")
    refused = _bot_messages(page).last
    expect(refused).to_contain_text("Not asked: From date: 2026-02-30 is not a date")
    # no stale or unrelated card after the error
    expect(page.locator("#sources .source-card")).to_have_count(0)
    expect(page.locator("#sources")).to_contain_text("not answered")
    _shoot(page, "03-impossible-date", full_page=True)

    _fill(page, "since", "11 febbraio 2026")
    _fill(page, "until", "31/12/2026")
    expect(help_line).not_to_contain_text("is not a date")
    expect(page.locator("#filters-line")).to_contain_text("from 11 Feb 2026 · until 31 Dec 2026")
    _ask(page, "What did Rutte say about deterrence?")
    answer = _answered(page, 2)
    expect(answer).to_contain_text(DETERRENCE_QUOTE)
    expect(answer.locator(".answer-filters")).to_contain_text("from 11 Feb 2026")


@pytest.mark.browser
@needs_browser
def test_a_refusal_the_filters_caused_names_them(page) -> None:
    from playwright.sync_api import expect

    _fill(page, "since", "01/03/2026")
    page.locator("#source-filter input").first.click()
    page.get_by_role("option", name="Italpress").click()
    page.keyboard.press("Escape")
    expect(page.locator("#filters-line")).to_contain_text("Italpress · from 1 Mar 2026")
    _ask(page, "What did Rutte say about deterrence?")
    answer = _answered(page, 1)
    expect(answer.locator(".answer-filters")).to_contain_text(
        "Filters: Italpress · from 1 Mar 2026"
    )
    expect(answer.locator(".filter-note")).to_contain_text(
        "No Italpress briefing dated 1 Mar 2026 or later quotes Mark Rutte; "
        "without the filters 1 briefing does"
    )
    outside = page.locator("#sources-1 .source-card")
    expect(outside.first).to_contain_text("Outside your filters")
    expect(outside.first).to_contain_text(DETERRENCE_QUOTE)
    _shoot(page, "04-filter-refusal", full_page=True)

    page.locator("#new-chat").click()
    expect(page.locator("#chat")).to_contain_text(
        "New chat. Your filters stay: Italpress · from 1 Mar 2026"
    )
    page.locator("#clear-filters").click()
    expect(page.locator("#filters-line")).to_contain_text("none (all dates, all sources)")
    # the status panel and the outlet list are filled from the store
    page.get_by_text("Store status").click()
    expect(page.locator("#status")).to_contain_text("Documents")
    expect(page.locator("#status")).to_contain_text("embedded")


@pytest.mark.browser
@needs_browser
def test_a_refusal_that_names_an_article_shows_it_as_a_card(page) -> None:
    from playwright.sync_api import expect

    _ask(page, "What did Rutte say about pasta recipes?")
    answer = _answered(page, 1)
    expect(answer).to_contain_text("They quote")
    card = page.locator("#sources-1 .source-card").first
    expect(card).to_contain_text("Named in the refusal")
    expect(card).to_contain_text("Alleanza Atlantica")
    card.locator("details summary").click()
    expect(card.locator(".article")).to_contain_text("comando di coordinamento")
    _shoot(page, "05-refusal-names-article", full_page=True)


@pytest.mark.browser
@needs_browser
def test_hostile_briefing_shows_as_text_and_runs_nothing(page) -> None:
    from playwright.sync_api import expect

    _ask(page, "What did Ferretti say?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text('<img src=x onerror="window.__pwned=1">', timeout=ANSWER_TIMEOUT)
    expect(chat).to_contain_text("<script>window.__pwned=1</script>")
    card = page.locator("#sources .answer-sources.active .source-card").first
    expect(card).to_contain_text('<img src=x onerror="window.__pwned=1">')
    card.locator("details summary").click()
    expect(card.locator(".article")).to_contain_text("<script>window.__pwned=1</script>")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat img[src='x'], #sources img[src='x']").count() == 0
    _shoot(page, "06-hostile", full_page=True)


@pytest.mark.browser
@needs_browser
def test_markdown_in_a_briefing_is_text_and_fetches_nothing(
    page, server: str, tracker: tuple[int, list[str]]
) -> None:
    from playwright.sync_api import expect

    port, seen = tracker
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    _ask(page, "What did Quaglino say?")
    answer = _answered(page, 1)
    expect(answer).to_contain_text(f"![x](http://127.0.0.1:{port}/track.png)")
    expect(answer).to_contain_text("$x^2$ e ${window.__pwned=1}")
    card = page.locator("#sources-1 .source-card").first
    expect(card).to_contain_text(f"![x](http://127.0.0.1:{port}/track.png)")
    card.locator("details summary").click()
    expect(card.locator(".article")).to_contain_text("$x^2$")
    page.wait_for_timeout(1000)
    assert seen == [], f"the page fetched {seen} because of a document"
    assert not [u for u in requested if f":{port}" in u]
    assert [u for u in requested if not u.startswith(server)] == [], "a request left the page"
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat img, #sources img, #chat .katex, #sources .katex").count() == 0
    _shoot(page, "07-markdown-briefing")


@pytest.mark.browser
@needs_browser
def test_a_right_to_left_override_in_title_and_outlet_stays_contained(page) -> None:
    from playwright.sync_api import expect

    _ask(page, "What did Sorrentino say?")
    _answered(page, 1)
    card = page.locator("#sources-1 .source-card").first
    expect(card.locator(".source-head bdi")).to_have_text(
        "Il bilancio rovesciato del comune immaginario"
    )
    expect(card.locator(".source-meta")).to_contain_text("Agenzia Immaginaria · 6 Mar 2026")
    page.get_by_text("Store status").click()
    expect(page.locator("#status")).to_contain_text("Agenzia Immaginaria")
    for where in ("#chat", "#sources", "#status"):
        assert RLO not in page.locator(where).inner_text(), f"a bidi override reached {where}"
    # every outlet in the status list is isolated: one can never reorder the next
    assert page.locator("#status dd bdi").count() >= 2
    _shoot(page, "08-rtl-contained", full_page=True)


@pytest.mark.browser
@needs_browser
def test_copy_an_answer_and_export_the_conversation_with_citations(browser, server: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.goto(server)
    page.locator("#question textarea").wait_for(timeout=30_000)
    _ask(page, "What did Rutte say about deterrence?")
    answer = _answered(page, 1)
    answer.locator("button.copy-answer").click()
    expect(answer.locator("button.copy-answer")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert DETERRENCE_QUOTE in copied
    assert re.search(
        r"^- \[1\] Italpress, 11 Feb 2026, \*.+\* — Mark Rutte: “La Nato", copied, re.M
    )
    assert "- [2] Italpress, 11 Feb 2026" in copied

    with page.expect_download() as download:
        page.locator("#export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("# Briefings assistant: conversation")
    assert "## Q: What did Rutte say about deterrence?" in exported
    assert "[1] Italpress, 11 Feb 2026, *" in exported
    assert DETERRENCE_QUOTE in exported
    context.close()


@pytest.mark.browser
@needs_browser
def test_uploads_are_named_safely_never_replace_a_document_and_poison_is_moved_aside(
    page, workdir: Path, server: str
) -> None:
    from gradio_client import Client
    from playwright.sync_api import expect

    real = Client(server, verbose=False).predict(
        "What did Rutte say about deterrence?", api_name="/ask"
    )["sources"][0]
    up = workdir / "to-upload"
    up.mkdir()
    files = {
        "ponte verona.txt": BRIDGE_TXT,
        "Новости.txt": "Notizia immaginaria uno.\n\nIl borgo immaginario di Pratofondo apre "
        "la biblioteca.\n\n[Fictional briefing written for tests.]\n",
        "Статья.txt": "Notizia immaginaria due.\n\nIl borgo immaginario di Roccalta chiude "
        "il mercato.\n\n[Fictional briefing written for tests.]\n",
        # a line claiming the id of the real article: it must not replace it
        "hijack.jsonl": json.dumps(
            {"id": real["doc_id"], "title": "Documento di prova immaginario",
             "source": "Italpress", "published_at": "2026-02-11",
             "text": "Documento di prova immaginario che tenta di sostituire un altro "
                     "articolo. [Fictional briefing written for tests.]"}
        ) + "\n",
        "poison.jsonl": "[" * 100_000 + "]" * 100_000 + "\n",
    }  # fmt: skip
    for name, text in files.items():
        (up / name).write_text(text, encoding="utf-8")
    (up / "notes.exe").write_bytes(b"MZ not a briefing")
    page.get_by_text("Add briefings").click()
    page.locator("#upload input[type=file]").set_input_files(
        [str(up / n) for n in [*files, "notes.exe"]]
    )
    expect(page.locator("#upload tr")).to_have_count(len(files) + 1, timeout=20_000)
    page.locator("#add-files").click()
    report = page.locator("#upload-report")
    expect(report).to_contain_text("4 added", timeout=ANSWER_TIMEOUT)
    expect(report).to_contain_text("0 updated")
    expect(report).to_contain_text("notes.exe: unsupported file type")
    expect(report).to_contain_text(re.compile(r"Failed poison-\w+\.jsonl"))
    expect(report).to_contain_text("Now searchable: ")
    expect(report).to_contain_text("Comune, il nuovo ponte sul fiume apre")
    expect(report).not_to_contain_text(" 1 chunks")
    _shoot(page, "09-upload", full_page=True)
    store = workdir / "store"
    names = sorted(p.name for p in (store / "uploads").iterdir())
    assert [n.split("-")[0] for n in names] == ["hijack", "ponte_verona", "Новости", "Статья"]
    assert all(re.fullmatch(r".+-[0-9a-f]{8}\.(txt|jsonl)", n) for n in names), names
    assert [p.name.split("-")[0] for p in (store / "failed-uploads").iterdir()] == ["poison"]

    client = Client(server, verbose=False)
    again = client.predict("What did Rutte say about deterrence?", api_name="/ask")
    assert DETERRENCE_QUOTE in again["answer"]
    assert again["sources"][0]["doc_id"] == real["doc_id"]
    assert again["sources"][0]["title"] == real["title"]

    _ask(page, "What did Marchetti say about the new bridge?")
    answer = _answered(page, 1)
    expect(answer).to_contain_text(BRIDGE_QUOTE)
    expect(page.locator("#sources-1 .source-card").first).to_contain_text("5 Mar 2026")
    expect(page.locator("#sources-1 .source-card").first).to_contain_text("Italpress")


@pytest.mark.browser
@needs_browser
def test_uploaded_briefing_answers_the_plain_bridge_question(server: str) -> None:
    """Runs after the upload test. The UI passes the question through unchanged, and the
    English topic "bridge" finds the Italian quote about the "ponte"."""
    from gradio_client import Client

    client = Client(server, verbose=False)
    assert BRIDGE_QUOTE in client.predict("What did Marchetti say?", api_name="/ask")["answer"]
    answer = client.predict("What did Marchetti say about the bridge?", api_name="/ask")
    assert BRIDGE_QUOTE in answer["answer"], answer["answer"]


@pytest.mark.browser
@needs_browser
def test_narrow_viewport_and_two_tabs(browser, server: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    one, two = context.new_page(), context.new_page()
    for pg in (one, two):
        pg.goto(server)
        pg.locator("#question textarea").wait_for(timeout=30_000)
    _ask(one, "What did Rutte say about deterrence?")
    _ask(two, "What did Rutte say about Ukraine's resilience?")
    expect(one.locator("#chat")).to_contain_text(DETERRENCE_QUOTE, timeout=ANSWER_TIMEOUT)
    expect(two.locator("#chat")).to_contain_text("Rutte said", timeout=ANSWER_TIMEOUT)
    assert DETERRENCE_QUOTE not in two.locator("#chat").inner_text()  # separate sessions
    width = one.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"page scrolls sideways at 390 px ({width} px wide)"
    _shoot(one, "10-narrow")
    # on a phone the source is one tap from the answer
    _answered(one, 1).locator("a.cite", has_text="[1]").click()
    expect(one.locator("#src-1-1")).to_be_in_viewport()
    expect(one.locator("#src-1-1")).to_have_class(re.compile(r"\bhighlight\b"))
    _shoot(one, "10b-narrow-citation")
    one.screenshot(path=str(ARTIFACTS / "10c-narrow-full.png"), full_page=True)
    context.close()


@pytest.mark.browser
@needs_browser
def test_searching_state_and_stop_then_the_next_question_is_answered(
    browser, tmp_path: Path, e5
) -> None:
    """A real answer takes a fraction of a second here, too fast to press Stop; this
    assistant (a real one, on a real store) waits before its stream so a person could."""
    from playwright.sync_api import expect

    from rag import Assistant
    from ui import app as ui_app

    class Unhurried(Assistant):
        def stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            time.sleep(3)
            yield "Mark Rutte said, so far:\n"
            time.sleep(4)
            yield from super().stream(*args, **kwargs)

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    assistant = Unhurried(store=tmp_path / "store", embeddings=e5)
    assistant.ingest([docs], progress=False)
    app = ui_app.build_app(assistant)
    port = _free_port()
    app.queue().launch(
        server_port=port, css=ui_app.CSS, head=ui_app.JS, theme=app.rag_theme,
        prevent_thread_lock=True, quiet=True,
    )  # fmt: skip
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}")
        page.locator("#question textarea").wait_for(timeout=30_000)
        _ask(page, "What did Rutte say about deterrence?")
        expect(page.locator("#chat .msg.bot.pending")).to_contain_text("Searching the briefings")
        expect(page.locator("#stop")).to_be_visible()
        _shoot(page, "12-searching")
        expect(page.locator("#chat")).to_contain_text("Mark Rutte said, so far:")
        expect(page.locator("#chat")).to_contain_text("Writing the answer")
        page.locator("#stop").click()
        expect(page.locator("#chat")).to_contain_text("Stopped: this answer is incomplete")
        expect(page.locator("#stop")).to_be_hidden()
        page.wait_for_timeout(5000)  # the stopped stream would have finished by now
        assert DETERRENCE_QUOTE not in page.locator("#chat").inner_text()
        _shoot(page, "12b-stopped")

        _ask(page, "What did Rutte say about deterrence?")
        second = _bot_messages(page).nth(1)
        expect(second.locator("button.copy-answer")).to_be_visible(timeout=ANSWER_TIMEOUT)
        expect(second).to_contain_text(DETERRENCE_QUOTE)
        expect(_bot_messages(page).first).not_to_contain_text(DETERRENCE_QUOTE)
    finally:
        context.close()
        app.close()


@pytest.mark.browser
@needs_browser
def test_gradio_client_ask_endpoint(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    result = client.predict("What did Rutte say about deterrence?", api_name="/ask")
    assert DETERRENCE_QUOTE in result["answer"]
    assert result["sources"][0]["source"] == "Italpress"
    assert result["sources"][0]["published_at"] == "2026-02-11"
    bad = client.predict("What did Rutte say?", "yesterday-ish", "", [], api_name="/ask")
    assert "is not a date" in bad["error"]


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(["hi", "", "", ["Italpress"] * 50_000], "too many sources (50000", id="50k-sources"),
        pytest.param(["hi", "", "", {"a": 1}], "sources must be a list", id="dict-sources"),
        pytest.param([{"q": 1}, "", "", []], "question must be a string", id="dict-question"),
        pytest.param(["hi", 20260101, "", []], "since must be a date string", id="number-date"),
    ],
)  # fmt: skip
def test_ask_endpoint_refuses_malformed_input_in_words(
    server: str, args: list[object], error: str
) -> None:
    import httpx

    call = httpx.post(f"{server}/gradio_api/call/ask", json={"data": args}, timeout=30)
    assert call.status_code == 200, call.text
    event = call.json()["event_id"]
    with httpx.stream("GET", f"{server}/gradio_api/call/ask/{event}", timeout=60) as r:
        body = "".join(r.iter_text())
    assert error in body, body
    assert "event: error" not in body


@pytest.mark.browser
@needs_browser
def test_wide_bind_demands_login_and_throttles_guessing(browser, workdir: Path) -> None:
    import httpx
    from playwright.sync_api import expect

    refused = subprocess.run(
        [sys.executable, "-m", "rag", "serve", "--host", "0.0.0.0", "--port", "9",
         "--store", str(workdir / "nostore")],
        capture_output=True, text=True, timeout=120, cwd=workdir,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "--auth" in refused.stderr

    # The way the README recommends: a private file, so the password is not in `ps`.
    login = workdir / "login"
    login.write_text("user:pass\n")
    login.chmod(0o600)
    proc, port, log = _serve(
        ["--host", "0.0.0.0", "--auth-file", str(login), "--store", str(workdir / "authstore")],
        workdir,
    )
    try:
        wait_for_port(port, proc, log, timeout=120)
        assert "warning" not in log.read_text(encoding="utf-8", errors="replace")
        with open(f"/proc/{proc.pid}/cmdline", "rb") as cmdline:
            assert b"pass" not in cmdline.read().replace(b"--auth-file", b"")
        url = f"http://127.0.0.1:{port}"
        call = httpx.post(f"{url}/gradio_api/call/ask", json={"data": ["hi"]}, timeout=10)
        assert call.status_code in (401, 403), call.text
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.goto(url)
        password = pg.locator("input[type=password]")
        expect(password).to_be_visible(timeout=20_000)
        assert pg.locator("#question").count() == 0
        _shoot(pg, "11-login")
        pg.locator("input[type=text]").first.fill("user")
        password.fill("pass")
        pg.get_by_role("button", name="Login").click()
        expect(pg.locator("#question textarea")).to_be_visible(timeout=30_000)
        context.close()

        # guessing: each wrong password waits longer; after 5 the name is locked,
        # so even the right password is refused for a while
        for _ in range(5):
            wrong = httpx.post(f"{url}/login", data={"username": "user", "password": "x"})
            assert wrong.status_code == 400
        right = httpx.post(f"{url}/login", data={"username": "user", "password": "pass"})
        assert right.status_code == 400, "a locked-out name logged in"
        assert "locked" in log.read_text(encoding="utf-8", errors="replace")
    finally:
        _stop(proc)


# -- the pieces the page is built from (no browser) ------------------------------------------
@pytest.mark.parametrize(
    ("name", "saved"),
    [
        pytest.param("../../etc/passwd.txt", "passwd-{h}.txt", id="no-climbing"),
        pytest.param("..\\..\\evil.md", "evil-{h}.md", id="no-windows-climbing"),
        pytest.param("ponte verona (1).txt", "ponte_verona_1-{h}.txt", id="spaces"),
        pytest.param(".hidden..txt", "hidden-{h}.txt", id="no-dot-files"),
        pytest.param("Новости.txt", "Новости-{h}.txt", id="cyrillic-kept"),
        pytest.param("Cafe\u0301 notizie.TXT", "Café_notizie-{h}.txt", id="nfc-and-lower-ext"),
        pytest.param("x" * 135 + ".txt", "x" * 80 + "-{h}.txt", id="long-name-keeps-ext"),
        pytest.param("", "upload-{h}", id="empty"),
    ],
)
def test_upload_names_keep_their_unicode_a_content_hash_and_the_extension(
    name: str, saved: str
) -> None:
    from ui.uploads import content_tag, safe_name

    assert safe_name(name, b"ciao") == saved.format(h=content_tag(b"ciao"))


def test_uploads_never_collide_and_stay_inside_the_store(tmp_path: Path) -> None:
    from ui.uploads import save_uploads

    src = tmp_path / "in"
    src.mkdir()
    (src / "Новости.txt").write_text("uno", encoding="utf-8")
    (src / "Статья.txt").write_text("due", encoding="utf-8")
    big = src / "grande.txt"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    exe = src / "tool.exe"
    exe.write_bytes(b"MZ")
    long = src / ("n" * 135 + ".txt")
    long.write_text("tre", encoding="utf-8")
    dest = tmp_path / "store" / "uploads"
    paths = [str(p) for p in (src / "Новости.txt", src / "Статья.txt", big, exe, long)]
    saved, rejected = save_uploads(paths, dest, max_mb=1)
    assert len(saved) == 3 and all(p.parent == dest.resolve() for p in saved)
    assert all(p.suffix == ".txt" for p in saved)
    assert [p.read_text(encoding="utf-8") for p in saved] == ["uno", "due", "tre"]
    assert any("grande.txt" in r and "above the 1 MB limit" in r for r in rejected)
    assert any("tool.exe: unsupported file type" in r for r in rejected)


def test_uploaded_jsonl_ids_are_namespaced_by_their_file(tmp_path: Path) -> None:
    from ui.uploads import save_uploads

    src = tmp_path / "righe.jsonl"
    src.write_text(
        json.dumps({"id": "2026-02-11-italpress-nato-rutte-eb80f5b6", "text": "t"}) + "\n"
        + "not json\n" + json.dumps({"text": "no id"}) + "\n"
        + '{"id": "bad", "text": "lone \\ud800 surrogate"}\n',
        encoding="utf-8",
    )  # fmt: skip
    (saved,), _ = save_uploads([str(src)], tmp_path / "uploads", max_mb=1)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["id"] == (
        f"upload/{saved.name}/2026-02-11-italpress-nato-rutte-eb80f5b6"
    )
    assert lines[1:3] == ["not json", json.dumps({"text": "no id"})]  # left for ingest to report
    # A lone surrogate cannot be written as UTF-8: it stays escaped, for ingest to name.
    assert json.loads(lines[3]) == {
        "id": f"upload/{saved.name}/bad",
        "text": "lone \ud800 surrogate",
    }


def test_login_throttle_slows_then_locks_then_forgives() -> None:
    from ui.auth import LoginThrottle

    now = [0.0]
    gate = LoginThrottle("ada", "s3cret", max_failures=3, lockout=60, clock=lambda: now[0])
    waits = [gate.check("ada", "guess")[1] for _ in range(3)]
    assert waits == sorted(waits) and waits[0] > 0  # each failure waits longer
    assert gate.check("ada", "s3cret") == (False, 1.0)  # locked: even the right password
    assert gate.check("ADA", "s3cret")[0] is False  # the name is not a way around it
    now[0] += 61
    assert gate.check("ada", "s3cret") == (True, 0.0)
    assert gate.check("bob", "s3cret")[0] is False


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        pytest.param("2026-02-30", "", "From date: 2026-02-30 is not a date: February 2026 has 28 days", id="impossible"),
        pytest.param("", "ieri", "Until date: 'ieri' is not a date; write it like", id="words"),
        pytest.param("2026-03-01", "2026-02-01", "The From date is after the Until date", id="reversed"),
    ],
)  # fmt: skip
def test_date_fields_get_messages_in_plain_words(since: str, until: str, message: str) -> None:
    from ui.app import check_dates

    used, errors = check_dates(since, until)
    assert used is None
    assert any(message in e for e in errors), errors
    assert not any("--" in e or "YYYY" in e for e in errors)


def test_rendered_cards_and_markdown_escape_document_text() -> None:
    from rag.answer.models import Source
    from ui.render import Conversation, Message, answer_markdown, render_sources

    evil = '<img src=x onerror="window.__pwned=1">'
    msg = Message(
        role="assistant", k=1, text=f"“{evil} ![t](http://h/t.png)” [1]",
        sources=[
            Source(n=1, doc_id="d<1>", title="<script>t</script>\u202eabc", source="<b>O</b>",
                   published_at="2026-01-01", quote=evil, context=f"prima {evil} dopo")
        ],
    )  # fmt: skip
    out = render_sources(Conversation(messages=[msg]), {"d<1>": f"articolo {evil} <script>x"})
    assert "<img" not in out and "<script>" not in out and "<b>O" not in out
    assert "\u202e" not in out
    assert "<mark id='q-1-1'>&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;</mark>" in out
    assert "prima " in out and " dopo" in out
    md = answer_markdown(msg)
    assert "\\!\\[t\\]\\(http://h/t.png\\)" in md  # pasted into a report, no image loads
    assert md.splitlines()[0].endswith("[1]")  # the citation stays a citation


def test_login_is_a_coroutine_function_gradio_awaits() -> None:
    """Gradio awaits ``auth`` only if ``inspect.iscoroutinefunction(auth)``; anything else
    returning a coroutine would be truthy and let every password in."""
    import asyncio
    import inspect
    from concurrent.futures import ThreadPoolExecutor

    from ui.auth import LoginThrottle

    login = LoginThrottle("ada", "s3cret", delay_step=0).login
    assert inspect.iscoroutinefunction(login)

    def run(user: str, password: str) -> bool:
        # a thread of its own: the browser tests leave Playwright's loop in this one
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, login(user, password)).result()

    assert run("ada", "wrong") is False
    assert run("ada", "s3cret") is True
