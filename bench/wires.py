"""Wire-copy dev set: dateline metadata, statement attribution and answers (bench/wires/).

    PYTHONPATH=. python bench/wires.py [--split even|odd|all] [--store DIR] [--json out.json]
                                       [--skip-answers] [--verbose]

Three measures over fictional agency briefings written the way wires are written:

- metadata: ``rag.documents.load_file`` -> published_at, place, source and title of the
  first Document, against the gold annotation;
- attribution: ``rag.quotes.find_quotes`` on the loaded text -> every gold statement
  (direct quote or reported clause) found with the right speaker, kind and span;
- answers: ``Assistant.ask`` over a store of all briefings -> right refusals, the gold
  words in the answer, the right speaker, the date and place for when/where questions.

The split is by briefing file (sha256 of the file name, parity of the first byte), and
questions follow their briefing, so a rule tuned on one half is checked on the other.
With --split all every figure is printed for all, even and odd.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from rag.lexical import fold

ROOT = Path(__file__).resolve().parent / "wires"
DEFAULT_STORE = Path(__file__).resolve().parent / ".stores" / "wires"
META_FIELDS = ("published_at", "place", "source", "title")
LENIENT_OVERLAP = 0.9

Row = dict[str, Any]

# ---------------------------------------------------------------- data and split


def read_jsonl(path: Path) -> list[Row]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_set(root: Path = ROOT) -> tuple[list[Row], list[Row]]:
    """(annotations, questions) of the set under ``root``."""
    return read_jsonl(root / "annotations.jsonl"), read_jsonl(root / "questions.jsonl")


def split_of(file_name: str) -> str:
    """'even' or 'odd': parity of the first byte of sha256(file name)."""
    return "even" if hashlib.sha256(file_name.encode()).digest()[0] % 2 == 0 else "odd"


def in_split(file_name: str, split: str) -> bool:
    return split == "all" or split_of(file_name) == split


def briefing_text(root: Path, file_name: str) -> str:
    return (root / "briefings" / file_name).read_text(encoding="utf-8")


def self_check(root: Path = ROOT) -> list[str]:
    """Problems with the gold data: every annotated text and every expected substring
    must occur verbatim in its briefing, every question must name a known briefing."""
    annotations, questions = load_set(root)
    problems: list[str] = []
    texts: dict[str, str] = {}
    for row in annotations:
        path = root / "briefings" / row["file"]
        if not path.is_file():
            problems.append(f"{row['file']}: no such briefing")
            continue
        text = texts[row["file"]] = briefing_text(root, row["file"])
        names = {p["name"] for p in row["people"]}
        for st in row["statements"]:
            if st["text"] not in text:
                problems.append(f"{row['file']}: statement not verbatim: {st['text']!r}")
            if st["speaker"] not in names:
                problems.append(f"{row['file']}: speaker {st['speaker']!r} not in people")
            if st["kind"] not in ("direct", "reported"):
                problems.append(f"{row['file']}: bad kind {st['kind']!r}")
    on_disk = {p.name for p in (root / "briefings").iterdir() if p.is_file()}
    for missing in sorted(on_disk - set(texts)):
        problems.append(f"{missing}: briefing without annotation")
    ids: set[str] = set()
    for q in questions:
        if q["id"] in ids:
            problems.append(f"{q['id']}: duplicate id")
        ids.add(q["id"])
        text = texts.get(q["file"])
        if text is None:
            problems.append(f"{q['id']}: unknown briefing {q['file']!r}")
            continue
        expect = q["expect"]
        for s in [*expect.get("contains", []), *expect.get("contains_any", [])]:
            if s not in text:
                problems.append(f"{q['id']}: expected text not in {q['file']}: {s!r}")
        if expect.get("speaker") and expect["speaker"] not in text:
            problems.append(f"{q['id']}: speaker {expect['speaker']!r} not in {q['file']}")
    return problems


# ---------------------------------------------------------------- text comparison

_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "„": '"', "‘": "'", "’": "'"})
_EDGE = " \t\n\"'“”«»‘’„"
_FINAL = ".,;:!?…"


def normalise(text: str) -> str:
    """Whitespace collapsed, quotation marks and apostrophes made straight."""
    return " ".join(text.translate(_QUOTES).split())


def span_key(text: str) -> str:
    """A statement span as compared: no surrounding marks, spaces or final punctuation."""
    s = normalise(text).strip(_EDGE)
    while s and s[-1] in _FINAL + _EDGE:
        s = s[:-1]
    return s.strip(_EDGE)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def overlap(a: str, b: str) -> float:
    """Shared tokens over the longer side: 1.0 only when both say the same words."""
    ta, tb = set(_tokens(a)), set(_tokens(b))
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / max(len(ta), len(tb))


def same_person(gold: str, found: str) -> bool:
    """Folded full names when both have two or more tokens, else surnames."""
    g, f = fold(gold).split(), fold(found).split()
    if not g or not f:
        return False
    if len(g) >= 2 and len(f) >= 2:
        return g == f
    return g[-1] == f[-1]


def _share(right: int, total: int) -> float | None:
    return right / total if total else None


# ---------------------------------------------------------------- metadata


def _load_first(root: Path, file_name: str) -> Any:
    from rag.documents import load_file

    loaded = load_file(root / "briefings" / file_name)
    return loaded.documents[0] if loaded.documents else None


def metadata_items(root: Path, annotations: Iterable[Row]) -> list[Row]:
    """One row per briefing and scored field: gold, found, right.

    An empty gold place or source means the briefing does not give one (no dateline,
    no agency) and the field is not scored; a gold title is the headline line or the
    front-matter title, otherwise any non-empty title other than the file stem is right."""
    items: list[Row] = []
    for row in annotations:
        doc = _load_first(root, row["file"])
        meta = dict(doc.metadata) if doc is not None else {}
        stem = Path(row["file"]).stem
        for field in META_FIELDS:
            got = normalise(str(meta.get(field) or ""))
            if field == "published_at":
                gold, right = row["published_at"], got[:10] == row["published_at"]
            elif field == "title":
                gold = row.get("title", "")
                right = got == normalise(gold) if gold else bool(got) and got != stem
            else:
                gold = row[field]
                if not gold:
                    continue
                right = got == gold
            items.append(
                {
                    "file": row["file"],
                    "lang": row["lang"],
                    "field": field,
                    "gold": gold,
                    "found": got,
                    "right": right,
                }
            )
    return items


def summarise_metadata(items: Sequence[Row]) -> Row:
    out: Row = {}
    for field in META_FIELDS:
        rows = [i for i in items if i["field"] == field]
        out[field] = _share(sum(i["right"] for i in rows), len(rows))
        out[f"{field}_n"] = len(rows)
    scored = [i for i in items]
    out["all_fields"] = _share(sum(i["right"] for i in scored), len(scored))
    out["wrong"] = [
        {k: i[k] for k in ("file", "field", "gold", "found")} for i in items if not i["right"]
    ]
    return out


def score_metadata(root: Path = ROOT, annotations: Iterable[Row] | None = None) -> Row:
    """Share right per metadata field, and the wrong ones."""
    if annotations is None:
        annotations = load_set(root)[0]
    return summarise_metadata(metadata_items(root, annotations))


# ---------------------------------------------------------------- attribution


def attribution_items(root: Path, annotations: Iterable[Row]) -> tuple[list[Row], list[Row]]:
    """(gold rows, found rows): each gold statement with whether it was found exactly or
    leniently (speaker and kind right, span the same / >=90% token overlap) and the best
    found span; each found span with whether it corresponds to any gold statement."""
    from rag.quotes import find_quotes

    golds: list[Row] = []
    founds: list[Row] = []
    for row in annotations:
        doc = _load_first(root, row["file"])
        text = doc.page_content if doc is not None else ""
        spans = []
        for q in find_quotes(text):
            spans.append(
                {
                    "file": row["file"],
                    "lang": row["lang"],
                    "text": text[q.start : q.end],
                    "speaker": q.speaker or "",
                    "kind": getattr(q, "kind", "direct"),
                }
            )
        for st in row["statements"]:
            key = span_key(st["text"])
            exact = lenient = False
            best: Row | None = None
            best_score = -1.0
            for sp in spans:
                ov = 1.0 if span_key(sp["text"]) == key else overlap(sp["text"], st["text"])
                same = same_person(st["speaker"], sp["speaker"]) and sp["kind"] == st["kind"]
                if same and span_key(sp["text"]) == key:
                    exact = True
                if same and ov >= LENIENT_OVERLAP:
                    lenient = True
                # The closest span by wording (speaker as tie-break); none if no word is shared.
                score = ov + (0.5 if same else 0.0)
                if ov > 0 and score > best_score:
                    best, best_score = sp, score
            golds.append(
                {
                    "file": row["file"],
                    "lang": row["lang"],
                    "kind": st["kind"],
                    "speaker": st["speaker"],
                    "text": st["text"],
                    "exact": exact,
                    "lenient": lenient or exact,
                    "best": best,
                }
            )
        for sp in spans:
            sp["matched"] = any(
                overlap(sp["text"], st["text"]) >= LENIENT_OVERLAP
                or span_key(sp["text"]) == span_key(st["text"])
                for st in row["statements"]
            )
            sp["right"] = any(
                span_key(sp["text"]) == span_key(st["text"])
                and same_person(st["speaker"], sp["speaker"])
                and sp["kind"] == st["kind"]
                for st in row["statements"]
            )
            founds.append(sp)
    return golds, founds


def summarise_attribution(golds: Sequence[Row], founds: Sequence[Row]) -> Row:
    out: Row = {
        "statements": len(golds),
        "exact": _share(sum(g["exact"] for g in golds), len(golds)),
        "lenient": _share(sum(g["lenient"] for g in golds), len(golds)),
        "found": len(founds),
        # A found span that is no gold statement at all (not even with the wrong speaker).
        "precision": _share(sum(f["matched"] for f in founds), len(founds)),
        # A found span that is a gold statement with its speaker and kind.
        "precision_attributed": _share(sum(f["right"] for f in founds), len(founds)),
    }
    groups: dict[str, list[Row]] = defaultdict(list)
    for g in golds:
        groups[g["kind"]].append(g)
        groups[g["lang"]].append(g)
        groups[f"{g['lang']}/{g['kind']}"].append(g)
    out["recall"] = {
        k: {
            "exact": _share(sum(g["exact"] for g in v), len(v)),
            "lenient": _share(sum(g["lenient"] for g in v), len(v)),
            "n": len(v),
        }
        for k, v in sorted(groups.items())
    }
    out["misses"] = [
        {
            "file": g["file"],
            "gold": f"{g['speaker']} [{g['kind']}] {g['text']}",
            "best": (
                f"{g['best']['speaker'] or '?'} [{g['best']['kind']}] {g['best']['text']}"
                if g["best"]
                else ""
            ),
        }
        for g in golds
        if not g["exact"]
    ]
    out["spurious"] = [
        {"file": f["file"], "found": f"{f['speaker'] or '?'} [{f['kind']}] {f['text']}"}
        for f in founds
        if not f["matched"]
    ]
    return out


def score_attribution(root: Path = ROOT, annotations: Iterable[Row] | None = None) -> Row:
    """Recall (exact and lenient, per kind and language) and precision of find_quotes."""
    if annotations is None:
        annotations = load_set(root)[0]
    return summarise_attribution(*attribution_items(root, annotations))


# ---------------------------------------------------------------- answers

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
}


def date_forms(iso: str) -> list[str]:
    """Human spellings of an ISO date: 2026-02-11, 11 Feb 2026, 11 febbraio 2026,
    February 11, 2026, 11/02/2026 ... (folded, for a case-insensitive search)."""
    y, m, d = (int(x) for x in iso.split("-"))
    forms = {iso, f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d:02d}.{m:02d}.{y}"}
    for names in _MONTHS.values():
        full = names[m - 1]
        for month in {full, full[:3], full[:3] + "."}:
            for day in {str(d), f"{d:02d}"}:
                forms |= {f"{day} {month} {y}", f"{month} {day}, {y}", f"{month} {day} {y}"}
    return sorted(fold(f) for f in forms)


def _has_date(text: str, iso: str) -> bool:
    t = fold(normalise(text))
    # Bounded, so 1 February is not found inside "11 February".
    return any(re.search(rf"(?<!\w){re.escape(f)}(?!\w)", t) for f in date_forms(iso))


def _place_names(place: str) -> list[str]:
    """'Valdorno (Toscana)' -> ['valdorno']: the town is what an answer must name."""
    town = place.split("(")[0].strip()
    return [fold(town)] if town else []


def check_answer(answer: Any, q: Row) -> tuple[bool, str]:
    """(right, why not) for one answer against the question's expectations."""
    expect = q["expect"]
    refused = bool(getattr(answer, "refused", False))
    if expect["refused"]:
        return (True, "") if refused else (False, "answered, should refuse")
    if refused:
        return False, "refused, should answer"
    text = normalise(str(answer.text))
    missing = [s for s in expect.get("contains", []) if normalise(s) not in text]
    if missing:
        return False, f"missing {missing}"
    any_of = expect.get("contains_any", [])
    if any_of and not any(normalise(s) in text for s in any_of):
        return False, f"none of {any_of}"
    speaker = expect.get("speaker", "")
    if speaker:
        surname = fold(speaker.split()[-1])
        if surname not in fold(str(getattr(answer, "speaker", ""))) and surname not in fold(text):
            return False, f"speaker {speaker!r} not named (got {getattr(answer, 'speaker', '')!r})"
    sources = list(getattr(answer, "sources", []) or [])
    first = sources[0] if sources else None
    if expect.get("date"):
        published = str(getattr(first, "published_at", "") or "")[:10]
        if not (_has_date(text, expect["date"]) or published == expect["date"]):
            return False, f"date {expect['date']} not given (source date {published!r})"
    if expect.get("place"):
        where = fold(text)
        if first is not None:
            where += " " + fold(f"{getattr(first, 'place', '')} {first.title} {first.quote}")
        if not any(p in where for p in _place_names(expect["place"])):
            return False, f"place {expect['place']!r} not given"
    return True, ""


def answer_items(
    ask: Callable[[str, list[list[str]]], Any], questions: Iterable[Row], doc_lang: dict[str, str]
) -> list[Row]:
    """Ask every question (``ask(question, history)``) and check the answers."""
    items: list[Row] = []
    for q in questions:
        t0 = time.perf_counter()
        answer = ask(q["question"], q.get("history") or [])
        seconds = time.perf_counter() - t0
        right, why = check_answer(answer, q)
        items.append(
            {
                "id": q["id"],
                "file": q["file"],
                "type": q["type"],
                "lang": q["lang"],
                "doc_lang": doc_lang.get(q["file"], ""),
                "question": q["question"],
                "should_refuse": bool(q["expect"]["refused"]),
                "refused": bool(getattr(answer, "refused", False)),
                "right": right,
                "why": why,
                "answer": str(getattr(answer, "text", "")),
                "seconds": seconds,
            }
        )
    return items


def role_items(
    question_of: Callable[[str, list[list[str]]], Any], questions: Iterable[Row]
) -> list[Row]:
    """For every question asked by role: is the role resolved to the expected person?
    ``question_of(question, history)`` is the analysed question (``Assistant.question``),
    whose ``speaker`` is the person the role resolved to. Apart from the answer: a role
    resolved to the right person can still be answered wrongly, and the reverse."""
    items: list[Row] = []
    for q in questions:
        if q["type"] != "role" or not q["expect"].get("speaker"):
            continue
        got = str(getattr(question_of(q["question"], q.get("history") or []), "speaker", ""))
        surname = fold(q["expect"]["speaker"].split()[-1])
        items.append({"id": q["id"], "file": q["file"], "right": surname in fold(got), "got": got})
    return items


def _p95(values: Sequence[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


def summarise_answers(items: Sequence[Row]) -> Row:
    def rate(rows: Sequence[Row]) -> Row:
        return {"right": _share(sum(r["right"] for r in rows), len(rows)), "n": len(rows)}

    groups: dict[str, dict[str, list[Row]]] = {"type": {}, "lang": {}, "q_over_doc": {}}
    for r in items:
        groups["type"].setdefault(r["type"], []).append(r)
        groups["lang"].setdefault(r["lang"], []).append(r)
        groups["q_over_doc"].setdefault(f"{r['lang']}>{r['doc_lang']}", []).append(r)
    should = [r for r in items if r["should_refuse"]]
    answerable = [r for r in items if not r["should_refuse"]]
    refused = [r for r in items if r["refused"]]
    seconds = [r["seconds"] for r in items]
    return {
        "questions": len(items),
        "right": _share(sum(r["right"] for r in items), len(items)),
        **{k: {name: rate(rows) for name, rows in sorted(v.items())} for k, v in groups.items()},
        "refusal_recall": _share(sum(r["refused"] for r in should), len(should)),
        "refusal_precision": _share(sum(r["should_refuse"] for r in refused), len(refused)),
        "wrongly_refused": _share(sum(r["refused"] for r in answerable), len(answerable)),
        "latency_median_s": statistics.median(seconds) if seconds else None,
        "latency_p95_s": _p95(seconds) if seconds else None,
        "failures": [
            {
                "id": r["id"],
                "type": r["type"],
                "question": r["question"],
                "why": r["why"],
                "answer": r["answer"][:300],
            }
            for r in items
            if not r["right"]
        ],
    }


def open_assistant(store: Path, root: Path = ROOT) -> Any:
    """An Assistant over a store holding every briefing; ingest only adds what changed,
    so a store given again is reused as it is."""
    from rag import Assistant

    assistant = Assistant(store=store)
    report = assistant.ingest([root / "briefings"], progress=False)
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.failed}")
    # What a user's store holds once `rag ingest` has run its background fill: answers
    # (who-said's statement search among them) read the saved sentence vectors.
    filled = assistant.fill_sentences()
    print(
        f"store {store}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged ({report.seconds:.1f}s); "
        f"{filled.sentences} sentence vectors saved"
    )
    return assistant


# ---------------------------------------------------------------- report


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{100 * x:5.1f}"


def _by_split(rows: Sequence[Row], splits: Sequence[str]) -> dict[str, list[Row]]:
    return {s: [r for r in rows if in_split(r["file"], s)] for s in splits}


def _table(title: str, lines: list[tuple[str, list[str]]], splits: Sequence[str]) -> None:
    print(f"\n{title}")
    print(f"  {'':28}" + "".join(f"{s:>10}" for s in splits))
    for name, cells in lines:
        print(f"  {name:28}" + "".join(f"{c:>10}" for c in cells))


def _file_list(spec: str) -> list[str]:
    if spec.startswith("@"):
        lines = Path(spec[1:]).read_text(encoding="utf-8").splitlines()
        return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    return [name.strip() for name in spec.split(",") if name.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["all", "even", "odd"], default="all")
    ap.add_argument("--store", type=Path, default=DEFAULT_STORE)
    ap.add_argument("--json", type=Path, help="write every figure and failure here")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    ap.add_argument("--skip-answers", action="store_true", help="metadata and attribution only")
    ap.add_argument("--verbose", "-v", action="store_true", help="list misses and failures")
    ap.add_argument(
        "--files",
        help="only these briefings: comma-separated file names, or @PATH of a file listing "
        "one a line (a round of briefings measured alone, e.g. its generalisation figure)",
    )
    args = ap.parse_args(argv)

    problems = self_check(args.root)
    if problems:
        print("SELF-CHECK FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 2
    annotations, questions = load_set(args.root)
    for s in ("even", "odd"):
        nb = sum(in_split(a["file"], s) for a in annotations)
        nq = sum(in_split(q["file"], s) for q in questions)
        print(f"split {s}: {nb} briefings, {nq} questions")
    if args.files:
        only = set(_file_list(args.files))
        annotations = [a for a in annotations if a["file"] in only]
        questions = [q for q in questions if q["file"] in only]
        print(f"only {len(annotations)} briefings, {len(questions)} questions (--files)")
    annotations = [a for a in annotations if in_split(a["file"], args.split)]
    questions = [q for q in questions if in_split(q["file"], args.split)]
    splits = ["all", "even", "odd"] if args.split == "all" else [args.split]
    result: Row = {"split": args.split}

    meta = metadata_items(args.root, annotations)
    meta_s = {s: summarise_metadata(rows) for s, rows in _by_split(meta, splits).items()}
    result["metadata"] = meta_s
    _table(
        "metadata (share right)",
        [(f, [_pct(meta_s[s][f]) for s in splits]) for f in (*META_FIELDS, "all_fields")],
        splits,
    )
    for w in meta_s[splits[0]]["wrong"]:
        print(f"    wrong {w['field']:12} {w['file']}: gold {w['gold']!r} found {w['found']!r}")

    golds, founds = attribution_items(args.root, annotations)
    g_by, f_by = _by_split(golds, splits), _by_split(founds, splits)
    attr_s = {s: summarise_attribution(g_by[s], f_by[s]) for s in splits}
    result["attribution"] = attr_s
    keys = sorted(attr_s[splits[0]]["recall"])
    lines = [
        ("exact recall", [_pct(attr_s[s]["exact"]) for s in splits]),
        ("lenient recall", [_pct(attr_s[s]["lenient"]) for s in splits]),
    ]
    lines += [
        (f"  exact {k}", [_pct(attr_s[s]["recall"].get(k, {}).get("exact")) for s in splits])
        for k in keys
    ]
    lines += [
        ("precision (span is a gold)", [_pct(attr_s[s]["precision"]) for s in splits]),
        ("precision (speaker+kind)", [_pct(attr_s[s]["precision_attributed"]) for s in splits]),
        ("statements / found", [f"{attr_s[s]['statements']}/{attr_s[s]['found']}" for s in splits]),
    ]
    _table("attribution", lines, splits)
    if args.verbose:
        for m in attr_s[splits[0]]["misses"]:
            print(f"    miss {m['file']}\n      gold:  {m['gold']}\n      found: {m['best']}")
        for sp in attr_s[splits[0]]["spurious"]:
            print(f"    spurious {sp['file']}: {sp['found']}")

    if not args.skip_answers:
        assistant = open_assistant(args.store, args.root)
        doc_lang = {a["file"]: a["lang"] for a in load_set(args.root)[0]}
        items = answer_items(lambda q, h: assistant.ask(q, chat_history=h), questions, doc_lang)
        ans_s = {s: summarise_answers(rows) for s, rows in _by_split(items, splits).items()}
        result["answers"] = ans_s
        first = ans_s[splits[0]]
        lines = [("right", [_pct(ans_s[s]["right"]) for s in splits])]
        for group in ("type", "lang", "q_over_doc"):
            for name in first[group]:
                lines.append(
                    (
                        f"  {group} {name}",
                        [_pct(ans_s[s][group].get(name, {}).get("right")) for s in splits],
                    )
                )
        lines += [
            ("refusal recall", [_pct(ans_s[s]["refusal_recall"]) for s in splits]),
            ("refusal precision", [_pct(ans_s[s]["refusal_precision"]) for s in splits]),
            ("wrongly refused", [_pct(ans_s[s]["wrongly_refused"]) for s in splits]),
            ("latency median s", [f"{ans_s[s]['latency_median_s'] or 0:.2f}" for s in splits]),
            ("latency p95 s", [f"{ans_s[s]['latency_p95_s'] or 0:.2f}" for s in splits]),
            ("questions", [str(ans_s[s]["questions"]) for s in splits]),
        ]
        roles = role_items(lambda q, h: assistant.question(q, chat_history=h), questions)
        role_s = {
            s: (sum(r["right"] for r in rows) / len(rows) if rows else None, len(rows))
            for s, rows in _by_split(roles, splits).items()
        }
        result["role_resolution"] = {
            s: {"right": v[0], "questions": v[1]} for s, v in role_s.items()
        }
        # Per question, so that a subset (a round of briefings) can be counted afterwards.
        result["role_items"] = roles
        result["answer_items"] = [{k: r[k] for k in ("id", "file", "type", "right")} for r in items]
        lines += [
            ("role resolved to the person", [_pct(role_s[s][0]) for s in splits]),
            ("role questions", [str(role_s[s][1]) for s in splits]),
        ]
        _table("answers (share right)", lines, splits)
        if args.verbose:
            for r in _by_split(roles, splits)[splits[0]]:
                if not r["right"]:
                    print(f"    role {r['id']} resolved to {r['got']!r}")
            for f in first["failures"]:
                print(
                    f"    {f['id']} [{f['type']}] {f['question']}\n      {f['why']}\n"
                    f"      answer: {f['answer'][:200]!r}"
                )

    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
