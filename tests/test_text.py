import pytest

from rag import text


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        pytest.param("Capacità", "capacita", id="accent"),
        pytest.param("Perché", "perche", id="acute"),
        pytest.param("CAPACITA\u0300", "capacita", id="decomposed"),
    ],
)
def test_fold_lowers_and_drops_accents(raw: str, folded: str) -> None:
    assert text.fold(raw) == folded


def test_normalize_composes_decomposed_accents() -> None:
    assert text.normalize("citta\u0300") == "città"
    assert len(text.normalize("citta\u0300")) == 5


def test_tokenize_drops_stopwords_of_both_languages() -> None:
    assert text.tokenize("La deterrenza of the Alliance è credibile") == [
        "deterrenza",
        "alliance",
        "credibile",
    ]


def test_stopword_lists_are_per_language_and_the_union_is_what_tokenize_drops() -> None:
    assert "della" in text.STOPWORDS["it"] and "della" not in text.STOPWORDS["en"]
    assert "which" in text.STOPWORDS["en"] and "which" not in text.STOPWORDS["it"]
    assert text.STOPWORDS_ANY == text.STOPWORDS["it"] | text.STOPWORDS["en"]


def test_english_is_snowball_stemmed_and_italian_is_not() -> None:
    assert text.stem_words(["clauses", "ruling"], "en") == ["claus", "rule"]
    assert text.stem_words(["clausole"], "it") == ["clausole"]
    assert text.stem_words(["clauses"], "und") == ["claus"], "unknown language: English"


@pytest.mark.parametrize(
    ("a", "b"),
    [("deterrence", "deterrenza"), ("rates", "rate"), ("credibility", "credibile")],
)
def test_cognates_share_a_key_across_languages(a: str, b: str) -> None:
    assert text.cognate(a) == text.cognate(b)


@pytest.mark.parametrize(
    ("sample", "lang"),
    [
        ("Il consiglio comunale ha approvato il bilancio del porto con venti voti.", "it"),
        ("The council approved the harbour budget with twenty votes in favour.", "en"),
        ("12345 ---", "und"),
    ],
)
def test_detect_language(sample: str, lang: str) -> None:
    assert text.detect_language(sample) == lang


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("Quali prodotti sono stati venduti in farmacia?", "it"),
        ("What did Rutte say about deterrence?", "en"),
        ("Cosa ha detto Rutte sulla deterrenza?", "it"),
        ("Rutte deterrenza?", "en"),
    ],
)
def test_question_language(question: str, lang: str) -> None:
    assert text.question_language(question) == lang
