"""Mutation testing of statement attribution on the wire dev set's even half.

    PYTHONPATH=. python bench/attribution_mutations.py [--split even] [--samples 3]
                                                       [--only TYPE,...] [--json out.json] [-v]

The even briefings score 100 % with ``rag.quotes.find_quotes``, so that figure says
nothing about how the rules behave on wording they were not written against. Each
mutation below is a meaning-preserving rewrite agency copy really uses (another speech
verb of the same class, the attribution moved, a speaker of the other gender, another
name, the first name dropped on later mentions, other quotation marks, a role apposition
added or removed, a long statement split with a continuation verb). The gold
(speaker, kind, span) of every statement is carried through the rewrite, and the
attribution recall is measured on the statements of the paragraphs the rewrite touched
(``touched``), plus any statement elsewhere that the rewrite broke (``collateral``).

Every text generated stays fictional: the briefings are fictional and the names swapped
in come from the lists below, invented for this bench.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wires  # noqa: E402

Row = dict[str, Any]


# ---------------------------------------------------------------- texts, golds and edits


@dataclass(frozen=True)
class Gold:
    speaker: str
    kind: str
    start: int
    end: int


@dataclass
class Briefing:
    file: str
    lang: str
    text: str
    golds: list[Gold]
    people: list[Row]


@dataclass
class Edit:
    """``text[start:end]`` becomes ``new``. Golds wholly inside the edited range are
    replaced by ``inside`` (speaker, kind, offsets into ``new``) when it is given,
    otherwise they must not straddle it."""

    start: int
    end: int
    new: str
    inside: list[tuple[str, str, int, int]] | None = None


@dataclass
class Mutant:
    kind: str
    file: str
    text: str
    golds: list[Gold]
    touched: list[bool]
    before: str  # the original sentence(s), for samples
    after: str
    speakers: dict[str, str] = field(default_factory=dict)


def load_briefings(split: str) -> list[Briefing]:
    out = []
    for row in wires.load_set()[0]:
        if not wires.in_split(row["file"], split):
            continue
        doc = wires._load_first(wires.ROOT, row["file"])
        text = doc.page_content
        golds, taken = [], set()
        for st in row["statements"]:
            at = text.find(st["text"])
            while at in taken:
                at = text.find(st["text"], at + 1)
            if at < 0:
                raise SystemExit(f"{row['file']}: gold not in page_content: {st['text']!r}")
            taken.add(at)
            golds.append(Gold(st["speaker"], st["kind"], at, at + len(st["text"])))
        out.append(Briefing(row["file"], row["lang"], text, golds, row["people"]))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for part in re.split(r"(\n\s*\n)", text):
        spans.append((pos, pos + len(part)))
        pos += len(part)
    return spans


def _para_of(paras: list[tuple[int, int]], pos: int) -> int:
    return next((i for i, (a, b) in enumerate(paras) if a <= pos < b), len(paras) - 1)


def _context(text: str, start: int, end: int) -> str:
    a = max(text.rfind("\n", 0, start) + 1, start - 160)
    e = text.find("\n", end)
    b = min(e if e >= 0 else len(text), end + 160)
    return text[a:b].strip()


def apply(
    b: Briefing,
    kind: str,
    edits: Sequence[Edit],
    speakers: dict[str, str] | None = None,
) -> Mutant | None:
    """The briefing with ``edits`` made, golds carried through; None when an edit cuts a
    gold span without saying what it becomes."""
    edits = sorted(edits, key=lambda e: e.start)
    for x, y in zip(edits, edits[1:], strict=False):
        if y.start < x.end:
            return None
    speakers = speakers or {}
    parts, pos, shift = [], 0, 0
    for e in edits:
        parts.append(b.text[pos : e.start])
        parts.append(e.new)
        shift += len(e.new) - (e.end - e.start)
        pos = e.end
    parts.append(b.text[pos:])
    new_text = "".join(parts)

    def moved(p: int, *, is_end: bool) -> int:
        # An insertion at a gold's start goes before it, one at its end after it.
        return p + sum(
            len(e.new) - (e.end - e.start)
            for e in edits
            if e.end < p or (e.end == p and (e.start < e.end or not is_end))
        )

    golds: list[Gold] = []
    touched: list[bool] = []
    paras = _paragraphs(b.text)
    edited_paras = {_para_of(paras, e.start) for e in edits} | {
        _para_of(paras, max(e.start, e.end - 1)) for e in edits
    }
    replaced: set[int] = set()
    for e in edits:
        if e.inside is None:
            continue
        base = moved(e.start, is_end=False)
        for i, g in enumerate(b.golds):
            if g.start >= e.start and g.end <= e.end:
                replaced.add(i)
        for sp, kd, s, t in e.inside:
            golds.append(Gold(sp, kd, base + s, base + t))
            touched.append(True)
    for i, g in enumerate(b.golds):
        if i in replaced:
            continue
        for e in edits:
            inside = g.start <= e.start and e.end <= g.end
            outside = e.end <= g.start or e.start >= g.end
            if not (inside or outside):
                return None
        golds.append(
            Gold(
                speakers.get(g.speaker, g.speaker),
                g.kind,
                moved(g.start, is_end=False),
                moved(g.end, is_end=True),
            )
        )
        touched.append(_para_of(paras, g.start) in edited_paras)
    first = edits[0] if edits else Edit(0, 0, "")
    before = _context(b.text, first.start, first.end)
    after = _context(
        new_text,
        moved(first.start, is_end=False),
        moved(first.start, is_end=False) + len(first.new),
    )
    return Mutant(kind, b.file, new_text, golds, touched, before, after, speakers)


# ---------------------------------------------------------------- shared helpers

_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"\n]*\"")
_DETERMINERS = frozenset(
    "il lo la l' l’ i gli le un una uno the a an this these those its their our".split()
)


def _protected(b: Briefing) -> list[tuple[int, int]]:
    """Gold spans and quotations: a rewrite of attribution words stays out of them."""
    return [(g.start, g.end) for g in b.golds] + [
        (m.start(), m.end()) for m in _QUOTED.finditer(b.text)
    ]


def _free(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return all(e <= a or s >= z for a, z in spans)


def _surname(name: str) -> str:
    return name.split()[-1]


def _first(name: str) -> str:
    return " ".join(name.split()[:-1])


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _decap(s: str) -> str | None:
    """The phrase lower-cased at its start when it starts with a determiner (a clause or
    subject moved into mid-sentence), unchanged when it starts with a name, None when it
    starts with something else capitalised (unsafe to move)."""
    w = re.match(r"[\w'’]+", s)
    if not w:
        return None
    word = w.group(0)
    if word.lower() in _DETERMINERS or re.match(r"(?i)l['’]", word):
        return s[:1].lower() + s[1:]
    if word[:1].isupper():
        return s if _is_name_start(word) else None
    return s


_NAMES: set[str] = set()


def _is_name_start(word: str) -> bool:
    return word in _NAMES


_SENT = re.compile(
    r"[^.!?\n]*?(?:«[^»]*»|“[^”]*”|\"[^\"\n]*\"|[^.!?\n«“\"])*?"
    r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)(?<!\b[A-Z])[.!?](?=\s|$)"
)


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence, the final mark included; quotations kept whole."""
    pos = 0
    for para_s, para_e in _paragraphs(text):
        pos = para_s
        while pos < para_e:
            while pos < para_e and text[pos].isspace():
                pos += 1
            if pos >= para_e:
                break
            m = _SENT.match(text, pos, para_e)
            end = m.end() if m else para_e
            if end <= pos:
                end = para_e
            yield pos, end
            pos = end


# ---------------------------------------------------------------- 1. speech verb swap

_IT_CLASSES = {
    # participle after ha/aveva, finite present, imperfect, gerund
    "participle": [
        "dichiarato",
        "affermato",
        "sottolineato",
        "spiegato",
        "detto",
        "precisato",
        "evidenziato",
        "osservato",
        "ricordato",
        "rimarcato",
        "puntualizzato",
    ],
    "present": [
        "dichiara",
        "afferma",
        "sottolinea",
        "spiega",
        "dice",
        "precisa",
        "evidenzia",
        "osserva",
        "ricorda",
    ],
    "imperfect": ["dichiarava", "affermava", "sottolineava", "spiegava", "diceva"],
    "gerund": ["dichiarando", "affermando", "sottolineando", "spiegando"],
}
# The verbs that take 'di' + infinitive, and 'come' + clause, in this class.
_IT_DI = {"dichiarato", "affermato", "detto", "dichiara", "afferma", "dice"}
_IT_COME = {
    "sottolineato",
    "spiegato",
    "sottolinea",
    "spiega",
    "sottolineava",
    "spiegava",
    "evidenziato",
    "osservato",
    "ricordato",
    "rimarcato",
    "evidenzia",
    "osserva",
    "ricorda",
}
_EN_CLASSES = {
    "past": ["said", "stated", "noted", "told reporters", "explained", "pointed out"],
    "present": ["says", "states", "notes", "tells reporters", "explains", "points out"],
}


def _verb_sites(b: Briefing) -> Iterator[tuple[int, int, str, list[str]]]:
    prot = _protected(b)
    if b.lang == "it":
        for cls, words in _IT_CLASSES.items():
            rx = r"\b(" + "|".join(words) + r")\b"
            for m in re.finditer(rx, b.text):
                s, e = m.span()
                if not _free(prot, s, e):
                    continue
                before = b.text[max(0, s - 40) : s]
                after = b.text[e : e + 20]
                if cls == "participle" and not re.search(
                    r"\b(?:ha|aveva|avrebbe|hanno)\s+(?:(?:poi|anche|inoltre|infine|invece|già)\s+)?$",
                    before,
                ):
                    continue
                if re.match(r"\s+(?:di|a)\s", after):
                    alts = [w for w in words if w in _IT_DI]
                elif re.match(r"\s+come\s", after):
                    alts = [w for w in words if w in _IT_COME]
                else:
                    alts = list(words)
                if re.search(r"\bsi\s+(?:è\s+)?$", before):
                    continue  # 'si è detto convinto': not this class
                yield s, e, m.group(1), [w for w in alts if w != m.group(1)]
    else:
        for words in _EN_CLASSES.values():
            single = [w for w in words if " " not in w and w not in ("explained", "explains")]
            for m in re.finditer(r"\b(" + "|".join(single) + r")\b", b.text):
                s, e = m.span()
                if not _free(prot, s, e):
                    continue
                after = b.text[e : e + 30]
                before = b.text[max(0, s - 30) : s]
                if re.search(r"\b(?:was|were|is|be|been)\s+$", before):
                    continue
                alts = [w for w in words if w != m.group(1)]
                # 'told reporters' takes no other object and cannot follow its subject
                # inverted ('..., said the minister'), nor lead 'in a statement'.
                inverted = re.match(r"\s+(?:the\s|a\s|an\s|[A-Z])", after) and re.search(
                    r"[,”\"]\s*$", before
                )
                if inverted or re.match(r"\s+(?:in\s+a\s+statement|to\b)", after):
                    alts = [w for w in alts if not w.startswith(("told", "tells"))]
                if not re.match(r"\s+(?:that\b|[a-z])", after) or re.search(r"[,”\"]\s*$", before):
                    # '..., she pointed out.' reads oddly, and 'pointed out on Tuesday'
                    alts = [w for w in alts if "out" not in w]
                yield s, e, m.group(1), alts


def mutate_verbs(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    for s, e, _word, alts in _verb_sites(b):
        for alt in alts:
            m = apply(b, "verb", [Edit(s, e, alt)])
            if m:
                yield m


# ---------------------------------------------------------------- 2. attribution moved

_IT_VERB = (
    r"(?:ha|aveva)\s+(?:(?:poi|anche|inoltre|infine)\s+)?"
    r"(?:dichiarato|affermato|sottolineato|spiegato|detto|precisato|assicurato|annunciato"
    r"|ricordato|osservato|aggiunto|confermato|riferito|evidenziato|rilevato|ribadito"
    r"|sostenuto|avvertito|garantito|riconosciuto)"
    r"|(?:dichiara|afferma|sottolinea|spiega|dice|precisa|assicura|annuncia|aggiunge|sostiene"
    r"|ricorda|osserva|conferma)"
)
_EN_VERB = (
    r"said|says|told\s+reporters|stated|noted|added|warned|explained|argued|insisted"
    r"|stressed|confirmed|announced|predicted|acknowledged|admitted|claimed"
)
_WHEN = r"(?:\s+(?:oggi|ieri|in\s+serata|on\s+\w+day|in\s+a\s+statement))?"
_NAME_RX = r"[A-ZÀ-Ö][\w'’-]*(?:\s+(?:de|di|van|der|De|Di|Van)?\s*[A-ZÀ-Ö][\w'’-]*){0,3}"
_SMALL = r"(?!(?:si|ma|e|è|non|ha|who|che|and|but|has|was)\b)[a-zà-ÿ'’]+"
# A subject that can move: a name, or an article and up to five lower-case role words,
# with or without a name after them; no commas, no verb.
_SUBJ = (
    rf"(?P<subj>(?:(?:[Ii]l|[Ll]a|[Ll]o|[Ll]['’]|[Tt]he|[Aa]n?)\s*)?(?:{_SMALL}\s+){{0,5}}?{_NAME_RX}"
    rf"|(?:[Ii]l|[Ll]a|[Ll]o|[Ll]['’]|[Tt]he)\s*{_SMALL}(?:\s+{_SMALL}){{0,4}})"
)
_IT_FINITE_SPLIT = (
    r"è|sono|sarà|saranno|era|erano|ha|hanno|avrà|avranno|potrà|potranno|può|possono|deve"
    r"|devono|dovrà|dovranno|resta|restano|resterà|verrà|verranno|si|non|costerà|costeranno"
    r"|partirà|partiranno|aprirà|apriranno|riaprirà|servono|serviranno|va|vanno"
)
_EN_FINITE_SPLIT = (
    r"is|are|was|were|will|would|has|have|had|could|can|should|must|may|might|did|does"
)


def _sentence_of(text: str, g: Gold) -> tuple[int, int] | None:
    for s, e in sentences(text):
        if s <= g.start and g.end <= e:
            return s, e
    return None


def mutate_moves(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    it = b.lang == "it"
    verb, conj, split_verbs = (
        (_IT_VERB, "che", _IT_FINITE_SPLIT) if it else (_EN_VERB, "that", _EN_FINITE_SPLIT)
    )
    for g in b.golds:
        sent = _sentence_of(b.text, g)
        if sent is None:
            continue
        s, e = sent
        line = b.text[s:e]
        gs, ge = g.start - s, g.end - s
        others = [o for o in b.golds if o is not g and s <= o.start < e]
        if others:
            continue
        clause = line[gs:ge]
        if re.search(r"\s(?:e\s+che|and\s+that)\s", clause):
            continue  # a coordinated clause cannot be cut or fronted as one
        if g.kind == "reported":
            # SUBJ VERB (when) that CLAUSE.  ->  CLAUSE, VERB SUBJ. / A, SUBJ VERB, B.
            pre = re.fullmatch(rf"{_SUBJ}\s+(?P<verb>{verb}){_WHEN}(?:\s+{conj})?\s+", line[:gs])
            if (
                pre
                and line[ge:].strip() == "."
                and not re.search(r",\s*(?:che|who)\b", pre["subj"])
            ):
                subj, v = pre["subj"], pre["verb"]
                lc = _decap(subj)
                lead = _cap(clause)
                if lc is not None:
                    if it:
                        new = f"{lead}, {v} {lc}."
                    else:
                        new = f"{lead}, {lc} {v}."
                    yield from _one(b, "move_after", s, e, new, [(g.speaker, g.kind, 0, len(lead))])
                    # Inserted at the clause's subject: the first finite verb after two words.
                    cut = re.search(rf"^(?:[^\s,]+\s+){{2,6}}?(?=(?:{split_verbs})\b)", clause)
                    if cut and "," not in cut.group(0):
                        head, tail = clause[: cut.end()].rstrip(), clause[cut.end() :]
                        ins = f"{v} {lc}" if it else f"{lc} {v}"
                        new = f"{_cap(head)}, {ins}, {tail}."
                        yield from _one(
                            b, "move_inserted", s, e, new, [(g.speaker, g.kind, 0, len(new) - 1)]
                        )
            # CLAUSE, VERB SUBJ. / CLAUSE, SUBJ VERB.  ->  SUBJ VERB that CLAUSE.
            if gs == 0:
                tail_rx = (
                    rf",\s+(?P<verb>{verb}){_WHEN}\s+{_SUBJ}\."
                    if it
                    else rf",\s+{_SUBJ}\s+(?P<verb>{verb}){_WHEN}\."
                )
                post = re.fullmatch(tail_rx, line[ge:])
                low = _decap(clause)
                if post and low is not None and not re.search(r",|\bwho\b|\bche\b", post["subj"]):
                    subj = _cap(post["subj"])
                    new = f"{subj} {post['verb']} {conj} "
                    yield from _one(
                        b,
                        "move_before",
                        s,
                        e,
                        new + low + ".",
                        [(g.speaker, g.kind, len(new), len(new) + len(low))],
                    )
        else:
            # «Q», VERB SUBJ.  <->  SUBJ VERB: «Q».
            open_, close = line[gs - 1 : gs], line[ge : ge + 1]
            if gs == 1:
                tail_rx = (
                    rf"{re.escape(close)},?\s+(?P<verb>{verb}){_WHEN}\s+{_SUBJ}\."
                    if it
                    else rf",?{re.escape(close)}\s+{_SUBJ}\s+(?P<verb>{verb}){_WHEN}\."
                )
                if not it and line[ge - 1 : ge] == ",":
                    continue
                post = re.fullmatch(tail_rx, line[ge:])
                if post and not re.search(r"\bwho\b|\bche\b", post["subj"]):
                    lead = f"{_cap(post['subj'])} {post['verb']}: {open_}"
                    body = clause if it else clause.rstrip(",")
                    new = f"{lead}{body}{close}." if it else f"{lead}{body}.{close}"
                    yield from _one(
                        b,
                        "move_before",
                        s,
                        e,
                        new,
                        [(g.speaker, g.kind, len(lead), len(lead) + len(body))],
                    )
            pre = re.fullmatch(rf"{_SUBJ}\s+(?P<verb>{verb}){_WHEN}:\s*", line[: gs - 1])
            if pre and line[ge + 1 :].strip() in (".", ""):
                lc = _decap(pre["subj"])
                if lc is None:
                    continue
                body = clause.rstrip(".")
                if it:
                    new = f"{open_}{body}{close}, {pre['verb']} {lc}."
                else:
                    new = f"{open_}{body},{close} {lc} {pre['verb']}."
                yield from _one(b, "move_after", s, e, new, [(g.speaker, g.kind, 1, 1 + len(body))])


def _one(
    b: Briefing, kind: str, s: int, e: int, new: str, inside: list[tuple[str, str, int, int]]
) -> Iterator[Mutant]:
    m = apply(b, kind, [Edit(s, e, new, inside)])
    if m:
        m.before, m.after = b.text[s:e], new
        yield m


# ---------------------------------------------------------------- 3. names

_IT_SURNAMES = ["Ferraguti", "D'Alessandro", "De Lellis", "Malvestiti-Rocca", "Zanforlin"]
_EN_SURNAMES = ["Hartigan", "O'Donnell", "McCready", "Ashby-Lane", "Van der Merwe"]
_IT_FIRST = {
    "m": ["Gianfilippo", "Nicolò", "Pier Luigi", "Elio"],
    "f": ["Ludovica", "Maria Grazia", "Noemi", "Ivana"],
}
_EN_FIRST = {
    "m": ["Callum", "Desmond", "Ravi", "Tobias"],
    "f": ["Harriet", "Anneliese", "Priyanka", "Maeve"],
}


def _mentions(text: str, word: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(rf"(?<![\w'’-]){re.escape(word)}(?![\w-])", text)]


def _gender(b: Briefing, person: Row) -> str:
    """'m' / 'f' from Italian role endings and pronouns near the person's mentions."""
    name = person["name"]
    if b.lang == "it":
        head = _role_head(person)
        if head in _IT_MALE:
            return "m"
        if head in _IT_FEMALE:
            return "f"
        return "?"  # an unknown or invariable role: not swapped, to stay grammatical
    score = 0
    for _s, e in _mentions(b.text, _surname(name)):
        window = b.text[e : e + 200]
        he = len(re.findall(r"\b(?:he|his|him)\b", window, re.I))
        she = len(re.findall(r"\b(?:she|her)\b", window, re.I))
        score += she - he
    return "f" if score > 0 else "m" if score < 0 else "?"


def mutate_names(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    """Every mention of one person's surname (or first name) replaced, in quotes and
    statements too: a name is the same person's wherever it stands."""
    for p in b.people:
        name = p["name"]
        parts = name.split()
        if len(parts) < 2:
            continue
        sur, first = parts[-1], _first(name)
        if any(o is not p and _surname(o["name"]) == sur for o in b.people):
            continue  # two people of one surname: which mention is whose is the test itself
        pool = _IT_SURNAMES if b.lang == "it" else _EN_SURNAMES
        for new_sur in pool:
            if new_sur.lower() in b.text.lower():
                continue
            edits = [Edit(s, e, new_sur) for s, e in _mentions(b.text, sur)]
            m = apply(b, "name_surname", edits, {name: f"{first} {new_sur}"})
            if m:
                yield m
        g = _gender(b, p)
        firsts = (_IT_FIRST if b.lang == "it" else _EN_FIRST).get(g, [])
        if any(o is not p and _first(o["name"]) == first for o in b.people):
            continue
        for new_first in firsts:
            edits = [Edit(s, e, new_first) for s, e in _mentions(b.text, first)]
            m = apply(b, "name_first", edits, {name: f"{new_first} {sur}"})
            if m:
                yield m


def mutate_drop_first(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    prot = [(g.start, g.end) for g in b.golds]
    for p in b.people:
        name = p["name"]
        if len(name.split()) < 2:
            continue
        spans = [sp for sp in _mentions(b.text, name) if _free(prot, *sp)]
        if len(spans) < 2:
            continue
        sur = _surname(name)
        edits = [Edit(s, e, sur) for s, e in spans[1:]]
        m = apply(b, "drop_first", edits)
        if m:
            yield m


# ---------------------------------------------------------------- 4. gender swap

_IT_ROLE_PAIRS = [
    ("sindaco", "sindaca"),
    ("vicesindaco", "vicesindaca"),
    ("assessore", "assessora"),
    ("ministro", "ministra"),
    ("direttore", "direttrice"),
    ("consigliere", "consigliera"),
    ("segretario", "segretaria"),
    ("coordinatore", "coordinatrice"),
    ("rettore", "rettrice"),
    ("amministratore", "amministratrice"),
    ("delegato", "delegata"),
    ("primario", "primaria"),
    ("professore", "professoressa"),
    ("fondatore", "fondatrice"),
    ("commissario", "commissaria"),
    ("sanitario", "sanitaria"),
    ("titolare", "titolare"),
    ("presidente", "presidente"),
    ("vicepresidente", "vicepresidente"),
    ("portavoce", "portavoce"),
    ("preside", "preside"),
    ("dirigente", "dirigente"),
    ("responsabile", "responsabile"),
    ("capogruppo", "capogruppo"),
    ("prefetto", "prefetta"),
    ("questore", "questora"),
    ("primo cittadino", "prima cittadina"),
    ("pescatore", "pescatrice"),
    ("agricoltore", "agricoltrice"),
    ("avvocato", "avvocata"),
    ("medico", "medica"),
    ("ingegnere", "ingegnera"),
    ("comandante", "comandante"),
    ("viticoltore", "viticoltrice"),
    ("ricercatore", "ricercatrice"),
    ("esperto", "esperta"),
    ("generale", "generale"),
    ("regionale", "regionale"),
    ("commerciale", "commerciale"),
    ("sottosegretario", "sottosegretaria"),
    ("vicedirettore", "vicedirettrice"),
    ("funzionario", "funzionaria"),
    ("tecnico", "tecnica"),
    ("geologo", "geologa"),
    ("architetto", "architetta"),
    ("agronomo", "agronoma"),
    ("psicologo", "psicologa"),
    ("operaio", "operaia"),
    ("imprenditore", "imprenditrice"),
    ("allevatore", "allevatrice"),
    ("gestore", "gestrice"),
    ("organizzatore", "organizzatrice"),
    ("curatore", "curatrice"),
    ("ristoratore", "ristoratrice"),
    ("lavoratore", "lavoratrice"),
    ("capo", "capo"),
    ("sindacalista", "sindacalista"),
    ("consulente", "consulente"),
]
_IT_ARTICLES = [
    ("il", "la"),
    ("Il", "La"),
    ("del", "della"),
    ("Del", "Della"),
    ("dal", "dalla"),
    ("al", "alla"),
    ("nel", "nella"),
    ("col", "con la"),
    ("sul", "sulla"),
    ("lo", "la"),
    ("dello", "della"),
    ("allo", "alla"),
    ("dallo", "dalla"),
    ("un", "una"),
    ("Un", "Una"),
]
_IT_AGREE = [
    ("convinto", "convinta"),
    ("intervistato", "intervistata"),
    ("Intervistato", "Intervistata"),
    ("interpellato", "interpellata"),
    ("Interpellato", "Interpellata"),
    ("sicuro", "sicura"),
    ("Quest'ultimo", "Quest'ultima"),
    ("quest'ultimo", "quest'ultima"),
    ("il quale", "la quale"),
    ("lui", "lei"),
    ("egli", "ella"),
    ("Lo stesso", "La stessa"),
    ("lo stesso", "la stessa"),
    ("soddisfatto", "soddisfatta"),
    ("preoccupato", "preoccupata"),
    ("fiducioso", "fiduciosa"),
    ("raggiunto", "raggiunta"),
    ("Raggiunto", "Raggiunta"),
    ("eletto", "eletta"),
    ("nominato", "nominata"),
    ("contattato", "contattata"),
    ("Contattato", "Contattata"),
    ("ottimista", "ottimista"),
    ("si è detto", "si è detta"),
    ("dicendosi convinto", "dicendosi convinta"),
]
_EN_PAIRS = [
    ("he", "she"),
    ("He", "She"),
    ("his", "her"),
    ("His", "Her"),
    ("him", "her"),
    ("himself", "herself"),
    ("Mr", "Ms"),
    ("chairman", "chairwoman"),
    ("spokesman", "spokeswoman"),
    ("Spokesman", "Spokeswoman"),
    ("fisherman", "fisherwoman"),
    ("businessman", "businesswoman"),
    ("headmaster", "headmistress"),
]


_IT_MALE = {m for m, f in _IT_ROLE_PAIRS if m != f}
_IT_FEMALE = {f for m, f in _IT_ROLE_PAIRS if m != f}
_IT_ROLE_WORDS = {x for pair in _IT_ROLE_PAIRS for x in pair}


def _role_head(person: Row) -> str:
    for role in person.get("roles", []):
        words = [w for w in re.split(r"[\s'’]+", role.lower()) if w not in ("ex", "l")]
        if words:
            return words[0]
    return ""


def _role_adjectives(person: Row, to_f: bool) -> list[tuple[str, str]]:
    """'direttrice artistica' -> ('artistica', 'artistico'): the adjective right after the
    role noun agrees with it."""
    out = []
    for role in person.get("roles", []):
        words = role.split()
        if len(words) >= 2 and re.fullmatch(r"[a-zà-ÿ]{4,}[oa]", words[1]):
            w = words[1]
            if w in _IT_ROLE_WORDS or w in ("della", "alla", "nella", "sulla", "dalla"):
                continue
            m, f = (w, w[:-1] + "a") if w.endswith("o") else (w[:-1] + "o", w)
            out.append((m, f) if to_f else (f, m))
    return out


def _swap_words(pairs: list[tuple[str, str]], to_f: bool) -> dict[str, str]:
    out = {}
    for m, f in pairs:
        if m == f:
            continue
        a, z = (m, f) if to_f else (f, m)
        out.setdefault(a, z)
    return out


def mutate_gender(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    """One person's gender swapped: the first name, the role nouns and articles in their
    mentions, and the words that agree (participles, pronouns) in sentences about them
    alone. Sentences that also mention someone else of the person's gender are left."""
    prot = [(g.start, g.end) for g in b.golds]
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(b.text)]
    for p in b.people:
        name = p["name"]
        if len(name.split()) < 2:
            continue
        g = _gender(b, p)
        if g == "?":
            continue
        to_f = g == "m"
        sur, first = _surname(name), _first(name)
        firsts = (_IT_FIRST if b.lang == "it" else _EN_FIRST)["f" if to_f else "m"]
        new_first = firsts[sum(map(ord, name)) % len(firsts)]  # stable across runs
        others = [o for o in b.people if o is not p and _gender(b, o) == g]
        other_words = {w for o in others for w in o["name"].split()}
        role_words = {w.lower() for r in p.get("roles", []) for w in r.split()}
        other_role_words = {
            w.lower() for o in b.people if o is not p for r in o.get("roles", []) for w in r.split()
        }
        own_roles = role_words - other_role_words
        words = _swap_words(
            _IT_ROLE_PAIRS + _IT_AGREE + _IT_ARTICLES if b.lang == "it" else _EN_PAIRS, to_f
        )
        if b.lang == "it":
            words.update(dict(_role_adjectives(p, to_f)))
            role_words |= set(words) & {a for a, _ in _role_adjectives(p, to_f)}
        edits: list[Edit] = []
        current = False
        for s, e in sentences(b.text):
            sent = b.text[s:e]
            mentions_p = sur in sent or any(
                re.search(rf"\b{re.escape(w)}\b", sent, re.I) for w in own_roles if len(w) > 4
            )
            mentions_other = any(re.search(rf"\b{re.escape(w)}\b", sent) for w in other_words)
            if mentions_other:
                current = False
                continue
            if not (mentions_p or current):
                continue
            current = mentions_p or current
            for w_from, w_to in words.items():
                for m in re.finditer(rf"(?<!\w){re.escape(w_from)}(?![\w'’])", sent):
                    a, z = s + m.start(), s + m.end()
                    if not (_free(prot, a, z) and _free(quoted, a, z)):
                        continue
                    if b.lang == "it" and w_from in (
                        "il",
                        "Il",
                        "del",
                        "dal",
                        "al",
                        "lo",
                        "un",
                        "Un",
                        "la",
                        "La",
                        "della",
                        "dalla",
                        "alla",
                        "una",
                        "Una",
                    ):
                        # An article changes only before a role noun of this person.
                        nxt = re.match(r"\s+([\w'’]+)", sent[m.end() :])
                        if (
                            not nxt
                            or nxt.group(1).lower()
                            not in {x for pair in _IT_ROLE_PAIRS for x in pair}
                            or nxt.group(1).lower() not in role_words | {"primo", "prima"}
                        ):
                            continue
                    if b.lang == "it" and w_from in {x for pr in _IT_ROLE_PAIRS for x in pr}:
                        if w_from.lower() not in role_words and w_from not in (
                            "primo cittadino",
                            "prima cittadina",
                        ):
                            continue
                    if not to_f and w_from == "her":
                        nxt = sent[m.end() : m.end() + 12]
                        w_to = (
                            "his"
                            if re.match(r"\s+[a-z]", nxt)
                            and not re.match(r"\s+(?:to|that|and|on|in|at|for)\b", nxt)
                            else "him"
                        )
                    edits.append(Edit(a, z, w_to))
        for a, z in _mentions(b.text, first):
            if _free(prot, a, z):
                edits.append(Edit(a, z, new_first))
        # Overlapping matches (a phrase and its word): keep the longest first.
        edits.sort(key=lambda x: (x.start, -(x.end - x.start)))
        kept: list[Edit] = []
        for x in edits:
            if kept and x.start < kept[-1].end:
                continue
            kept.append(x)
        if not any(x.new == new_first for x in kept):
            continue
        m = apply(b, "gender", kept, {name: f"{new_first} {sur}"})
        if m:
            m.before, m.after = _first_diff(b.text, m.text)
            yield m


def _first_diff(a: str, z: str) -> tuple[str, str]:
    sa, sz = list(sentences(a)), list(sentences(z))
    pieces_a, pieces_z = [], []
    for (x, y), (u, v) in zip(sa, sz, strict=False):
        if a[x:y] != z[u:v]:
            pieces_a.append(a[x:y])
            pieces_z.append(z[u:v])
    return " | ".join(pieces_a[:3]), " | ".join(pieces_z[:3])


# ---------------------------------------------------------------- 5. quotation marks

_STYLES = {"angle": ("«", "»"), "curly": ("“", "”"), "straight": ('"', '"')}


def mutate_quotes(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    marks = [(m.start(), m.end()) for m in _QUOTED.finditer(b.text)]
    if not marks:
        return
    for style, (o, c) in _STYLES.items():
        edits = []
        for s, e in marks:
            if b.text[s] == o and b.text[e - 1] == c:
                continue
            edits += [Edit(s, s + 1, o), Edit(e - 1, e, c)]
        if edits:
            m = apply(b, f"quotes_{style}", edits)
            if m:
                m.before, m.after = _first_diff(b.text, m.text)
                yield m


# ---------------------------------------------------------------- 6. role apposition


def mutate_apposition(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    prot = _protected(b)
    for p in b.people:
        name = p["name"]
        roles = p.get("roles", [])
        if len(name.split()) < 2 or not roles:
            continue
        role = roles[0]
        # Remove: 'NAME, ROLE,' -> 'NAME' where the role is named again elsewhere, so that
        # nothing later loses what it refers to.
        for m in re.finditer(rf"{re.escape(name)}(,\s+{re.escape(role)}),", b.text):
            head = role.split()[0]
            if len(_mentions(b.text.lower(), head.lower())) > 1:
                continue  # a later 'the council leader' would be left without its person
            relative = re.match(r"\s+(?:che|who|il quale|la quale|which)\b", b.text[m.end() :])
            cut = m.end() - 1 if relative else m.end()
            mut = apply(b, "apposition_remove", [Edit(m.start(1), cut, "")])
            if mut:
                yield mut
        # Add: the first 'NAME VERB' gets ', ROLE,' between.
        sur = _surname(name)
        if any(o is not p and _surname(o["name"]) == sur for o in b.people):
            continue  # whose mention it is would be the generator's guess
        if len(role.split()) < 2:
            continue  # a bare 'sindaco' in apposition reads oddly
        for m in re.finditer(rf"(?<![\w'’-]){re.escape(sur)}(?=\s+[a-zà-ÿ])", b.text):
            if not _free(prot, m.start(), m.end()):
                continue
            after = b.text[m.end() : m.end() + 30]
            if re.match(r"\s+(?:di|del|della|of|who|che|\()", after):
                continue
            before = b.text[max(0, m.start() - 40) : m.start()].lower()
            if role.lower() in b.text[max(0, m.start() - 250) : m.start()].lower():
                continue  # the role was just given: repeating it is no agency style
            if any(w in before for w in role.lower().split() if len(w) > 3):
                continue  # a title already before the name ('Opposition councillor X')
            mut = apply(b, "apposition_add", [Edit(m.end(), m.end(), f", {role},")])
            if mut:
                yield mut
            break


# ---------------------------------------------------------------- 7. split with continuation


def mutate_split(b: Briefing, rng: random.Random) -> Iterator[Mutant]:
    it = b.lang == "it"
    for g in b.golds:
        sent = _sentence_of(b.text, g)
        if sent is None:
            continue
        s, e = sent
        line = b.text[s:e]
        gs, ge = g.start - s, g.end - s
        if any(o is not g and s <= o.start < e for o in b.golds):
            continue
        clause = line[gs:ge]
        person = next((p for p in b.people if p["name"] == g.speaker), None)
        sur = _surname(g.speaker) if g.speaker else ""
        gender = _gender(b, person) if person else "?"
        pron = {"m": "he", "f": "she"}.get(gender)
        if g.kind == "reported":
            m = re.search(r"\s+e\s+che\s+" if it else r",?\s+and\s+that\s+", clause)
            if not m:
                continue
            a, z = clause[: m.start()], clause[m.end() :]
            conts = (
                [("Ha aggiunto che ", "split_pronoun"), (f"{sur} ha aggiunto che ", "split_name")]
                if it
                else ([(f"{_cap(pron)} added that ", "split_pronoun")] if pron else [])
                + [(f"{sur} added that ", "split_name")]
            )
            for cont, kind in conts:
                new = line[:gs] + a + ". " + cont + z + line[ge:]
                za = gs + len(a) + 2 + len(cont)
                yield from _one(
                    b,
                    kind,
                    s,
                    e,
                    new,
                    [
                        (g.speaker, "reported", gs, gs + len(a)),
                        (g.speaker, "reported", za, za + len(z)),
                    ],
                )
        else:
            parts = re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-Ö])", clause)
            if len(parts) < 2 or gs != 1:
                continue
            o, c = line[0], line[ge : ge + 1]
            tail = line[ge + 1 :]
            post = (
                re.fullmatch(r"(,?\s+[^.«»“”\"]{3,120})\.", tail)
                if it
                else re.fullmatch(r"(\s+[^.«»“”\"]{3,120})\.", tail)
            )
            if not post:
                continue
            first, rest = parts[0].rstrip("."), " ".join(parts[1:])
            # The continuation closes the second part: ', ha aggiunto X.' after its closing
            # mark in Italian, inside the quote before the credit in English.
            if it:
                second = rest.rstrip(".")
                head = f"{o}{first}{c}{post.group(1)}. "
                conts = [("ha aggiunto", "split_pronoun"), (f"ha aggiunto {sur}", "split_name")]
                ends = [f"{c}, {cont}." for cont, _ in conts]
            else:
                if not clause.endswith(","):
                    continue
                second = rest.rstrip(",").rstrip(".")
                head = f"{o}{first},{c}{post.group(1)}. "
                conts = ([(f"{pron} added", "split_pronoun")] if pron else []) + [
                    (f"{sur} added", "split_name")
                ]
                ends = [f",{c} {cont}." for cont, _ in conts]
            golds = [
                (g.speaker, "direct", 1, 1 + len(first)),
                (g.speaker, "direct", len(head) + 1, len(head) + 1 + len(second)),
            ]
            for (_, kind), end in zip(conts, ends, strict=True):
                yield from _one(b, kind, s, e, head + f"{o}{second}{end}", golds)


# ---------------------------------------------------------------- scoring

MUTATIONS: dict[str, Callable[[Briefing, random.Random], Iterator[Mutant]]] = {
    "verb": mutate_verbs,
    "move": mutate_moves,
    "gender": mutate_gender,
    "name": mutate_names,
    "drop_first": mutate_drop_first,
    "quotes": mutate_quotes,
    "apposition": mutate_apposition,
    "split": mutate_split,
}


def score(m: Mutant, lang: str) -> list[Row]:
    from rag.quotes import find_quotes

    spans = [
        (wires.span_key(m.text[q.start : q.end]), q.speaker or "", getattr(q, "kind", "direct"))
        for q in find_quotes(m.text)
    ]
    rows = []
    for g, t in zip(m.golds, m.touched, strict=True):
        key = wires.span_key(m.text[g.start : g.end])
        ok = any(
            k == key and kd == g.kind and wires.same_person(g.speaker, sp) for k, sp, kd in spans
        )
        best = next((f"{sp or '?'} [{kd}] {k}" for k, sp, kd in spans if k == key), None)
        rows.append(
            {
                "type": m.kind,
                "file": m.file,
                "lang": lang,
                "kind": g.kind,
                "touched": t,
                "right": ok,
                "gold": f"{g.speaker} [{g.kind}] {key}",
                "found": best,
                "before": m.before,
                "after": m.after,
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="even", choices=("even", "odd", "all"))
    ap.add_argument("--only", default="", help="comma-separated mutation families")
    ap.add_argument("--samples", type=int, default=0, help="print N samples per mutation type")
    ap.add_argument("--json", type=Path)
    ap.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    args = ap.parse_args(argv)
    if args.split != "even" and args.verbose:
        raise SystemExit("failures are listed for the even half only")
    briefings = load_briefings(args.split)
    _NAMES.update(w for b in briefings for p in b.people for w in p["name"].split())
    rng = random.Random(13)
    only = set(filter(None, args.only.split(",")))
    rows: list[Row] = []
    mutants: dict[str, list[Mutant]] = defaultdict(list)
    for fam, fn in MUTATIONS.items():
        if only and fam not in only:
            continue
        for b in briefings:
            for m in fn(b, rng):
                if m.text == b.text:
                    continue
                mutants[m.kind].append(m)
                rows += score(m, b.lang)
    by_type: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    print(f"{'mutation':18} {'mutants':>7} {'touched':>8} {'recall':>7} {'collateral':>10}")
    summary = {}
    for t in sorted(by_type):
        rs = by_type[t]
        touched = [r for r in rs if r["touched"]]
        right = sum(r["right"] for r in touched)
        coll = sum(1 for r in rs if not r["touched"] and not r["right"])
        rec = right / len(touched) if touched else None
        summary[t] = {
            "mutants": len(mutants[t]),
            "touched": len(touched),
            "right": right,
            "collateral": coll,
            "recall": rec,
        }
        print(
            f"{t:18} {len(mutants[t]):7d} {right:4d}/{len(touched):<4d}"
            f" {100 * rec if rec is not None else float('nan'):6.1f}% {coll:10d}"
        )
    all_t = [r for r in rows if r["touched"]]
    tot = sum(r["right"] for r in all_t)
    print(
        f"{'all':18} {sum(len(v) for v in mutants.values()):7d} {tot:4d}/{len(all_t):<4d}"
        f" {100 * tot / max(1, len(all_t)):6.1f}% {sum(s['collateral'] for s in summary.values()):10d}"
    )
    if args.samples:
        for t in sorted(mutants):
            ms = mutants[t]
            pick = random.Random(t).sample(ms, min(args.samples, len(ms)))
            print(f"\n== {t}")
            for m in pick:
                print(f"  - {m.before}\n  + {m.after}")
    if args.verbose:
        print("\nfailures")
        for r in rows:
            if not r["right"]:
                print(
                    f"[{r['type']}] {r['file']}\n   gold  {r['gold']}\n   found {r['found']}\n   - {r['before']}\n   + {r['after']}"
                )
    if args.json:
        args.json.write_text(
            json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
