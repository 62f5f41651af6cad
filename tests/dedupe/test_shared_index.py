"""The near-duplicate index shared by every worker (store table ``neardup_keys``, migration 0009):
the store's part on both backends, and two workers (two store connections, two pipelines)
storing near-duplicate pages at the same moment: exactly one original, the other its duplicate."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import drop_schema, pg_schema_url, require_pg

from newsloom.config import Settings
from newsloom.dedupe import Deduper
from newsloom.dedupe.neardup import NearDupIndex
from newsloom.models import Article, RawDocument
from newsloom.pipeline import Pipeline
from newsloom.store import open_store

WORDS = ("river council harbour minister railway budget storm village school hospital bridge court "
         "farmers election museum factory police festival airport forest mayor union teachers drought "
         "satellite market energy workers coast library tunnel vaccine").split()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    require_pg()
    schema = f"newsloom_nd_{uuid.uuid4().hex[:12]}"
    try:
        yield pg_schema_url(schema)
    finally:
        drop_schema(schema)


def _text(seed: int, n: int = 160) -> list[str]:
    rnd = random.Random(seed)
    return [rnd.choice(WORDS) + str(rnd.randrange(50)) for _ in range(n)]


def _page(words: list[str], title: str) -> str:
    paras = [" ".join(words[i : i + 40]) + "." for i in range(0, len(words), 40)]
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")


def _near_copy(words: list[str]) -> list[str]:
    out = list(words)
    out[-1] = "changed"  # one word of 160: Jaccard ~0.98
    return out


def test_store_keys_candidates_and_locks(db: str) -> None:
    index = NearDupIndex()
    with open_store(db) as store:
        a = store.add_article(Article(url="https://a.example/1", title="A", text=" ".join(_text(1))))
        b = store.add_article(Article(url="https://b.example/1", title="B", text=" ".join(_text(2))))
        sig_a = index.signature(a.text or "")
        keys_a = index.band_keys(sig_a)
        assert len(keys_a) == index.bands
        store.set_neardup_keys(a.id, keys_a)
        store.set_neardup_keys(b.id, index.band_keys(index.signature(b.text or "")))
        store.set_neardup_keys(a.id, keys_a)  # replacing is idempotent
        assert store.count_neardup_keys() == 2 * index.bands
        near = index.band_keys(index.signature(" ".join(_near_copy(_text(1)))))
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
        o1 = first.process_raw(RawDocument(url="https://a.example/x", body=_page(_text(7), "Storm").encode()))
        o2 = second.process_raw(RawDocument(url="https://b.example/y", body=_page(_near_copy(_text(7)), "Storm").encode()))
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
        words = _text(11)
        pages = [_page(words, "Harbour storm"), _page(words if exact else _near_copy(words), "Harbour storm")]
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
