"""One transliteration for the whole project: names and words of alphabetic scripts written in
Latin letters, so that "Зеленский", "Зеленський", "Ζελένσκι" and "Zelenskiy" can meet.

The work is done by anyascii (a kept library with tables for every Unicode script) rather than
hand tables: two hand tables that disagreed ("zelenskiy" in one module, "zelenskii" in another)
made one name two keys. Only letters of *alphabetic* scripts written with spaces between words
are transliterated (Latin with diacritics, Greek, Cyrillic, Armenian, Georgian, Hebrew, the
Indic scripts, Ethiopic...). Scripts that glue units, clitics and counters to numbers or write
no spaces (Arabic and Persian, Thai, Lao, Khmer, Myanmar, Chinese, Japanese, Korean) pass through
casefolded: their text still matches text in the same script, and transliterating them would
weld words together ("特朗普说" -> "TeLangPuShuo") and glue Latin letters to numbers
("2020年" -> "2020Nian"), which the number and name rules rely on not happening.
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

# Runs of letters (and their combining marks) outside ASCII, in the scripts transliterated:
# Latin-1 Supplement to Latin Extended-B, IPA and spacing modifiers, combining marks, Greek,
# Cyrillic, Armenian, Hebrew, the Indic scripts (Devanagari to Malayalam, Sinhala), Georgian,
# Ethiopic, Cherokee, Latin Extended Additional and Greek Extended, and Latin Extended-C/D/E.
_ALPHABETIC = re.compile(
    "[\u00c0-\u024f\u0250-\u02ff\u0300-\u036f\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff"
    "\u0900-\u0dff\u10a0-\u10ff\u1200-\u139f\u1c80-\u1c8f\u1e00-\u1fff\u2c60-\u2c7f\ua720-\ua7ff"
    "\uab30-\uab6f]+"
)
# anyascii writes the soft and hard signs and some glottal stops as an apostrophe inside a
# word ("Зеленський" -> "Zelens'kiy"); a name key must not depend on them.
_INNER_MARK = re.compile(r"(?<=\w)['`](?=\w)")


@lru_cache(maxsize=131072)
def _latin_run(run: str) -> str:
    return _INNER_MARK.sub("", anyascii(run))


def to_latin(text: str) -> str:
    """``text`` casefolded, with every run of letters of an alphabetic script written in ASCII
    Latin letters (see the module doc); everything else is kept as it is. "Müller" ->
    "muller", "Путин" -> "putin", "Зеленский" and "Зеленський" -> "zelenskiy", "ß" -> "ss"."""
    if text.isascii():
        return text.casefold()
    return _ALPHABETIC.sub(lambda m: _latin_run(m.group()), text).casefold()
