from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dedupe_fakestore import FakeStore, edit, text_of, words

from newsloom.config import Settings
from newsloom.dedupe import Deduper, DedupeResult
from newsloom.errors import DedupeError, InvalidURL
from newsloom.models import Article


def _sqlite_store() -> Any:
    try:
        from newsloom.store import open_store
    except ImportError as exc:  # the SQL stores are optional for this package's tests
        pytest.skip(f"newsloom.store not importable: {exc}")
    return open_store("sqlite:///:memory:")


@pytest.fixture(params=["fake", "sqlite"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    st = FakeStore() if request.param == "fake" else _sqlite_store()
    yield st
    if hasattr(st, "close"):
        st.close()


BASE = words(1)
TEXT = text_of(BASE)


def art(url: str, text: str = TEXT, title: str | None = "Fuel taxes to rise", **kw: Any) -> Article:
    return Article(url=url, text=text, title=title, **kw)


def ingest(deduper: Deduper, store: Any, article: Article) -> tuple[DedupeResult, Article]:
    """What the pipeline does: check, then store new articles and duplicates (marked)."""
    result = deduper.check(article)
    if result.kind in ("new", "exact", "near"):
        article.duplicate_of = result.of
        article = store.add_article(article)
        deduper.add(article)
    return result, article


def test_prepare_fills_fields(store: Any) -> None:
    d = Deduper(store, Settings())
    a = d.prepare(art("https://Example.com/a?utm_source=rss#top"))
    assert a.canonical_url == "https://example.com/a"
    assert a.content_hash and len(a.content_hash) == 32
    assert isinstance(a.minhash, bytes) and len(a.minhash) > 500


def test_prepare_keeps_only_same_site_declared_canonical(store: Any) -> None:
    d = Deduper(store, Settings())
    own = d.prepare(art("https://www.example.com/a?ref=x", canonical_url="/news/a"))
    assert own.canonical_url == "https://www.example.com/news/a"
    copy = d.prepare(art("https://aggregator.net/a", canonical_url="https://example.com/news/a"))
    assert copy.canonical_url == "https://aggregator.net/a"


def test_prepare_invalid_url(store: Any) -> None:
    with pytest.raises(InvalidURL, match="not-a-url"):
        Deduper(store, Settings()).prepare(art("not-a-url"))


def test_new_then_same_url(store: Any) -> None:
    d = Deduper(store, Settings())
    r, first = ingest(d, store, art("https://example.com/a"))
    assert r == DedupeResult("new")
    # same page again, reached with tracking parameters and different spacing/punctuation
    again = art("https://example.com/a?utm_source=twitter&fbclid=1", text=TEXT.replace(".", "!"))
    assert d.check(again) == DedupeResult("same_url", first.id)


def test_revision_when_text_or_title_changes(store: Any) -> None:
    d = Deduper(store, Settings())
    _, first = ingest(d, store, art("https://example.com/a"))
    edited = text_of(edit(BASE, 2))
    assert d.check(art("https://example.com/a", text=edited)) == DedupeResult("revision", first.id)
    assert d.check(art("https://example.com/a", title="Fuel taxes to rise, says minister")) == (
        DedupeResult("revision", first.id)
    )
    # the declared canonical URL identifies the page too
    moved = art("https://example.com/amp/a", title="New title", canonical_url="/a")
    assert d.check(moved) == DedupeResult("revision", first.id)


def test_title_only_change_elsewhere_is_exact_duplicate(store: Any) -> None:
    d = Deduper(store, Settings())
    _, first = ingest(d, store, art("https://example.com/a"))
    copy = art("https://other.org/story", title="Another headline entirely")
    assert d.check(copy) == DedupeResult("exact", first.id, 1.0)


def test_exact_duplicate_of_earliest(store: Any) -> None:
    d = Deduper(store, Settings())
    _, first = ingest(d, store, art("https://a.com/1"))
    r2, _second = ingest(d, store, art("https://b.com/2", text=TEXT.upper()))
    assert r2 == DedupeResult("exact", first.id, 1.0)
    r3, _ = ingest(d, store, art("https://c.com/3"))
    assert r3.of == first.id


def test_near_duplicate_both_sides_of_threshold(store: Any) -> None:
    d = Deduper(store, Settings(near_duplicate_threshold=0.8))
    _, first = ingest(d, store, art("https://a.com/1"))
    near = d.check(art("https://b.com/2", text=text_of(edit(BASE, 4)) + "\n\nRead more at b.com"))
    assert near.kind == "near" and near.of == first.id
    assert near.jaccard is not None and near.jaccard >= 0.8
    far = d.check(art("https://b.com/3", text=text_of(edit(BASE, 25))))
    assert far == DedupeResult("new")


def test_threshold_from_settings(store: Any) -> None:
    _, first = ingest(Deduper(store, Settings()), store, art("https://a.com/1"))
    probe = art("https://b.com/2", text=text_of(edit(BASE, 20)))  # Jaccard ~0.66
    assert Deduper(store, Settings(near_duplicate_threshold=0.8)).check(probe).kind == "new"
    loose = Deduper(store, Settings(near_duplicate_threshold=0.5)).check(probe)
    assert loose.kind == "near" and loose.of == first.id


def test_duplicate_of_duplicate_resolves_to_root(store: Any) -> None:
    d = Deduper(store, Settings())
    _, root = ingest(d, store, art("https://a.com/root"))
    b_tokens = edit(BASE, 4, seed=1)
    rb, _b = ingest(d, store, art("https://b.com/copy", text=text_of(b_tokens)))
    assert rb.kind == "near" and rb.of == root.id
    # exact copy of the copy -> the root, not the copy
    rc, _ = ingest(d, store, art("https://c.com/copy-of-copy", text=text_of(b_tokens)))
    assert rc == DedupeResult("exact", root.id, 1.0)
    # a near copy of a duplicate whose text is unlike the root's -> still the root
    other = words(6)
    stored = store.add_article(
        d.prepare(art("https://e.com/x", text=text_of(other), duplicate_of=root.id))
    )
    d.add(stored)
    probe = art("https://d.com/x", text=text_of(edit(other, 3)))
    hits = d.index.query(d.index.signature(probe.text))
    assert [h[0] for h in hits] == [stored.id]  # only the duplicate is similar...
    assert d.check(probe) == DedupeResult("near", root.id, hits[0][1])  # ...its root is named


def test_root_found_through_chain_not_in_memory(store: Any) -> None:
    d = Deduper(store, Settings())
    # stored by another worker after this Deduper started: only the store knows the chain
    a = store.add_article(art("https://a.com/1", text=text_of(words(5))))
    b = store.add_article(art("https://b.com/1", text=text_of(words(6)), duplicate_of=a.id))
    c = store.add_article(art("https://c.com/1", text=text_of(words(7)), duplicate_of=b.id))
    assert d.root(c.id) == a.id
    assert d.root(a.id) == a.id
    assert d.root(999) == 999  # unknown ids are their own root


def test_root_survives_a_cycle() -> None:
    store = FakeStore()
    a = store.add_article(art("https://a.com/1"))
    b = store.add_article(art("https://b.com/1", duplicate_of=a.id))
    store.articles[a.id].duplicate_of = b.id  # corrupt data must not hang the pipeline
    assert Deduper(store, Settings()).root(b.id) in (a.id, b.id)


def test_empty_text_is_never_a_copy(store: Any) -> None:
    d = Deduper(store, Settings())
    ingest(d, store, art("https://a.com/1", text=""))
    assert d.check(art("https://b.com/2", text="  ")) == DedupeResult("new")


def test_rebuild_from_store_gives_same_answers(store: Any) -> None:
    d1 = Deduper(store, Settings())
    for i in range(12):
        ingest(d1, store, art(f"https://s{i}.com/a", text=text_of(words(100 + i))))
    ingest(d1, store, art("https://dup.com/a", text=text_of(edit(words(103), 3))))
    probes = [
        art(f"https://probe{i}.com/x", text=text_of(edit(words(100 + i), 4, seed=9)))
        for i in range(12)
    ] + [art("https://probe.com/new", text=text_of(words(555)))]
    before = [d1.check(p) for p in probes]
    d2 = Deduper(store, Settings())
    assert d2.stale == []
    assert len(d2.index) == len(d1.index) == 13
    assert [d2.check(p) for p in probes] == before
    assert [r.kind for r in before].count("near") == 12 and before[-1].kind == "new"


def test_rebuild_recomputes_missing_or_unreadable_signatures() -> None:
    store = FakeStore()
    d1 = Deduper(store, Settings())
    for i in range(3):
        ingest(d1, store, art(f"https://s{i}.com/a", text=text_of(words(200 + i))))
    store.articles[1].minhash = None
    store.articles[2].minhash = b"NLMH\x01garbage"
    d2 = Deduper(store, Settings())
    assert d2.stale == [1, 2]
    probe = art("https://p.com/x", text=text_of(edit(words(201), 3)))
    assert d2.check(probe).of == 2


def test_rebuild_with_changed_num_perm_recomputes() -> None:
    store = FakeStore()
    ingest(Deduper(store, Settings()), store, art("https://a.com/1"))
    d = Deduper(store, Settings(minhash_perms=64))
    assert d.stale == [1]
    assert d.check(art("https://b.com/1", text=text_of(edit(BASE, 3)))).kind == "near"


def test_add_requires_id(store: Any) -> None:
    with pytest.raises(DedupeError, match="no id"):
        Deduper(store, Settings()).add(art("https://a.com/1"))


def test_revision_readded_replaces_signature() -> None:
    store = FakeStore()
    d = Deduper(store, Settings())
    _, first = ingest(d, store, art("https://a.com/1"))
    revised = art("https://a.com/1", text=text_of(words(77)))
    assert d.check(revised).kind == "revision"
    revised.id = first.id
    d.prepare(revised)
    store.update_article(revised)
    d.add(revised)
    assert d.check(art("https://b.com/1", text=text_of(edit(BASE, 3)))).kind == "new"
    assert d.check(art("https://b.com/2", text=text_of(edit(words(77), 3)))).of == first.id


def test_remove_forgets(store: Any) -> None:
    d = Deduper(store, Settings())
    _, first = ingest(d, store, art("https://a.com/1"))
    d.remove(first.id)
    assert d.check(art("https://b.com/1", text=text_of(edit(BASE, 3)))).kind == "new"


def test_only_base_store_lookups_are_used() -> None:
    class Strict(FakeStore):
        def __getattribute__(self, name: str) -> Callable[..., Any]:
            allowed = {
                "find_article_by_url",
                "find_article_by_hash",
                "get_article",
                "iter_articles",
                "list_articles",
                "add_article",
                "articles",
                "lookups",
                "__class__",
                "__dict__",
            }
            assert name in allowed or name.startswith("__"), f"Deduper used store.{name}"
            return super().__getattribute__(name)  # type: ignore[no-any-return]

    store = Strict()
    d = Deduper(store, Settings())  # type: ignore[arg-type]
    ingest(d, store, art("https://a.com/1"))
    d.check(art("https://b.com/1", text=text_of(edit(BASE, 3))))


def test_window_setting_bounds_the_index() -> None:
    store = FakeStore()
    d = Deduper(store, Settings(near_duplicate_window=2))
    for i in range(4):
        ingest(d, store, art(f"https://s{i}.com/a", text=text_of(words(400 + i))))
    assert len(d.index) == 2
    # near copies of old articles are no longer found, exact copies still are (store lookup)
    assert d.check(art("https://x.com/1", text=text_of(edit(words(400), 3)))).kind == "new"
    assert d.check(art("https://x.com/2", text=text_of(words(400)))).kind == "exact"
    assert d.check(art("https://x.com/3", text=text_of(edit(words(403), 3)))).kind == "near"
    # a rebuild keeps the newest too
    assert sorted(Deduper(store, Settings(near_duplicate_window=2)).index._sigs) == [
        3,
        4,
    ]


def test_windowed_rebuild_reads_only_the_newest_articles() -> None:
    store = FakeStore()
    d = Deduper(store, Settings(near_duplicate_window=0))
    for i in range(6):
        ingest(d, store, art(f"https://s{i}.com/a", text=text_of(words(500 + i))))
    seen: list[int] = []
    real = store.iter_articles

    def spy(batch: int = 500, after_id: int = 0) -> Iterator[Article]:
        seen.append(after_id)
        return real(batch=batch, after_id=after_id)

    store.iter_articles = spy  # type: ignore[method-assign]
    # start-up no longer grows with the archive: only the newest window is read
    assert sorted(Deduper(store, Settings(near_duplicate_window=2)).index._sigs) == [5, 6]
    assert seen == [4]
    assert len(Deduper(store, Settings(near_duplicate_window=0)).index) == 6 and seen[-1] == 0


def test_the_duplicate_map_stays_bounded_and_old_roots_still_resolve(store: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A daemon stores duplicates every day: the in-memory duplicate -> original map forgets the
    entries of articles the window has dropped (the store answers for them), never those of
    indexed duplicates (an indexed article missing from it would count as an original)."""
    import newsloom.dedupe as dedupe_mod

    monkeypatch.setattr(dedupe_mod, "_PARENT_SLACK", 4)
    d = Deduper(store, Settings(near_duplicate_window=3))
    pairs = []
    for i in range(12):
        text = text_of(words(100 + i))
        _, original = ingest(d, store, art(f"https://a.example/{i}", text=text))
        result, copy = ingest(d, store, art(f"https://b.example/{i}", text=text))
        assert result.kind == "exact" and copy.duplicate_of == original.id
        pairs.append((original.id, copy.id))
        assert len(d._parent) <= 3 + 4  # the window and the slack
    for original_id, copy_id in pairs:  # the oldest read back from the store
        assert d.root(copy_id) == original_id
    newest_copy = pairs[-1][1]
    assert newest_copy in d._parent  # indexed: kept
