"""The reader on a store filled from Wikinews MEANTIME (480 documents: English articles and their
Spanish, Italian and Dutch translations) through the real pipeline: stories in four languages
on the front page, translation marks on a story page, an English query finding the Italian
report. Skipped when ../shared is absent; the store is built once (30-60 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsloom.config import Settings
from newsloom.store import open_store
from newsloom.web import create_app, demo


@pytest.fixture(scope="module")
def meantime_client(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    corpus = shared_dir / "corpora/wikinews-meantime/docs.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} not found")
    url = f"sqlite:///{tmp_path_factory.mktemp('meantime') / 'mt.db'}"
    with open_store(url) as store:
        demo.fill(store, Settings(db=url, workers=1), meantime=corpus)
    store = open_store(url)
    with TestClient(create_app(store, Settings(db=url), semantic=True)) as c:
        yield c
    store.close()


def test_front_page_and_story_in_four_languages(meantime_client) -> None:
    items = meantime_client.get("/api/stories?lang=nl&limit=100").json()["items"]
    four = [i for i in items if set(i["languages"]) == {"en", "es", "it", "nl"}]
    assert len(four) >= 100  # of MEANTIME's 120 stories
    story = meantime_client.get(f"/api/stories/{four[0]['id']}").json()
    marks = {a["lineage"] for vs in story["articles_by_language"].values() for a in vs}
    assert "translation" in marks and "first" in marks
    html = meantime_client.get(f"/stories/{four[0]['id']}").text
    assert "Italian" in html and "Dutch" in html and "translation" in html


def test_english_query_finds_the_italian_report(meantime_client) -> None:
    body = meantime_client.get("/api/search", params={"q": "Steve Jobs resigns Apple", "lang": "it"}).json()
    assert body["groups"] and all(a["lang"] == "it" for g in body["groups"] for a in g["articles"])
