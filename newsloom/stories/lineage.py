"""Lineage inside one story: who came first, and who copied, translated or rewrote whom.

Marks (``Article.lineage`` / ``Article.lineage_of``):

- ``"first"``: the earliest report that is not an aggregator copy;
- ``"copy"``: near-verbatim, same language (wire copy, syndication; word 3-gram resemblance
  >= ``copy_min`` or the later text contained in the earlier one at >= ``contain_min``), or an
  aggregator page (``Article.is_copy``) pointing to its primary source: the stored article
  with that URL if there is one, else the URL itself;
- ``"translation"``: another language, near-parallel content: high embedding similarity, the
  same numbers and names, and a length ratio a translation keeps;
- ``"rewrite"``: same language, moderate text overlap (a reworded version of an earlier report);
- ``None``: an independent report of the same story.

Each mark points to an *earlier* article (``lineage_of``); a copy of a copy points to the root.
Shingles are compared exactly (sorted arrays of hashes): a story holds a handful to a few
hundred articles, so an LSH index (``newsloom.dedupe``) would cost more than it saves here.

Embeddings are compared only within one vector space (``LineageItem.space``): a story can hold
articles embedded by different models (see ``newsloom.stories.cluster``), whose vectors are not
comparable. Across spaces, a translation is found through the e5-small title vectors every
article can have (``LineageItem.title_vector``, the space all share): only for the first
``Thresholds.cross_space_candidates`` earlier reports (in time order) that pass the cheap
language and :func:`_parallel` tests, so a title the service embeds on demand costs a bounded
number of embeddings per article, and which reports are compared does not depend on which
title vectors happen to be stored (streaming and a rebuild give the same marks).

A story too big to re-mark whole is marked incrementally: :func:`mark_new` marks one new article
against a bounded set of earlier ones (the service picks the story's earliest reports, the likely
originals, and its most recent ones), leaving the others' marks as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from newsloom.models import Article
from newsloom.stories.naming import effective_time

_WORD = re.compile(r"\w+", re.UNICODE)
_MIN_LEN_RATIO = 0.75


@dataclass
class LineageItem:
    article_id: int
    text: str  # title + body
    lang: str | None = None
    time: datetime | None = None  # published (or arrival) time; None sorts last
    vector: np.ndarray | None = None  # L2-normalised embedding, for translations
    space: str | None = None  # the model of ``vector``; vectors of different spaces never compare
    numbers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    urls: tuple[str, ...] = ()  # url and canonical url
    is_copy: bool = False  # an aggregator page (extract/dedupe decided)
    primary_url: str | None = None
    duplicate_of: int | None = None
    shingles: np.ndarray | None = None  # of ``text``, when known already (else computed)
    # mean-centred e5-small vector of the title (the space every article shares), or a function
    # computing it (called at most once, only when a cross-space comparison needs it)
    title_vector: np.ndarray | Callable[[], np.ndarray | None] | None = None


@dataclass
class LineageMark:
    lineage: str | None
    lineage_of: int | str | None = None  # article id, or the primary URL when not stored
    score: float = 0.0  # the overlap or similarity that decided the mark


def _shingles(text: str, n: int = 3) -> np.ndarray:
    """The hashed word ``n``-grams of ``text``, sorted and unique: a few kB per article (a
    frozenset of the same would take ~8x more), so a service can keep thousands cached."""
    words = _WORD.findall(text.casefold())
    if len(words) < n:
        grams = [hash(" ".join(words))] if words else []
    else:
        grams = [hash(" ".join(words[i:i + n])) for i in range(len(words) - n + 1)]
    return np.unique(np.array(grams, dtype=np.int64))


def _item_shingles(it: LineageItem) -> np.ndarray:
    return it.shingles if it.shingles is not None else _shingles(it.text)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _sort_key(pair: tuple[int, LineageItem]) -> tuple[int, datetime, int]:
    i, it = pair
    t = it.time
    if t is not None and t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return (t is None, t or datetime.max.replace(tzinfo=UTC), i)


@dataclass(frozen=True)
class Thresholds:
    """When a later article is a copy, rewrite or translation of an earlier one."""

    copy_min: float = 0.7  # word 3-gram resemblance of a copy...
    contain_min: float = 0.85  # ...or the share of the later text found in the earlier one
    rewrite_min: float = 0.2  # containment of a rewrite
    translation_cos: float = 0.8  # embedding cosine of a translation...
    translation_names: float = 0.3  # ...with this name Jaccard...
    translation_numbers: float = 0.5  # ...and this number Jaccard
    # Across vector spaces: the centred e5-small title cosine of a translation (with the same
    # _parallel test). Measured on MEANTIME: translation pairs have a median of 0.71 (an nl
    # translation's best en/es/it counterpart passing _parallel reaches 0.65 for 103 of 120);
    # cross-language pairs of *different* stories of one topic that pass _parallel (42, the hard
    # negatives) reach 0.645 at most (2 at >= 0.6). On Primer, the 5 same-story cross-language
    # pairs passing both at 0.6 were all real Wikinews translations, checked by hand.
    translation_title_cos: float = 0.65
    # how many earlier reports in another space (passing the language and _parallel tests) an
    # article's title is compared with: each may cost a title embedding (~26 ms) in the service
    cross_space_candidates: int = 3


DEFAULT_THRESHOLDS = Thresholds()


def assign_lineage(
    items: Sequence[LineageItem],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    max_compare: int = 200,
) -> dict[int, LineageMark]:
    """Marks for the articles of one story, by article id (see the module doc)."""
    ordered = [it for _, it in sorted(enumerate(items), key=_sort_key)]
    by_url = {u: it.article_id for it in ordered for u in it.urls if u}
    sh = {it.article_id: _item_shingles(it) for it in ordered}
    marks: dict[int, LineageMark] = {}
    root: dict[int, int] = {}  # copy -> its original, so copies of copies point to the root
    first_done = False
    for pos, it in enumerate(ordered):
        aid = it.article_id
        if it.is_copy:
            target = by_url.get(it.primary_url or "")
            marks[aid] = LineageMark("copy", target if target is not None else it.primary_url, 1.0)
            if target is not None:
                root[aid] = root.get(target, target)
            continue
        if not first_done:
            marks[aid] = LineageMark("first")
            first_done = True
            continue
        # earliest half and most recent half of the budget: originals are usually early
        earlier = ordered[:pos]
        if len(earlier) > max_compare:
            earlier = earlier[: max_compare // 2] + earlier[-(max_compare // 2):]
        marks[aid] = _mark(it, earlier, sh, root, thresholds)
        if marks[aid].lineage == "copy" and isinstance(marks[aid].lineage_of, int):
            root[aid] = marks[aid].lineage_of  # type: ignore[assignment]
    return marks


def mark_new(
    item: LineageItem,
    others: Sequence[LineageItem],
    roots: Mapping[int, int] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> LineageMark:
    """The mark of one new article of a story whose other members are already marked.

    ``others`` are members to compare it with (any order; only those before it in time count,
    as in :func:`assign_lineage`); ``roots`` maps a member marked as a copy to its original,
    so a copy of a copy points to the root. Never ``"first"``: the story has one already; a new
    article older than every member compared (a late-arriving early report) gets no mark.
    """
    if item.is_copy:
        target = next((o.article_id for o in others for u in o.urls if u and u == item.primary_url), None)
        if target is None:
            return LineageMark("copy", item.primary_url, 1.0)
        return LineageMark("copy", (roots or {}).get(target, target), 1.0)
    key = _sort_key((len(others), item))
    # in time order, as assign_lineage walks them: ties between equally good originals go to
    # the earliest, so marking one new article gives what re-marking the whole story would
    earlier = [o for i, o in sorted(enumerate(others), key=_sort_key)
               if _sort_key((i, o))[:2] <= key[:2] and o.article_id != item.article_id]
    if not earlier:
        return LineageMark(None)
    sh = {o.article_id: _item_shingles(o) for o in earlier}
    sh[item.article_id] = _item_shingles(item)
    return _mark(item, earlier, sh, roots or {}, thresholds)


def _mark(it: LineageItem, earlier: Sequence[LineageItem], sh: Mapping[int, np.ndarray],
          root: Mapping[int, int], th: Thresholds) -> LineageMark:
    mine = sh[it.article_id]
    if it.duplicate_of is not None and any(e.article_id == it.duplicate_of for e in earlier):
        return LineageMark("copy", root.get(it.duplicate_of, it.duplicate_of), 1.0)
    best_copy: tuple[float, int] | None = None
    best_rewrite: tuple[float, int] | None = None
    # (same space, cosine, id): a match by the title + lead embedding beats one by title alone
    # (the stronger evidence, and the two cosines are on different scales)
    best_tr: tuple[bool, float, int] | None = None
    cross_space = 0  # earlier reports in another space compared by title so far
    for e in earlier:
        if e.is_copy:
            continue  # never the original of anything: point at what it copies instead
        theirs = sh[e.article_id]
        # an unknown language counts as the same: text overlap then decides, and two texts in
        # different languages share no shingles anyway
        cross = bool(it.lang and e.lang and it.lang != e.lang)
        if not cross and mine.size and theirs.size:
            inter = np.intersect1d(mine, theirs, assume_unique=True).size
            resemblance = inter / (mine.size + theirs.size - inter)
            containment = inter / mine.size
            if resemblance >= th.copy_min or containment >= th.contain_min:
                score = max(resemblance, containment)
                if best_copy is None or score > best_copy[0]:
                    best_copy = (score, root.get(e.article_id, e.article_id))
            elif containment >= th.rewrite_min and (best_rewrite is None or containment > best_rewrite[0]):
                best_rewrite = (containment, e.article_id)
        elif cross and _same_space(it, e):
            cos = float(it.vector @ e.vector)  # type: ignore[operator]
            if cos >= th.translation_cos and _parallel(it, e, th.translation_names, th.translation_numbers) \
                    and (best_tr is None or (True, cos) > best_tr[:2]):
                best_tr = (True, cos, e.article_id)
        elif cross and cross_space < th.cross_space_candidates \
                and _parallel(it, e, th.translation_names, th.translation_numbers):
            cross_space += 1
            cos = _title_cos(it, e)
            if cos is not None and cos >= th.translation_title_cos and (best_tr is None or (False, cos) > best_tr[:2]):
                best_tr = (False, cos, e.article_id)
    translation = None if best_tr is None else best_tr[1:]
    for kind, best in (("copy", best_copy), ("translation", translation), ("rewrite", best_rewrite)):
        if best is not None:
            return LineageMark(kind, best[1], round(best[0], 4))
    return LineageMark(None)


def _same_space(a: LineageItem, b: LineageItem) -> bool:
    """Whether the two embeddings can be compared (one model, one shape)."""
    return (a.vector is not None and b.vector is not None and a.space == b.space
            and a.vector.shape == b.vector.shape)


def _title(it: LineageItem) -> np.ndarray | None:
    """The item's title vector (unit length), computing it once if it is given as a function."""
    if callable(it.title_vector):
        it.title_vector = it.title_vector()
    v = it.title_vector
    if v is None:
        return None
    v = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n else None


def _title_cos(a: LineageItem, b: LineageItem) -> float | None:
    ta, tb = _title(a), _title(b)
    if ta is None or tb is None or ta.shape != tb.shape:
        return None
    return float(ta @ tb)


def _parallel(a: LineageItem, b: LineageItem, min_names: float, min_numbers: float) -> bool:
    """Near-parallel content: what a translation keeps and an independent report does not."""
    la, lb = len(a.text), len(b.text)
    # Measured on Wikinews: a translation stays within ~20% of its original's length (5th-95th
    # percentile 0.82-1.2), independent reports of one story differ far more (median ratio 1.6).
    if not la or not lb or not _MIN_LEN_RATIO <= la / lb <= 1 / _MIN_LEN_RATIO:
        return False
    if a.names and b.names and _jaccard(a.names, b.names) < min_names:
        return False
    # numbers must line up when there are several (one shared year says little)
    several = len(a.numbers) >= 2 and len(b.numbers) >= 2
    return not several or _jaccard(a.numbers, b.numbers) >= min_numbers


Signals = tuple[frozenset[str], frozenset[str], np.ndarray]
SignalCache = MutableMapping[tuple[int, object], Signals]


def article_signals(a: Article, cache: SignalCache | None = None) -> Signals:
    """(numbers and years, names, shingles) of a stored article, through ``cache`` when given:
    keyed by id and content, so an article whose text changed is read again. Computing them is
    most of the cost of marking a story's members, and a growing story compares the same
    members again at every new article."""
    from newsloom.analyse.features import extract_signals

    key = (a.id or 0, hash((a.title, a.text, a.lang)))  # µs per article, against ms to extract
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    sig = extract_signals(a.title, a.text, a.lang)
    out = (frozenset(sig.numbers) | frozenset(sig.years), frozenset(sig.names),
           _shingles(_item_text(a)))
    if cache is not None:
        cache[key] = out
    return out


def _item_text(a: Article) -> str:
    return f"{a.title or ''}\n{a.text or ''}"


TitleVectors = Mapping[int, "np.ndarray | Callable[[], np.ndarray | None]"]


def article_items(articles: Sequence[Article], vectors: Mapping[int, np.ndarray] | None = None,
                  spaces: Mapping[int, str] | None = None, cache: SignalCache | None = None,
                  titles: TitleVectors | None = None) -> list[LineageItem]:
    """Lineage items from stored articles (ids set); ``vectors`` and their ``spaces`` (model
    names) by article id; ``cache``: see :func:`article_signals`; ``titles``: e5-small title
    vectors (or functions computing them) by article id, for translations across spaces."""
    out = []
    for a in articles:
        if a.id is None:
            continue
        numbers, names, shingles = article_signals(a, cache)
        out.append(LineageItem(
            article_id=a.id, text=_item_text(a), lang=a.lang, shingles=shingles,
            time=effective_time(a.published, a.fetched_at), vector=(vectors or {}).get(a.id), space=(spaces or {}).get(a.id),
            numbers=numbers,
            names=names,
            urls=tuple(u for u in (a.url, a.canonical_url) if u),
            is_copy=a.is_copy, primary_url=a.primary_url, duplicate_of=a.duplicate_of,
            title_vector=(titles or {}).get(a.id),
        ))
    return out


def apply_lineage(articles: Sequence[Article], vectors: Mapping[int, np.ndarray] | None = None,
                  spaces: Mapping[int, str] | None = None, cache: SignalCache | None = None,
                  titles: TitleVectors | None = None) -> dict[int, LineageMark]:
    """Compute the marks and set ``lineage`` / ``lineage_of`` on the articles (in place).
    ``Article.lineage_of`` holds ids only: a copy whose primary source is not stored keeps
    ``lineage_of=None`` and its ``primary_url``."""
    marks = assign_lineage(article_items(articles, vectors, spaces, cache, titles))
    for a in articles:
        m = marks.get(a.id) if a.id is not None else None
        if m is not None:
            a.lineage = m.lineage
            a.lineage_of = m.lineage_of if isinstance(m.lineage_of, int) else None
    return marks
