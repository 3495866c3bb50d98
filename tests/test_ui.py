"""The web chat in a real headless Chromium against a real `rag serve` subprocess.

One server per module, its store ingested at start-up (`--ingest`) from the sample corpus
plus one hostile HTML briefing; the upload test adds one tiny article through the page.
Screenshots of each state go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DETERRENCE_QUOTE, ROOT, SAMPLE, _free_port, wait_for_port

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

needs_browser = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")


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
def server(workdir: Path) -> Iterator[str]:
    docs = workdir / "docs"
    docs.mkdir()
    shutil.copy(SAMPLE, docs / SAMPLE.name)
    (docs / "prova-sicurezza.html").write_text(HOSTILE_HTML, encoding="utf-8")
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


@pytest.mark.browser
@needs_browser
def test_mission_question_follow_up_and_source_card(page) -> None:
    from playwright.sync_api import expect

    _ask(page, "What did Rutte say about deterrence?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text(DETERRENCE_QUOTE, timeout=ANSWER_TIMEOUT)
    expect(chat).to_contain_text("[1]")
    cards = page.locator("#sources .source-card")
    expect(cards.first).to_contain_text("[1]")
    expect(cards.first).to_contain_text("Italpress")
    expect(cards.first).to_contain_text("2026-02-11")
    # the quoted passage is highlighted inside its surrounding text
    expect(cards.first.locator(".source-context mark")).to_contain_text(
        "La deterrenza funziona solo"
    )
    expect(cards.first.locator(".source-context")).to_contain_text("alleanza difensiva")
    page.screenshot(path=str(ARTIFACTS / "01-mission-answer.png"))
    # the whole article opens from the card
    cards.first.locator("details summary").click()
    expect(cards.first.locator(".article")).to_contain_text("comando di coordinamento")
    page.screenshot(path=str(ARTIFACTS / "01b-article-open.png"), full_page=True)

    _ask(page, "And what did he say about Ukraine's resilience?")
    bots = _bot_messages(page)
    expect(bots).to_have_count(2, timeout=ANSWER_TIMEOUT)  # the conversation is kept
    expect(bots.last).to_contain_text(
        re.compile("resilienza|L’Ucraina non può sostenere"), timeout=ANSWER_TIMEOUT
    )
    expect(bots.last).to_contain_text("Rutte")
    expect(bots.first).to_contain_text(DETERRENCE_QUOTE)
    page.screenshot(path=str(ARTIFACTS / "02-follow-up.png"), full_page=True)

    page.locator("#new-chat").click()
    expect(_bot_messages(page)).to_have_count(0)


@pytest.mark.browser
@needs_browser
def test_filters_are_visible_and_bad_dates_are_explained(page) -> None:
    from playwright.sync_api import expect

    page.locator("#since input, #since textarea").first.fill("not-a-date")
    _ask(page, "What did Rutte say about deterrence?")
    expect(page.locator("#chat")).to_contain_text("is not a date", timeout=ANSWER_TIMEOUT)
    expect(page.locator("#filters-line")).to_contain_text("from not-a-date")
    page.screenshot(path=str(ARTIFACTS / "03-bad-date.png"), full_page=True)

    page.locator("#since input, #since textarea").first.fill("2026-01-01")
    page.locator("#until input, #until textarea").first.fill("2026-12-31")
    expect(page.locator("#filters-line")).to_contain_text("from 2026-01-01")
    expect(page.locator("#filters-line")).to_contain_text("until 2026-12-31")
    _ask(page, "What did Rutte say about deterrence?")
    expect(page.locator("#chat")).to_contain_text(DETERRENCE_QUOTE, timeout=ANSWER_TIMEOUT)

    # a date range that excludes the article: no Rutte quote any more
    page.locator("#until input, #until textarea").first.fill("2025-12-31")
    expect(page.locator("#filters-line")).to_contain_text("until 2025-12-31")
    _ask(page, "What did Rutte say about deterrence?")
    expect(_bot_messages(page)).to_have_count(3, timeout=ANSWER_TIMEOUT)
    expect(_bot_messages(page).last).not_to_contain_text(DETERRENCE_QUOTE)
    # the sources dropdown is filled from the store
    page.locator("#source-filter input").first.click()
    expect(page.get_by_role("option", name="Italpress")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Documents")
    expect(page.locator("#status")).to_contain_text("embedded")


@pytest.mark.browser
@needs_browser
def test_hostile_briefing_shows_as_text_and_runs_nothing(page) -> None:
    from playwright.sync_api import expect

    _ask(page, "What did Ferretti say?")
    chat = page.locator("#chat")
    expect(chat).to_contain_text('<img src=x onerror="window.__pwned=1">', timeout=ANSWER_TIMEOUT)
    expect(chat).to_contain_text("<script>window.__pwned=1</script>")
    card = page.locator("#sources .source-card").first
    expect(card).to_contain_text('<img src=x onerror="window.__pwned=1">')
    card.locator("details summary").click()
    expect(card.locator(".article")).to_contain_text("<script>window.__pwned=1</script>")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#chat img[src='x'], #sources img[src='x']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "04-hostile.png"), full_page=True)


@pytest.mark.browser
@needs_browser
def test_upload_makes_a_new_briefing_answerable(page, workdir: Path) -> None:
    from playwright.sync_api import expect

    up = workdir / "to-upload"
    up.mkdir()
    (up / "ponte verona.txt").write_text(BRIDGE_TXT, encoding="utf-8")
    (up / "notes.exe").write_bytes(b"MZ not a briefing")
    page.get_by_text("Add briefings").click()
    page.locator("#upload input[type=file]").set_input_files(
        [str(up / "ponte verona.txt"), str(up / "notes.exe")]
    )
    expect(page.locator("#upload tr")).to_have_count(2, timeout=20_000)
    page.locator("#add-files").click()
    report = page.locator("#upload-report")
    expect(report).to_contain_text("1 added", timeout=ANSWER_TIMEOUT)
    expect(report).to_contain_text("notes.exe: unsupported file type")
    expect(page.locator("#status")).to_contain_text("Italpress")
    page.screenshot(path=str(ARTIFACTS / "05-upload.png"), full_page=True)
    store = workdir / "store"
    assert (store / "uploads" / "ponte_verona.txt").exists()
    assert not (store / "uploads" / "notes.exe").exists()

    _ask(page, "What did Marchetti say about the new bridge?")
    expect(page.locator("#chat")).to_contain_text(BRIDGE_QUOTE, timeout=ANSWER_TIMEOUT)
    expect(page.locator("#sources .source-card").first).to_contain_text("2026-03-05")
    expect(page.locator("#sources .source-card").first).to_contain_text("Italpress")


@pytest.mark.browser
@needs_browser
def test_uploaded_briefing_answers_the_plain_bridge_question(server: str) -> None:
    """Runs after the upload test. The UI passes the question through unchanged; whether
    the English topic "bridge" matches the Italian quote about "ponte" is up to rag/."""
    from gradio_client import Client

    client = Client(server, verbose=False)
    assert BRIDGE_QUOTE in client.predict("What did Marchetti say?", api_name="/ask")["answer"]
    answer = client.predict("What did Marchetti say about the bridge?", api_name="/ask")
    if BRIDGE_QUOTE not in answer["answer"]:
        pytest.xfail(
            "rag/ answerer does not match the topic 'bridge' to the Italian quote about "
            f"'ponte' (answer: {answer['answer']!r}); 'the new bridge' works"
        )


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
    one.screenshot(path=str(ARTIFACTS / "06-narrow.png"), full_page=True)
    context.close()


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
def test_wide_bind_demands_login(browser, workdir: Path) -> None:
    import httpx
    from playwright.sync_api import expect

    refused = subprocess.run(
        [sys.executable, "-m", "rag", "serve", "--host", "0.0.0.0", "--port", "9",
         "--store", str(workdir / "nostore")],
        capture_output=True, text=True, timeout=120, cwd=workdir,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "--auth" in refused.stderr

    proc, port, log = _serve(
        ["--host", "0.0.0.0", "--auth", "user:pass", "--store", str(workdir / "authstore")],
        workdir,
    )
    try:
        wait_for_port(port, proc, log, timeout=120)
        url = f"http://127.0.0.1:{port}"
        call = httpx.post(f"{url}/gradio_api/call/ask", json={"data": ["hi"]}, timeout=10)
        assert call.status_code in (401, 403), call.text
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.goto(url)
        password = pg.locator("input[type=password]")
        expect(password).to_be_visible(timeout=20_000)
        assert pg.locator("#question").count() == 0
        pg.screenshot(path=str(ARTIFACTS / "07-login.png"))
        pg.locator("input[type=text]").first.fill("user")
        password.fill("pass")
        pg.get_by_role("button", name="Login").click()
        expect(pg.locator("#question textarea")).to_be_visible(timeout=30_000)
        context.close()
    finally:
        _stop(proc)


# -- the pieces the page is built from (no browser) ------------------------------------------
def test_upload_names_are_sanitised_and_stay_inside_the_store(tmp_path: Path) -> None:
    from ui.app import safe_name, save_uploads

    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\evil.md") == "evil.md"
    assert safe_name("ponte verona (1).txt") == "ponte_verona_1_.txt"
    assert safe_name(".hidden..txt") == "hidden.txt"
    assert safe_name("") == "upload"
    src = tmp_path / "in"
    src.mkdir()
    good = src / "nota.txt"
    good.write_text("ciao", encoding="utf-8")
    big = src / "grande.txt"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    exe = src / "tool.exe"
    exe.write_bytes(b"MZ")
    dest = tmp_path / "store" / "uploads"
    saved, rejected = save_uploads([str(good), str(big), str(exe)], dest, max_mb=1)
    assert saved == [(dest / "nota.txt").resolve()]
    assert any("grande.txt" in r and "above the 1 MB limit" in r for r in rejected)
    assert any("tool.exe: unsupported file type" in r for r in rejected)
    assert sorted(p.name for p in dest.iterdir()) == ["nota.txt"]


def test_rendered_cards_escape_document_text() -> None:
    from rag.answer.models import Answer, Source
    from ui.app import render_sources

    evil = '<img src=x onerror="window.__pwned=1">'
    answer = Answer(
        question="q",
        text=f"“{evil}” [1]",
        sources=[
            Source(n=1, doc_id="d<1>", title="<script>t</script>", source="<b>O</b>",
                   published_at="2026-01-01", quote=evil, context=f"prima {evil} dopo")
        ],
    )  # fmt: skip
    out = render_sources(answer, {"d<1>": f"articolo {evil} <script>x</script>"})
    assert "<img" not in out and "<script>" not in out and "<b>O" not in out
    assert "<mark>&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;</mark>" in out
    assert "prima " in out and " dopo" in out
