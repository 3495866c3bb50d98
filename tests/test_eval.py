"""`rag eval retrieval` end to end on a tiny fixture whose answers are obvious."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCORER = Path("/work/shared/bench/score_retrieval.py")
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
