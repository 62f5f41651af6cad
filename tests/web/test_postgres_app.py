"""The reader over PostgreSQL: the same pages, feeds and API answer from a store filled by direct
inserts (the pipeline's PostgreSQL path is covered by tests/e2e)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import feedparser
import pytest
from fastapi.testclient import TestClient
from store_backends import drop_schema, pg_schema_url, require_pg

from newsloom.config import Settings
from newsloom.models import Article, Source, Story
from newsloom.store import open_store
from newsloom.web import create_app


@pytest.fixture(scope="module")
def pg_client() -> Iterator[TestClient]:
    require_pg()
    schema = f"newsloom_webapp_{uuid.uuid4().hex[:12]}"
    url = pg_schema_url(schema)
    store = open_store(url)
    try:
        t0 = datetime(2026, 11, 20, tzinfo=timezone.utc)
        srcs = [store.add_source(Source(name=f"Outlet {c}", url=f"https://{c.lower()}.example.com/", country=c,
                                        language=lang)) for c, lang in (("PT", "pt"), ("DE", "de"), ("US", "en"))]
        for n in range(3):
            arts = []
            for k, src in enumerate(srcs[: n + 1]):
                arts.append(store.add_article(Article(
                    url=f"{src.url}story{n}/{k}", title=f"Harbour strike {n} <b>day</b> {src.language}",
                    text=f"Dock workers in harbour {n} walked out on Monday over pay. " * 5, lang=src.language,
                    source_id=src.id, source=src.name, country=src.country, published=t0 + timedelta(hours=n + k))))
            story = Story(id=arts[0].id, headlines={a.lang: a.title for a in arts}, languages=[a.lang for a in arts],
                          countries=[a.country for a in arts], sources=[a.source for a in arts],
                          first_seen=arts[0].published, last_updated=arts[-1].published, article_count=len(arts),
                          entities=[{"text": "Harbour Union", "type": "ORG", "count": 2},
                                    {"text": "Lisbon", "type": "LOC", "count": 2}])
            store.save_story(story)
            for a in arts:
                a.story_id = story.id
                store.update_article(a)
        with TestClient(create_app(store, Settings(db=url), semantic=False)) as c:
            yield c
    finally:
        store.close()
        drop_schema(schema)


def test_pages_feeds_api_on_postgres(pg_client: TestClient) -> None:
    items = pg_client.get("/api/stories").json()["items"]
    assert len(items) == 3 and len(items[0]["languages"]) == 3  # the broadest first
    first = pg_client.get("/api/stories?limit=1").json()
    second = pg_client.get(f"/api/stories?limit=1&cursor={first['next_cursor']}").json()
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert "Harbour strike" in pg_client.get("/?lang=de").text
    html = pg_client.get(f"/stories/{items[0]['id']}").text
    assert "Outlet PT" in html and "&lt;b&gt;day&lt;/b&gt;" in html and "Related stories" in html
    assert pg_client.get("/search", params={"q": "harbour workers"}).status_code == 200
    assert pg_client.get("/api/search", params={"q": "harbour workers"}).json()["groups"]
    assert not feedparser.parse(pg_client.get("/feeds/front.atom").content).bozo
    assert pg_client.get("/blindspots?langs=en").status_code == 200
    assert pg_client.get("/metrics").status_code == 200
