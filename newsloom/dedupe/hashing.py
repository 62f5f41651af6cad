"""Exact-duplicate fingerprints: a hash of the text with everything a republisher changes
without changing the article (case, punctuation, quotes, spacing, Unicode forms) taken out.

>>> normalise_text("  “Hello,”  WORLD!\\n\\nﬁne ")
'hello world fine'
>>> content_hash("Hello, world") == content_hash("HELLO WORLD!!")
True
"""

from __future__ import annotations

import hashlib
import unicodedata

import regex

__all__ = ["content_hash", "normalise_text"]

# Letters, marks and digits are content; every other run (punctuation, symbols, spaces,
# controls) becomes one space. The `regex` module is used because `re` has no \p{...} classes,
# and Python's \w drops combining marks (Devanagari/Thai vowel signs) that are content.
_NON_CONTENT = regex.compile(r"[^\p{L}\p{M}\p{N}]+")


def normalise_text(text: str) -> str:
    """Unicode NFKC, case-folded, with punctuation, symbols and whitespace collapsed to single
    spaces; the form both :func:`content_hash` and the MinHash shingles are computed on."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_CONTENT.sub(" ", text).strip()


def content_hash(text: str, *, normalised: bool = False) -> str:
    """Hex BLAKE2b (128-bit) of :func:`normalise_text` ``(text)``: equal for texts that differ
    only in case, punctuation, spacing or Unicode form. ``normalised=True`` says ``text`` is
    already the output of :func:`normalise_text` (saves the second pass)."""
    norm = text if normalised else normalise_text(text)
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest()
