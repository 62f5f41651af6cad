"""Named entities (people, places, organisations) with keys that match across languages.

Rule-based on purpose: no PyPI package ships a multilingual NER model *with its weights* for
en/es/pt/fr/de/it/nl/ru (spaCy publishes only some per-language pipelines there; gliner, polyglot,
flair and the like download weights at run time), and the ingest path must stay at a few ms per
article on one core. The tagger reads capitalised word sequences and types them with word lists
written for newsloom (``newsloom/data/``): a place gazetteer with names in all these languages,
an organisation list, given names, honorifics, titles and organisation/place keywords.

Every entity has a ``key`` for cross-language matching: the gazetteer's canonical name when the
entity is known ("Alemania", "Германия" -> "germany"), :func:`person_key` for people (surname,
transliterated and folded: "Владимир Путин", "Wladimir Putin", "Poutine" -> "putin"), otherwise
:func:`normalise` of the text.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

# The word lists and name keys live in lexicon.py; the names stay importable from here.
from newsloom.analyse.lexicon import (  # noqa: F401 - transliterate re-exported
    _CONNECTORS,
    _CYRILLIC,
    _lexicon,
    _ru_stem,
    normalise,
    person_key,
    transliterate,
)
from newsloom.errors import AnalyseError

ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")
SUPPORTED_LANGS = ("en", "es", "pt", "fr", "de", "it", "nl", "ru")


@dataclass(frozen=True)
class Entity:
    text: str  # the fullest surface form seen ("Igor Rudenko", not "Rudenko")
    type: str  # PER | LOC | ORG | MISC
    count: int  # mentions in the text, surname-only mentions included
    key: str  # language-independent key for cross-language matching

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Mention:
    """One occurrence of an entity; :mod:`newsloom.analyse.quotes` uses these to find speakers."""

    text: str
    type: str
    start: int
    end: int
    key: str


# --- tagging --------------------------------------------------------------------------------

_STRONG_CONNECTORS = _CONNECTORS - {"y", "and", "la", "le", "der", "den"}
_SENT_END = set(".!?…:;")
_OPENERS = "\"“”‘’'«»„‚「『(–—-[ \t\u00a0"


@dataclass
class _Tok:
    text: str
    start: int
    end: int
    initial: bool  # first word of a sentence or line, where capitals say nothing


def _char_class(pred: Any) -> str:
    chars = [chr(c) for c in range(0x30, 0x2000) if pred(chr(c))]
    return "".join(re.escape(c) for c in chars)


@lru_cache(maxsize=1)
def _candidate_re() -> re.Pattern[str]:
    """Capitalised words (and d'Italia, anti-Kremlin). Matching only these in the regex engine,
    instead of every word, is what keeps tagging cheap."""
    up = _char_class(str.isupper)
    word = rf"[{up}][\w&]*(?:[-'’][\w&]+)*\.?"
    elision = r"(?i:dell|dall|nell|all|sull|qu|un|anti|pro|ex|post|pre|[dljnsc])"
    return re.compile(rf"(?<![\w'’-])(?:(?:[{up}]\.){{2,}}|{word}|{elision}['’-](?P<el>{word}))")


_LOWER_WORD = re.compile(r"(?<![\w'’-])[^\W\d_][\w'’-]*\.?")


def _tokens(text: str) -> list[_Tok]:
    """Capitalised words, plus the lower-case connectors, honorifics and titles next to them."""
    out: list[_Tok] = []
    lex = _lexicon()
    keep = lex.keep

    def add(s: int, t: str) -> None:
        if t.endswith(".") and not (t.casefold() in lex.honorifics or t.count(".") > 1
                                    or (len(t) == 2 and t[0].isupper())):
            t = t[:-1]  # a full stop, not part of an abbreviation
        if t[-2:] in ("'s", "’s") and len(t) > 2:
            t = t[:-2]  # English possessive: "EADS's" is EADS
        prev = out[-1] if out else None
        if s >= 2 and text[s - 1] == " " and text[s - 2].isalnum():
            out.append(_Tok(t, s, s + len(t), False))  # the common case, kept cheap
            return
        i = s - 1
        while i >= 0 and text[i] in _OPENERS:
            i -= 1
        gap = text[i + 1: s]
        initial = i < 0 or "\n" in gap or (text[i] in _SENT_END and not (
            text[i] == "." and prev is not None and prev.end == i + 1
            and (prev.text.casefold() in lex.honorifics or len(prev.text) <= 2)))
        if text[i] == "\n" or any(q in gap for q in "“«„‚「»\"") and not gap.endswith(("”", "’")):
            initial = True  # first word of a quotation: a sentence start
        out.append(_Tok(t, s, s + len(t), initial))

    prev_end = 0
    for m in _candidate_re().finditer(text):
        if m.start("el") >= 0:
            s, t = m.start("el"), m.group("el")  # d'Italia, anti-Kremlin
        else:
            s, t = m.start(), m.group()
        if s and text[s - 1] in "/@#.=_":
            continue  # a piece of a URL, handle or hashtag
        lo = prev_end if s - prev_end <= 25 else s - 20  # connectors, or the word before
        for w in _LOWER_WORD.finditer(text, lo, s):
            if (w.start() > prev_end or lo == prev_end) and w.group().casefold() in keep:
                add(w.start(), w.group())
        add(s, t)
        prev_end = s + len(t)
    return out


def _is_cap(t: str) -> bool:
    return t[:1].isupper()


def _lang_key(lang: str | None) -> str:
    if lang is None:
        return "*"
    if not isinstance(lang, str):
        raise AnalyseError(f"lang={lang!r}: expected an ISO 639-1 code such as 'en' or None")
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return code if code in SUPPORTED_LANGS else "*"


def _known_from(toks: list[Any], idx: list[int], n: int, lang: str) -> int | None:
    """The token index that ends the longest gazetteer name of two or more words starting at
    ``idx[n]`` (the run's tokens in order), if any."""
    for m in range(len(idx) - 1, n, -1):
        if _lookup([toks[i].text for i in idx[n:m + 1]], lang) is not None:
            return idx[m]
    return None


def _lookup(words: list[str], lang: str = "*") -> tuple[str, str] | None:
    """Gazetteer type and key of a whole word sequence, Russian and German case endings
    included."""
    joined = " ".join(words)
    hit = _lookup_joined(joined)
    if hit is None and lang == "de":
        hit = _lookup_de(joined)
    return hit


# German adjective endings: "der Europäischen Union", "der Deutschen Bank", "des Europäischen Rates".
_DE_ADJ_END = re.compile(r"(?<=[^\W\d_]{3})(?:en|er|es|em)$")


@lru_cache(maxsize=65536)
def _lookup_de(joined: str) -> tuple[str, str] | None:
    """The gazetteer entry of a German inflected form: adjectives of an organisation's name back
    to the nominative ("Europäischen Union" -> "european union", so it meets the English "EU")
    and the genitive -s/-es of a place or organisation dropped ("Polens", "Deutschlands",
    "des Bundestages"). Without it these became unknown capitalised runs: no key shared with
    other languages, and "Polens Präsidentschaftswahlen" read as a person."""
    words = joined.split(" ")
    if len(words) > 1:
        base = " ".join([_DE_ADJ_END.sub("e", w) for w in words[:-1]] + words[-1:])
        if base != joined and (hit := _lookup_joined(base)) and hit[0] != "MISC":
            return hit
    last = words[-1]
    for end in ("es", "s"):
        if last.endswith(end) and len(last) - len(end) >= 3:
            hit = _lookup_joined(" ".join(words[:-1] + [last[: -len(end)]]))
            if hit and hit[0] in ("LOC", "ORG"):
                return hit
    return None


@lru_cache(maxsize=65536)
def _lookup_joined(joined: str) -> tuple[str, str] | None:
    lex = _lexicon()
    words = joined.split(" ")
    norm = normalise(joined)
    if norm in lex.places:
        return "LOC", lex.places[norm]
    if norm in lex.orgs:
        return "ORG", lex.orgs[norm]
    if norm in lex.demonyms:
        return "MISC", lex.demonyms[norm]
    if len(words) == 1 and _CYRILLIC.search(words[0]):
        hit = lex.ru_stems.get(_ru_stem(words[0]))
        if hit:
            return hit
    return None


@lru_cache(maxsize=65536)
def _is_first_name(word: str) -> bool:
    lex = _lexicon()
    w = word.casefold()
    return w in lex.first_names or (bool(_CYRILLIC.search(w)) and _ru_stem(w) in lex.ru_first_stems)


_SUFFIXES: dict[int, tuple[str, ...]] = {}


def _long_suffixes(ident: int, kws: set[str]) -> tuple[str, ...]:
    if ident not in _SUFFIXES:
        _SUFFIXES[ident] = tuple(k for k in kws if len(k) >= 4)
    return _SUFFIXES[ident]


def _has_kw(words: list[str], kws: set[str], compound: bool) -> bool:
    for w in words:
        c = w.casefold()
        if c in kws or (_CYRILLIC.search(c) and _ru_stem(c) in kws):
            return True
        # German writes keywords into compounds (Verteidigungsministerium, Bundesbank)
        if compound and len(c) > 8 and c.endswith(_long_suffixes(id(kws), kws)):
            return True
    return False


def _sequences(toks: list[_Tok], text: str) -> list[list[int]]:
    """Runs of capitalised tokens, joined by name connectors ("Bank of England", "van der")."""
    seqs: list[list[int]] = []
    cur: list[int] = []
    i, n = 0, len(toks)
    while i < n:
        if _is_cap(toks[i].text) and not (cur and toks[i].initial):
            if cur and text[toks[cur[-1]].end: toks[i].start].strip(" \u00a0") not in ("", "&"):
                seqs.append(cur)
                cur = []
            cur.append(i)
            i += 1
            continue
        if cur and toks[i].text.casefold() in _STRONG_CONNECTORS:
            j = i
            while j < n and j - i < 2 and toks[j].text.casefold() in _CONNECTORS:
                j += 1
            if j < n and _is_cap(toks[j].text) and not toks[j].initial and j - i <= 2 and \
                    not toks[j].text.isupper() and \
                    len(text[toks[cur[-1]].end: toks[j].start].split()) == j - i:
                cur.extend(range(i, j))
                i = j
                continue
        if cur:
            seqs.append(cur)
            cur = []
        if _is_cap(toks[i].text):
            cur = [i]
        i += 1
    if cur:
        seqs.append(cur)
    return seqs


def _title_case_lines(text: str) -> set[int]:
    """Start offsets of headline-style lines (most words capitalised): capitals say nothing there."""
    out, pos = set(), 0
    for line in text.split("\n"):
        if len(line) > 160:  # headlines are short; skip the work for body paragraphs
            pos += len(line) + 1
            continue
        words = re.findall(r"[^\W\d_]+", line)
        if len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.7 * len(words):
            out.update(range(pos, pos + len(line) + 1))
        pos += len(line) + 1
    return out


def _classify(words: list[str], person_hint: bool, lang: str) -> tuple[str, str] | None:
    lex = _lexicon()
    hit = _lookup(words, lang)
    if hit:
        return hit
    norm = normalise(" ".join(words))
    if person_hint or _is_first_name(words[0]):
        return "PER", person_key(" ".join(words))
    if (len(words) > 1 or words[0].casefold() not in lex.orgkw) and \
            _has_kw(words, lex.orgkw, lang in ("de", "nl", "*")) or (
            len(words) == 1 and words[0].isupper() and 2 <= len(words[0]) <= 6):
        return "ORG", norm
    if _has_kw(words, lex.lockw, lang in ("de", "nl", "*")):
        return "LOC", norm
    if 2 <= len(words) <= 3 and all(w[:1].isupper() and w[1:].islower() for w in words) and \
            not any(_lookup([w], lang) for w in words):
        return "PER", person_key(" ".join(words))  # two or three plain capitalised words: a name
    return "MISC", norm


def _name_shaped(words: list[str]) -> bool:
    return all(w[:1].isupper() and not w.isupper() for w in words)


def _glued_name(head: list[str], rest: list[str], initial: bool, lang: str = "*") -> bool:
    """Is ``rest`` a person's name run on after a place, acronym or capitalised role word?"""
    if _is_first_name(head[-1]):
        return False
    lex = _lexicon()
    if _is_first_name(rest[0]):
        return bool(_lookup(head, lang)) or head[-1].isupper() or (len(head) == 1 and initial)
    return len(rest) in (2, 3) and _name_shaped(rest) and bool(_lookup(head, lang) or head[-1].isupper()) \
        and not _has_kw(rest, lex.orgkw, False) and not _has_kw(rest, lex.lockw, False)


def mentions(text: str, lang: str | None = None) -> list[Mention]:
    """Every entity occurrence in ``text``, in order, with character offsets."""
    if not isinstance(text, str):
        raise AnalyseError(f"text={type(text).__name__}: expected str")
    return list(_mentions(text, _lang_key(lang)))


# Entities and quotes of one article both need its mentions: keep the last few.
@lru_cache(maxsize=8)
def _mentions(text: str, lk: str) -> tuple[Mention, ...]:
    lex = _lexicon()
    func = lex.function.get(lk, lex.function["*"])
    toks = _tokens(text)
    headline = _title_case_lines(text)
    # Words seen capitalised inside a sentence (not in a run that opens one): names, not mere
    # sentence starts, so they are trusted at the start of other sentences too.
    seen_mid: set[str] = set()
    run_initial, prev = True, None
    for t in toks:
        if _is_cap(t.text):
            glued = prev is not None and _is_cap(prev.text) and not text[prev.end: t.start].strip()
            run_initial = t.initial or (run_initial and glued)
            if not run_initial and t.start not in headline:
                seen_mid.add(t.text.casefold())
        prev = t
    found: list[tuple[int, int, str, str, bool]] = []  # first tok, last tok, type, key, tentative

    def emit(part: list[int], person_hint: bool, initial: bool) -> None:
        words = [toks[i].text for i in part]
        known = _lookup(words, lk) is not None or _is_first_name(words[0])
        unsure = not (known or person_hint) and len(words) == 1 and not words[0].isupper() and (
            (initial and words[0].casefold() not in seen_mid) or lk == "de")
        if headline and toks[part[0]].start in headline and not (known or person_hint):
            return  # headline capitals carry no signal
        if unsure and lk == "de" and not initial and words[0].casefold() not in lex.orgkw and \
                _has_kw(words, lex.orgkw, True):
            unsure = False  # a compound such as Verteidigungsministerium names an organisation
        kind = _classify(words, person_hint, lk)
        if kind:
            found.append((part[0], part[-1], kind[0], kind[1], unsure))

    for seq in _sequences(toks, text):
        idx = list(seq)
        initial = toks[idx[0]].initial
        person_hint = False
        prev = toks[idx[0] - 1].text.casefold() if idx[0] > 0 and not text[
            toks[idx[0] - 1].end: toks[idx[0]].start].strip() else ""
        if prev in lex.honorifics or prev in lex.titles:
            person_hint = True
        while idx and (toks[idx[0]].text.casefold() in func or toks[idx[0]].text.casefold()
                       in lex.never or toks[idx[0]].text.casefold() in lex.honorifics):
            person_hint = person_hint or toks[idx[0]].text.casefold() in lex.honorifics
            idx.pop(0)
        while idx and not _is_cap(toks[idx[-1]].text):
            idx.pop()
        if not idx:
            continue
        if _lookup([toks[i].text for i in idx], lk):
            emit(idx, False, initial)
            continue
        if initial and len(idx) > 2 and toks[idx[1]].text.casefold() in _CONNECTORS and \
                toks[idx[0]].text.casefold() not in seen_mid and not _lookup([toks[idx[0]].text], lk):
            idx = idx[1:]  # "Shares of Acme Holdings": the sentence starts with a common noun
            while idx and not _is_cap(toks[idx[0]].text):
                idx.pop(0)
            initial = False
        if initial and len(idx) > 1 and not _is_first_name(toks[idx[0]].text) and \
                toks[idx[0]].text.casefold() not in seen_mid and _lookup([toks[i].text for i in idx[1:]], lk):
            emit(idx[1:], False, False)  # "Crying Russian prisoners": only "Russian" is a name
            continue
        # "России Владимир Путин": a place in the genitive glued to a name that follows it
        # Titles split a run: "Northrop Grumman CEO Ron Sugar" -> ORG-ish part, then a person.
        parts: list[list[int]] = [[]]
        after_title: list[bool] = [person_hint]
        known_until = -1  # inside a known name that begins with a title word: no split there
        for n, i in enumerate(idx):
            if i <= known_until:
                parts[-1].append(i)
            elif toks[i].text.casefold() in lex.titles:
                # "CEO of General Motors": a title word that begins a known name ("General
                # Motors", "General Electric") is that name, not a title before a person
                span = _known_from(toks, idx, n, lk)
                parts.append([i] if span else [])
                after_title.append(not span)
                if span:
                    known_until = span
                    parts[-1].extend(idx[n + 1:idx.index(span) + 1])
                    parts.append([])  # what follows the known name is a part of its own
                    after_title.append(False)
            else:
                parts[-1].append(i)
        for k, part in enumerate(parts):
            if part and not _is_cap(toks[part[0]].text):
                after_title[k] = False  # "Secretary of Defense": a portfolio, not a person
            while part and not _is_cap(toks[part[0]].text):
                part.pop(0)
            while part and not _is_cap(toks[part[-1]].text):
                part.pop()
            if not part:
                continue
            # "России Владимир Путин": a place in the genitive glued to the name after it
            cut = next((j for j in range(1, len(part)) if _glued_name(
                [toks[i].text for i in part[:j]], [toks[i].text for i in part[j:]],
                toks[part[0]].initial, lk)), 0)
            if cut:
                emit(part[:cut], False, initial and part[0] == idx[0])
                part = part[cut:]
            if lk == "de" and len(part) > 1 and _lookup([toks[i].text for i in part], lk) is None and \
                    _lookup_joined(toks[part[-1]].text) is None and _lookup_de(toks[part[-1]].text):
                # "Regierung Österreichs", "Wahlen Polens": a noun and the place (or body) it
                # belongs to in the genitive; the place is a name of its own
                emit(part[:-1], False, initial and part[0] == idx[0])
                part = part[-1:]
            words = [toks[i].text for i in part]
            is_person = after_title[k] and k == len(parts) - 1 and _name_shaped(words)
            if len(parts) > 1 and not is_person and len(part) == 1 and not _lookup(words, lk):
                continue  # "Foreign" of "Foreign Minister": a modifier, not a name
            emit(part, is_person, initial and part[0] == idx[0])

    per_keys = {key for _, _, typ, key, unsure in found if typ == "PER" and not unsure}
    out: list[Mention] = []
    for a, b, typ, key, unsure in found:
        surface = text[toks[a].start: toks[b].end]
        if typ == "MISC" and a == b and _lookup([surface], lk) is None:
            pk = person_key(surface)
            if pk in per_keys:
                typ, key = "PER", pk  # "Rudenko" after "Igor Rudenko"
            elif unsure:
                continue
        elif unsure:
            continue
        out.append(Mention(surface, typ, toks[a].start, toks[b].end, key))
    return tuple(out)


def extract_entities(text: str, lang: str | None = None) -> list[Entity]:
    """People, places and organisations of ``text``, most mentioned first.

    ``lang`` (ISO 639-1) picks the function-word list; None or an unsupported code uses the
    union of all lists. Surname-only mentions count towards the full name.
    """
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for m in mentions(text, lang):
        groups[(m.type, m.key)].append(m.text)
    out = []
    for (typ, key), forms in groups.items():
        freq = Counter(forms)
        best = max(freq, key=lambda f: (len(f.split()) if typ == "PER" else 0, freq[f], len(f)))
        out.append(Entity(best, typ, len(forms), key))
    out.sort(key=lambda e: (-e.count, e.type, e.key))
    return out
