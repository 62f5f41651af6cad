"""One transliteration for the project (anyascii): every module folds a name the same way."""

from __future__ import annotations

import pytest

from newsloom.analyse.features import extract_signals, fold
from newsloom.analyse.lexicon import normalise, person_key, transliterate
from newsloom.analyse.translit import to_latin


@pytest.mark.parametrize("name", ["Зеленский", "Зеленський", "Zelenskiy"])
def test_one_name_one_spelling_in_every_module(name: str) -> None:
    assert to_latin(name) == "zelenskiy"
    assert fold(name) == transliterate(name) == normalise(name) == "zelenskiy"


def test_scripts_that_write_names_with_letters_become_latin() -> None:
    assert to_latin("Ζελένσκι") == "zelenski"  # Greek
    assert to_latin("ზელენსკი") == "zelenski"  # Georgian
    assert to_latin("Łódź İstanbul Straße") == "lodz istanbul strasse"
    assert person_key("Владимир Путин") == person_key("Vladimir Putin") == person_key("Poutine")


def test_glued_and_unspaced_scripts_pass_through() -> None:
    """Transliterating these would weld words and glue letters to numbers."""
    assert to_latin("特朗普说 2020年") == "特朗普说 2020年"
    assert to_latin("لـ107 ترامپ") == "لـ107 ترامپ"
    assert "2020" in extract_signals("東京", "東京で2020年に大会が開かれた。", "ja").years


def test_names_meet_across_cyrillic_and_latin_in_signals() -> None:
    uk = extract_signals("Зеленський зустрівся з Макроном", "Зеленський і Макрон говорили у Парижі.", "uk")
    en = extract_signals("Zelenskiy meets Macron", "Zelenskiy and Macron talked in Paris.", "en")
    assert uk.names & en.names
