"""Language identification per article and per paragraph (py3langid, bundled model).

>>> from newsloom.analyse.language import detect, detect_article
>>> detect("Il presidente ha detto oggi che il governo non cadrà.")[0]
'it'
>>> detect("12:45 !!!")
(None, 0.0)

Codes are ISO 639-1 where one exists. py3langid also knows a few languages with no two-letter
code (``pcm`` Nigerian Pidgin, ``vec`` Venetian, ...); those come back as their three-letter
ISO 639-3 code. Regional varieties are folded into their macrolanguage (``yue``/``wuu`` into
``zh``, ``ary``/``arz`` into ``ar``) by adding their probabilities, because a news reader wants
"Chinese" and the model splits the mass between varieties on short text.

The model is loaded once per process on first use (under a lock, so threads may call
:func:`detect` concurrently; classification itself only reads the model).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

__all__ = [
    "LanguageResult",
    "detect",
    "detect_article",
    "detect_paragraphs",
    "split_paragraphs",
]

#: Below this many letters there is nothing to identify.
MIN_LETTERS = 3
#: Below this probability (of the language plus its close siblings) we abstain: on junk such as
#: "Read more" or a photo credit the calibrated model spreads its mass and the top guess is noise.
MIN_CONFIDENCE = 0.4
#: A hinted language wins when its probability is at least this share of the top one.
NEAR_TIE_RATIO = 0.5
#: Paragraphs with fewer letters than this (CJK characters count three) inherit the
#: article language: a dateline or a caption is too short to be identified reliably.
MIN_PARAGRAPH_CHARS = 40
#: A paragraph is labelled with a language other than the article's only when this sure.
PARAGRAPH_SWITCH_CONFIDENCE = 0.7
#: Article-level identification reads at most this many characters: accuracy saturates long
#: before, and a 200 KB transcript should not cost 100 ms.
MAX_CHARS = 10_000

_FOLD = {
    "ary": "ar",
    "arz": "ar",
    "wuu": "zh",
    "yue": "zh",
    "uzs": "uz",
    "gug": "gn",
    "sdh": "ku",
    "kik": "ki",
    "hbo": "he",
    "grc": "el",
}
_NO_LANGUAGE = "zxx"  # the model's "no linguistic content" class

# Languages the model confuses with each other on short text; their summed probability decides
# whether we abstain, and a source hint may pick among them.
_SIBLING_GROUPS = (
    frozenset({"hr", "sr", "bs"}),
    frozenset({"da", "no", "nn"}),
    frozenset({"id", "ms"}),
    frozenset({"cs", "sk"}),
    frozenset({"gl", "pt"}),
    frozenset({"gl", "es"}),
    frozenset({"en", "pcm"}),
)
_SIBLINGS: dict[str, frozenset[str]] = {}
for _group in _SIBLING_GROUPS:
    for _code in _group:
        _SIBLINGS[_code] = _SIBLINGS.get(_code, frozenset()) | _group

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


@dataclass(frozen=True)
class LanguageResult:
    """Language of one article: overall, per paragraph of ``text``, and whether it mixes."""

    lang: str | None
    confidence: float
    paragraph_langs: list[str | None] = field(default_factory=list)
    mixed: bool = False


def _get_identifier() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _has_letters(text: str, minimum: int, wide_weight: int = 1) -> bool:
    """At least ``minimum`` letters in ``text``, wide (CJK) characters counting
    ``wide_weight`` times; stops as soon as the answer is known (texts can be long)."""
    n = 0
    for ch in text:
        if ch.isalpha():
            n += wide_weight if unicodedata.east_asian_width(ch) in ("W", "F") else 1
            if n >= minimum:
                return True
    return False


def _is_short(paragraph: str) -> bool:
    # one ideograph carries about as much evidence as a short Latin word: a 15-character
    # Chinese paragraph is not "short"
    return not _has_letters(paragraph, MIN_PARAGRAPH_CHARS, wide_weight=3)


def _probabilities(text: str) -> dict[str, float]:
    probs: dict[str, float] = {}
    for code, p in _get_identifier().rank(text):
        code = _FOLD.get(code, code)
        probs[code] = probs.get(code, 0.0) + float(p)
    return probs


def _choose(probs: dict[str, float], hint: str | None) -> tuple[str | None, float]:
    top = max(probs, key=probs.__getitem__)
    chosen = top
    if hint:
        hint = _FOLD.get(hint.lower(), hint.lower())
        if hint != top and probs.get(hint, 0.0) >= NEAR_TIE_RATIO * probs[top]:
            chosen = hint
    if chosen == _NO_LANGUAGE:
        return None, 0.0
    mass = sum(probs.get(c, 0.0) for c in _SIBLINGS.get(chosen, frozenset({chosen})))
    if max(mass, probs[chosen]) < MIN_CONFIDENCE:
        return None, 0.0
    return chosen, round(min(1.0, probs[chosen]), 4)


def detect(text: str, *, hint: str | None = None) -> tuple[str | None, float]:
    """Language of ``text`` as ``(ISO 639-1 code, confidence 0..1)``.

    Returns ``(None, 0.0)`` when there is too little text, no letters, or no language is
    probable enough to be more than a guess. ``hint`` (e.g. the source's declared language)
    wins a near-tie: when its probability is at least half of the best one.
    """
    text = text[:MAX_CHARS].strip()
    if not _has_letters(text, MIN_LETTERS):
        return None, 0.0
    return _choose(_probabilities(text), hint)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of an :class:`~newsloom.models.Article` ``text`` (``"\\n\\n"``-separated), the
    same split :func:`detect_paragraphs` labels, so ``paragraph_langs[i]`` belongs to
    ``split_paragraphs(text)[i]``."""
    return text.split("\n\n") if text else []


def _paragraph_langs(
    paragraphs: list[str], article_lang: str | None
) -> tuple[list[str | None], bool]:
    langs: list[str | None] = []
    mixed = False
    for para in paragraphs:
        if _is_short(para):
            langs.append(article_lang)
            continue
        lang, conf = detect(para, hint=article_lang)
        if lang is None or (lang != article_lang and conf < PARAGRAPH_SWITCH_CONFIDENCE):
            lang = article_lang
        mixed = mixed or (article_lang is not None and lang != article_lang)
        langs.append(lang)
    return langs, mixed


def detect_paragraphs(text: str, *, hint: str | None = None) -> list[str | None]:
    """One language code per ``"\\n\\n"``-separated paragraph of ``text``.

    Short paragraphs (under ~40 characters: datelines, captions, "Read more") inherit the
    language of the whole text instead of being guessed; so do paragraphs the model is unsure
    of. ``None`` only where neither the paragraph nor the whole text could be identified.
    """
    article_lang, _ = detect(text, hint=hint)
    return _paragraph_langs(split_paragraphs(text), article_lang)[0]


def detect_article(title: str | None, text: str, hint: str | None = None) -> LanguageResult:
    """Language of an article (title and text together), per paragraph of ``text``, and
    whether some paragraph is confidently in another language (``mixed``: at least ~40
    characters identified with >= 0.7 confidence, so captions and names do not count)."""
    whole = f"{title}\n\n{text}" if title else text
    lang, confidence = detect(whole, hint=hint)
    paragraphs = split_paragraphs(text)
    if len(paragraphs) == 1:
        # the one paragraph is the text just identified: a second pass would only cost time
        return LanguageResult(lang, confidence, [lang], False)
    paragraph_langs, mixed = _paragraph_langs(paragraphs, lang)
    return LanguageResult(lang, confidence, paragraph_langs, mixed)
