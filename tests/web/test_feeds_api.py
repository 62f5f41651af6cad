"""Feeds out (Atom, RSS 2.0, JSON Feed 1.1, OPML), the JSON API, ETags, tokens, and the admin."""

from __future__ import annotations

import json

import feedparser
import pytest
from reader_world import story_ids
from lxml import etree

from newsloom.web.security import create_token


def feed_urls(client) -> list[str]:  # type: ignore[no-untyped-def]
    ids = story_ids(client)
    bases = ["/feeds/front", f"/feeds/story/{ids['quake']}", "/feeds/lang/es", "/feeds/source/1"]
    urls = [f"{b}.{fmt}" for b in bases for fmt in ("atom", "rss", "json")]
    urls += [f"/feeds/search.{fmt}?q=Sumatra" for fmt in ("atom", "rss", "json")]
    return urls


def test_every_feed_parses(client) -> None:
    for url in feed_urls(client):
        r = client.get(url)
        assert r.status_code == 200, url
        if url.split("?")[0].endswith(".json"):
            doc = json.loads(r.text)
            assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["items"], url
            assert all(i["url"].startswith("http") for i in doc["items"])
            continue
        parsed = feedparser.parse(r.content)
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        assert parsed.version in ("atom10", "rss20"), url
        assert parsed.entries and all(e.link.startswith("http") for e in parsed.entries), url


def test_story_feed_links_primary_sources(client) -> None:
    ids = story_ids(client)
    parsed = feedparser.parse(client.get(f"/feeds/story/{ids['quake']}.atom").content)
    links = {e.link for e in parsed.entries}
    assert "https://folha.example.com.br/news/quake-1" in links


def test_opml_export(client) -> None:
    r = client.get("/sources.opml")
    assert r.status_code == 200
    assert etree.fromstring(r.content).tag == "opml"


def test_etag_and_cache_control(client) -> None:
    r = client.get("/api/stories")
    assert r.headers["cache-control"].startswith("public") and r.headers["etag"]
    again = client.get("/api/stories", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_openapi_docs(client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/stories", "/api/stories/{story_id}", "/api/search", "/api/sources", "/api/articles/{article_id}"):
        assert path in spec["paths"], path
    docs = client.get("/docs")
    assert docs.status_code == 200 and "script-src 'self'" in docs.headers["content-security-policy"]
    assert "https://" not in docs.text and "<script>" not in docs.text  # no CDN, no inline script
    assert client.get("/docs/files/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/start.js").status_code == 200


def test_health_and_metrics(client) -> None:
    assert client.get("/healthz").json()["ok"] is True
    text = client.get("/metrics").text
    for name in ("newsloom_articles", "newsloom_stories", "newsloom_queue_lag_seconds",
                 "newsloom_http_request_seconds_bucket"):
        assert name in text, name


def test_writes_need_a_token(client, app_store) -> None:
    body = {"url": "https://new.example.com/rss", "name": "New", "country": "PT", "language": "pt"}
    assert client.post("/api/sources", json=body).status_code == 401
    assert client.post("/api/sources", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    token = create_token(app_store, "test")
    r = client.post("/api/sources", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    feed_id = r.json()["feed_id"]
    r = client.post(f"/api/feeds/{feed_id}/active", json={"active": False},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.json() == {"feed_id": feed_id, "active": False, "changed": True}
    bad = client.post("/api/sources", json={"url": "ftp://x"}, headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and "http" in bad.json()["detail"]


def test_admin_login_and_cross_site_posts(client, app_store) -> None:
    token = create_token(app_store, "admin")
    assert "API token" in client.get("/admin").text  # the login form
    assert client.post("/admin/login", data={"token": "wrong"}).status_code == 401
    r = client.post("/admin/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303 and "nl_admin" in r.headers["set-cookie"]
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    client.cookies.set("nl_admin", token)
    try:
        assert "Add a feed" in client.get("/admin").text
        same = client.post("/admin/feeds", data={"url": "https://same.example.com/rss"},
                           headers={"Origin": "http://testserver"}, follow_redirects=False)
        assert same.status_code == 303 and "added" in same.headers["location"]
        forged = client.post("/admin/feeds", data={"url": "https://evil.example.com/rss"},
                             headers={"Origin": "https://evil.example.com"})
        assert forged.status_code == 403
        forged = client.post("/admin/feeds", data={"url": "https://evil.example.com/rss"},
                             headers={"Sec-Fetch-Site": "cross-site"})
        assert forged.status_code == 403
        opml = (b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
                b'<outline text="X" type="rss" xmlUrl="https://x.example.com/feed"/></body></opml>')
        r = client.post("/admin/opml", files={"file": ("x.opml", opml, "text/xml")}, follow_redirects=False)
        assert r.status_code == 303 and "imported%201" in r.headers["location"]
    finally:
        client.cookies.clear()
    assert client.post("/admin/feeds", data={"url": "https://x.example.com/rss"}).status_code == 401


@pytest.mark.parametrize("path", ["/api/stories?lang=EN1", "/api/search", "/feeds/front.xml"])
def test_api_bad_params(client, path: str) -> None:
    assert client.get(path).status_code in (404, 422)
