"""Pairwise "same story?" score across languages.

``story_similarity(a, b)`` is a small logistic model (a weighted sum through 1 / (1 + e^-z))
over:

- cosines of the embedding vectors two articles share (see ``MultiEmbedder``: USE-m3 of
  title+lead and of the title; e5-small of the title, and of title+lead for languages USE-m3
  lacks or in quality mode), plus maxima of pairs of those cosines;
- overlaps of typed entity keys (people, organisations; ``newsloom.analyse.entities``, keys
  that match across languages) and, for the e5-only models, of capitalised names;
- a date-gap penalty when both dates are known.

``build_reprs`` first drops site boilerplate sentences (cookie/consent banners, log-in and
subscribe prompts, photo credits; ``newsloom.analyse.boilerplate``) so the lead that is
embedded is the article's own.

The coefficients were fitted (ridge-penalised least squares of the logistic score on
``(4 - Overall) / 3``, 4-8 weights per model) on SemEval-2022 Task 8 dev pairs, checked on
held-out halves (20 random splits, both ways), on all pairs and on Wikinews MEANTIME story
groups (``run_story_groups``); ``benchmarks/similarity.py`` reproduces the numbers (``--refit``
for the held-out ones). Default path: Pearson r 0.784 / ROC-AUC 0.942 held-out, 0.790 / 0.944
on all 533 pairs. One set of coefficients per combination of shared vectors, so an article in a
language USE-m3 does not cover is still comparable through the e5 title vector.

Build an :class:`ArticleRepr` once per article (``build_reprs``) and reuse it for every
comparison: ``story_similarity`` itself is a few dot products and set overlaps (~30 µs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from newsloom.analyse.boilerplate import strip_boilerplate
from newsloom.analyse.embed import DEFAULT_LEAD_CHARS, MultiEmbedder, article_text, centre_e5_vector
from newsloom.analyse.entities import extract_entities
from newsloom.analyse.features import SIGNAL_KINDS, Signals, extract_signals, overlap

USE = "use-m3"
USE_TITLE = "use-m3:title"
E5 = "e5-small"
E5_TITLE = "e5-small:title"

# The entity types the models read, and how each pair of key sets is compared (see _entity).
ENTITY_KINDS = ("PER", "ORG")



@dataclass(frozen=True)
class ArticleRepr:
    """What the similarity needs from one article; cheap to keep in memory per article."""

    vectors: Mapping[str, np.ndarray]  # key (see MultiEmbedder) -> L2-normalised float32 vector
    signals: Signals = field(default_factory=Signals)
    lang: str | None = None
    date: date | None = None
    # entity type (ENTITY_KINDS) -> cross-language entity keys ("putin", "european union")
    entities: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Model:
    """z = intercept + sum(w * cosine) + sum(w * max(two cosines)) + sum(w * signal overlap)
    + sum(w * entity overlap); score = link(z): ``"logistic"`` 1 / (1 + exp(-z)), or ``"clip"``
    clip(z, 0, 1).

    The max terms let one strong view (a near-identical title, or lead) carry the pair when the
    other view is noisy. The logistic link lets the score saturate smoothly at both ends where a
    clipped line must trade the middle of the scale against its ends (+0.006 Pearson r held-out
    on SemEval for the same inputs).
    """

    intercept: float
    cosines: tuple[tuple[str, float], ...]
    maxes: tuple[tuple[str, str, float], ...] = ()
    signals: tuple[tuple[str, float], ...] = ()
    entities: tuple[tuple[str, float], ...] = ()
    link: str = "logistic"


# Tried in order; the first whose keys both articles have scores the pair. Weights: least
# squares of the logistic score on (4 - Overall) / 3 over SemEval-2022 dev (533 pairs), ridge
# 3e-4 (newsloom.bench.similarity.refit); texts cleaned of boilerplate sentences first
# (build_reprs). Numbers in the comments are Pearson r / ROC-AUC averaged over 40 fits on a
# random half scored on the other half (held), and fitted/scored on all pairs (all). The USE-m3
# "use-m3" text repeats the title (see document_text). ORG overlap weighs *against* a match once
# the cosines are known: the organisations two unrelated reports share are mostly platforms,
# broadcasters and parties (Twitter, Facebook, CDU), the same beat rather than the same event.
# Gains of the default model over the previous one (clipped linear on raw text, held 0.772 /
# 0.939): boilerplate sentences removed +0.005 r / +0.002 AUC (de-de alone +0.04 r), logistic
# link +0.006 r (and the benchmark's headline split stopping at a banner, +0.001 r). Tried and
# dropped (no held-out gain on top): USE-m3 sentence alignment (mean of best sentence-pair
# cosines, top-k pair cosines, title-to-lead-sentence cosines; -0.001 to -0.003 r), e5 of
# title + first sentence (-0.001 r, -0.003 AUC, ~+100 ms per article), number/date/name
# overlaps (years +0.001 r, but with a negative weight: not a mechanism to rely on).
_MODELS: tuple[_Model, ...] = (
    # quality mode (e5 of the lead as well): held 0.792 / 0.944, all 0.798 / 0.946
    _Model(-4.262, ((USE, 1.481), (USE_TITLE, 0.840), (E5, 2.073), (E5_TITLE, 0.678)),
           maxes=((USE, USE_TITLE, 1.673), (E5_TITLE, USE, 1.560)),
           entities=(("ORG", -0.616), ("PER", 0.903))),
    # the default path: held 0.784 / 0.942, all 0.790 / 0.944 (cosine of USE alone: 0.747)
    _Model(-3.818, ((USE, 1.828), (USE_TITLE, 0.703), (E5_TITLE, 1.307)),
           maxes=((USE, USE_TITLE, 1.952), (E5_TITLE, USE, 1.953)),
           entities=(("ORG", -0.625), ("PER", 0.969))),
    # MultiEmbedder(title_vectors=False): held 0.771 / 0.935, all 0.775 / 0.936
    _Model(-3.262, ((USE, 2.600), (USE_TITLE, 1.367)), maxes=((USE, USE_TITLE, 2.724),),
           entities=(("ORG", -0.640), ("PER", 0.946))),
    # both articles routed to e5 (languages USE-m3 lacks): held 0.752 / 0.926, all 0.757 / 0.928
    _Model(-4.318, ((E5, 2.819), (E5_TITLE, 1.172)), maxes=((E5, E5_TITLE, 3.073),),
           signals=(("names", 0.819),), entities=(("ORG", -0.470), ("PER", 1.243))),
    # only the shared e5 title space (one article in a language USE-m3 lacks): held 0.670 / 0.892
    _Model(-2.458, ((E5_TITLE, 4.063),), signals=(("names", 1.770),),
           entities=(("ORG", -0.334), ("PER", 1.489))),
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


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _entity(a: ArticleRepr, b: ArticleRepr, kind: str) -> float:
    """PER: smoothed overlap coefficient (one report may name fewer people); ORG: Jaccard
    (each measured better than the other for its type, SemEval held-out)."""
    ka, kb = a.entities.get(kind, frozenset()), b.entities.get(kind, frozenset())
    return _jaccard(ka, kb) if kind == "ORG" else overlap(ka, kb)


def similarity_features(a: ArticleRepr, b: ArticleRepr) -> dict[str, float]:
    """Every input :func:`story_similarity` may use, for explaining (and fitting) a score."""
    out: dict[str, float] = {}
    for k in sorted(set(a.vectors) & set(b.vectors)):
        out[f"cos:{k}"] = float(np.dot(a.vectors[k], b.vectors[k]))
    for kind in SIGNAL_KINDS:
        out[kind] = _signal(a, b, kind)
    for kind in ENTITY_KINDS:
        out[f"entities:{kind}"] = _entity(a, b, kind)
    out["date_penalty"] = date_penalty(a.date, b.date)
    return out


def model_inputs(a: ArticleRepr, b: ArticleRepr, index: int | None = None) -> tuple[int, list[float]] | None:
    """(index of the model that scores the pair, its inputs in weight order: cosines, maxes,
    signals, entities), or None when the articles share no vector space. ``index`` asks for
    that model's inputs (None when the pair lacks one of its vectors). For refitting
    (``newsloom.bench.similarity.refit``) and explaining a score."""
    for i, m in enumerate(_MODELS):
        if index is not None and i != index:
            continue
        if all(_shared(a, b, k) for k, _ in m.cosines):
            cos = {k: float(np.dot(a.vectors[k], b.vectors[k])) for k, _ in m.cosines}
            x = [cos[k] for k, _ in m.cosines]
            x += [max(cos[k1], cos[k2]) for k1, k2, _ in m.maxes]
            x += [_signal(a, b, kind) for kind, _ in m.signals]
            x += [_entity(a, b, kind) for kind, _ in m.entities]
            return i, x
    return None


def model_weights(index: int) -> tuple[float, list[float]]:
    """(intercept, weights) of model ``index``, in :func:`model_inputs` order."""
    m = _MODELS[index]
    ws = [w for _, w in m.cosines] + [w for *_, w in m.maxes] + [w for _, w in m.signals]
    return m.intercept, ws + [w for _, w in m.entities]


def model_link(index: int) -> str:
    """The link (``"logistic"`` or ``"clip"``) that turns model ``index``'s sum into a score."""
    return _MODELS[index].link


def apply_link(link: str, z: float) -> float:
    """Score in [0, 1] from a model's weighted sum ``z`` (see :class:`_Model`)."""
    if link == "logistic":
        # exp overflows past |z| ~ 709; the score is 0 or 1 to double precision long before.
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
    return min(1.0, max(0.0, z))


def story_similarity(a: ArticleRepr, b: ArticleRepr) -> float:
    """Score in [0, 1] that ``a`` and ``b`` report the same story (1 = same, 0 = unrelated).

    On the SemEval scale, same story (1) scores ~0.72 on average, unrelated (4) ~0.18; a
    threshold around 0.5 separates "same story" from "different" (85% of same-story pairs
    above, 13% of different ones; at 0.45: 92% / 15%). Articles that share no vector space
    score 0.
    """
    found = model_inputs(a, b)
    if found is None:
        return 0.0
    intercept, weights = model_weights(found[0])
    z = intercept + sum(w * x for w, x in zip(weights, found[1]))
    return apply_link(model_link(found[0]), z) * date_penalty(a.date, b.date)


def document_text(title: str | None, text: str | None, lead_chars: int = DEFAULT_LEAD_CHARS) -> str:
    """What USE-m3 embeds for the ``"use-m3"`` key: the title, then :func:`article_text` (the
    title again and the lead). Weighting the title twice: +0.017 r for the cosine alone, +0.003
    in the model (SemEval held-out); the lead beyond ~800 characters drifts into background."""
    lead = article_text(title, text, lead_chars)
    t = " ".join((title or "").split())
    if not t or not lead or lead == t:
        return lead
    return t + (" " if t[-1:] in ".!?:" else ". ") + lead


def entity_keys(title: str | None, text: str | None, lang: str | None = None) -> dict[str, frozenset[str]]:
    """Cross-language keys of the people and organisations in an article, by type (~5 ms)."""
    title, text = title or "", text or ""
    # A text that already opens with its title (no marker between them) is not given it twice.
    whole = text if text.startswith(title) else f"{title}\n{text}"
    out: dict[str, set[str]] = {k: set() for k in ENTITY_KINDS}
    for e in extract_entities(whole, lang):
        if e.type in out:
            out[e.type].add(e.key)
    return {k: frozenset(v) for k, v in out.items()}


def centre_e5(vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Remove the common e5-small component from the e5 vectors, in place
    (``newsloom.analyse.embed.centre_e5_vector``)."""
    for key, v in vectors.items():
        if key == E5 or key == E5_TITLE:
            vectors[key] = centre_e5_vector(v)
    return vectors


def build_reprs(
    items: Sequence[tuple[str | None, str | None, str | None, date | datetime | str | None]],
    embedder: MultiEmbedder | None = None,
    lead_chars: int = DEFAULT_LEAD_CHARS,
    quality: bool = False,
    clean: bool = True,
) -> list[ArticleRepr]:
    """Reprs for ``(title, text, lang, date)`` tuples, embedded in one batch per model.

    ``clean=True`` (the default) first drops site boilerplate sentences from each text (cookie
    and consent notices, log-in/subscribe prompts, share/follow prompts, photo credits; see
    :func:`newsloom.analyse.boilerplate.strip_boilerplate`), so that the lead the embeddings,
    entities and signals see is the article's: ~2 ms per 1,000 characters (the first 4,000
    are checked), +0.005 Pearson r held-out on SemEval (de-de +0.04). ``quality=True`` adds an e5
    vector of title+lead (key ``"e5-small"``) to every article: ~+0.01 Pearson r on SemEval,
    but ~4x the embedding time (e5 ~300 ms per article on one core), too slow for the default
    clustering path.
    """
    embedder = embedder or default_multi_embedder()
    items = list(items)
    if clean:
        items = [(t, strip_boilerplate(x) if x else x, lang, d) for t, x, lang, d in items]
    leads = [article_text(t, x, lead_chars) for t, x, _, _ in items]
    # USE-m3 gets the title twice (document_text); e5-routed texts keep the plain lead, which is
    # what the e5 models were fitted on.
    texts = [
        document_text(t, x, lead_chars) if embedder.route(lang) is embedder.primary else lead
        for (t, x, lang, _), lead in zip(items, leads)
    ]
    vecs = embedder.embed(texts, [lang for _, _, lang, _ in items], titles=[t for t, _, _, _ in items])
    if quality:
        need = [i for i, v in enumerate(vecs) if embedder.fallback.name not in v]
        for i, f in zip(need, embedder.fallback.embed([leads[i] for i in need])):
            vecs[i][embedder.fallback.name] = f
    return [
        ArticleRepr(
            vectors=centre_e5(v),
            signals=extract_signals(t, x, lang),
            lang=lang,
            date=_as_date(d),
            entities=entity_keys(t, x, lang),
        )
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
