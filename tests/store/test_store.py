"""The storage contract (newsloom/store/base.py), run on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest

from newsloom.errors import DuplicateArticleError, DuplicateSourceError, NotFoundError, StoreError
from newsloom.models import (
    Article,
    Embed,
    Feed,
    FeedItem,
    FetchLog,
    Image,
    RawDocument,
    Revision,
    Source,
    Story,
)
from newsloom.store import Store

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
KYIV = timezone(timedelta(hours=2))


def full_article(store: Store, url: str = "https://example.org/a/1", **kw: object) -> Article:
    """An article with every field set to a non-default value."""
    src = store.find_source("https://example.org/") or store.add_source(
        Source(name="Example", url="https://example.org/", country="UA", language="uk")
    )
    feed = store.list_feeds(src.id) or [
        store.add_feed(Feed(url="https://example.org/rss", source_id=src.id))
    ]
    raw_id = store.save_raw(RawDocument(url=url, body=b"<html>x</html>"))
    values: dict[str, object] = {
        "url": url,
        "title": "Полонені російські солдати — «інтерв'ю» 🇺🇦",
        "text": "Перший абзац.\n\nSecond paragraph with café and naïve façade.\n\n第三段。",
        "canonical_url": url + "?canonical",
        "source_id": src.id,
        "source": "Example",
        "feed_id": feed[0].id,
        "lang": "uk",
        "lang_confidence": 0.9731,
        "paragraph_langs": ["uk", "en", "zh"],
        "published": datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=KYIV),
        "updated": T0,
        "authors": ["Олена Петренко", "José Álvarez"],
        "site_name": "Приклад",
        "description": "Опис — short",
        "images": [Image(url="https://example.org/i.jpg", caption="Підпис", credit="AP"), Image()],
        "embeds": [
            Embed(
                kind="tweet",
                text="pic.twitter.com/x",
                author="Ніна",
                handle="@nina",
                date="March 1, 2024",
                url="https://twitter.com/nina/status/1",
                links=["https://t.co/a"],
            ),
            Embed(kind="youtube", url="https://youtu.be/x"),
        ],
        "is_copy": True,
        "primary_url": "https://primary.example.com/story",
        "duplicate_of": None,
        "content_hash": "c0ffee",
        "minhash": bytes(range(256)) * 2,
        "raw_text": "raw\x01text",
        "raw_id": raw_id,
        "cleanup_log": ["dedupe_paragraphs", "strip_embeds"],
        "doc_id": "doc-1",
        "story_id": None,
        "lineage": "copy",
        "lineage_of": None,
        "entities": [{"text": "Київ", "type": "LOC", "count": 3}],
        "quotes": [{"text": "«Ми вдома»", "speaker": "Він", "lang": "uk"}],
        "country": "UA",
        "status": "ok",
        "fetched_at": T0,
    }
    values.update(kw)
    return store.add_article(Article(**values))  # type: ignore[arg-type]


# --- sources and feeds ----------------------------------------------------------------------


def test_source_round_trip_and_lookups(store: Store) -> None:
    s = store.add_source(
        Source(name="Українська правда", url="https://pravda.com.ua/", country="UA", language="uk")
    )
    assert s.id is not None and s.created_at is not None and s.created_at.tzinfo is not None
    assert store.get_source(s.id) == s
    assert store.find_source("https://pravda.com.ua/") == s
    assert store.find_source("https://nope.example/") is None
    t = store.add_source(Source(name="B", url="https://b.example/"))
    assert [x.id for x in store.list_sources()] == [s.id, t.id]


def test_duplicate_source_and_feed(store: Store) -> None:
    s = store.add_source(Source(name="A", url="https://a.example/"))
    with pytest.raises(DuplicateSourceError, match="a.example"):
        store.add_source(Source(name="A again", url="https://a.example/"))
    store.add_feed(Feed(url="https://a.example/rss", source_id=s.id))
    with pytest.raises(DuplicateSourceError, match="a.example/rss"):
        store.add_feed(Feed(url="https://a.example/rss", source_id=s.id))
    # the store is still usable after a refused write
    assert len(store.list_sources()) == 1 and len(store.list_feeds()) == 1


def test_feed_round_trip_every_field(store: Store) -> None:
    s = store.add_source(Source(name="A", url="https://a.example/"))
    f = Feed(
        url="https://a.example/sitemap.xml",
        source_id=s.id,
        kind="sitemap",
        title="Карта",
        etag='W/"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        interval_s=1800,
        next_due=T0,
        error_count=3,
        last_status="http_error",
        last_error="HTTP 503",
        last_fetched=T0 - timedelta(hours=1),
        last_new_items=7,
        active=False,
    )
    store.add_feed(f)
    assert f.id is not None
    assert store.get_feed(f.id) == f
    f.etag, f.active, f.next_due, f.error_count = None, True, T0 + timedelta(days=1), 0
    store.update_feed(f)
    assert store.get_feed(f.id) == f
    other = store.add_source(Source(name="B", url="https://b.example/"))
    g = store.add_feed(Feed(url="https://b.example/rss", source_id=other.id))
    assert [x.id for x in store.list_feeds()] == [f.id, g.id]
    assert [x.id for x in store.list_feeds(source_id=other.id)] == [g.id]


def test_update_feed_errors(store: Store) -> None:
    with pytest.raises(StoreError, match="no id"):
        store.update_feed(Feed(url="https://x.example/rss"))
    with pytest.raises(NotFoundError, match="feed 999"):
        store.update_feed(Feed(url="https://x.example/rss", id=999))
    a = store.add_feed(Feed(url="https://x.example/a"))
    store.add_feed(Feed(url="https://x.example/b"))
    a.url = "https://x.example/b"
    with pytest.raises(DuplicateSourceError):
        store.update_feed(a)
    with pytest.raises(NotFoundError, match="feed 12345"):
        store.get_feed(12345)
    with pytest.raises(NotFoundError, match="source 12345"):
        store.get_source(12345)


def test_due_feeds_ordering_and_filter(store: Store) -> None:
    now = T0
    never = store.add_feed(Feed(url="https://f.example/never"))  # next_due NULL: due first
    late = store.add_feed(Feed(url="https://f.example/late", next_due=now - timedelta(minutes=1)))
    oldest = store.add_feed(Feed(url="https://f.example/oldest", next_due=now - timedelta(hours=2)))
    exact = store.add_feed(Feed(url="https://f.example/exact", next_due=now))
    store.add_feed(Feed(url="https://f.example/future", next_due=now + timedelta(seconds=1)))
    store.add_feed(
        Feed(url="https://f.example/off", next_due=now - timedelta(days=1), active=False)
    )
    # a non-UTC "now" means the same instant
    due = store.due_feeds(now.astimezone(KYIV))
    assert [f.id for f in due] == [never.id, oldest.id, late.id, exact.id]
    assert [f.id for f in store.due_feeds(now, limit=2)] == [never.id, oldest.id]
    assert store.due_feeds(now, limit=0) == []


def test_due_feeds_microsecond_precision(store: Store) -> None:
    a = store.add_feed(Feed(url="https://f.example/a", next_due=T0.replace(microsecond=0)))
    b = store.add_feed(Feed(url="https://f.example/b", next_due=T0.replace(microsecond=1)))
    assert [f.id for f in store.due_feeds(T0.replace(microsecond=0))] == [a.id]
    assert [f.id for f in store.due_feeds(T0.replace(microsecond=1))] == [a.id, b.id]


def test_fetch_log(store: Store) -> None:
    f = store.add_feed(Feed(url="https://f.example/rss"))
    g = store.add_feed(Feed(url="https://g.example/rss"))
    logs = [
        FetchLog(
            url=f.url,
            status="ok",
            http_status=200,
            bytes=1234,
            elapsed_ms=12.5,
            feed_id=f.id,
            at=T0,
        ),
        FetchLog(url=g.url, status="robots", error="disallowed by robots.txt", feed_id=g.id, at=T0),
        FetchLog(
            url=f.url,
            status="not_modified",
            http_status=304,
            feed_id=f.id,
            at=T0 + timedelta(minutes=5),
        ),
    ]
    for log in logs:
        store.record_fetch(log)
    assert store.fetch_log() == logs[::-1]
    assert store.fetch_log(feed_id=f.id) == [logs[2], logs[0]]
    assert store.fetch_log(limit=1) == [logs[2]]


# --- raw documents ----------------------------------------------------------------------------


def test_raw_document_round_trip_and_compression(store: Store) -> None:
    body = ("<p>Привіт, світ — café</p>" * 2000).encode("utf-8")
    raw = RawDocument(
        url="https://a.example/1",
        body=body,
        content_type="text/html",
        encoding="utf-8",
        http_status=200,
        headers={"ETag": '"x"', "X-Robots-Tag": "noarchive"},
        fetched_at=T0,
        final_url="https://a.example/1?r=1",
        feed_item=FeedItem(
            url="https://a.example/1", title="Т", summary="S", published=T0, lang="uk", guid="g1"
        ),
        origin="warc",
    )
    raw_id = store.save_raw(raw)
    assert store.get_raw(raw_id) == raw
    assert (
        store.get_raw(store.save_raw(RawDocument(url="https://a.example/2", body=b""))).body == b""
    )
    with pytest.raises(NotFoundError, match="raw document 999"):
        store.get_raw(999)
    with pytest.raises(StoreError, match="bytes"):
        store.save_raw(RawDocument(url="https://a.example/3", body="text, not bytes"))  # type: ignore[arg-type]


def test_raw_body_is_stored_compressed(backend, store: Store) -> None:  # type: ignore[no-untyped-def]
    body = b"aaaa" * 50_000
    raw_id = store.save_raw(RawDocument(url="https://a.example/big", body=body))
    row = store._one("SELECT body FROM raw_documents WHERE id = ?", [raw_id])  # type: ignore[attr-defined]
    assert len(bytes(row["body"])) < len(body) // 50


# --- articles -------------------------------------------------------------------------------


def test_article_round_trip_every_field(store: Store) -> None:
    a = full_article(store)
    b = full_article(store, url="https://example.org/a/2", duplicate_of=a.id, lineage_of=a.id)
    assert a.id is not None and b.id is not None and b.id > a.id
    got = store.get_article(a.id)  # type: ignore[arg-type]
    assert got == a
    assert all(isinstance(i, Image) for i in got.images) and isinstance(got.embeds[0], Embed)
    assert got.published == a.published and got.published.tzinfo is not None  # type: ignore[union-attr]
    assert got.published.utcoffset() == timedelta(0)  # type: ignore[union-attr]
    assert store.get_article(b.id) == b  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match="article 99999"):
        store.get_article(99999)


def test_article_defaults_round_trip(store: Store) -> None:
    a = store.add_article(Article(url="https://m.example/min"))
    assert store.get_article(a.id) == a  # type: ignore[arg-type]


def test_duplicate_article_url(store: Store) -> None:
    store.add_article(Article(url="https://d.example/1", title="one"))
    with pytest.raises(DuplicateArticleError, match="d.example/1"):
        store.add_article(Article(url="https://d.example/1", title="two"))
    assert store.count_articles() == 1


def test_update_article_and_search_follows(store: Store) -> None:
    a = store.add_article(Article(url="https://u.example/1", title="Old headline", text="zebra"))
    a.title, a.text, a.authors, a.status = "Новий заголовок", "giraffe", ["X"], "removed"
    store.update_article(a)
    assert store.get_article(a.id) == a  # type: ignore[arg-type]
    assert store.search_articles("zebra") == []
    assert [x.id for x in store.search_articles("giraffe")] == [a.id]
    assert [x.id for x in store.search_articles("заголовок")] == [a.id]
    with pytest.raises(NotFoundError):
        store.update_article(Article(url="https://u.example/none", id=4242))
    with pytest.raises(StoreError, match="no id"):
        store.update_article(Article(url="https://u.example/none"))


def test_find_by_url_canonical_and_hash(store: Store) -> None:
    a = store.add_article(
        Article(
            url="https://h.example/a?utm=1", canonical_url="https://h.example/a", content_hash="h1"
        )
    )
    b = store.add_article(Article(url="https://h.example/b", content_hash="h1"))
    c = store.add_article(Article(url="https://h.example/a", canonical_url="https://h.example/a"))
    assert store.find_article_by_url("https://h.example/a?utm=1").id == a.id  # type: ignore[union-attr]
    # exact url beats another article's canonical claim
    assert store.find_article_by_url("https://h.example/a").id == c.id  # type: ignore[union-attr]
    assert store.find_article_by_url("https://h.example/nope") is None
    assert store.has_url("https://h.example/a?utm=1") and store.has_url("https://h.example/a")
    assert not store.has_url("https://h.example/c")
    assert store.find_article_by_hash("h1").id == a.id  # type: ignore[union-attr]
    assert store.find_article_by_hash("nope") is None
    assert b.id


def test_find_by_canonical_only(store: Store) -> None:
    a = store.add_article(
        Article(url="https://k.example/amp/1", canonical_url="https://k.example/1")
    )
    assert store.find_article_by_url("https://k.example/1").id == a.id  # type: ignore[union-attr]
    assert store.has_url("https://k.example/1")


def test_list_count_iter_articles(store: Store) -> None:
    s1 = store.add_source(Source(name="S1", url="https://s1.example/"))
    s2 = store.add_source(Source(name="S2", url="https://s2.example/"))
    ids = []
    for i in range(7):
        art = store.add_article(
            Article(
                url=f"https://l.example/{i}",
                lang="en" if i % 2 else "fr",
                source_id=s1.id if i < 4 else s2.id,
            )
        )
        ids.append(art.id)
    store.add_article(
        Article(url="https://l.example/dup", lang="en", source_id=s2.id, duplicate_of=ids[0])
    )
    assert store.count_articles() == 8
    newest = [a.id for a in store.list_articles()]
    assert newest == sorted(newest, reverse=True) and len(newest) == 8
    assert [a.id for a in store.list_articles(limit=2, offset=1)] == newest[1:3]
    assert {a.lang for a in store.list_articles(lang="fr")} == {"fr"}
    assert len(store.list_articles(lang="fr")) == 4
    assert {a.source_id for a in store.list_articles(source_id=s2.id)} == {s2.id}
    assert len(store.list_articles(include_duplicates=False)) == 7
    assert len(store.list_articles(lang="en", source_id=s2.id, include_duplicates=False)) == 1
    assert len(store.list_articles(lang="en", source_id=s2.id)) == 2
    # the total a listing shows honours the same filters
    assert store.count_articles(lang="fr") == 4
    assert store.count_articles(include_duplicates=False) == 7
    assert store.count_articles(lang="en", source_id=s2.id, include_duplicates=False) == 1
    assert store.count_articles(lang="en", source_id=s2.id) == 2
    assert store.count_articles(lang="xx") == 0
    assert [a.id for a in store.iter_articles(batch=3)] == sorted(newest)
    assert [a.id for a in store.iter_articles()] == sorted(newest)
    with pytest.raises(StoreError, match="negative"):
        store.list_articles(limit=-1)
    with pytest.raises(StoreError, match="batch"):
        list(store.iter_articles(batch=0))


def test_iter_articles_allows_writes_while_iterating(store: Store) -> None:
    for i in range(5):
        store.add_article(Article(url=f"https://w.example/{i}"))
    seen = []
    for a in store.iter_articles(batch=2):
        seen.append(a.id)
        a.lang = "en"
        store.update_article(a)
    assert len(seen) == 5
    assert {a.lang for a in store.list_articles()} == {"en"}


def test_iter_articles_after_id(store: Store) -> None:
    ids = [store.add_article(Article(url=f"https://after.example/{i}")).id for i in range(5)]
    assert [a.id for a in store.iter_articles(batch=2, after_id=ids[2])] == ids[3:]


def test_article_foreign_key_is_enforced(store: Store) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        store.add_article(Article(url="https://fk.example/1", source_id=4242))
    assert store.count_articles() == 0


@pytest.mark.parametrize("bad", ["published", "fetched_at"])
def test_naive_or_wrong_datetimes_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(StoreError, match=f"Article.{bad}: naive"):
        store.add_article(Article(url="https://n.example/1", **{bad: datetime(2024, 1, 1)}))
    with pytest.raises(StoreError, match=f"Article.{bad}: expected a datetime"):
        store.add_article(Article(url="https://n.example/1", **{bad: "2024-01-01"}))
    with pytest.raises(StoreError, match="due_feeds"):
        store.due_feeds(datetime(2024, 1, 1))


def test_unserialisable_json_field_names_the_field(store: Store) -> None:
    with pytest.raises(StoreError, match="Article.entities"):
        store.add_article(Article(url="https://j.example/1", entities=[{"x": object()}]))


def test_nul_characters_are_dropped_the_same_way(store: Store) -> None:
    a = store.add_article(
        Article(url="https://z.example/1", title="a\x00b", text="c\x00d", authors=["e\x00f"])
    )
    got = store.get_article(a.id)  # type: ignore[arg-type]
    assert (got.title, got.text, got.authors) == ("ab", "cd", ["ef"])


# --- full-text search ---------------------------------------------------------------------------

DOCS = {
    "en": (
        "Captured soldiers interviewed",
        "Two captured Russian soldiers said they were told it was an exercise.",
    ),
    "ru": (
        "Пленные российские солдаты",
        "Москва отрицает, что солдаты попали в плен под Харьковом.",
    ),
    "uk": ("Полонені солдати", "Їхні матері дізналися про полон із відео."),
    "pt": (
        "Soldados russos capturados em São Paulo?",
        "A notícia foi publicada às pressas; a tradução é automática.",
    ),
    "fr": ("Les soldats capturés", "Le ministère a publié une déclaration à Kyïv."),
    "de": ("Gefangene Soldaten", "Die Straße war gesperrt, berichtet der Korrespondent."),
    "el": ("Αιχμάλωτοι στρατιώτες", "Η Μόσχα αρνείται τις κατηγορίες."),
}


@pytest.fixture
def corpus(store: Store) -> dict[str, int]:
    return {
        lang: store.add_article(
            Article(url=f"https://fts.example/{lang}", title=t, text=x, lang=lang)
        ).id  # type: ignore[misc]
        for lang, (t, x) in DOCS.items()
    }


SEARCH_CASES = [
    ("captured soldiers", {"en"}),
    ("CAPTURED", {"en"}),
    ("москва", {"ru"}),  # case-folded Cyrillic
    ("МОСКВА ОТРИЦАЕТ", {"ru"}),
    ("солдаты", {"ru"}),
    ("полон", {"uk"}),
    ("Їхні", {"uk"}),
    ("São Paulo", {"pt"}),  # accented query
    ("sao paulo", {"pt"}),  # unaccented query finds accented text
    ("notícia", {"pt"}),
    ("capturés", {"fr"}),
    ("captures", {"fr"}),
    ("Straße", {"de"}),
    ("Μόσχα", {"el"}),
    ("soldados russos", {"pt"}),
    ("soldiers notícia", set()),  # all words must match
    ("zzzz", set()),
]


def test_search_languages(store: Store, corpus: dict[str, int]) -> None:
    # one test over all cases: a fresh PostgreSQL schema per case would cost half a second each
    got = {query: {a.lang for a in store.search_articles(query)} for query, _ in SEARCH_CASES}
    assert got == dict(SEARCH_CASES)


def test_search_never_errors_on_syntax(store: Store, corpus: dict[str, int]) -> None:
    for query in [
        '"unbalanced',
        "AND OR NOT",
        "soldiers*",
        "col:value",
        "(",
        "NEAR(a b)",
        "'; DROP TABLE articles; --",
        "",
        "   ",
        "\x00",
        "title:Москва",
        "^soldiers",
    ]:
        store.search_articles(query)  # must not raise
    assert store.count_articles() == len(DOCS)
    assert {a.lang for a in store.search_articles("soldiers*")} == {"en"}


def test_search_title_ranks_first_and_limit(store: Store) -> None:
    body = store.add_article(
        Article(url="https://r.example/body", title="Other", text="Kharkiv is mentioned here once.")
    )
    head = store.add_article(
        Article(url="https://r.example/head", title="Kharkiv", text="Nothing else.")
    )
    assert [a.id for a in store.search_articles("kharkiv")] == [head.id, body.id]
    assert len(store.search_articles("kharkiv", limit=1)) == 1
    assert store.search_articles("kharkiv", limit=0) == []


# --- revisions, stories, embeddings, state -------------------------------------------------------


def test_revisions(store: Store) -> None:
    a = store.add_article(Article(url="https://rev.example/1", title="v3", text="third"))
    r2 = Revision(
        article_id=a.id,
        title="v2",
        text="second",
        content_hash="h2",
        seen_at=T0 + timedelta(hours=1),
    )  # type: ignore[arg-type]
    r1 = Revision(article_id=a.id, title=None, text="первый", content_hash="h1", seen_at=T0)  # type: ignore[arg-type]
    store.add_revision(r2)
    store.add_revision(r1)
    assert store.list_revisions(a.id) == [r1, r2]  # type: ignore[arg-type]
    assert store.list_revisions(4242) == []
    with pytest.raises(StoreError, match="does not exist"):
        store.add_revision(Revision(article_id=4242, title=None, text="x", content_hash="h"))


def test_stories_round_trip_list_and_clear(store: Store) -> None:
    a = full_article(store)
    b = full_article(store, url="https://example.org/a/2")
    s = Story(
        headlines={"uk": "Полонені", "en": "Captured", "pt": "Capturados às pressas"},
        languages=["uk", "en"],
        countries=["UA", "GB"],
        sources=["Example", "BBC"],
        first_seen=T0,
        last_updated=T0 + timedelta(hours=2),
        article_count=2,
        first_article_id=a.id,
        centroid=struct.pack("4f", 0.5, -1.0, 2.25, 0.0),
        timeline=[{"at": T0.isoformat(), "article_id": a.id, "lang": "uk", "title": "Полонені"}],
        entities=[{"text": "Харків", "type": "LOC", "count": 2}],
        quotes=[{"text": "we", "speaker": "he", "lang": "en"}],
    )
    store.save_story(s)
    assert s.id is not None and store.get_story(s.id) == s
    s.article_count, s.headlines["fr"] = 3, "Soldats capturés"
    store.save_story(s)
    assert store.get_story(s.id) == s
    older = store.save_story(Story(last_updated=T0))
    undated = store.save_story(Story())
    merged = store.save_story(Story(last_updated=T0 + timedelta(days=9), merged_into=s.id))
    assert [x.id for x in store.list_stories()] == [s.id, older.id, undated.id]
    assert [x.id for x in store.list_stories(limit=1, offset=1)] == [older.id]
    assert merged.id not in [x.id for x in store.list_stories()]
    for art in (b, a):
        art.story_id, art.lineage, art.lineage_of = s.id, "copy", a.id
        store.update_article(art)
    assert [x.id for x in store.story_articles(s.id)] == [a.id, b.id]
    assert store.story_articles(older.id) == []  # type: ignore[arg-type]
    store.clear_stories()
    assert store.list_stories() == []
    with pytest.raises(NotFoundError, match=f"story {s.id}"):
        store.get_story(s.id)
    for art in (a, b):
        got = store.get_article(art.id)  # type: ignore[arg-type]
        assert (got.story_id, got.lineage, got.lineage_of) == (None, None, None)
        assert got.title == art.title  # the rest of the article is untouched
    # the clusterer names a story after its first article: an unknown id is inserted as is
    assert store.save_story(Story(id=777, headlines={"en": "x"})).id == 777
    assert store.get_story(777).headlines == {"en": "x"}


def test_timeline_datetimes_are_stored_as_iso_text(store: Store) -> None:
    s = store.save_story(Story(timeline=[{"at": T0, "article_id": 1}]))
    assert store.get_story(s.id).timeline == [{"at": T0.isoformat(), "article_id": 1}]  # type: ignore[arg-type]


def test_embeddings(store: Store) -> None:
    a = store.add_article(Article(url="https://e.example/1"))
    v1 = struct.pack("3f", 0.1, 0.2, 0.3)
    store.save_embedding(a.id, "use-m3", v1)  # type: ignore[arg-type]
    store.save_embedding(a.id, "e5-small", b"\x00\x01")  # type: ignore[arg-type]
    assert store.get_embedding(a.id, "use-m3") == v1  # type: ignore[arg-type]
    v2 = struct.pack("3f", 1.0, 0.0, -1.0)
    store.save_embedding(a.id, "use-m3", v2)  # type: ignore[arg-type]  (replace)
    assert store.get_embedding(a.id, "use-m3") == v2  # type: ignore[arg-type]
    assert store.get_embedding(a.id, "e5-small") == b"\x00\x01"  # type: ignore[arg-type]
    assert store.get_embedding(a.id, "other") is None  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="does not exist"):
        store.save_embedding(4242, "use-m3", v1)
    with pytest.raises(StoreError, match="must be bytes"):
        store.save_embedding(a.id, "use-m3", [0.1, 0.2])  # type: ignore[arg-type]


def test_story_member_times_and_get_articles(store: Store) -> None:
    s = store.save_story(Story(headlines={"en": "x"}))
    a = store.add_article(Article(url="https://m.example/1", published=T0, story_id=s.id))
    b = store.add_article(Article(url="https://m.example/2", story_id=s.id))  # no published
    store.add_article(Article(url="https://m.example/3"))
    times = store.story_member_times(s.id)  # type: ignore[arg-type]
    assert [i for i, _, _ in times] == [a.id, b.id]
    assert times[0][1] == T0 and times[1][1] is None
    assert times[1][2] == store.get_article(b.id).fetched_at  # type: ignore[arg-type]
    assert times[1][2] is not None and times[1][2].tzinfo is not None
    got = store.get_articles([b.id, 4242, a.id, b.id])  # type: ignore[list-item]
    assert [x.id for x in got] == [a.id, b.id] and got[0].url == "https://m.example/1"
    assert store.get_articles([]) == []


def test_get_embeddings_reads_many_with_model_preference(store: Store) -> None:
    ids = [store.add_article(Article(url=f"https://e.example/m{i}")).id for i in range(1203)]
    for n, aid in enumerate(ids):  # more ids than one IN (...) chunk holds
        if n % 3 == 0:
            store.save_embedding(aid, "use-m3", struct.pack("f", n))  # type: ignore[arg-type]
        if n % 2 == 0:
            store.save_embedding(aid, "e5-small", struct.pack("f", -n))  # type: ignore[arg-type]
    got = store.get_embeddings([*ids, 99999, ids[0]], ["use-m3", "e5-small"])  # type: ignore[list-item]
    want = {}
    for n, aid in enumerate(ids):
        if n % 3 == 0:
            want[aid] = ("use-m3", struct.pack("f", n))
        elif n % 2 == 0:
            want[aid] = ("e5-small", struct.pack("f", -n))
    assert got == want
    assert list(got) == [aid for aid in ids if aid in want]  # in the order asked
    assert store.get_embeddings([], ["use-m3"]) == {}
    assert store.get_embeddings(ids[:3], ["e5-small"]) == {ids[0]: ("e5-small", struct.pack("f", 0)),  # type: ignore[dict-item]
                                                          ids[2]: ("e5-small", struct.pack("f", -2))}


def test_state(store: Store) -> None:
    assert store.get_state("cursor") is None
    store.set_state("cursor", "42")
    store.set_state("cursor", "43 — ünïcødé")
    store.set_state("other", "")
    assert store.get_state("cursor") == "43 — ünïcødé"
    assert store.get_state("other") == ""
    with pytest.raises(StoreError, match="cursor"):
        store.set_state("cursor", 44)  # type: ignore[arg-type]


# --- durability and transactions ------------------------------------------------------------------


def test_reopen_keeps_data(backend) -> None:  # type: ignore[no-untyped-def]
    first = backend.open()
    a = full_article(first)
    first.set_state("k", "v")
    first.close()
    second = backend.open()
    assert second.get_article(a.id) == a
    assert second.get_state("k") == "v"
    assert [x.id for x in second.search_articles("полонені")] == [a.id]


def test_writes_are_visible_to_another_connection_at_once(backend) -> None:  # type: ignore[no-untyped-def]
    writer, reader = backend.open(), backend.open()
    a = writer.add_article(Article(url="https://c.example/1", title="committed"))
    assert reader.get_article(a.id).title == "committed"


def test_failed_transaction_leaves_earlier_rows_intact(backend, store: Store) -> None:  # type: ignore[no-untyped-def]
    before = store.add_article(Article(url="https://t.example/before"))
    with pytest.raises(DuplicateArticleError), store.transaction():
        store.add_article(Article(url="https://t.example/inside-1"))
        store.set_state("k", "inside")
        store.add_article(Article(url="https://t.example/before"))  # fails midway
        store.add_article(Article(url="https://t.example/never"))
    assert [a.url for a in store.list_articles()] == [before.url]
    assert store.get_state("k") is None
    assert store.search_articles("inside") == []
    # the store is usable afterwards, and a second connection sees the same
    after = store.add_article(Article(url="https://t.example/after"))
    other = backend.open()
    assert [a.id for a in other.list_articles()] == [after.id, before.id]


def test_transaction_commits_all_and_survives_a_caught_error(store: Store) -> None:
    with store.transaction():
        store.add_article(Article(url="https://t.example/1"))
        with pytest.raises(DuplicateArticleError):
            store.add_article(Article(url="https://t.example/1"))  # rolled back alone
        store.add_article(Article(url="https://t.example/2"))
    assert store.count_articles() == 2


def test_transaction_rolls_back_on_any_exception(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_source(Source(name="A", url="https://a.example/"))
        raise RuntimeError("boom")
    assert store.list_sources() == []


def test_every_model_field_has_a_column(store: Store) -> None:
    from newsloom.store import _codec

    tables = {
        Source: "sources",
        Feed: "feeds",
        FetchLog: "fetch_log",
        RawDocument: "raw_documents",
        Article: "articles",
        Revision: "revisions",
        Story: "stories",
    }
    for model, table in tables.items():
        cols = _codec.columns(model)
        # selecting every field's column fails if one is missing
        store._rows(f"SELECT id, {', '.join(cols)} FROM {table} LIMIT 0")  # type: ignore[attr-defined]
        assert {f.name for f in dataclasses.fields(model)} - {"id"} == set(cols)


def test_iter_embeddings(store: Store) -> None:
    ids = [store.add_article(Article(url=f"https://ie.example/{i}")).id for i in range(5)]
    for i, article_id in enumerate(ids):
        if i != 2:
            store.save_embedding(article_id, "use-m3", bytes([i]) * 4)  # type: ignore[arg-type]
        store.save_embedding(article_id, "e5", b"e5")  # type: ignore[arg-type]
    got = list(store.iter_embeddings("use-m3", batch=2))
    assert got == [(ids[i], bytes([i]) * 4) for i in (0, 1, 3, 4)]
    assert len(list(store.iter_embeddings("e5"))) == 5
    assert list(store.iter_embeddings("none")) == []


def test_closed_store_raises_store_error(backend) -> None:  # type: ignore[no-untyped-def]
    store = backend.open()
    store.close()
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()
    with pytest.raises(StoreError, match="closed"):
        store.set_state("k", "v")
