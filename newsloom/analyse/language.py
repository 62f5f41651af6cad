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

import math
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
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
    if isinstance(probs, _RowProbs):
        top = _labels()[0][int(probs.row.argmax())]  # first maximum, as max() over the codes
    else:
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
    paragraphs: list[str], article_lang: str | None, counts: list[tuple[dict[int, int], int]] | None = None
) -> tuple[list[str | None], bool]:
    langs: list[str | None] = []
    mixed = False
    for i, para in enumerate(paragraphs):
        if _is_short(para):
            langs.append(article_lang)
            continue
        if counts is not None:
            lang, conf = _choose(_RowProbs(_row_probabilities(*counts[i])), article_lang)
        else:
            lang, conf = detect(para, hint=article_lang)
        if lang is None or (lang != article_lang and conf < PARAGRAPH_SWITCH_CONFIDENCE):
            lang = article_lang
        mixed = mixed or (article_lang is not None and lang != article_lang)
        langs.append(lang)
    return langs, mixed


def _counts(text: str) -> tuple[dict[int, int], int]:
    """Byte n-gram feature counts of ``text`` (the model's DFA walk) and its encoded length.

    Uses py3langid's internals (pinned version) so an article is walked once: the whole
    text's counts are the sum of its paragraphs' counts, and each paragraph is then scored
    from its own counts. Walking the text once per paragraph and once whole cost twice as much.
    """
    from py3langid.langid import visit_counts

    ident = _get_identifier()
    encoded = ident._encode(text)
    visits = visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, encoded)
    return (visits or {}), len(encoded)


class _RowProbs(dict):  # type: ignore[type-arg]
    """A row of ``_row_probabilities`` seen as the {code: probability} mapping ``_choose``
    reads, without building a 90-entry dict per paragraph."""

    def __init__(self, row: "np.ndarray") -> None:
        super().__init__()
        self.row = row

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(_labels()[0])

    def __getitem__(self, code: str) -> float:
        return float(self.row[_labels()[1][code]])

    def get(self, code: str, default: float = 0.0) -> float:  # type: ignore[override]
        i = _labels()[1].get(code)
        return default if i is None else float(self.row[i])


_label_cache: tuple[list[str], dict[str, int], "np.ndarray"] | None = None


def _labels() -> tuple[list[str], dict[str, int], "np.ndarray"]:
    """Folded codes, their index, and the model-class -> folded-code 0/1 matrix."""
    global _label_cache
    if _label_cache is None:
        import numpy as np

        classes = _get_identifier().nb_classes
        codes: list[str] = []
        index: dict[str, int] = {}
        for label in classes:
            code = _FOLD.get(label, label)
            if code not in index:
                index[code] = len(codes)
                codes.append(code)
        fold = np.zeros((len(classes), len(codes)), dtype=np.float32)
        seen: set[str] = set()
        for c, label in enumerate(classes):
            if label not in seen:  # later duplicate columns of an alias hold no mass
                seen.add(label)
                fold[c, index[_FOLD.get(label, label)]] = 1.0
        _label_cache = (codes, index, fold)
    return _label_cache


def _class_scores(visits: dict[int, int], nbytes: int) -> "np.ndarray":
    """Per-model-class probabilities from feature counts: what py3langid's ``_decide``
    computes (with ``norm_probs``) from a text, but from counts already walked."""
    import numpy as np

    ident = _get_identifier()
    if visits:
        scores = ident._sparse_score(visits, ident.nb_ptc) * (1.0 / math.sqrt(nbytes or 1))
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
    else:
        scores = np.full(len(ident.nb_classes), 1.0 / len(ident.nb_classes), dtype=np.float32)
    for i, j in ident._alias_pairs:
        scores[i] += scores[j]
        scores[j] = 0.0
    return scores


def _row_probabilities(visits: dict[int, int], nbytes: int) -> "np.ndarray":
    """Per-code probabilities as an array (columns follow ``_labels()[0]``); the same numbers
    as ``_probabilities_from`` without building a dict per paragraph."""
    return _class_scores(visits, nbytes) @ _labels()[2]


def _probabilities_from(visits: dict[int, int], nbytes: int) -> dict[str, float]:
    """What ``rank`` computes, from feature counts."""
    ident = _get_identifier()
    scores = _class_scores(visits, nbytes)
    probs: dict[str, float] = {}
    seen: set[str] = set()
    for label, p in zip(ident.nb_classes, scores.tolist()):
        if label in seen:
            continue  # the first column of an aliased label holds the merged score
        seen.add(label)
        code = _FOLD.get(label, label)
        probs[code] = probs.get(code, 0.0) + float(p)
    return probs


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
    paragraphs = split_paragraphs(text)
    whole = f"{title}\n\n{text}" if title else text
    if len(paragraphs) <= 1 or len(whole) > 4 * MAX_CHARS:
        lang, confidence = detect(whole, hint=hint)
        if len(paragraphs) <= 1:
            return LanguageResult(lang, confidence, [lang] if paragraphs else [], False)
        paragraph_langs, mixed = _paragraph_langs(paragraphs, lang)
        return LanguageResult(lang, confidence, paragraph_langs, mixed)
    counts = [_counts(p) for p in paragraphs]
    total: dict[int, int] = {}
    nbytes = 0
    parts = ([_counts(title)] if title else []) + counts
    for visits, n in parts:
        for k, v in visits.items():
            total[k] = total.get(k, 0) + v
        nbytes += n
    if not _has_letters(whole.strip(), MIN_LETTERS):
        lang, confidence = None, 0.0
    else:
        lang, confidence = _choose(_probabilities_from(total, nbytes), hint)
    paragraph_langs, mixed = _paragraph_langs(paragraphs, lang, counts)
    return LanguageResult(lang, confidence, paragraph_langs, mixed)
