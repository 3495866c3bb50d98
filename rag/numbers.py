"""The quantities a text states, in Italian or English, as values that compare across the two.

A written answer often translates its quote, and a translation that changes a number
("above the million" for «sopra il mezzo milione», 500,000) must not pass as faithful, while
one that writes the same number another way («410 mila», "410,000"; «tre milioni»,
"3 million") must. So every way of writing a quantity is read into one value:

- digits in either convention: a separator before exactly three digits groups thousands
  ('410.000', '410,000'), any other is a decimal point ('2,4', '2.4');
- a scale word after them: '410 mila', '2,4 milioni', '3 billion';
- spelled numbers ('trecentomila', 'twenty-four', 'un milione'), read by ``text2num``, from
  two up: 'un'/'a'/'one' are articles as often as numbers;
- halves of a scale: 'mezzo milione' / 'half a million' = 500,000, 'un milione e mezzo' /
  'a million and a half' / 'one and a half million' = 1,500,000;
- percentages: 'per cento', 'percent', '%' are one sign, not the number 100;
- vague quantities, as an order of magnitude: 'decine di migliaia' / 'tens of thousands'
  ~10^4, 'centinaia' / 'hundreds' ~10^2, 'milioni' / 'millions' (with no number) ~10^6.

Ordinals ('secondo', 'the 2nd') are not quantities: «secondo Rutte» is "according to".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from text_to_num import alpha2digit

_SCALES = {
    "thousand": 1e3,
    "mila": 1e3,
    "mille": 1e3,
    "million": 1e6,
    "milione": 1e6,
    "milioni": 1e6,
    "billion": 1e9,
    "miliardo": 1e9,
    "miliardi": 1e9,
}
_SCALE_WORD = r"(?:thousand|mila|mille|millions?|milion[ei]|billions?|miliard[oi])"
_SMALL = {
    "one": 1,
    "un": 1,
    "uno": 1,
    "a": 1,
    "two": 2,
    "due": 2,
    "three": 3,
    "tre": 3,
    "four": 4,
    "quattro": 4,
    "five": 5,
    "cinque": 5,
}
_SMALL_WORD = r"(?:one|two|three|four|five|un|uno|due|tre|quattro|cinque|a|\d+)"
_DIGITS = r"\d+(?:[.,]\d+)*"

# Spelled out before text2num reads the rest (it would read "hundreds" as 100 and
# "mezzo milione" as 1,000,000).
_HALF_OF = re.compile(
    rf"\b(?:mezz[oa]|half(?:\s+an?)?)[\s-]+({_SCALE_WORD})\b", re.IGNORECASE
)  # 'mezzo milione', 'half a million', 'the half million', 'a half-million'
_AND_A_HALF = re.compile(
    rf"\b({_SMALL_WORD}|{_DIGITS})\s+(?:and\s+a\s+half\s+({_SCALE_WORD})|({_SCALE_WORD})\s+"
    r"(?:e\s+mezzo|and\s+a\s+half))\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\s*(?:\bper\s*cent[oa]?\b|\bpercent\b|%)", re.IGNORECASE)
# Vague quantities: (pattern, order of magnitude). Longest first.
_VAGUE = [
    (r"(?:decine|tens|dozens)\s+(?:di|of)\s+(?:migliaia|thousands)", 4),
    (r"(?:centinaia|hundreds)\s+(?:di|of)\s+(?:migliaia|thousands)", 5),
    (r"(?:decine|tens|dozens)\s+(?:di|of)\s+(?:milioni|millions)", 7),
    (r"(?:centinaia|hundreds)\s+(?:di|of)\s+(?:milioni|millions)", 8),
    (r"(?:un[a']?\s*|a\s+)?(?:decin[ae]|dozzin[ae]|dozens?|tens)", 1),
    (r"(?:centinaia|hundreds)", 2),
    (r"(?:migliaia|thousands)", 3),
    (r"(?:millions)", 6),
    (r"(?:billions)", 9),
]
_VAGUE_RX = re.compile(
    "|".join(rf"(?P<v{i}>\b{p}\b)" for i, (p, _) in enumerate(_VAGUE)), re.IGNORECASE
)
# After text2num: digits, an optional scale word, or an ordinal mark.
_NUMBER = re.compile(
    rf"(?<![\w.,])({_DIGITS})(?:\s*({_SCALE_WORD})\b|(º|ª|°|st\b|nd\b|rd\b|th\b))?",
    re.IGNORECASE,
)
# 'milioni' with no number before it (the one the digits above did not take): millions.
_BARE_SCALE = re.compile(r"\b(milioni|miliardi)\b", re.IGNORECASE)
_MARK = "\ue000"  # a quantity already read, kept out of the next pass


@dataclass(frozen=True)
class Quantity:
    """A value, or with ``approximate`` an order of magnitude ('thousands': 10^3)."""

    value: float
    approximate: bool = False

    def __str__(self) -> str:
        return f"~10^{int(math.log10(self.value))}" if self.approximate else f"{self.value:g}"


def quantities(text: str, lang: str) -> set[Quantity]:
    """Every quantity ``text`` states, written in ``lang`` ('it' or 'en'; other languages:
    digits only)."""
    found: set[Quantity] = set()

    def take(value: float, approximate: bool = False) -> str:
        found.add(Quantity(round(value, 6), approximate))
        return f" {_MARK} "

    def half_of(m: re.Match[str]) -> str:
        return take(0.5 * _scale(m.group(1)))

    def and_a_half(m: re.Match[str]) -> str:
        scale = _scale(m.group(2) or m.group(3))
        return take((_small(m.group(1)) + 0.5) * scale)

    def vague(m: re.Match[str]) -> str:
        i = int(next(k for k, v in m.groupdict().items() if v)[1:])
        return take(10.0 ** _VAGUE[i][1], approximate=True)

    text = _PERCENT.sub(" %", text)
    text = _AND_A_HALF.sub(and_a_half, text)  # first: 'one and a half million' holds 'half million'
    text = _HALF_OF.sub(half_of, text)
    text = _VAGUE_RX.sub(vague, text)

    def digits(m: re.Match[str]) -> str:
        number, scale, ordinal = m.group(1), m.group(2), m.group(3)
        if ordinal:
            return f" {_MARK} "
        return take(_value(number) * (_scale(scale) if scale else 1.0))

    # Digits with their scale word first: text2num would read '410 million' as 410 and
    # 1,000,000.
    text = _NUMBER.sub(digits, text)
    if lang in ("it", "en"):
        # From two up: 'un'/'a'/'one' are articles as often as numbers.
        text = _NUMBER.sub(digits, alpha2digit(text, lang, threshold=2))
    for m in _BARE_SCALE.finditer(text):
        take(_scale(m.group(1)), approximate=True)
    return found


def supported(q: Quantity, stated: set[Quantity]) -> bool:
    """Whether a sentence's quantity is one its evidence states: the same value, or, when
    either is vague, the same order of magnitude ('thousands' for «migliaia», «2,4 milioni»
    for "millions"; not "thousands" for «decine di migliaia»)."""
    if q in stated or Quantity(q.value) in stated:
        return True
    if not q.approximate and not any(s.approximate for s in stated):
        return False
    order = _order(q.value)
    return any(
        (q.approximate or s.approximate) and _order(s.value) == order and not _year(s)
        for s in stated
    )


def _year(q: Quantity) -> bool:
    """A year is not a count: 'thousands' is not supported by «nel 2028»."""
    return not q.approximate and q.value.is_integer() and 1900 <= q.value <= 2100


def unsupported(sentence: str, lang: str, evidence: str) -> list[Quantity]:
    """The quantities of ``sentence`` (in ``lang``) that ``evidence`` (read as Italian and
    as English: more values there only makes the check more lenient) does not state."""
    stated = quantities(evidence, "it") | quantities(evidence, "en")
    sentence = re.sub(r"\[\d+\]", " ", sentence)  # its citations are not quantities
    return sorted(
        (q for q in quantities(sentence, lang) if not supported(q, stated)),
        key=lambda q: q.value,
    )


def _order(value: float) -> int:
    return int(math.floor(math.log10(value))) if value > 0 else 0


def _value(digits: str) -> float:
    groups = re.split(r"[.,]", digits)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float("".join(groups))


def _scale(word: str) -> float:
    word = word.lower()
    return next((f for k, f in _SCALES.items() if word.startswith(k)), 1.0)


def _small(word: str) -> float:
    word = word.lower()
    return _value(word) if word[:1].isdigit() else float(_SMALL.get(word, 1))
