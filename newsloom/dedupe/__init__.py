"""Recognise pages already seen: the same page again, a new version of it, or a copy of it.

    deduper = Deduper(store, settings)   # rebuilds the LSH index from stored signatures
    deduper.prepare(article)             # canonical_url, content_hash, minhash
    result = deduper.check(article)
    if result.kind in ("new", "exact", "near"):
        article.duplicate_of = result.of
        deduper.add(store.add_article(article))

Rules, in order (the first that applies wins):

``same_url``  the url/canonical URL is stored, with the same text and title: store nothing.
``revision``  the url/canonical URL is stored but text or title changed: the pipeline keeps the
              old version as a Revision and updates the article (then calls :meth:`Deduper.add`).
``exact``     the normalised text is stored under another URL: duplicate of the earliest.
``near``      MinHash Jaccard >= ``settings.near_duplicate_threshold`` with a stored article:
              duplicate of the best match's root original.
``new``       none of these.

A changed title alone therefore makes a revision when the URL matches, and an exact (or near)
duplicate otherwise. ``of`` always names an original, never a duplicate of a duplicate.

The original of a group is its earliest report, not the first one processed: an archive read out
of date order, a feed polled late or two workers racing would otherwise name a later copy the
original. An exact or near duplicate dated before its group's original (the time the story
lineage orders by: published, else fetched) comes back with ``earlier=True``; the pipeline stores
it as an original and moves the group under it (``Store.reroot_duplicates``). Equal times keep
the first processed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from newsloom.config import Settings
from newsloom.dedupe.hashing import content_hash, normalise_text
from newsloom.dedupe.neardup import NearDupIndex, Sig
from newsloom.dedupe.urls import canonical_url
from newsloom.errors import DedupeError, NotFoundError, SignatureError
from newsloom.models import Article
from newsloom.store.base import Store

__all__ = ["DedupeResult", "Deduper", "Kind", "canonical_url", "content_hash"]

_EMPTY_HASH = content_hash("")

Kind = Literal["new", "same_url", "revision", "exact", "near"]


@dataclass(frozen=True)
class DedupeResult:
    kind: Kind
    of: int | None = None  # the stored article it is the same page as / a duplicate of
    jaccard: float | None = None  # estimated for "near", 1.0 for "exact", None otherwise
    #: a copy dated before ``of``, the group's original so far: it becomes the original
    earlier: bool = False

    @property
    def is_duplicate(self) -> bool:
        return self.kind in ("exact", "near")


#: how far past the window's size the duplicate -> original map may grow before it is trimmed
_PARENT_SLACK = 10_000


class Deduper:
    """Dedupe decisions against a :class:`~newsloom.store.base.Store`.

    Uses only ``find_article_by_url``, ``find_article_by_hash``, ``get_article``,
    ``iter_articles`` and ``list_articles`` of the store; keeps an in-memory LSH index (about 2 KB per article,
    bounded by ``settings.near_duplicate_window``).

    Shared index (``shared``; default from ``settings.near_duplicate_index``, "auto": on
    PostgreSQL): near-duplicates are looked up in the store's table of LSH keys instead, so
    every worker sees every other's articles (and keeps no index in memory). The pipeline then
    calls :meth:`confirm` and :meth:`add` inside the transaction that stores the article: the
    first locks the text's keys and looks again, the second writes its keys (store/_neardup.py).
    Like the in-memory index, the table keeps the newest ``near_duplicate_window`` articles:
    :meth:`prune`, run by the process's periodic maintenance, deletes the keys of older ones.
    """

    def __init__(self, store: Store, settings: Settings | None = None, shared: bool | None = None):
        settings = settings or Settings()
        self.store = store
        if shared is None:
            mode = settings.near_duplicate_index
            capable = getattr(type(store), "neardup_shared", None)  # SQL stores (not test doubles)
            shared = mode == "store" or (mode == "auto" and capable is not None and bool(capable(store)))
        if shared and not hasattr(type(store), "neardup_candidates"):
            raise DedupeError(f"{getattr(store, 'url', store)!r}: this store has no shared near-duplicate index")
        #: near-duplicates are looked up in the store (every process's articles), not in memory
        self.shared = bool(shared)
        #: shared mode: article id -> duplicate_of (None: an original), as read with candidates
        self._known: dict[int, int | None] = {}
        window = settings.near_duplicate_window or None
        self.index = NearDupIndex(
            settings.near_duplicate_threshold, settings.minhash_perms, max_items=window
        )
        # duplicate id -> the article it duplicates, so roots resolve without a store round-trip;
        # originals are not listed (an indexed id missing here is an original). Bounded: entries
        # of articles the window has dropped are forgotten past _parent_room (see _trim_parents)
        self._parent: dict[int, int] = {}
        self._parent_room = (window or 0) + _PARENT_SLACK if window else None
        self._lock = threading.Lock()
        #: ids whose stored signature was missing or unreadable and was recomputed from the text
        #: at start-up; the pipeline may write ``Article.minhash`` back for them.
        self.stale: list[int] = []
        self.rebuild()

    # --- index maintenance ------------------------------------------------------------------
    def rebuild(self) -> int:
        """(Re)build the index from the stored articles (the newest ``near_duplicate_window`` of
        them when that is set); returns how many were indexed. Shared mode: write the keys of
        articles stored before the shared index existed (once per store), keep nothing in memory."""
        if self.shared:
            return self._backfill_keys()
        self._parent.clear()
        self.stale = []
        self.index = NearDupIndex(
            self.index.threshold, self.index.num_perm, max_items=self.index.max_items
        )
        indexed = 0
        after = 0
        if self.index.max_items:
            # only the newest window can stay in the index: start there instead of reading (and
            # evicting) the whole archive, which would make start-up grow with the archive
            newest = self.store.list_articles(limit=1)
            if newest and newest[0].id is not None:
                after = max(0, newest[0].id - self.index.max_items)
        for art in self.store.iter_articles(after_id=after):
            if art.id is None or art.status == "removed":
                continue
            if art.duplicate_of is not None:
                self._remember_parent(art.id, art.duplicate_of)
            sig = self._stored_signature(art)
            if sig is None:
                sig = self._signature(art)
                self.stale.append(art.id)
            indexed += self.index.add(art.id, sig)
        return indexed

    _BACKFILLED = "neardup_keys.backfilled"

    def _backfill_keys(self) -> int:
        """Keys for the articles of a store older than migration 0009 (the newest
        ``near_duplicate_window`` of them, like the in-memory index), once per store; several
        workers starting at once write the same rows harmlessly."""
        if self.store.get_state(self._BACKFILLED):
            return 0
        after = 0
        if self.index.max_items:
            newest = self.store.list_articles(limit=1)
            if newest and newest[0].id is not None:
                after = max(0, newest[0].id - self.index.max_items)
        done = 0
        for art in self.store.iter_articles(after_id=after):
            if art.id is None or art.status == "removed":
                continue
            keys = self.index.band_keys(self._stored_signature(art) or self._signature(art))
            if keys:
                self.store.add_neardup_keys(art.id, keys)  # type: ignore[attr-defined]
                done += 1
        self.store.set_state(self._BACKFILLED, "1")
        return done

    def _stored_signature(self, art: Article) -> Sig | None:
        if not art.minhash:
            return None
        try:
            sig = Sig.from_bytes(art.minhash)
        except SignatureError:
            return None
        if sig.num_perm != self.index.num_perm:  # settings changed since it was stored
            return None
        return sig

    def _signature(self, art: Article) -> Sig:
        return self.index.signature(art.text or "", art.lang)

    def add(self, article: Article) -> None:
        """Register a stored article (``id`` set), or re-register it after a revision."""
        if article.id is None:
            raise DedupeError(f"{article.url}: article has no id; store it before Deduper.add")
        if article.minhash is None or article.content_hash is None:
            self.prepare(article)
        sig = self._stored_signature(article) or self._signature(article)
        with self._lock:
            if article.duplicate_of is not None:
                self._remember_parent(article.id, article.duplicate_of)
            else:
                self._parent.pop(article.id, None)
        if self.shared:  # inside the storing transaction (see confirm)
            self.store.set_neardup_keys(article.id, self.index.band_keys(sig))  # type: ignore[attr-defined]
            return
        self.index.add(article.id, sig)

    def remove(self, article_id: int) -> None:
        """Forget an article (taken down or deleted)."""
        with self._lock:
            self._parent.pop(article_id, None)
            self._known.pop(article_id, None)
        if self.shared:
            self.store.set_neardup_keys(article_id, [])  # type: ignore[attr-defined]
            return
        self.index.remove(article_id)

    def prune(self, max_batches: int = 20) -> int:
        """Shared index: delete from the store the keys of articles outside the window (the
        newest ``near_duplicate_window`` by id, as :meth:`rebuild` reads them), a bounded amount
        a call (``store/_neardup.py``), so the table stops growing with the archive. Called
        periodically by the process's maintenance (``newsloom run`` after each pass; the
        worker holding the serial lock). In memory the index bounds itself: nothing to do.
        Returns rows deleted."""
        if not self.shared or not self.index.max_items:
            return 0
        return int(self.store.prune_neardup_keys(self.index.max_items, max_batches=max_batches))  # type: ignore[attr-defined]

    # --- decisions --------------------------------------------------------------------------
    @staticmethod
    def fingerprinter(settings: Settings | None = None) -> Callable[[Article], Article]:
        """``prepare`` without a store or index, for worker processes: the fingerprints depend
        only on the article and the MinHash parameters."""
        settings = settings or Settings()
        index = NearDupIndex(settings.near_duplicate_threshold, settings.minhash_perms, max_items=1)

        def prepare(article: Article) -> Article:
            return _prepare(index, article)

        return prepare

    def prepare(self, article: Article) -> Article:
        """Fill ``canonical_url``, ``content_hash`` and ``minhash`` from url and text.

        A ``canonical_url`` already set (the page's declared ``<link rel=canonical>``) is
        normalised and kept only if it is on the article's own registered domain: a canonical
        on another domain marks a syndicated copy and must not make this page "the same URL"
        as the original. Raises :class:`~newsloom.errors.InvalidURL` for a bad ``url``.
        """
        return _prepare(self.index, article)

    def check(self, article: Article, copies: bool = True) -> DedupeResult:
        """Classify ``article`` against the store (see the module docs for the rules).
        Prepares it first if it has not been prepared. ``copies=False`` stops after the URL
        rules (``new`` stands for "not the same page"): for a caller that runs :meth:`confirm`,
        which looks for copies itself, inside its transaction."""
        if article.content_hash is None or article.minhash is None or not article.canonical_url:
            self.prepare(article)
        existing = self._find_same_page(article)
        if existing is not None:
            old_hash = existing.content_hash or content_hash(existing.text or "")
            same_title = normalise_text(existing.title or "") == normalise_text(article.title or "")
            kind: Kind = (
                "same_url" if old_hash == article.content_hash and same_title else "revision"
            )
            return DedupeResult(kind, existing.id)
        return self._copy_of(article) if copies else DedupeResult("new")

    def confirm(self, article: Article, verdict: DedupeResult) -> DedupeResult:
        """Shared index: call inside the transaction that will store ``article`` with the verdict
        :meth:`check` gave. Locks the text's LSH keys and its content hash until that transaction
        ends and looks for an original again, so of two near-duplicates stored by two workers at
        the same moment the second is marked a duplicate of the first. In-memory index: returns
        ``verdict`` (one process; the store's write lock orders it)."""
        if not self.shared or verdict.kind not in ("new", "exact", "near"):
            return verdict
        sig = self._stored_signature(article) or self._signature(article)
        keys = self.index.band_keys(sig)
        if article.content_hash and article.content_hash != _EMPTY_HASH:
            keys.append(int(article.content_hash[:16], 16) - (1 << 63))  # exact copies too
        self.store.lock_neardup_keys(keys)  # type: ignore[attr-defined]
        return self._copy_of(article, sig)

    def _copy_of(self, article: Article, sig: Sig | None = None) -> DedupeResult:
        """The exact, then the near-duplicate rule (``new`` when neither applies)."""
        if article.content_hash == _EMPTY_HASH:
            return DedupeResult("new")  # nothing to compare: empty pages are not copies
        twin = self.store.find_article_by_hash(article.content_hash or "")
        if twin is not None and twin.id is not None and twin.id != article.id:
            return self._dated(article, DedupeResult("exact", self._root(twin.id, twin.duplicate_of), 1.0))
        sig = sig or self._stored_signature(article) or self._signature(article)
        hits = self._shared_query(sig, article.id) if self.shared else self.index.query(sig, exclude=article.id)
        if hits:
            best, jaccard = hits[0]
            return self._dated(article, DedupeResult("near", self.root(best), jaccard))
        return DedupeResult("new")

    def _dated(self, article: Article, verdict: DedupeResult) -> DedupeResult:
        """``verdict`` with ``earlier`` set when ``article`` was reported before the original."""
        from newsloom.stories.naming import effective_time  # the order lineage uses

        mine = effective_time(article.published, article.fetched_at)
        if mine is None or verdict.of is None:
            return verdict
        try:
            original = self.store.get_article(verdict.of)
        except NotFoundError:
            return verdict
        theirs = effective_time(original.published, original.fetched_at)
        if theirs is None or mine >= theirs:
            return verdict
        return DedupeResult(verdict.kind, verdict.of, verdict.jaccard, earlier=True)

    def rerooted(self, old_root: int, new_root: int) -> None:
        """``old_root``'s group now hangs under ``new_root`` (stored before it was reported)."""
        with self._lock:
            self._parent[old_root] = new_root  # its duplicates resolve through it
            self._parent.pop(new_root, None)
            if old_root in self._known:
                self._known[old_root] = new_root

    def _shared_query(self, sig: Sig, exclude: int | None) -> list[tuple[int, float]]:
        """``NearDupIndex.query`` over the store's keys: candidates sharing a key, kept when their
        estimated Jaccard reaches the threshold, most similar first (ties: lowest id)."""
        keys = self.index.band_keys(sig)
        hits = []
        for aid, blob, parent in self.store.neardup_candidates(keys):  # type: ignore[attr-defined]
            if aid == exclude or blob is None:
                continue
            try:
                other = Sig.from_bytes(blob)
            except SignatureError:
                continue
            if other.num_perm != sig.num_perm or other.size < self.index.min_shingles:
                continue
            with self._lock:
                if len(self._known) > 100_000:
                    self._known.clear()
                self._known[aid] = parent
            j = sig.jaccard(other)
            if j >= self.index.threshold:
                hits.append((aid, j))
        hits.sort(key=lambda kj: (-kj[1], kj[0]))
        return hits

    def _find_same_page(self, article: Article) -> Article | None:
        seen: set[str] = set()
        for url in (article.canonical_url, article.url):
            if not url or url in seen:
                continue
            seen.add(url)
            found = self.store.find_article_by_url(url)
            if found is not None and found.id != article.id:
                return found
        return None

    def root(self, article_id: int) -> int:
        """The original at the end of ``article_id``'s duplicate_of chain (itself if none)."""
        return self._root(article_id, self._parent_of(article_id))

    def _root(self, article_id: int, parent: int | None) -> int:
        current, visited = article_id, {article_id}
        while parent is not None and parent not in visited:  # visited: never loop on bad data
            visited.add(parent)
            current = parent
            parent = self._parent_of(current)
        return current

    def _parent_of(self, article_id: int) -> int | None:
        with self._lock:
            if article_id in self._parent:
                return self._parent[article_id]
            if article_id in self._known:
                return self._known[article_id]
        if article_id in self.index:
            return None  # indexed and not in _parent: an original
        try:  # outside the window, or stored by another process since start-up
            parent = self.store.get_article(article_id).duplicate_of
        except NotFoundError:
            return None
        if parent is not None:
            with self._lock:
                self._remember_parent(article_id, parent)
        return parent

    def _remember_parent(self, article_id: int, parent: int) -> None:
        """Under ``_lock``: note ``article_id``'s original, keeping ``_parent`` bounded. A
        daemon stores duplicates every day, and an entry nobody dropped would stay for good."""
        self._parent[article_id] = parent
        if self._parent_room is not None and len(self._parent) > self._parent_room:
            self._trim_parents()

    def _trim_parents(self) -> None:
        """Forget the oldest entries (insertion order) of articles the index no longer holds:
        asked about again, their original is read back from the store (``_parent_of``). Entries
        of indexed duplicates stay, since an indexed article missing here counts as an original.
        If too few can go, the bound moves up by the slack so the scan is not repeated at once."""
        assert self._parent_room is not None
        target = self._parent_room - _PARENT_SLACK // 2
        for aid in [a for a in self._parent if a not in self.index][: max(0, len(self._parent) - target)]:
            del self._parent[aid]
        if len(self._parent) > target:
            self._parent_room = len(self._parent) + _PARENT_SLACK


def _prepare(index: NearDupIndex, article: Article) -> Article:
    article.canonical_url = canonical_url(article.url, declared=article.canonical_url)
    norm = normalise_text(article.text or "")  # once, for both the hash and the shingles
    article.content_hash = content_hash(norm, normalised=True)
    article.minhash = index.signature(norm, article.lang, normalised=True).to_bytes()
    return article
