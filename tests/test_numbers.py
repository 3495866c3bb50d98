"""Quantities read alike in Italian and English: what lets the written answer's check keep a
translation that writes a number another way and drop one that changes it."""

import pytest

from rag.numbers import Quantity, quantities, unsupported


@pytest.mark.parametrize(
    ("italian", "english", "value"),
    [
        ("410 mila container", "410,000 containers", 410_000),
        ("410.000 container", "410 thousand containers", 410_000),
        ("sopra il mezzo milione", "above half a million", 500_000),
        ("sopra il mezzo milione", "above the half million mark", 500_000),
        ("mezzo milione di turisti", "a half-million tourists", 500_000),
        ("un milione di abitanti", "one million inhabitants", 1_000_000),
        ("un milione e mezzo di euro", "one and a half million euros", 1_500_000),
        ("due milioni e mezzo", "2.5 million", 2_500_000),
        ("2,4 milioni di euro", "2.4 million euros", 2_400_000),
        ("tre miliardi", "three billion", 3_000_000_000),
        ("trecentomila persone", "three hundred thousand people", 300_000),
        ("ventiquattro ore", "twenty-four hours", 24),
        ("il 5 per cento", "5 percent", 5),
        ("nel 2028", "by 2028", 2028),
    ],
)
def test_one_quantity_in_either_language_is_one_value(
    italian: str, english: str, value: float
) -> None:
    assert quantities(italian, "it") == {Quantity(value)}
    assert quantities(english, "en") == {Quantity(value)}


@pytest.mark.parametrize(
    ("italian", "english", "order"),
    [
        ("decine di migliaia di persone", "tens of thousands of people", 4),
        ("centinaia di famiglie", "hundreds of families", 2),
        ("migliaia di container", "thousands of containers", 3),
        ("milioni di euro", "millions of euros", 6),
    ],
)
def test_a_vague_quantity_is_an_order_of_magnitude(italian: str, english: str, order: int) -> None:
    vague = {Quantity(10.0**order, approximate=True)}
    assert quantities(italian, "it") == vague == quantities(english, "en")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("secondo Rutte la Nato è un'alleanza difensiva", "it"),  # "according to"
        ("for the second time", "en"),
        ("uno dei motivi", "it"),  # 'one', 'a', 'un' are articles as often as numbers
        ("one of the reasons", "en"),
    ],
)
def test_ordinals_and_articles_are_not_quantities(text: str, lang: str) -> None:
    assert quantities(text, lang) == set()


QUOTE = "Puntiamo a tornare sopra il mezzo milione di container entro il 2028, con decine di migliaia di posti di lavoro."


@pytest.mark.parametrize(
    ("sentence", "changed"),
    [
        ("He said the port aims to return above half a million containers by 2028 [1].", []),
        ("He said the port aims at 500,000 containers by 2028 [1].", []),
        ("He said tens of thousands of jobs depend on it [1].", []),
        ("He said the port aims to return above the million by 2028 [1].", ["1e+06"]),
        ("He said the port aims at 1.5 million containers by 2028 [1].", ["1.5e+06"]),
        ("He said the port aims at half a million containers by 2030 [1].", ["2030"]),
        ("He said thousands of jobs depend on it [1].", ["~10^3"]),
        ("He said millions of containers will come by 2028 [1].", ["~10^6"]),
    ],
    ids=["half-a-million", "digits", "vague-same", "the-million", "another-value",
         "another-year", "vague-smaller", "vague-larger"],
)  # fmt: skip
def test_a_gloss_that_changes_a_number_is_caught(sentence: str, changed: list[str]) -> None:
    assert [str(q) for q in unsupported(sentence, "en", QUOTE)] == changed
