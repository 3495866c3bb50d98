"""`rag eval retrieval` and `rag eval answers`: end to end on tiny fixtures whose answers
are obvious, and the answer metrics on hand-made answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.answer.models import Answer
from rag.documents import file_doc_id
from rag.eval import (
    HELD_RECALL,
    AnswerRecord,
    AnswersResult,
    aggregate,
    contains_answer,
    format_answers_table,
    in_split,
    refusal_scores,
    score_answer,
    sentence_count,
    wrong_topic_questions,
)
from tests.conftest import DETERRENCE_QUOTE, SAMPLE

ROOT = Path(__file__).resolve().parent.parent
SCORER = ROOT.parent / "shared" / "bench" / "score_retrieval.py"
METRICS = ("hits@1", "hits@4", "hits@10", "recall@10", "mrr@10")

# Fictional articles: distinct names, so every question has one obvious document.
ARTICLES = [
    {
        "id": "it-faro",
        "title": "Restaurato il faro di Punta Velluto",
        "source": "Gazzetta di Collarmele",
        "published_at": "2025-03-02",
        "lang": "it",
        "text": (
            "Il faro di Punta Velluto è stato restaurato dall'architetta Lucia Orsenigo. "
            "I lavori sono durati diciotto mesi e sono costati due milioni di euro. "
            "La lanterna, spenta dal 1987, tornerà a illuminare il golfo ogni notte."
        ),
    },
    {
        "id": "it-formaggi",
        "title": "Fiera dei formaggi a Valdorsa",
        "source": "Gazzetta di Collarmele",
        "published_at": "2025-04-10",
        "lang": "it",
        "text": (
            "A Valdorsa la fiera dei formaggi di capra ha accolto trecento produttori. "
            "Il premio per il pecorino stagionato è andato al caseificio Brughiera."
        ),
    },
    {
        "id": "en-bridge",
        "title": "Kelvar Bridge opens to traffic",
        "source": "Northshire Post",
        "published_at": "2025-05-20",
        "lang": "en",
        "text": (
            "The Kelvar Bridge opened to traffic on Monday after four years of works. "
            "Chief engineer Tamsin Roe said the suspension span is the longest in Northshire."
        ),
    },
    {
        "id": "en-bees",
        "title": "Brackmoor beekeeping festival",
        "source": "Northshire Post",
        "published_at": "2025-06-01",
        "lang": "en",
        "text": (
            "The Brackmoor beekeeping festival showed forty-two hives this year. "
            "Visitors tasted heather honey and watched a swarm being collected."
        ),
    },
]

QUESTIONS = [
    {
        "id": "q-faro-it",
        "question": "Chi ha restaurato il faro di Punta Velluto?",
        "lang": "it",
        "answer": "Lucia Orsenigo",
        "gold_article_ids": ["it-faro"],
        "type": "monolingual",
    },
    {
        "id": "q-faro-en",
        "question": "Who restored the Punta Velluto lighthouse?",
        "lang": "en",
        "answer": "Lucia Orsenigo",
        "gold_article_ids": ["it-faro"],
        "type": "cross_lingual",
    },
    {
        "id": "q-bridge",
        "question": "When did the Kelvar Bridge open to traffic?",
        "lang": "en",
        "answer": "Monday",
        "gold_article_ids": ["en-bridge"],
        "type": "monolingual",
    },
    {
        "id": "q-bees",
        "question": "How many hives were shown at the Brackmoor beekeeping festival?",
        "lang": "en",
        "answer": "forty-two",
        "gold_article_ids": ["en-bees"],
        "type": "monolingual",
    },
    {
        "id": "q-none",
        "question": "What did Zorblatt say about the lunar mining treaty?",
        "lang": "en",
        "answer": None,
        "gold_article_ids": [],
        "type": "null",
    },
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=dict(os.environ), timeout=600
    )


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def _parse_table(stdout: str) -> dict[str, dict[str, float]]:
    """Rows of `rag eval retrieval`'s table: group -> {"n", metric...}."""
    lines = stdout.splitlines()
    header = lines[0].split()
    assert header == ["group", "n", *METRICS], stdout
    rows: dict[str, dict[str, float]] = {}
    for line in lines[2:]:
        parts = line.split()
        if len(parts) != len(header) or not parts[1].isdigit():
            continue
        rows[parts[0]] = {
            "n": int(parts[1]),
            **dict(zip(METRICS, map(float, parts[2:]), strict=True)),
        }
    return rows


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("eval")
    articles, questions = tmp / "articles.jsonl", tmp / "questions.jsonl"
    _write_jsonl(articles, ARTICLES)
    _write_jsonl(questions, QUESTIONS)
    store = str(tmp / "store")
    ingested = _run("-m", "rag", "ingest", str(articles), "--store", store)
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.startswith("4 added, 0 updated, 0 unchanged, 0 removed, 0 failed")
    ranked = tmp / "ranked.jsonl"
    result = _run(
        "-m", "rag", "eval", "retrieval", "--questions", str(questions), "-k", "10",
        "--out", str(ranked), "--store", store,
    )  # fmt: skip
    return {"result": result, "ranked": ranked, "questions": questions, "tmp": tmp}


def test_eval_prints_expected_hits(evaluated: dict) -> None:
    result = evaluated["result"]
    assert result.returncode == 0, result.stderr
    rows = _parse_table(result.stdout)
    assert set(rows) == {
        "all", "lang=en", "lang=it", "type=cross_lingual", "type=monolingual",
    }  # fmt: skip
    assert rows["all"]["n"] == 4  # the no-gold question is not scored on ranks
    assert rows["lang=en"]["n"] == 3 and rows["lang=it"]["n"] == 1
    assert rows["type=cross_lingual"]["n"] == 1 and rows["type=monolingual"]["n"] == 3
    for group, ms in rows.items():
        assert ms["hits@1"] == 1.0, (group, result.stdout)
        assert ms["hits@10"] == 1.0 and ms["mrr@10"] == 1.0, (group, result.stdout)
    assert "no-gold questions refused: " in result.stdout
    assert result.stdout.rstrip().endswith("/1")


def test_eval_ranked_file(evaluated: dict) -> None:
    assert evaluated["result"].returncode == 0, evaluated["result"].stderr
    lines = evaluated["ranked"].read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == [q["id"] for q in QUESTIONS]
    known = {a["id"] for a in ARTICLES}
    for r in rows:
        assert set(r) == {"id", "ranked_doc_ids"}
        docs = r["ranked_doc_ids"]
        assert len(docs) == len(set(docs)), r
        assert set(docs) <= known, r
        assert 1 <= len(docs) <= 10
    by_id = {r["id"]: r["ranked_doc_ids"] for r in rows}
    for q in QUESTIONS:
        if q["gold_article_ids"]:
            assert by_id[q["id"]][0] == q["gold_article_ids"][0], (q["id"], by_id[q["id"]])


@pytest.mark.skipif(not SCORER.exists(), reason="shared benchmark scorer not available")
def test_eval_agrees_with_independent_scorer(evaluated: dict) -> None:
    result = evaluated["result"]
    assert result.returncode == 0, result.stderr
    ours = _parse_table(result.stdout)
    out = evaluated["tmp"] / "scores.json"
    scored = _run(
        str(SCORER), "--questions", str(evaluated["questions"]),
        "--ranked", str(evaluated["ranked"]), "--json", str(out),
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    theirs = json.loads(out.read_text())["results"]
    assert theirs["overall"]["no_gold"] == 1
    assert theirs["overall"]["missing_ranked"] == 0
    for group, ms in ours.items():
        ref = theirs["overall" if group == "all" else group]
        assert ref["n"] == ms["n"], group
        for m in METRICS:
            assert round(ref[m], 3) == ms[m], (group, m, ref[m], ms[m])


# --------------------------------------------------------------------------- answers


def _answer(text: str, *, refused: bool = False, speaker: str = "") -> Answer:
    return Answer(question="q", text=text, refused=refused, speaker=speaker)


def _statement() -> str:
    """A whole multi-sentence statement of the sample article, read from it verbatim."""
    article = SAMPLE.read_text(encoding="utf-8")
    start = article.index("La Nato è e rimane un’alleanza difensiva.")
    return article[start : article.index("capacità reali", start) + len("capacità reali")]


RUTTE_LEAD = "Mark Rutte said (Italpress, 11 Feb 2026):"


def test_whole_statement_recall_tells_a_cut_quote_from_the_whole() -> None:
    """The answerer's habit the metric exists for: one sentence of a four-sentence quote."""
    gold = _statement()
    row = {"id": "q", "question": "What did Rutte say about deterrence?", "answer": gold,
           "gold_article_ids": ["a"], "type": "quote", "lang": "en"}  # fmt: skip
    cut = score_answer(
        row, _answer(f"{RUTTE_LEAD}\n“{DETERRENCE_QUOTE}” [1]", speaker="Mark Rutte"), []
    )
    whole = score_answer(row, _answer(f"{RUTTE_LEAD}\n“{gold}” [1]", speaker="Mark Rutte"), [gold])
    assert cut.recall is not None and cut.recall < HELD_RECALL and cut.held is False
    assert (whole.recall, whole.held, whole.right_speaker) == (1.0, True, True)
    assert (whole.gold_top1, cut.gold_top1) == (True, False)  # the passage holds it; no passages
    assert cut.sentences == 1 and whole.sentences == 4


@pytest.mark.parametrize(
    ("gold", "text", "contained"),
    [
        pytest.param("capacità reali", "sostenuta da CAPACITA\n  reali", True, id="accents-case-spacing"),
        pytest.param("2 milioni di dollari", "costò 2 milioni  di dollari.", True, id="double-space"),
        pytest.param("sacro sacerdozio", "il sacerdozio sacro", False, id="words-reordered"),
        pytest.param("dieci per cento", "il dieci percento", False, id="different-string"),
        pytest.param("", "anything at all", False, id="empty-gold"),
    ],
)  # fmt: skip
def test_containment(gold: str, text: str, contained: bool) -> None:
    assert contains_answer(gold, text) is contained


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        pytest.param(f"{RUTTE_LEAD}\n“{DETERRENCE_QUOTE}” [1]", 1, id="lead-line-not-counted"),
        pytest.param(f"{RUTTE_LEAD}\n“La Nato è e rimane un’alleanza difensiva. Non simbolica, non graduale: devastante.” [1]\n“{DETERRENCE_QUOTE}” [2]", 3, id="two-claims"),
        pytest.param("According to Italpress, 11 Feb 2026:\nOne. Two. [1]\nSecondo Italpress:\nTre. [2]", 3, id="two-lead-lines"),
        pytest.param("The briefings do not answer this question.", 1, id="refusal"),
    ],
)  # fmt: skip
def test_sentence_count_ignores_the_lead_line(text: str, sentences: int) -> None:
    assert sentence_count(text) == sentences


def test_factoid_scores() -> None:
    row = {"id": "q", "question": "Di quanto crescerà il porto?", "answer": "dieci per cento",
           "gold_article_ids": ["a"], "type": "monolingual", "lang": "it"}  # fmt: skip
    passages = ["Il bilancio è approvato.", "Il porto crescerà del dieci  per cento."]
    got = score_answer(
        row, _answer("Secondo Italpress:\nCrescerà del Dieci per cento. [1]"), passages
    )
    assert (got.contained, got.short, got.gold_top1, got.gold_top3) == (True, True, False, True)
    long = _answer(
        "Secondo Italpress:\n" + "Prima frase. Seconda frase. Terza frase. Quarta frase." + " [1]"
    )
    assert score_answer(row, long, passages).short is False
    refused = score_answer(row, _answer("dieci per cento?", refused=True), passages)
    assert (refused.contained, refused.short) == (False, False)  # a refusal says nothing


def test_refusal_precision_and_recall() -> None:
    """4 should-refuse (3 refused), 4 answerable (1 refused): recall 3/4, precision 3/4."""
    null = {"id": "n", "question": "What did Zorblatt say about tides?", "answer": None,
            "gold_article_ids": [], "type": "null_quote", "lang": "en"}  # fmt: skip
    wrong = {**null, "type": "wrong_topic"}
    quote = {"id": "a", "question": "What did Rutte say about deterrence?",
             "answer": DETERRENCE_QUOTE, "gold_article_ids": ["a"], "type": "quote", "lang": "en"}  # fmt: skip
    said = _answer(f"{RUTTE_LEAD}\n“{DETERRENCE_QUOTE}” [1]", speaker="Mark Rutte")
    no = _answer("The briefings do not answer this question.", refused=True)
    records = [
        score_answer(row, answer, [])
        for row, answer in [
            (null, no), (null, said), (wrong, no), (wrong, no),
            (quote, said), (quote, said), (quote, said), (quote, no),
        ]
    ]  # fmt: skip
    assert refusal_scores(records) == (0.75, 0.75)
    stats = aggregate(records)
    assert (stats.n, stats.answerable, stats.should_refuse) == (8, 4, 4)
    assert (stats.false_refusals, stats.held, stats.right_speaker) == (0.25, 0.75, 0.75)
    assert stats.contained is None and stats.short is None  # no factoid questions here


def test_splits_partition_the_questions() -> None:
    ids = [f"q{i}" for i in range(200)]
    even = {i for i in ids if in_split(i, "even")}
    odd = {i for i in ids if in_split(i, "odd")}
    assert even and odd and not even & odd and even | odd == set(ids)
    assert all(in_split(i, "all") for i in ids)


def test_wrong_topic_negatives_pair_a_speaker_with_another_topic() -> None:
    rows = [
        {"id": f"q{i}", "question": f"What did {name} say about {topic}?", "answer": "x",
         "gold_article_ids": ["a"], "type": "quote", "lang": "en"}
        for i, (name, topic) in enumerate([("Orsenigo", "the lighthouse"), ("Roe", "the bridge")])
    ]  # fmt: skip
    wrong = wrong_topic_questions(rows)
    assert [w["question"] for w in wrong] == [
        "What did Orsenigo say about the bridge?", "What did Roe say about the lighthouse?",
    ]  # fmt: skip
    assert all(w["gold_article_ids"] == [] and w["type"] == "wrong_topic" for w in wrong)
    assert wrong_topic_questions(rows[:1]) == []  # nobody else's topic to borrow


@pytest.fixture(scope="module")
def answers_run(
    tmp_path_factory: pytest.TempPathFactory, shared_store: Path, briefings_dir: Path
) -> dict:
    """`rag eval answers --json --out` over the shared briefings store."""
    tmp = tmp_path_factory.mktemp("eval-answers")
    questions = [
        {"id": "q-rutte", "question": "What did Rutte say about deterrence?", "lang": "en",
         "answer": DETERRENCE_QUOTE, "type": "quote",
         "gold_article_ids": [file_doc_id(briefings_dir / SAMPLE.name)]},
        {"id": "q-trevisanello", "question": "Cosa ha detto Trevisanello sulla vittoria?", "lang": "it",
         "answer": "Abbiamo giocato con il cuore e meritato la vittoria fino all’ultimo minuto",
         "type": "quote", "gold_article_ids": [file_doc_id(briefings_dir / "calcio-derby.md")]},
        {"id": "q-porto", "question": "Di quanto crescerà il porto di Valmarina?", "lang": "it",
         "answer": "dieci per cento", "type": "monolingual",
         "gold_article_ids": [file_doc_id(briefings_dir / "porto-bilancio.txt")]},
        {"id": "q-none", "question": "What did Zorblatt say about the lunar mining treaty?",
         "lang": "en", "answer": None, "gold_article_ids": [], "type": "null_quote"},
    ]  # fmt: skip
    path, out = tmp / "questions.jsonl", tmp / "answers.jsonl"
    _write_jsonl(path, questions)
    result = _run(
        "-m", "rag", "eval", "answers", "--questions", str(path), "--json",
        "--out", str(out), "--store", str(shared_store),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return {"summary": json.loads(result.stdout), "records": {r["id"]: r for r in records}}


def test_eval_answers_writes_one_line_per_question(answers_run: dict) -> None:
    records = answers_run["records"]
    assert list(records) == [
        "q-rutte", "q-trevisanello", "q-porto", "q-none", "q-rutte-wrong", "q-trevisanello-wrong",
    ]  # the wrong-topic negatives follow the questions  # fmt: skip
    fields = set(AnswerRecord.__dataclass_fields__)
    assert all(set(r) == fields for r in records.values())
    assert records["q-rutte-wrong"]["question"] == "What did Rutte say about vittoria?"
    for r in records.values():
        assert r["text"] and r["latency_ms"] > 0 and r["sentences"] >= 1, r


def test_eval_answers_scores_the_briefings(answers_run: dict) -> None:
    r = answers_run["records"]
    rutte = r["q-rutte"]
    assert rutte["text"].startswith(RUTTE_LEAD), rutte["text"]
    assert (rutte["held"], rutte["recall"], rutte["right_speaker"], rutte["gold_top3"]) == (
        True, 1.0, True, True,
    )  # fmt: skip
    assert (r["q-porto"]["contained"], r["q-porto"]["short"]) == (True, True)
    assert r["q-none"]["refused"] is True and r["q-none"]["kind"] == "refuse"
    groups = answers_run["summary"]["groups"]
    assert {"all", "type=quote", "type=monolingual", "type=null_quote", "type=wrong_topic",
            "lang=en", "lang=it"} == set(groups)  # fmt: skip
    assert (groups["all"]["n"], groups["all"]["answerable"], groups["all"]["should_refuse"]) == (
        6,
        3,
        3,
    )
    assert groups["type=null_quote"]["refusal_recall"] == 1.0
    assert groups["type=quote"]["contained"] is None and groups["type=monolingual"]["held"] is None


def test_answers_table_has_a_row_per_group() -> None:
    row = {"id": "q", "question": "What did Rutte say about deterrence?", "answer": DETERRENCE_QUOTE,
           "gold_article_ids": ["a"], "type": "quote", "lang": "en"}  # fmt: skip
    rec = score_answer(
        row, _answer(f"{RUTTE_LEAD}\n“{DETERRENCE_QUOTE}” [1]", speaker="Mark Rutte"), []
    )
    table = format_answers_table(AnswersResult(split="all", groups={"all": aggregate([rec])}))
    header, _, line = table.splitlines()
    assert header.split()[:5] == ["group", "n", "top1", "top3", "held"]
    assert line.split()[:5] == ["all", "1", "0.000", "0.000", "1.000"]
    assert line.split()[header.split().index("contain")] == "-"  # no factoid questions


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--split", "third"], "error: --split takes even, odd or all", id="bad-split"),
        pytest.param(["--limit", "0"], "error: --limit takes a positive number", id="bad-limit"),
    ],
)  # fmt: skip
def test_eval_answers_rejects_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    questions = tmp_path / "q.jsonl"
    _write_jsonl(questions, QUESTIONS)
    result = _run("-m", "rag", "eval", "answers", "--questions", str(questions), *args)
    assert result.returncode == 1 and result.stderr.startswith(message), result.stderr
