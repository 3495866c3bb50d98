"""Wire-copy datelines: the date, place and outlet at the head of an agency article.

Agencies put them in their own orders, e.g.

    BRUXELLES (BELGIO) (ITALPRESS) – ...       GENOVA, 14 gennaio 2026 (ITALPRESS) – ...
    (ANSA) - BARI, 2 FEB - ...                 (AGI) - Palermo, 7 mar. - ...
    ROMA (Adnkronos) - ...                     Roma, 3 apr. (askanews) - ...
    LONDON, March 3, 2026 — ...                BRUSSELS (Reuters) - ...
    12 marzo 2026                              (Bloomberg) -- ...
    PARIGI (ITALPRESS) – ...                   Tuesday, 10 March 2026 — MANCHESTER — ...
    QUENBURY, Ohio (AP) — ...                  WELLINGFORD, England, June 16, 2026 — ...
    AGI - Roma, 3 marzo - ...                  Roma, 3 marzo – (Adnkronos) – ...
    March 3, 2026 LONDON — ...                 3 March 2026, LONDON (PA) - ...
    (ANSA-AFP) - PARIGI, 3 MAR - ...           ROMA (ITALPRESS) – 3 marzo 2026 – ...

The head is read by a few small anchored patterns in sequence, each with bounded
repetition, over at most ``_HEAD`` characters: linear time on any input, and no pattern
can wander into the article body looking for a dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_HEAD = 400  # a dateline is well within this; nothing past it is looked at

_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            "gennaio gen january jan",
            "febbraio feb february",
            "marzo mar march",
            "aprile apr april",
            "maggio mag may",
            "giugno giu june jun",
            "luglio lug july jul",
            "agosto ago august aug",
            "settembre sett set september sept sep",
            "ottobre ott october oct",
            "novembre nov november",
            "dicembre dic december dec",
        ],
        1,
    )
    for name in names.split()
}
_WEEKDAYS = (
    "lunedì lunedi lun martedì martedi mercoledì mercoledi mer giovedì giovedi gio "
    "venerdì venerdi ven sabato sab domenica dom monday mon tuesday tues tue wednesday wed "
    "thursday thurs thu friday fri saturday sat sunday sun"
).split()
_DISPLAY_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _words(names: list[str]) -> str:
    # Longest first, and never a prefix of a longer word ("mar" in "marzo", "sun" in "sunny").
    return "(?i:" + "|".join(sorted(names, key=len, reverse=True)) + r")(?![^\W\d_])\.?"


_MON = _words(list(_MONTHS))
_WDAY = _words(_WEEKDAYS) + r",?\s+"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])[°º]?(?!\d)"
_YEAR = r"(?:19|20)\d\d(?!\d)"
# One date, in any of the wires' spellings; parsed into numbers by _date_parts.
_DATE = (
    rf"(?:{_WDAY})?(?:\d{{4}}-\d\d-\d\d(?!\d)|{_DAY}[/.]\d\d?[/.]{_YEAR}"
    rf"|{_DAY}\s+{_MON}(?:\s+{_YEAR})?|{_MON}\s+{_DAY}(?:,?\s+{_YEAR})?)"
)
_DATE_PARTS = [
    re.compile(r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)"),
    re.compile(r"(?P<d>\d\d?)[°º]?[/.](?P<m>\d\d?)[/.](?P<y>\d{4})"),
    re.compile(rf"(?P<d>\d\d?)[°º]?\s+(?P<mon>{_MON})(?:\s+(?P<y>\d{{4}}))?"),
    re.compile(rf"(?P<mon>{_MON})\s+(?P<d>\d\d?)(?:,?\s+(?P<y>\d{{4}}))?"),
]

_UPPER = "A-ZÀ-ÖØ-Þ"
_LETTER = r"[^\W\d_]"
_WORD = rf"{_LETTER}(?:{_LETTER}|['’.]){{0,30}}"
# A place: up to six words, the first capitalised ("L'AQUILA", "Reggio nell'Emilia").
_PLACE = re.compile(rf"[{_UPPER}](?:{_LETTER}|['’.]){{0,30}}(?:[ -]{_WORD}){{0,5}}")
_BRACKET = re.compile(r"\s*\(([^()\n]{1,40})\)")
_OPEN_BRACKET = re.compile(r"\(([^()\n]{1,40})\)")
# A wire's time stamp after the date ("2026-05-12 10:47", "12 marzo 2026, ore 10.47").
_TIME = r"(?:,?[ \t]+(?i:ore[ \t]+|h[ \t]*)?(?:[01]?\d|2[0-3])[:.][0-5]\d(?::[0-5]\d)?(?!\d))"
_COMMA_DATE = re.compile(rf"\s*,\s*({_DATE}){_TIME}?")
# "LONDON, Tuesday (Reuters) -": a weekday alone after the place dates nothing, and is no region.
_COMMA_WEEKDAY = re.compile(rf"[ \t]*,[ \t]*{_words(_WEEKDAYS)}(?=\s*(?:\(|--|[–—-]))")
# "ROMA (ITALPRESS) – 3 marzo 2026 – ", "LONDON — March 3, 2026 — ": the date between dashes.
_DASHED_DATE = re.compile(rf"({_DATE}){_TIME}?[ \t]*(?:--|[–—-])\s*")
# "AGI - Roma, 3 marzo - ": an agency's name without brackets, then its dash.
_BARE_AGENCY = re.compile(r"([^\W\d_][\w]{1,15}(?:[ \t][^\W\d_][\w]{1,15})?)[ \t]*(?:--|[–—-])\s*")
# "QUENBURY, Ohio (AP)", "WELLINGFORD, England, June 16, 2026": a region or country after a comma.
_COMMA_REGION = re.compile(rf"[ \t]*,[ \t]*({_PLACE.pattern})")
_DASH = re.compile(r"[ \t]*(?:--|[–—-])\s*")
# "date 2026-02-11 " (a scraper's prefix; "Published:", "Pubblicato il" a site's), or a
# date on its own line above the dateline.
_LEADING_DATE = re.compile(
    r"(?i:(?:date|published|updated|pubblicato|aggiornato)(?:[ \t]+(?:on|il|l['’]))?:?[ \t]+)?"
    rf"({_DATE}){_TIME}?(?P<eol>[ \t]*(?:\n|\Z))?(?P<comma>[ \t]*,)?\s*"
)

# Canonical outlet spellings; an outlet not listed here is title-cased.
OUTLETS = {
    name.lower(): name
    for name in (
        "Italpress ANSA ANSAmed AGI Adnkronos LaPresse askanews Dire Nova 9colonne "
        "Reuters AP AFP Bloomberg dpa EFE Xinhua TASS Kyodo UPI"
    ).split()
} | {
    "agenzia dire": "Dire",
    "agenzia nova": "Nova",
    "associated press": "AP",
    "pa": "PA",  # PA Media, the UK's Press Association: two letters, yet an agency
    "pa media": "PA",
    "press association": "PA",
}
# Outlets whose name is also an Italian province code ("CEFALÙ (PA) -" is in Palermo's):
# one counts only where a province code never stands, after a date or a comma region.
_PROVINCE_CODES = frozenset({"PA"})
# Words written in lower case inside a place name ("Castellammare di Stabia").
_PARTICLES = frozenset(
    "di del della dello dei degli delle de da dal dalla in sul sulla e "
    "of on upon the la le les sur sous en am an im".split()
)
_ELIDED = frozenset("d dell nell sull all l".split())  # "Reggio nell'Emilia"


@dataclass(frozen=True)
class Dateline:
    published_at: str  # ISO date, or "" when the dateline has none (or no year: see below)
    place: str
    source: str
    end: int  # offset where the article body starts, after the dateline and its dash


def parse_dateline(text: str, *, reference: date | None = None) -> Dateline | None:
    """The dateline at the start of ``text``, or None when it does not open with one.

    A date without a year ("2 FEB", "March 3") takes the year (the reference's, or the one
    either side) that puts it nearest to ``reference``, the date a file name gives: "Dec.
    30" filed on 2026-01-02 is 2025-12-30. Without a reference it is
    left undated: the copy says nothing about the year, and a guess (the file's mtime,
    today) would silently file the article under the wrong year for every date filter.
    Place and outlet are kept either way.
    """
    head = text[:_HEAD]
    pos = len(head) - len(head.lstrip())
    when = ""
    alone = False
    if (m := _LEADING_DATE.match(head, pos)) is not None:
        when, alone, pos = m[1], m["eol"] is not None, m.end()
        if alone and m["comma"]:
            return None  # "12 marzo 2026\n, ...": no line of its own after all
    core = _core(head, pos, dated=when if not alone else "")
    if core is None and when and not alone and (dash := _DASH.match(head, pos)) is not None:
        # "Tuesday, 10 March 2026 — MANCHESTER — ": the date first, the place between dashes.
        core = _core(head, dash.end(), dated=when)
    if core is None:
        if not alone:  # "12 marzo 2026 il consiglio ...": a sentence, not a dateline
            return None
        return Dateline(_resolve(when, reference), "", "", pos)  # a date line alone
    place, outlet, core_date, end = core
    return Dateline(_resolve(core_date or when, reference), place, outlet, end)


def _core(head: str, pos: int, *, dated: str = "") -> tuple[str, str, str, int] | None:
    """(place, outlet, date text, end) of the dateline proper at ``pos``; ``dated``: the
    date that already came before it."""
    if (m := _OPEN_BRACKET.match(head, pos)) is not None:
        return _agency_first(head, m)
    if (m := _BARE_AGENCY.match(head, pos)) is not None and (
        outlet := known_outlet(m[1], bare=True)
    ):
        # "AGI - Roma, 3 marzo - ": without its brackets the name is an agency's only
        # before a place and that place's own dash, never before a bare sentence.
        return _agency_first(head, m, outlet=outlet, need_place=True)
    place_m = _PLACE.match(head, pos)
    if place_m is None or not _is_place(place_m[0]):
        return None
    shouted = _is_shouted(place_m[0])
    pos = place_m.end()
    before: list[str] = []
    after: list[str] = []
    when = ""
    comma_region = ""
    # A comma then a date is the date ("LONDON, March 3"), tried first: a month is capitalised.
    if (w := _COMMA_WEEKDAY.match(head, pos)) is not None:
        pos = w.end()
    elif _COMMA_DATE.match(head, pos) is None:
        r = _COMMA_REGION.match(head, pos)
        if r is not None and _is_place(r[1]):
            comma_region, pos = r[1], r.end()
    while len(before) < 2 and (b := _BRACKET.match(head, pos)) is not None:
        before.append(b[1])
        pos = b.end()
    if (d := _COMMA_DATE.match(head, pos)) is not None:
        when, pos = d[1], d.end()
        if (b := _BRACKET.match(head, pos)) is not None:
            after.append(b[1])
            pos = b.end()
    dash = _DASH.match(head, pos)
    if dash is None:
        return None
    # The outlet is the bracket after the date ("GENOVA, 14 gennaio 2026 (ITALPRESS)"),
    # or else the last one before the dash -- unless a date follows it: in "GENOVA
    # (LIGURIA), 14 gennaio 2026 –" the bracket is a region.
    if after:
        outlet, regions = outlet_name(after[-1], shouted=shouted), before
        if not outlet:
            return None
    elif before and not when:
        outlet = outlet_name(before[-1], shouted=shouted)
        # An English date before the place ("3 March 2026, LONDON (PA)") is no Italian copy.
        if outlet in _PROVINCE_CODES and not comma_region and not _english_date(dated):
            outlet = ""
        regions = before[:-1] if outlet else before
    else:
        outlet, regions = "", before
    if comma_region:
        regions = [comma_region, *regions]
    if len(regions) > 1:
        return None
    end = dash.end()
    if not when and (d := _DASHED_DATE.match(head, end)) is not None:
        # "ROMA (ITALPRESS) – 3 marzo 2026 – ", "LONDON — March 3, 2026 — ".
        when, end = d[1], d.end()
    if not outlet and (b := _OPEN_BRACKET.match(head, end)) is not None:
        # "Roma, 3 marzo – (Adnkronos) – ": the outlet after the dash, a known one only.
        if outlet := known_outlet(b[1]):
            end = b.end()
            end = d.end() if (d := _DASH.match(head, end)) is not None else _skip_space(head, end)
    # Without an outlet only a place with a date counts: shouted ("LONDON, March 3, 2026
    # —"), or in mixed case with the year and a capitalised body after the dash, as papers
    # write it ("Reggio Emilia, 3 marzo 2026 – Il sindaco"). "Oggi, 3 marzo 2026 – ...",
    # "Roma (Lazio) - ..." and "Roma, 3 marzo – la giunta" are sentences.
    # A date before the place and no outlet ("March 3, 2026 LONDON — The council") needs
    # the capitalised body too: "12 March 2026 NATO — the alliance said" is a sentence.
    if not outlet and not (
        (when or (dated and head[end : end + 1].isupper()))
        and (shouted or _is_dateline_place(place_m[0], when, head[end : end + 1]))
    ):
        return None
    place = display_place(place_m[0])
    if regions:
        place = f"{place} ({_display_region(regions[0])})"
    return place, outlet, when, end


# Month words only English writes (Italian abbreviates "feb", "mar", "apr", "nov" too).
_ENGLISH_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan jun jul aug sep sept oct dec".split()
)


def _english_date(text: str) -> bool:
    """The date names its month in English only ("3 March 2026", not "3 mar.")."""
    return any(w.lower() in _ENGLISH_MONTHS for w in re.findall(r"[^\W\d_]+", text))


def _skip_space(head: str, pos: int) -> int:
    return len(head) - len(head[pos:].lstrip()) if pos < len(head) else pos


def _agency_first(
    head: str, m: re.Match[str], *, outlet: str = "", need_place: bool = False
) -> tuple[str, str, str, int] | None:
    """ "(ANSA) - BARI, 2 FEB - ", "(DIRE) Roma, 3 apr. - ", "(Bloomberg) -- "; with
    ``need_place`` (an agency named without brackets) only the first two forms."""
    # Only a known agency: a bracket opening an article is more often "(FOTO)" or "(PD)".
    outlet = outlet or known_outlet(m[1])
    if not outlet:
        return None
    pos = m.end()
    dash = None if need_place else _DASH.match(head, pos)
    after_dash = dash.end() if dash else _skip_space(head, pos)
    place_m = _PLACE.match(head, after_dash)
    if place_m is not None and _is_place(place_m[0]):
        pos = place_m.end()
        region = ""
        if (b := _BRACKET.match(head, pos)) is not None:
            region, pos = b[1], b.end()
        when = ""
        if (d := _COMMA_DATE.match(head, pos)) is not None:
            when, pos = d[1], d.end()
        if (end := _DASH.match(head, pos)) is not None:
            place = display_place(place_m[0])
            if region:
                place = f"{place} ({_display_region(region)})"
            return place, outlet, when, end.end()
    if dash is not None:  # "(Bloomberg) -- Treasuries rose ...": no place at all
        return "", outlet, "", dash.end()
    return None


def known_outlet(raw: str, *, bare: bool = False) -> str:
    """The canonical name of a known agency, also first in a joint credit ("ANSA-AFP",
    "AGI/Reuters", "Adnkronos/Labitalia"); "" otherwise. ``bare``: written without
    brackets, where a province code ("PA") is never one."""
    name = " ".join(raw.split()).lower()
    if name in OUTLETS:
        outlet = OUTLETS[name]
    elif (first := re.split(r"\s*[-/]\s*", name, maxsplit=1)[0]) != name:
        outlet = OUTLETS.get(first, "")
    else:
        outlet = ""
    return "" if bare and outlet in _PROVINCE_CODES else outlet


def outlet_name(raw: str, *, shouted: bool = True) -> str:
    """Canonical outlet name for a bracket's text; "" when it does not look like one.

    Known agencies get their own spelling. An unknown one counts only when written in
    capitals after a place in capitals, as agencies write datelines ("ROMA (XYZ NEWS) -"
    -> "Xyz News"), and has three letters or more: "Mario Rossi (PD) - ..." names a party.
    """
    name = " ".join(raw.split())
    if known := known_outlet(name):
        return known
    letters = sum(c.isalpha() for c in name)
    if shouted and letters >= 3 and name == name.upper() and len(name) <= 25:
        return display_place(name)
    return ""


def _is_place(text: str) -> bool:
    """Every word of a place is capitalised, or a particle ("San Donà di Piave")."""
    for word in re.split(r"[ -]", text):
        head = re.split(r"['’]", word, maxsplit=1)[0].lower()
        if not word[0].isupper() and word.lower() not in _PARTICLES and head not in _ELIDED:
            return False
    return True


# Words that open a sentence with a date after a comma ("Oggi, 3 marzo 2026 – ..."):
# never a mixed-case dateline's place.
_NOT_PLACES = frozenset(
    "oggi ieri domani stamani stamattina stasera stanotte allora intanto infine inoltre "
    "today yesterday tomorrow tonight then meanwhile finally however also".split()
)


def _is_dateline_place(place: str, when: str, body_start: str) -> bool:
    """A mixed-case place opens a dateline only with a dated year and a capitalised body."""
    return (
        re.search(_YEAR, when) is not None
        and body_start[:1].isupper()
        and place.split()[0].lower() not in _NOT_PLACES
    )


_TRAILING_OUTLET = re.compile(r"\(([^()\n]{2,30})\)[ \t]*\.?\s*\Z")


def trailing_outlet(text: str) -> str:
    """The outlet an article names at its end, as ANSA's English service does ("... the
    council said. (ANSA)."): a known agency only, so a closing "(1)" or "(PD)" is not one."""
    for line in reversed(text.rstrip().splitlines()[-3:]):
        m = _TRAILING_OUTLET.search(line)
        if m is not None and (outlet := known_outlet(m[1])):
            return outlet
    return ""


def _is_shouted(text: str) -> bool:
    return any(c.isalpha() for c in text) and text == text.upper()


def display_place(raw: str) -> str:
    """A place as a reader expects it: "CITTÀ DEL VATICANO" -> "Città del Vaticano".

    Places written in capitals are title-cased (accents and apostrophes kept:
    "L'AQUILA" -> "L'Aquila") with inner particles in lower case; mixed case is kept.
    """
    text = " ".join(raw.split()).strip(" .-")
    if not _is_shouted(text):
        return text
    parts = re.split(r"([ -])", text.title())
    for i in range(2, len(parts), 2):
        word = parts[i]
        elided = re.match(r"([^'’]+)(['’].*)", word)
        if word.lower() in _PARTICLES:
            parts[i] = word.lower()
        elif elided and elided[1].lower() in _ELIDED:
            parts[i] = elided[1].lower() + elided[2]
    return "".join(parts)


def _display_region(raw: str) -> str:
    """A region as shown in brackets; a province code keeps its capitals ("Cefalù (PA)")."""
    name = " ".join(raw.split())
    if len(name) == 2 and name.isalpha() and name.isupper():
        return name
    return display_place(name)


def _date_parts(text: str) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a date written by ``_DATE``."""
    text = re.sub(rf"^{_WDAY}", "", text.strip())
    for rx in _DATE_PARTS:
        if (m := rx.fullmatch(text)) is not None:
            groups = m.groupdict()
            month = _MONTHS[groups["mon"].lower().rstrip(".")] if groups.get("mon") else int(m["m"])
            year = int(groups["y"]) if groups.get("y") else None
            return year, month, int(m["d"])
    return None


def _resolve(text: str, reference: date | None) -> str:
    """ISO date of a dateline's date; a year-less one takes the year nearest ``reference``."""
    parts = _date_parts(text) if text else None
    if parts is None:
        return ""
    year, month, day = parts
    if year is not None:
        return _iso(year, month, day)
    if reference is None:
        return ""  # no year anywhere: undated (see parse_dateline)
    nearby = [_iso(y, month, day) for y in (reference.year - 1, reference.year, reference.year + 1)]
    valid = [date.fromisoformat(d) for d in nearby if d]
    if not valid:
        return ""
    return min(valid, key=lambda d: abs((d - reference).days)).isoformat()


def _iso(year: int, month: int, day: int) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def parse_date(text: str) -> str:
    """ISO date of a date written the wires' way ("12 marzo 2026", "March 3, 2026",
    "2026-03-12", "12/03/2026"); "" when it is not one or has no year."""
    text = " ".join(text.split())
    if re.fullmatch(_DATE, text) is None:
        return ""
    return _resolve(text, None)


def display_date(iso: str) -> str:
    """ "2026-02-11" -> "11 Feb 2026" (how answers and titles show a date)."""
    if not iso:
        return ""
    y, m, d = iso.split("-")
    return f"{int(d)} {_DISPLAY_MONTHS[int(m) - 1]} {y}"
