from __future__ import annotations

import pytest

from newsloom.dedupe.hashing import content_hash, normalise_text


def test_normalise_collapses_case_punctuation_whitespace() -> None:
    assert normalise_text("  “Hello,”  WORLD!\n\n\tNew   line… ") == "hello world new line"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ﬁne", "fine"),  # NFKC: ligature
        ("ＡＢＣ１２３", "abc123"),  # NFKC: full-width forms
        ("Straße", "STRASSE"),  # casefold, not lower()
        ("ΟΔΟΣ", "οδος"),
        ("café", "cafe\u0301"),  # composed vs decomposed accent
        ("l'été — c'est « chaud »", 'L’ÉTÉ - C’EST "CHAUD"'),  # quote and dash styles
        ("a\u00a0b\u200bc", "a b c"),  # no-break and zero-width spaces
    ],
)
def test_equivalent_spellings_hash_equal(a: str, b: str) -> None:
    assert normalise_text(a) == normalise_text(b)
    assert content_hash(a) == content_hash(b)


def test_combining_marks_are_content() -> None:
    # Devanagari vowel signs are marks (Mn/Mc): stripping them would merge different words
    assert normalise_text("किताब") != normalise_text("कताब")
    assert content_hash("किताब") != content_hash("कताब")
    assert normalise_text("ภาษาไทย") == "ภาษาไทย"


def test_different_words_hash_differently() -> None:
    assert content_hash("The minister resigned.") != content_hash("The minister resigns.")
    assert content_hash("12 dead") != content_hash("13 dead")


def test_hash_is_fixed_hex_blake2b() -> None:
    h = content_hash("Hello, world")
    assert len(h) == 32 and int(h, 16) >= 0
    # a stored hash must stay valid across runs and machines: pin the value
    assert h == content_hash("hello world")
    import hashlib

    assert h == hashlib.blake2b(b"hello world", digest_size=16).hexdigest()


def test_empty_text() -> None:
    assert normalise_text("  ...  ") == ""
    assert content_hash("") == content_hash(" !! ")
