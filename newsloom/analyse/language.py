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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newsloom.blas import one_blas_thread

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
    # Chinese paragraph is not "short". The two shortcuts give the same answer as the exact
    # count (a letter weighs 1 to 3) without a unicodedata lookup per character; most
    # paragraphs of an extracted article are empty, a dateline, or plainly long.
    if 3 * len(paragraph) < MIN_PARAGRAPH_CHARS:
        return True
    if sum(map(str.isalpha, paragraph[: 2 * MIN_PARAGRAPH_CHARS])) >= MIN_PARAGRAPH_CHARS:
        return False
    return not _has_letters(paragraph, MIN_PARAGRAPH_CHARS, wide_weight=3)


def _probabilities(text: str) -> dict[str, float]:
    probs: dict[str, float] = {}
    for code, p in _get_identifier().rank(text):
        code = _FOLD.get(code, code)
        probs[code] = probs.get(code, 0.0) + float(p)
    return probs


class _Row:
    """One row of per-code probabilities seen as the {code: probability} mapping ``_choose``
    reads, without building a 140-entry dict per paragraph."""

    __slots__ = ("index", "values")

    def __init__(self, values: list[float], index: dict[str, int]) -> None:
        self.values = values
        self.index = index

    def __getitem__(self, code: str) -> float:
        return self.values[self.index[code]]

    def get(self, code: str, default: float = 0.0) -> float:
        i = self.index.get(code)
        return default if i is None else self.values[i]


def _choose(
    probs: Mapping[str, float] | _Row, hint: str | None, top: str | None = None
) -> tuple[str | None, float]:
    """Pick a language from per-code probabilities; ``top`` (the first most probable code)
    when the caller already knows it."""
    if top is None:
        top = max(probs, key=probs.__getitem__)  # type: ignore[arg-type]
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
    paragraphs: list[str], article_lang: str | None, rows: list[tuple[_Row, str] | None] | None = None
) -> tuple[list[str | None], bool]:
    """Per-paragraph codes. ``rows`` (the batched path) holds each paragraph's probabilities
    and top code, ``None`` for a short one; without it each paragraph is detected alone."""
    langs: list[str | None] = []
    mixed = False
    for i, para in enumerate(paragraphs):
        if rows is None:
            guess = None if _is_short(para) else detect(para, hint=article_lang)
        else:
            row = rows[i]
            guess = None if row is None else _choose(row[0], article_lang, row[1])
        if guess is None:
            langs.append(article_lang)
            continue
        lang, conf = guess
        if lang is None or (lang != article_lang and conf < PARAGRAPH_SWITCH_CONFIDENCE):
            lang = article_lang
        mixed = mixed or (article_lang is not None and lang != article_lang)
        langs.append(lang)
    return langs, mixed


@dataclass(frozen=True)
class _Model:
    """What batched scoring needs from the identifier, derived once per process."""

    ident: LanguageIdentifier
    codes: list[str]  # folded codes, first-seen order of the model classes
    index: dict[str, int]
    fold32: np.ndarray  # model class -> folded code 0/1 matrix
    fold64: np.ndarray
    outputs: np.ndarray  # DFA state -> feature id (-1: none)
    table_bits: np.ndarray | None  # nb_ptc's float16 bits when _table_rows may widen them


_model_cache: _Model | None = None

#: 0xA8000000 turns (float16 bits << 13) of a negative normal float16 into float32 bits:
#: it replaces the sign bit moved to bit 28 by bit 31 and rebiases the exponent (15 -> 127).
_WIDEN_NEGATIVE_F16 = (1 << 31) - (1 << 28) + (112 << 23)
#: Paragraph rows scored per dense matrix product, bounding memory on huge articles.
_ROW_CHUNK = 64


def _model() -> _Model:
    global _model_cache
    if _model_cache is None:
        import numpy as np

        ident = _get_identifier()  # takes _lock itself
        with _lock:
            if _model_cache is None:
                codes: list[str] = []
                index: dict[str, int] = {}
                for label in ident.nb_classes:
                    code = _FOLD.get(label, label)
                    if code not in index:
                        index[code] = len(codes)
                        codes.append(code)
                fold = np.zeros((len(ident.nb_classes), len(codes)), dtype=np.float32)
                seen: set[str] = set()
                for c, label in enumerate(ident.nb_classes):
                    if label not in seen:  # later duplicate columns of an alias hold no mass
                        seen.add(label)
                        fold[c, index[_FOLD.get(label, label)]] = 1.0
                table = ident.nb_ptc
                bits = table.view(np.uint16) if table.dtype == np.float16 else None
                # the widening trick is exact only for negative normal numbers, which
                # log-probabilities are; any other model takes numpy's (4x slower) astype
                if bits is not None and not (bits.min() >= 0x8400 and bits.max() < 0xFC00):
                    bits = None
                _model_cache = _Model(
                    ident, codes, index, fold, fold.astype(np.float64),
                    np.asarray(ident.tk_output, dtype=np.intp), bits,
                )
    return _model_cache


def _table_rows(model: _Model, features: np.ndarray) -> np.ndarray:
    """``nb_ptc[features]`` as float32. The model stores float16, which numpy widens slowly
    (and a float16 operand keeps matmul off BLAS); integer bit operations do it exactly."""
    import numpy as np

    if model.table_bits is None:
        return model.ident.nb_ptc[features].astype(np.float32)
    wide = model.table_bits[features].astype(np.uint32)
    wide <<= 13
    wide += np.uint32(_WIDEN_NEGATIVE_F16)
    return wide.view(np.float32)


def _walk(model: _Model, parts: list[str]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Byte n-gram features of each part (the model's DFA walk, each part from the start
    state): feature ids, the part each came from, and each part's encoded length.

    Same walk as py3langid's ``visit_counts`` (pinned version), but collecting states in a
    comprehension and mapping them to features with numpy halves its cost.
    """
    import numpy as np

    ident = model.ident
    nextmove, rowbase = ident.tk_nextmove, ident._rowbase
    states: list[int] = []
    nbytes: list[int] = []
    for part in parts:
        encoded = ident._encode(part)
        s = 0
        states += [s := nextmove[rowbase[s] + b] for b in encoded]
        nbytes.append(len(encoded))
    features = model.outputs[np.array(states, dtype=np.intp)]
    owner = np.repeat(np.arange(len(parts)), nbytes)
    hit = features >= 0
    return features[hit], owner[hit], nbytes


def _code_probabilities(
    model: _Model, parts: list[str], scored: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-code probabilities (columns ``model.codes``) of all ``parts`` together (float64;
    their counts summed, n-grams across part boundaries not counted) and of each
    ``parts[scored[k]]`` (row k, float32).

    What py3langid's ``_decide`` (``norm_probs``) and ``rank`` compute per text, for all rows at
    once: one walk, one gather of the model rows the article uses, one matrix product. Scoring
    each paragraph separately (sparse gather + float16 matmul + softmax) was half the cost.
    """
    import numpy as np

    features, owner, nbytes = _walk(model, parts)
    uniq, inverse, total = np.unique(features, return_inverse=True, return_counts=True)
    n_rows = 1 + len(scored)
    row_of_part = np.zeros(len(parts), dtype=np.intp)  # 0: counted in the whole text only
    row_of_part[scored] = np.arange(1, n_rows)
    row = row_of_part[owner]
    featureless = np.bincount(row, minlength=n_rows) == 0
    featureless[0] = len(uniq) == 0
    row_bytes = [sum(nbytes)] + [nbytes[i] for i in scored]
    with one_blas_thread():
        scores = _log_scores(model, _table_rows(model, uniq), total, row, inverse, n_rows)
        _softmax(model, scores, row_bytes, featureless)
        # the article in float64, as rank()'s Python sums; paragraphs in float32 as before
        return scores[0].astype(np.float64) @ model.fold64, scores[1:] @ model.fold32


def _log_scores(
    model: _Model, table: np.ndarray, total: np.ndarray, row: np.ndarray, inverse: np.ndarray,
    n_rows: int,
) -> np.ndarray:
    """Naive Bayes log-scores: row 0 from the ``total`` counts of ``table``'s features, row r
    from the features whose ``row`` is r (``inverse`` gives their ``table`` row)."""
    import numpy as np

    n_feats = len(table)
    scores = np.empty((n_rows, table.shape[1]), dtype=np.float32)
    scores[0] = np.log1p(total.astype(np.float32)) @ table
    for start in range(1, n_rows, _ROW_CHUNK):
        stop = min(start + _ROW_CHUNK, n_rows)
        pick = (row >= start) & (row < stop)
        counts = np.bincount(
            (row[pick] - start) * n_feats + inverse[pick], minlength=(stop - start) * n_feats
        ).reshape(stop - start, n_feats)
        scores[start:stop] = np.log1p(counts.astype(np.float32)) @ table
    scores += model.ident.nb_pc
    return scores


def _softmax(model: _Model, scores: np.ndarray, nbytes: list[int], featureless: np.ndarray) -> None:
    """Log-scores to class probabilities in place, row by row, as py3langid's ``_decide``."""
    import numpy as np

    ident = model.ident
    # T = sqrt(bytes): keeps the softmax calibrated across lengths
    scores *= np.array([1.0 / math.sqrt(n or 1) for n in nbytes], dtype=np.float32)[:, None]
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    scores[featureless] = 1.0 / len(ident.nb_classes)  # no evidence: uniform
    for i, j in ident._alias_pairs:  # an aliased label's mass goes to its first column
        scores[:, i] += scores[:, j]
        scores[:, j] = 0.0


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
    # one walk and one scoring pass for the whole text and every paragraph long enough to be
    # identified on its own (short ones inherit and are not scored)
    model = _model()
    offset = 1 if title else 0
    parts = ([title] if title else []) + paragraphs
    long_paras = [i for i, p in enumerate(paragraphs) if not _is_short(p)]
    whole_probs, para_probs = _code_probabilities(model, parts, [offset + i for i in long_paras])
    if not _has_letters(whole.strip(), MIN_LETTERS):
        lang, confidence = None, 0.0
    else:
        top = model.codes[int(whole_probs.argmax())]  # first maximum, as max() over the codes
        lang, confidence = _choose(_Row(whole_probs.tolist(), model.index), hint, top)
    rows: list[tuple[_Row, str] | None] = [None] * len(paragraphs)
    tops = para_probs.argmax(axis=1).tolist()
    for i, values, top_i in zip(long_paras, para_probs.tolist(), tops):
        rows[i] = (_Row(values, model.index), model.codes[top_i])
    paragraph_langs, mixed = _paragraph_langs(paragraphs, lang, rows)
    return LanguageResult(lang, confidence, paragraph_langs, mixed)
