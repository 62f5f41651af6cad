"""What a reader sees of a story: headlines per language, coverage, first reports, timeline.

Everything comes from the story's own articles: no generated text. The headline in a language
is the title of its most *central* original article in that language (highest mean cosine to
the story's other articles; copies and aggregator pages are left out), so one odd angle or a
clickbait title does not name the story; without vectors, the earliest original title.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from newsloom.errors import StoryError
from newsloom.models import Article, Story
from newsloom.stories.items import _utc

_TIMELINE_MAX = 12
_FACETS_MAX = 20  # names and quotes kept in a story's record


# Before the web there were no online news; such dates are parser accidents (epoch zero etc.).
EARLIEST_PLAUSIBLE = datetime(1991, 1, 1, tzinfo=UTC)


def effective_time(published: datetime | None, fetched_at: datetime | None) -> datetime | None:
    """When an article appeared, for ordering a story (first report, lineage, timeline, first
    seen and last updated): its published time, unless that is implausibly old (before 1991) or
    later than when it was fetched (a wrong clock or time zone: a page cannot be read before it
    is published), and then its fetch time. The clusterer applies the same rules and records
    the reason (``StoryClusterer._effective_time``)."""
    pub, got = _utc(published), _utc(fetched_at)
    if pub is not None and pub < EARLIEST_PLAUSIBLE:
        pub = None
    if pub is not None and got is not None and pub > got:
        return got
    return pub if pub is not None else got


def _when(a: Article) -> datetime:
    t = effective_time(a.published, a.fetched_at)
    if t is None:  # an article not stored yet, with no plausible date: it counts as now
        t = datetime.now(UTC)
    return t


def _is_original(a: Article) -> bool:
    return not a.is_copy and a.duplicate_of is None and a.lineage != "copy" and bool(a.title)


def _centrality(articles: Sequence[Article], vectors: Mapping[int, np.ndarray]) -> dict[int, float]:
    ids = [a.id for a in articles if a.id is not None and a.id in vectors]
    if len(ids) < 2:
        return {}
    m = np.stack([np.asarray(vectors[i], dtype=np.float32) for i in ids])
    sims = m @ m.T
    mean = (sims.sum(axis=1) - np.diag(sims)) / (len(ids) - 1)
    return {i: float(x) for i, x in zip(ids, mean)}


def headlines(articles: Sequence[Article], vectors: Mapping[int, np.ndarray] | None = None) -> dict[str, str]:
    """lang -> headline (see the module doc). Languages with only copies use the copies."""
    central = _centrality(articles, vectors or {})
    by_lang: dict[str, list[Article]] = {}
    for a in articles:
        if a.title or (a.text or "").strip():
            by_lang.setdefault(a.lang or "und", []).append(a)
    out = {}
    for lang, group in sorted(by_lang.items()):
        # titled originals first; a language whose articles have no title (plain-text pages)
        # still gets a headline: the opening of its first sentence
        pool = ([a for a in group if a.title and _is_original(a)] or [a for a in group if a.title]
                or group)
        best = min(pool, key=lambda a: (-central.get(a.id or -1, 0.0), _when(a), a.id or 0))
        out[lang] = (best.title or "").strip() or _opening(best.text or "")
    return out


def _opening(text: str, limit: int = 110) -> str:
    """The first sentence of ``text``, cut at a word boundary near ``limit`` characters."""
    first = text.strip().split("\n", 1)[0]
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + " …"


def _entry(a: Article) -> dict[str, Any]:
    """A timeline entry for article ``a`` (its "why" is added by the caller)."""
    return {"at": _when(a).isoformat(), "article_id": a.id, "lang": a.lang,
            "title": a.title or _opening(a.text or ""), "source": a.source, "country": a.country}


def timeline(articles: Sequence[Article], limit: int = _TIMELINE_MAX) -> list[dict[str, Any]]:
    """The first report, the first report in each further language, then notable additions
    (first from a new country, then first from a new source), in time order, at most ``limit``."""
    ordered = sorted(articles, key=lambda a: (_when(a), a.id or 0))
    firsts: list[dict[str, Any]] = []
    notable: list[tuple[int, dict[str, Any]]] = []
    langs: set[str] = set()
    countries: set[str] = set()
    sources: set[str] = set()
    for a in ordered:
        lang = a.lang or "und"
        entry = _entry(a)
        if lang not in langs:
            entry["why"] = "first report" if not langs else f"first report in {lang}"
            firsts.append(entry)
        elif a.country and a.country not in countries and _is_original(a):
            entry["why"] = f"first from {a.country}"
            notable.append((0, entry))
        elif a.source and a.source not in sources and _is_original(a):
            entry["why"] = f"first from {a.source}"
            notable.append((1, entry))
        langs.add(lang)
        if a.country:
            countries.add(a.country)
        if a.source:
            sources.add(a.source)
    # language firsts always make the cut; other additions fill what room is left, by country
    # first (wider coverage) then by source
    keep = firsts[:limit]
    notable.sort(key=lambda ke: ke[0])  # stable: time order within each kind
    keep += [e for _, e in notable[: max(0, limit - len(keep))]]
    return sorted(keep, key=lambda e: (e["at"], e["article_id"] or 0))


def _facets(articles: Sequence[Article], limit: int = _FACETS_MAX) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ents: Counter[tuple[str, str]] = Counter()
    for a in articles:
        for e in a.entities:
            if e.get("text"):
                ents[(str(e["text"]), str(e.get("type") or ""))] += int(e.get("count") or 1)
    entities = [{"text": t, "type": ty, "count": n} for (t, ty), n in
                sorted(ents.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
    quotes, seen = [], set()
    for a in sorted(articles, key=lambda a: (_when(a), a.id or 0)):
        for q in a.quotes:
            key = (str(q.get("text") or "")).casefold().strip()
            if key and key not in seen:
                seen.add(key)
                quotes.append({**q, "article_id": a.id})
    return entities, quotes[:limit]


def describe_story(
    articles: Sequence[Article],
    vectors: Mapping[int, np.ndarray] | None = None,
    story_id: int | None = None,
) -> Story:
    """A :class:`Story` summarising ``articles`` (the story's members, ids set).

    ``story_id`` defaults to the first article's id (the clusterer's story id)."""
    live = [a for a in articles if a.status != "removed"]
    if not live:
        raise StoryError(f"story {story_id}: no articles to describe")
    ordered = sorted(live, key=lambda a: (_when(a), a.id or 0))
    langs = Counter(a.lang for a in live if a.lang)
    vecs = [np.asarray(vectors[a.id], dtype=np.float32) for a in live if vectors and a.id in vectors]
    centroid = None
    if vecs:
        c = np.sum(vecs, axis=0)
        n = float(np.linalg.norm(c))
        centroid = (c / n).astype(np.float32).tobytes() if n > 0 else None
    entities, quotes = _facets(live)
    first_id = min((a.id for a in live if a.id is not None), default=None)
    return Story(
        id=story_id if story_id is not None else first_id,
        headlines=headlines(live, vectors),
        languages=[lang for lang, _ in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))],
        countries=sorted({a.country for a in live if a.country}),
        sources=sorted({a.source for a in live if a.source}),
        first_seen=_when(ordered[0]),
        last_updated=max(_when(a) for a in live),
        article_count=len(live),
        first_article_id=ordered[0].id,
        centroid=centroid,
        timeline=timeline(live),
        entities=entities,
        quotes=quotes,
    )


def extend_story(story: Story, new: Article) -> Story:
    """``story`` (a stored record) with one more article, computed from the new article alone:
    what a big story's record can afford at every arrival (see ``StoryService._refresh``, which
    recomputes it whole with :func:`describe_story` as it grows by a few percent).

    Exact: the count, first-seen and last-updated times, countries, sources, a new language
    (with the new article's title as its headline and a "first report in" timeline entry), and
    quotes while there is room. Approximate until the next whole recompute: the order of
    languages (by count), name counts past the 20 kept, the most central headline of a
    language, and the timeline's firsts from a new country or source."""
    if new.status == "removed":
        return story
    when = _when(new)
    story.article_count += 1
    if story.first_seen is None or when < story.first_seen:
        story.first_seen, story.first_article_id = when, new.id
    story.last_updated = when if story.last_updated is None else max(story.last_updated, when)
    story.countries = sorted({*story.countries, *([new.country] if new.country else [])})
    story.sources = sorted({*story.sources, *([new.source] if new.source else [])})
    lang = new.lang or "und"
    if new.lang and new.lang not in story.languages:
        story.languages = [*story.languages, new.lang]
    if lang not in story.headlines and (new.title or (new.text or "").strip()):
        story.headlines = {**story.headlines, lang: (new.title or "").strip() or _opening(new.text or "")}
        story.timeline = _with_first(story.timeline, {**_entry(new), "why": f"first report in {lang}"})
    counts = {(str(e["text"]), str(e.get("type") or "")): int(e.get("count") or 0) for e in story.entities}
    for e in new.entities:
        if e.get("text"):
            key = (str(e["text"]), str(e.get("type") or ""))
            counts[key] = counts.get(key, 0) + int(e.get("count") or 1)
    story.entities = [{"text": t, "type": ty, "count": n} for (t, ty), n in
                      sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_FACETS_MAX]]
    seen = {str(q.get("text") or "").casefold().strip() for q in story.quotes}
    for q in new.quotes:
        key = str(q.get("text") or "").casefold().strip()
        if key and key not in seen and len(story.quotes) < _FACETS_MAX:
            seen.add(key)
            story.quotes = [*story.quotes, {**q, "article_id": new.id}]
    return story


def _with_first(entries: list[dict[str, Any]], entry: dict[str, Any], limit: int = _TIMELINE_MAX) -> list[dict[str, Any]]:
    """The timeline with a language's first report added; when full, the latest entry that is
    not a language first makes room (language firsts always make the cut, as in :func:`timeline`)."""
    out = [*entries, entry]
    while len(out) > limit:
        notable = [i for i, e in enumerate(out) if not str(e.get("why", "")).startswith("first report")]
        if not notable:
            break
        out.pop(max(notable, key=lambda i: (out[i].get("at") or "", i)))
    out = out[:limit]
    return sorted(out, key=lambda e: (e.get("at") or "", e.get("article_id") or 0))
