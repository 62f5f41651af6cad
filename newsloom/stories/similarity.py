"""Pairwise "same story?" score across languages.

``story_similarity(a, b)`` is a small linear model, clipped to [0, 1], over:

- cosines of the embedding vectors two articles share (see ``MultiEmbedder``: USE-m3 of
  title+lead and of the title; e5-small of the title, and of title+lead for languages USE-m3
  lacks), plus the max of those cosines;
- overlaps of cross-lingual signals (names, numbers, ... see ``newsloom.analyse.features``);
- a date-gap penalty when both dates are known.

The coefficients were fitted (ridge least squares on ``(4 - Overall) / 3``, 3-6 weights per
model) on SemEval-2022 Task 8 dev pairs, checked on a held-out half, on all pairs and on
Wikinews MEANTIME story groups (``run_story_groups``); ``benchmarks/similarity.py`` reproduces the numbers. One set of
coefficients per combination of shared vectors, so an article in a language USE-m3 does not
cover is still comparable through the e5 title vector.

Build an :class:`ArticleRepr` once per article (``build_reprs``) and reuse it for every
comparison: ``story_similarity`` itself is a few dot products (~20 µs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from newsloom.analyse.embed import DEFAULT_LEAD_CHARS, MultiEmbedder, article_text
from newsloom.analyse.features import SIGNAL_KINDS, Signals, extract_signals, overlap

USE = "use-m3"
USE_TITLE = "use-m3:title"
E5 = "e5-small"
E5_TITLE = "e5-small:title"


@dataclass(frozen=True)
class ArticleRepr:
    """What the similarity needs from one article; cheap to keep in memory per article."""

    vectors: Mapping[str, np.ndarray]  # key (see MultiEmbedder) -> L2-normalised float32 vector
    signals: Signals = field(default_factory=Signals)
    lang: str | None = None
    date: date | None = None


@dataclass(frozen=True)
class _Model:
    """score = clip(intercept + sum(w * cosine) + w_max * max(cosines) + sum(w * overlap), 0, 1).

    The max term lets one strong view (a near-identical title, or lead) carry the pair when
    the other view is noisy: +0.008 r on held-out SemEval pairs over the plain sum.
    """

    intercept: float
    cosines: tuple[tuple[str, float], ...]
    signals: tuple[tuple[str, float], ...]
    w_max: float = 0.0


# Tried in order; the first whose keys both articles have scores the pair. Weights: ridge least
# squares on (4 - Overall) / 3 over SemEval-2022 dev; numbers in the comments are Pearson r when
# fitted on one random half and scored on the other (held), and fitted/scored on all pairs.
_MODELS: tuple[_Model, ...] = (
    # quality mode (e5 of the lead as well); fitted on a 200-pair subset: held 0.748, all 0.756
    _Model(-0.737, ((USE, 0.696), (USE_TITLE, 0.410), (E5, 0.422)), (("names", 0.003),), w_max=0.422),
    # the default path: held 0.752 / AUC 0.918, all 0.756 / AUC 0.926 (cosine of USE alone: 0.730)
    _Model(-0.165, ((USE, 0.374), (USE_TITLE, 0.374)), (("names", 0.105),), w_max=0.608),
    # both articles routed to e5 (languages USE-m3 lacks), 200-pair subset: held 0.627, all 0.663
    _Model(-1.873, ((E5, 1.200), (E5_TITLE, 0.612)), (("names", 0.339),), w_max=0.767),
    # only the shared e5 title space (one article in a language USE-m3 lacks): held 0.646, all 0.620
    _Model(-1.948, ((E5_TITLE, 2.572),), (("names", 0.610),)),
)

# Past a few days apart, two reports are rarely about the same event; the score decays with a
# half-life of _DATE_HALF_LIFE_DAYS beyond the grace period. (Not fitted: SemEval pairs carry no
# dates. Chosen so a follow-up a week later keeps half its score.)
_DATE_GRACE_DAYS = 2.0
_DATE_HALF_LIFE_DAYS = 7.0


def _as_date(d: date | datetime | str | None) -> date | None:
    if d is None or d == "":
        return None
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    try:
        return date.fromisoformat(str(d)[:10])
    except ValueError:
        return None


def date_penalty(a: date | None, b: date | None) -> float:
    """Multiplier in (0, 1]: 1 within the grace period or when a date is unknown."""
    if a is None or b is None:
        return 1.0
    gap = abs((a - b).days) - _DATE_GRACE_DAYS
    if gap <= 0:
        return 1.0
    return 0.5 ** (gap / _DATE_HALF_LIFE_DAYS)


def _shared(a: ArticleRepr, b: ArticleRepr, key: str) -> bool:
    return key in a.vectors and key in b.vectors


def _signal(a: ArticleRepr, b: ArticleRepr, kind: str) -> float:
    return overlap(getattr(a.signals, kind), getattr(b.signals, kind))


def similarity_features(a: ArticleRepr, b: ArticleRepr) -> dict[str, float]:
    """Every input :func:`story_similarity` may use, for explaining (and fitting) a score."""
    out: dict[str, float] = {}
    for k in sorted(set(a.vectors) & set(b.vectors)):
        out[f"cos:{k}"] = float(np.dot(a.vectors[k], b.vectors[k]))
    for kind in SIGNAL_KINDS:
        out[kind] = _signal(a, b, kind)
    out["date_penalty"] = date_penalty(a.date, b.date)
    return out


def story_similarity(a: ArticleRepr, b: ArticleRepr) -> float:
    """Score in [0, 1] that ``a`` and ``b`` report the same story (1 = same, 0 = unrelated).

    On the SemEval scale, same story (1) scores ~0.7 on average, unrelated (4) ~0.15; a
    threshold around 0.5 separates "same story" from "different". Articles that share no
    vector space score 0.
    """
    for m in _MODELS:
        if all(_shared(a, b, k) for k, _ in m.cosines):
            z = m.intercept
            cosines = [float(np.dot(a.vectors[k], b.vectors[k])) for k, _ in m.cosines]
            z += sum(w * c for (_, w), c in zip(m.cosines, cosines)) + m.w_max * max(cosines)
            for kind, w in m.signals:
                z += w * _signal(a, b, kind)
            return min(1.0, max(0.0, z)) * date_penalty(a.date, b.date)
    return 0.0


def build_reprs(
    items: Sequence[tuple[str | None, str | None, str | None, date | datetime | str | None]],
    embedder: MultiEmbedder | None = None,
    lead_chars: int = DEFAULT_LEAD_CHARS,
    quality: bool = False,
) -> list[ArticleRepr]:
    """Reprs for ``(title, text, lang, date)`` tuples, embedded in one batch per model.

    ``quality=True`` adds an e5 vector of title+lead (key ``"e5-small"``) to every article:
    +0.01 Pearson r on SemEval, but ~4x the embedding time (e5 ~300 ms per article on one core),
    too slow for the default clustering path.
    """
    embedder = embedder or default_multi_embedder()
    items = list(items)
    texts = [article_text(t, x, lead_chars) for t, x, _, _ in items]
    vecs = embedder.embed(texts, [lang for _, _, lang, _ in items], titles=[t for t, _, _, _ in items])
    if quality:
        need = [i for i, v in enumerate(vecs) if embedder.fallback.name not in v]
        for i, f in zip(need, embedder.fallback.embed([texts[i] for i in need])):
            vecs[i][embedder.fallback.name] = f
    return [
        ArticleRepr(vectors=v, signals=extract_signals(t, x, lang), lang=lang, date=_as_date(d))
        for (t, x, lang, d), v in zip(items, vecs)
    ]


def build_repr(
    title: str | None,
    text: str | None,
    lang: str | None = None,
    published: date | datetime | str | None = None,
    embedder: MultiEmbedder | None = None,
) -> ArticleRepr:
    """One article's repr (prefer :func:`build_reprs` for many: batching is faster)."""
    return build_reprs([(title, text, lang, published)], embedder)[0]


_DEFAULT: dict[int, MultiEmbedder] = {}


def default_multi_embedder(threads: int = 1) -> MultiEmbedder:
    """The process-wide default: USE-m3 title+lead and title, e5-small titles."""
    if threads not in _DEFAULT:
        _DEFAULT[threads] = MultiEmbedder(threads=threads)
    return _DEFAULT[threads]
