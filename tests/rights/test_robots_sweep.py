"""A Disallow added to robots.txt hides the pages already stored from those paths once the new
robots.txt is fetched (the sweep ``newsloom run`` makes after each pass)."""

from __future__ import annotations

from localserver import LocalServer

from newsloom.app import rights as uc
from newsloom.config import Settings
from newsloom.models import Feed, Source
from newsloom.pipeline import Pipeline
from newsloom.store.base import Store


def _page(title: str) -> str:
    text = " ".join(f"{title}: sentence {i} on the ferry timetable and the new harbour tariffs." for i in range(30))
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{text}</p></article></body></html>"


def test_new_disallow_hides_stored_pages(store: Store) -> None:
    with LocalServer() as srv:
        items = ""
        for path in ("/news/one", "/news/two", "/sport/three"):
            srv.route(path, _page(path), content_type="text/html")
            items += f"<item><title>{path}</title><link>{srv.url(path)}</link></item>"
        srv.route("/feed.xml", f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
                  content_type="application/rss+xml")
        settings = Settings(db=store.url, allow_private_networks=True, stories=False,
                            requests_per_second_per_host=1000.0, timeout_s=3.0, min_feed_interval_s=0)
        src = store.add_source(Source(name="Loop", url=srv.url("/")))
        store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
        pipe = Pipeline(store, settings)
        pipe.fetch_once()
        services = uc.Services(store, settings)
        assert uc.hide_disallowed(store, settings, pipe._robots, services) == 0  # no robots.txt: all allowed
        srv.robots("User-agent: *\nDisallow: /news/\n")
        pipe._robots.clear()  # as when the cached robots.txt expires (24 h), here and in the store
        with store.transaction():  # (PostgreSQL's workers share it: fetch/robots.py SharedRobots)
            store._execute("DELETE FROM robots_txt")  # type: ignore[attr-defined]
        pipe.fetch_once(feeds=store.list_feeds())
        assert uc.hide_disallowed(store, settings, pipe._robots, services) == 2
        assert uc.hide_disallowed(store, settings, pipe._robots, services) == 0  # once per robots.txt
    status = {a.url.split("/", 3)[3]: a.status for a in store.iter_articles()}
    assert status == {"news/one": "removed", "news/two": "removed", "sport/three": "ok"}
    assert store.audit_trail(None)[-1].step == "robots"  # type: ignore[attr-defined]
