"""Word lists and name keys for the rule-based entity tagger (``newsloom.analyse.entities``).

Keys let one entity match across languages and scripts: :func:`normalise` (casefold,
transliterate Cyrillic, strip accents), :func:`person_key` (a person's folded surname). The
lexicon is read once from ``newsloom/data/`` (places, organisations, given names, keywords).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from newsloom.analyse.translit import to_latin

# Lower-case words that may sit inside a name ("Bank of England", "Leonardo da Vinci").
_CONNECTORS = {"of", "de", "da", "do", "dos", "das", "del", "della", "delle", "degli", "di",
               "du", "des", "la", "le", "van", "von", "der", "den", "zu", "y", "&", "and"}

# --- keys -----------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def transliterate(text: str) -> str:
    """Casefolded, alphabetic scripts in Latin letters: the project's one transliteration
    (``newsloom.analyse.translit.to_latin``)."""
    return to_latin(text)


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Casefold, transliterate, strip accents and punctuation: "São Paulo" -> "sao paulo"."""
    t = unicodedata.normalize("NFKD", transliterate(text))
    t = "".join(c for c in t if not unicodedata.combining(c)).replace("ß", "ss")
    return _NON_ALNUM.sub(" ", t).strip()


# Russian case endings, longest first; used to reach the nominative stem of names and places.
_RU_ENDINGS = ("ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "ой", "ей", "ом", "ем",
               "ым", "им", "ую", "юю", "ы", "и", "а", "я", "у", "ю", "е", "о", "ь", "й")
_RU_SURNAME = re.compile(r"^(.*?(?:ов|ев|ёв|ин|ын))(?:а|у|ым|ом|е|ой|ых|ыми)?$")
_RU_SKIJ = re.compile(r"^(.*?(?:ск|цк))(?:ий|ого|ому|им|ом|ая|ой|ую)$")
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.I)
# Phonetic folds that make the usual transcriptions of one surname agree (order matters):
# Selenskyj/Zelensky/Zelenskyy/Зеленский, Chodorkowski/Khodorkovsky, Poutine/Putin, Tschaikowsky.
_FOLDS = (("tsch", "ch"), ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("kh", "h"), ("ck", "k"),
          ("ph", "f"), ("ou", "u"), ("w", "v"), ("z", "s"), ("ts", "s"), ("j", "i"), ("y", "i"),
          ("x", "ks"), ("ai", "i"), ("ei", "i"), ("c", "k"))
_NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "junior", "senior"}


def _ru_nominative(word: str) -> str:
    w = word.casefold()
    m = _RU_SKIJ.match(w)
    if m:
        return m.group(1) + "ий"
    m = _RU_SURNAME.match(w)
    return m.group(1) if m else w


@lru_cache(maxsize=65536)
def person_key(name: str) -> str:
    """Key that lets one person's name match across languages and scripts.

    The surname (last word, after dropping Jr./III) transliterated, de-accented and folded, so
    "Vladimir Putin", "Владимир Путин", "Wladimir Putin", "Putin" and "Poutine" all give "putin".
    """
    words = [w for w in re.split(r"[\s,]+", name.strip()) if w]
    while len(words) > 1 and normalise(words[-1]) in _NAME_SUFFIXES:
        words.pop()
    if not words:
        return ""
    last = words[-1]
    if _CYRILLIC.search(last):
        last = _ru_nominative(last)
    key = normalise(last).replace(" ", "")
    for a, b in _FOLDS:
        key = key.replace(a, b)
    key = re.sub(r"(.)\1+", r"\1", key)
    if len(key) > 4 and key.endswith("e") and key[-2] not in "aeiou":
        key = key[:-1]  # French transcriptions add a mute e: Poutine, Medvedeve is not a thing
    return key


# --- lexicons -------------------------------------------------------------------------------


def _data_lines(name: str) -> list[list[str]]:
    text = resources.files("newsloom.data").joinpath(name).read_text(encoding="utf-8")
    return [ln.split("\t") for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _ru_stem(word: str) -> str:
    w = word.casefold()
    for end in _RU_ENDINGS:
        if len(w) - len(end) >= 3 and w.endswith(end):
            return w[: -len(end)]
    return w


@dataclass
class _Lexicon:
    places: dict[str, str]  # normalised name -> canonical key
    demonyms: dict[str, str]
    orgs: dict[str, str]
    ru_stems: dict[str, tuple[str, str]]  # Cyrillic stem -> (type, key)
    first_names: set[str]
    ru_first_stems: set[str]
    function: dict[str, set[str]]  # lang -> casefolded words; "*" = union
    never: set[str]
    honorifics: set[str]
    titles: set[str]
    orgkw: set[str]
    lockw: set[str]
    keep: set[str] = field(default_factory=set)  # lower-case words the tokenizer must keep

    def __post_init__(self) -> None:
        self.keep = _CONNECTORS | self.honorifics | self.titles | {h.rstrip(".") for h in self.honorifics}


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    places: dict[str, str] = {}
    demonyms: dict[str, str] = {}
    orgs: dict[str, str] = {}
    ru_stems: dict[str, tuple[str, str]] = {}
    for row in _data_lines("places.tsv"):
        key = row[0]
        for name in row[1].split("|"):
            places.setdefault(normalise(name), key)  # first row wins: countries before cities
            if _CYRILLIC.search(name) and " " not in name:
                ru_stems.setdefault(_ru_stem(name), ("LOC", key))
        for name in (row[2].split("|") if len(row) > 2 else []):
            demonyms.setdefault(normalise(name), key)
    for row in _data_lines("orgs.tsv"):
        for name in row[1].split("|"):
            orgs.setdefault(normalise(name), row[0])
            if _CYRILLIC.search(name) and " " not in name:
                ru_stems.setdefault(_ru_stem(name), ("ORG", row[0]))
    text = resources.files("newsloom.data").joinpath("first_names.txt").read_text(encoding="utf-8")
    first = {w.casefold() for ln in text.splitlines() if not ln.startswith("#") for w in ln.split()}
    words: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for cat, lang, items in _data_lines("entity_words.tsv"):
        words[cat][lang].update(items.casefold().split())
    function = dict(words["function"])
    function["*"] = set().union(*function.values())
    return _Lexicon(
        places, demonyms, orgs, ru_stems, first,
        {_ru_stem(w) for w in first if _CYRILLIC.search(w)} | {w for w in first if _CYRILLIC.search(w)},
        function, words["never"]["*"], words["honorific"]["*"], words["title"]["*"],
        _with_ru_stems(words["orgkw"]["*"]), _with_ru_stems(words["lockw"]["*"]),
    )


def _with_ru_stems(words: set[str]) -> set[str]:
    return words | {_ru_stem(w) for w in words if _CYRILLIC.search(w)}
