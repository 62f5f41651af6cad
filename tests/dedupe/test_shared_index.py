"""The near-duplicate index shared by every worker (store table ``neardup_keys``, migration 0009):
the store's part on both backends, and two workers (two store connections, two pipelines)
storing near-duplicate pages at the same moment: exactly one original, the other its duplicate."""

from __future__ import annotations

import threading

import pytest
from neardup_pages import near_copy, page, words

from newsloom.config import Settings
from newsloom.dedupe import Deduper
from newsloom.dedupe.neardup import NearDupIndex
from newsloom.models import Article, RawDocument
from newsloom.pipeline import Pipeline
from newsloom.store import open_store


def test_store_keys_candidates_and_locks(db: str) -> None:
    index = NearDupIndex()
    with open_store(db) as store:
        a = store.add_article(Article(url="https://a.example/1", title="A", text=" ".join(words(1))))
        b = store.add_article(Article(url="https://b.example/1", title="B", text=" ".join(words(2))))
        sig_a = index.signature(a.text or "")
        keys_a = index.band_keys(sig_a)
        assert len(keys_a) == index.bands
        store.set_neardup_keys(a.id, keys_a)
        store.set_neardup_keys(b.id, index.band_keys(index.signature(b.text or "")))
        store.set_neardup_keys(a.id, keys_a)  # replacing is idempotent
        assert store.count_neardup_keys() == 2 * index.bands
        near = index.band_keys(index.signature(" ".join(near_copy(words(1)))))
        assert [c[0] for c in store.neardup_candidates(near)] == [a.id]
        assert store.neardup_candidates([]) == []
        with store.transaction():  # locks are taken inside a transaction and end with it
            store.lock_neardup_keys(keys_a)
        store.set_neardup_keys(a.id, [])
        assert store.neardup_candidates(near) == []
    with open_store(db) as again:  # the keys are in the store, not in a process
        assert again.count_neardup_keys() == index.bands


def test_shared_deduper_finds_another_process_articles(db: str) -> None:
    settings = Settings(db=db, stories=False, near_duplicate_index="store")
    with open_store(db) as one, open_store(db) as two:
        first = Pipeline(one, settings, with_stories=False)
        second = Pipeline(two, settings, with_stories=False)
        assert first.deduper.shared and second.deduper.shared
        o1 = first.process_raw(RawDocument(url="https://a.example/x", body=page(words(7), "Storm").encode()))
        o2 = second.process_raw(RawDocument(url="https://b.example/y", body=page(near_copy(words(7)), "Storm").encode()))
        assert (o1.status, o2.status, o2.of) == ("new", "near_duplicate", o1.article_id)


def test_auto_is_shared_on_postgresql_and_in_memory_on_sqlite(db: str) -> None:
    with open_store(db) as store:
        assert Deduper(store, Settings(db=db)).shared == db.startswith("postgresql")
        assert not Deduper(store, Settings(db=db, near_duplicate_index="memory")).shared


def _race(db: str, mode: str, exact: bool = False) -> list[Article]:
    """Two workers, each on its own connection, receive near-duplicate pages; both look for a
    copy before either has stored its page (a barrier after check()), then both store."""
    settings = Settings(db=db, stories=False, near_duplicate_index=mode)
    stores = [open_store(db), open_store(db)]
    try:
        pipelines = [Pipeline(s, settings, with_stories=False) for s in stores]
        barrier = threading.Barrier(2, timeout=30)
        for p in pipelines:
            check = p.deduper.check

            def checked(article: Article, check=check, **kw):  # type: ignore[no-untyped-def]
                verdict = check(article, **kw)
                barrier.wait()  # neither has stored anything yet
                return verdict

            p.deduper.check = checked  # type: ignore[method-assign]
        ws = words(11)
        pages = [page(ws, "Harbour storm"), page(ws if exact else near_copy(ws), "Harbour storm")]
        outcomes: list[object] = [None, None]

        def work(i: int) -> None:
            outcomes[i] = pipelines[i].process_raw(
                RawDocument(url=f"https://site{i}.example/story", body=pages[i].encode()))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(o is not None for o in outcomes), outcomes
        return sorted(stores[0].iter_articles(), key=lambda a: a.id or 0)
    finally:
        for s in stores:
            s.close()


@pytest.mark.parametrize("exact", [False, True], ids=["near", "exact"])
def test_two_workers_storing_near_duplicates_at_once_one_original(db: str, exact: bool) -> None:
    arts = _race(db, "store", exact)
    assert len(arts) == 2
    originals = [a for a in arts if a.duplicate_of is None]
    copies = [a for a in arts if a.duplicate_of is not None]
    assert len(originals) == 1 and len(copies) == 1
    assert copies[0].duplicate_of == originals[0].id


def test_the_race_is_real_with_two_in_memory_indexes(db: str) -> None:
    # what the shared index fixes: each worker's own index misses the other's page
    if db.startswith("sqlite"):
        pytest.skip("one index per process is the SQLite default; shown on PostgreSQL")
    arts = _race(db, "memory")
    assert [a.duplicate_of for a in arts] == [None, None]
