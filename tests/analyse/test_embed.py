"""Embedding backends, routing by language, and the cross-lingual signals (features.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from newsloom.analyse.embed import (
    USE_M3_LANGS,
    Embedder,
    MultiEmbedder,
    article_text,
    get_embedder,
)
from newsloom.analyse.features import (
    extract_dates,
    extract_domains,
    extract_names,
    extract_numbers,
    extract_quotes,
    extract_signals,
    fold,
    overlap,
    signal_overlaps,
)
from newsloom.errors import ConfigError

EN_A = "An earthquake of magnitude 7.1 struck southern Mexico on Tuesday, killing at least 20 people."
ES_A = "Un terremoto de magnitud 7,1 sacudió el sur de México el martes y mató al menos a 20 personas."
EN_B = "The central bank raised interest rates by half a percentage point to fight inflation."
EN_C = "The football club signed a new striker from Brazil for the coming season."


@pytest.fixture(scope="module")
def use() -> Embedder:
    return get_embedder("use-m3")


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return get_embedder("e5-small")


# --- backends ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,dim", [("use-m3", 512), ("e5-small", 384)])
def test_shape_dtype_and_unit_norm(name: str, dim: int) -> None:
    emb = get_embedder(name)
    assert isinstance(emb, Embedder)
    assert emb.name == name and emb.dim == dim
    out = emb.embed([EN_A, ES_A, "x"])
    assert out.shape == (3, dim)
    assert out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    assert emb.embed([]).shape == (0, dim)


def test_deterministic_and_batch_independent(use: Embedder) -> None:
    one = use.embed([EN_A])[0]
    batch = use.embed([EN_B, EN_A, EN_C])[1]
    assert np.allclose(one, use.embed([EN_A])[0])
    assert np.allclose(one, batch, atol=1e-5)


def test_cached_per_process(use: Embedder) -> None:
    assert get_embedder("use-m3") is use
    assert get_embedder("use-m3", threads=1) is use


@pytest.mark.parametrize("name", ["use-m3", "e5-small"])
def test_cross_lingual_same_event_closer_than_unrelated(name: str) -> None:
    v = get_embedder(name).embed([EN_A, ES_A, EN_B, EN_C])
    same_event = float(v[0] @ v[1])
    unrelated = float(v[2] @ v[3])
    assert same_event > unrelated + 0.1  # e5 cosines sit high: a small margin
    assert same_event > float(v[0] @ v[2])


def test_unknown_backend_is_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown embedder 'word2vec'"):
        get_embedder("word2vec")
    with pytest.raises(ConfigError, match="threads"):
        get_embedder("use-m3", threads=0)


def test_missing_optional_package_is_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # import fails
    with pytest.raises(ConfigError, match="sentence-transformers"):
        get_embedder("st:some/model")


def test_embed_rejects_a_bare_string(use: Embedder) -> None:
    with pytest.raises(TypeError, match="single str"):
        use.embed(EN_A)  # type: ignore[arg-type]


def test_covers(use: Embedder, e5: Embedder) -> None:
    assert use.covers("de") and use.covers("zh") and use.covers(None)
    assert not use.covers("sv") and not use.covers("hi")
    assert e5.covers("sv") and e5.covers("hi")
    assert "ja" in USE_M3_LANGS


# --- routing --------------------------------------------------------------------------------


def test_multi_embedder_routes_by_language() -> None:
    multi = MultiEmbedder()
    out = multi.embed(
        ["Ein Erdbeben erschütterte Mexiko.", "Ett jordskalv skakade Mexiko."],
        ["de", "sv"],
        titles=["Erdbeben in Mexiko", "Jordskalv i Mexiko"],
    )
    assert set(out[0]) == {"use-m3", "use-m3:title", "e5-small:title"}
    assert set(out[1]) == {"e5-small", "e5-small:title"}
    assert out[0]["use-m3"].shape == (512,) and out[1]["e5-small"].shape == (384,)
    # The shared title space is what makes a Swedish and a German article comparable.
    assert float(out[0]["e5-small:title"] @ out[1]["e5-small:title"]) > 0.8


def test_multi_embedder_without_title_vectors() -> None:
    multi = MultiEmbedder(title_vectors=False)
    out = multi.embed(["Ein Erdbeben.", "Ett jordskalv."], ["de", "sv"], titles=["Erdbeben", "Jordskalv"])
    assert "e5-small:title" not in out[0]
    assert "e5-small:title" in out[1]  # uncovered languages are embedded by e5 anyway
    with pytest.raises(ValueError, match="2 texts but 1 langs"):
        multi.embed(["a", "b"], ["de"])


# --- article_text --------------------------------------------------------------------------


def test_article_text_title_plus_lead_at_word_boundary() -> None:
    body = "word " * 300
    out = article_text("A title", body, lead_chars=100)
    assert out.startswith("A title. word")
    assert len(out) <= len("A title. ") + 100
    assert not out.endswith("wor")
    assert article_text("Title?", "Body", lead_chars=100) == "Title? Body"
    assert article_text("Only title", "Body text", lead_chars=0) == "Only title"
    assert article_text(None, "  Body \n text ", lead_chars=100) == "Body text"


# --- features -------------------------------------------------------------------------------


def test_numbers_normalised_across_formats() -> None:
    en = extract_numbers("It cost 1,000,000 dollars, 2,500 jobs and 3.5% growth.")
    de = extract_numbers("Es kostete 1.000.000 Dollar, 2.500 Stellen und 3,5 Prozent Wachstum.")
    fr = extract_numbers("Il a coûté 1 000 000 dollars, 2 500 emplois et 3,5 % de croissance.")
    assert en == de == fr == {"1000000", "2500", "3.5%"}


def test_small_counts_dropped_and_arabic_digits_read() -> None:
    assert extract_numbers("3 people and 12 cars") == set()
    assert extract_numbers("قتل ٢٥ شخصا") == {"25"}


def test_dates_across_languages() -> None:
    for text in ("on 24 April", "April 24", "am 24. April", "el 24 de abril", "24.04.2020", "2020-04-24",
                 "24 апреля"):
        assert extract_dates(text) == {"04-24"}, text


def test_names_across_languages_and_scripts() -> None:
    en, en_multi = extract_names("On Friday, President Vladimir Putin met Angela Merkel in Berlin.")
    ru, ru_multi = extract_names("В пятницу президент Владимир Путин встретился с Ангелой Меркель в Берлине.")
    pl, _ = extract_names("W piątek prezydent Władimir Putin spotkał się z Angelą Merkel w Berlinie.")
    assert {"putin", "merkel", "berlin"} <= en
    assert {"putin", "merkel", "berlin"} <= pl  # inflected forms meet on the 6-letter prefix
    assert {"putin", "berlin"} <= ru  # Cyrillic transliterated
    assert "vladim_putin" in en_multi and "vladim_putin" in ru_multi
    assert fold("Müller") == "muller" and fold("Straße") == "strasse"


def test_sentence_initial_words_are_not_names() -> None:
    names, _ = extract_names("However the storm passed. Then the rain came.")
    assert names == set()


def test_domains_and_quotes() -> None:
    assert extract_domains("see https://www.BBC.co.uk/news/x and @NYTimes") == {"bbc.co.uk", "@nytimes"}
    q = extract_quotes('He said: "We will never give up this fight" on Monday.')
    assert "we will never" in q


def test_signal_overlap_same_event_higher_than_different() -> None:
    a = extract_signals("Putin meets Merkel", "Vladimir Putin met Angela Merkel in Berlin on 24 April; "
                        "they discussed a 1,500 million euro deal.", "en")
    b = extract_signals("Putin trifft Merkel", "Wladimir Putin traf Angela Merkel am 24. April in Berlin; "
                        "es ging um ein Geschäft über 1.500 Millionen Euro.", "de")
    c = extract_signals("Apple sells iPhones", "Apple sold 20 million iPhones in China in March.", "en")
    same, diff = signal_overlaps(a, b), signal_overlaps(a, c)
    assert same["names"] > diff["names"]
    assert same["numbers"] > 0 and diff["numbers"] == 0
    assert same["dates"] > 0
    assert overlap(set(), {"x"}) == 0.0
