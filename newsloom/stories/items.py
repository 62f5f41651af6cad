"""What the story clusterer works with: the item it is given (:class:`ClusterItem`), what it
answers (:class:`Assignment`), one story part as it keeps it (:class:`StoryState`), and the
small scoring helpers (IDF-weighted name overlap, the date-gap factor of bridges).
:func:`make_item` builds an item from a stored article. The algorithm is in ``cluster.py``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from newsloom.errors import StoryError

# The space of items that do not name one (a single-space stream).
DEFAULT_SPACE = "default"


@dataclass
class ClusterItem:
    """What the clusterer needs from one article (built by :func:`make_item` or by hand)."""

    article_id: int
    vector: np.ndarray | None  # L2-normalised float32 (title + lead); None = nothing to embed
    lang: str | None = None
    published: datetime | None = None
    arrival: datetime | None = None  # when newsloom got it (Article.fetched_at)
    names: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    duplicate_of: int | None = None  # set by dedupe: joins the original's story directly
    n_words: int | None = None  # words of title + text; too few = nothing to compare
    space: str = DEFAULT_SPACE  # the vector space of ``vector`` (e.g. the embedding model)
    # The title in the space all items share (bridges), or a function that computes it: called
    # only when the clusterer needs it (see StoryClusterer: title_members), which spares the
    # embedding for most articles that join a story in their own space.
    title_vector: np.ndarray | Callable[[], np.ndarray | None] | None = None
    # the title vector as it came, once the clusterer has taken its language's mean out of
    # title_vector (its own mark; see newsloom.stories.langmean)
    title_raw: np.ndarray | None = None


@dataclass
class Assignment:
    story_id: int
    is_new_story: bool
    score: float  # story score of the best candidate (0.0 when there was none)
    reason: str | None = None  # why the default path was not taken (duplicate, empty, clamped date, bridge)
    time: datetime | None = None  # the time the clusterer used for the article
    bridged: bool = False  # joined a story of another vector space through the title space


@dataclass
class StoryState:
    """One story part as the clusterer sees it (see the module doc: a story has one part, or
    several when it spans vector spaces). Members beyond ``max_members`` keep only counts."""

    id: int
    first_time: datetime | None
    last_time: datetime | None
    last_seq: int
    first_seq: int = 0  # arrival number of its first article (older story wins a merge)
    count: int = 0
    centroid_sum: np.ndarray | None = None
    member_ids: list[int] = field(default_factory=list)  # kept members (see _keep)
    member_vecs: list[np.ndarray] = field(default_factory=list)
    member_sig: list[Signals] = field(default_factory=list)
    langs: Counter[str] = field(default_factory=Counter)
    closed: bool = False
    merged_into: int | None = None  # the part it was merged into (maintenance)
    space: str = DEFAULT_SPACE
    story: int | None = None  # union-find parent: the part whose story this part belongs to
    title_sum: np.ndarray | None = None  # sum of the members' title vectors (shared space)
    title_count: int = 0
    member_titles: list[np.ndarray | None] = field(default_factory=list)  # parallel to member_ids
    member_langs: list[str | None] = field(default_factory=list)  # parallel to member_ids

    def centroid(self) -> np.ndarray | None:
        if self.centroid_sum is None:
            return None
        if self.count == 1:
            return self.centroid_sum  # one member: already unit length
        n = float(np.linalg.norm(self.centroid_sum))
        return self.centroid_sum / n if n > 0 else None

    def title_centroid(self) -> np.ndarray | None:
        if self.title_sum is None:
            return None
        if self.title_count == 1:
            return self.title_sum
        n = float(np.linalg.norm(self.title_sum))
        return self.title_sum / n if n > 0 else None


def _utc(d: datetime | None) -> datetime | None:
    if d is None:
        return None
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


# Names are compared by entity key across languages (see Signals).
KEY_PREFIX = "@"  # what newsloom.stories.spaces.names_with_keys puts before an entity key


@dataclass(frozen=True, slots=True)
class Signals:
    """An article's IDF-weighted names and numbers as the clusterer compares them, with what a
    comparison across languages needs: ``keys`` (the names that are entity keys, the same in
    every language and script: ``@united states``, ``@zelenskiy``) and the language."""

    names: dict[str, float]
    numbers: dict[str, float]
    keys: dict[str, float]
    lang: str | None
    words: int | None = None  # words of title + text (the short-text allowance); None: unknown


def _base_lang(lang: str | None) -> str | None:
    return lang.split("-")[0].lower() if lang else None


def names_compared(a: Signals, b: Signals, agreement_only: bool = False) -> tuple[dict[str, float], dict[str, float]]:
    """The names two articles are compared by: all of them in one language, only the entity
    keys across two languages. A surface name is a word in its language's spelling (and in
    German every noun is capitalised): across languages it can only disagree, and in an item
    of one or two sentences one such disagreement outweighs the key the two share. Nothing
    fitted; measured on title + first sentence (BCubed F1): MEANTIME 0.961 -> 0.973, with
    es/it/nl routed to e5-small 0.939 -> 0.962, SemEval-2022 dev cross-language 0.135 -> 0.294;
    its price, where stories are mostly single reports and undated (Primer, where one shared
    country key lets two events in one place meet): 0.968 -> 0.952. See the README.

    ``agreement_only``: across languages, keys that share nothing are no evidence either way
    (nothing is compared). The clusterer asks it in the spaces with a scale of their own
    (centred e5-small, for the languages USE-m3 lacks): there one-sentence translations meet at
    cosines of 0.4-0.7, just around the threshold, and the tagger names one entity differently
    per language ("@changi international airport" / "@aeropuerto internacional changi de
    singapur", "@bernank" / "@us bank ben bernanke"), so a key disagreement sank true pairs."""
    la, lb = a.lang, b.lang
    if la and lb and la != lb:
        if agreement_only and not a.keys.keys() & b.keys.keys():
            return {}, {}
        return a.keys, b.keys
    return a.names, b.names


def make_signals(names: dict[str, float], numbers: dict[str, float], lang: str | None,
                 words: int | None = None) -> Signals:
    keys = {k: w for k, w in names.items() if k.startswith(KEY_PREFIX)}
    return Signals(names, numbers, keys, _base_lang(lang), words)


def _idf_cos(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(w * big[k] for k, w in small.items() if k in big)
    if dot == 0.0:
        return 0.0
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb)


# A bridge's score decays with the time between the article and the part it would join:
# titles of two events of one kind (the A380's delivery, then its first commercial flight ten
# days later) are close in the title space, and nothing but the date tells them apart.
_BRIDGE_GRACE = timedelta(days=2)
_BRIDGE_HALF_LIFE_DAYS = 7.0


def _gap_factor(t: datetime | None, p: StoryState) -> float:
    """1 within ``_BRIDGE_GRACE`` of the part's time span (or when a time is unknown), then
    halving every ``_BRIDGE_HALF_LIFE_DAYS``."""
    if t is None or p.first_time is None or p.last_time is None:
        return 1.0
    gap = max(p.first_time - t, t - p.last_time) - _BRIDGE_GRACE
    if gap <= timedelta(0):
        return 1.0
    return 0.5 ** (gap.total_seconds() / 86400 / _BRIDGE_HALF_LIFE_DAYS)


def _power_of_four(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0 and n.bit_length() % 2 == 1


def _unit(v: np.ndarray | None) -> np.ndarray | None:
    if v is None:
        return None
    v = np.asarray(v, dtype=np.float32).reshape(-1)
    n = float(np.linalg.norm(v))
    if not math.isfinite(n) or n == 0.0:
        return None
    return v / n


def _why(a: str | None, b: str | None) -> str | None:
    return "; ".join(x for x in (a, b) if x) or None


def make_item(article: Any, vector: np.ndarray | None, signals: Any | None = None) -> ClusterItem:
    """A :class:`ClusterItem` from a ``newsloom.models.Article`` (id set) and its vector.

    ``signals`` is a ``newsloom.analyse.features.Signals``; computed here when not given.
    Years count as numbers: "the 2008 crisis" vs "the 2011 crisis" is a real difference.
    """
    if article.id is None:
        raise StoryError(f"article {article.url!r}: has no id; store it before clustering")
    if signals is None:
        from newsloom.analyse.features import extract_signals

        signals = extract_signals(article.title, article.text, article.lang)
    words = len((article.title or "").split()) + len((article.text or "").split())
    return ClusterItem(
        article_id=article.id,
        vector=vector,
        lang=article.lang,
        published=article.published,
        arrival=article.fetched_at,
        names=frozenset(signals.names) | frozenset(signals.multi_names),
        numbers=frozenset(signals.numbers) | frozenset(signals.years),
        duplicate_of=article.duplicate_of,
        n_words=words,
    )


def span(s: StoryState) -> tuple[float, float]:
    """A part's time span in POSIX seconds, as the candidate indexes filter by it
    (``newsloom.stories.index``); a part without dates spans all time."""
    if s.first_time is None or s.last_time is None:
        return (-math.inf, math.inf)
    return s.first_time.timestamp(), s.last_time.timestamp()
