"""Signals obeyed through a real fetch from the loopback server: X-Robots-Tag noindex (not
stored), meta nosnippet / max-snippet / data-nosnippet (snippet), TDM reservation (kept on the
article for the stories stage), a past unavailable_after (not stored)."""

from __future__ import annotations

from localserver import LocalServer

from newsloom.app.stories import public_article
from newsloom.config import Settings
from newsloom.models import Feed, Source
from newsloom.pipeline import Pipeline
from newsloom.rights import policy
from newsloom.store.base import Store

TEXT = " ".join(f"Sentence {i} about the regional election count and the turnout in the north."
                for i in range(30))


def _page(title: str, head: str = "", extra: str = "") -> str:
    return (f"<html lang='en'><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
            f"<p>{TEXT}</p>{extra}</article></body></html>")


def test_signals_from_headers_and_meta_through_the_pipeline(store: Store) -> None:
    with LocalServer() as srv:
        items = ""
        pages = {
            "/noindex": (_page("Hidden page"), {"X-Robots-Tag": "newsloom: noindex"}),
            "/nosnippet": (_page("No snippet page", '<meta name="robots" content="nosnippet">'), {}),
            "/short": (_page("Short snippet page", '<meta name="robots" content="max-snippet:20">',
                             "<p data-nosnippet>Private aside for readers only.</p>"), {}),
            "/tdm": (_page("Reserved page"), {"tdm-reservation": "1"}),
            "/expired": (_page("Old page"), {"X-Robots-Tag": "unavailable_after: 2001-01-01"}),
        }
        for path, (body, headers) in pages.items():
            srv.route(path, body, headers=headers, content_type="text/html; charset=utf-8")
            items += f"<item><title>{path}</title><link>{srv.url(path)}</link></item>"
        srv.route("/feed.xml", f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
                  content_type="application/rss+xml")
        settings = Settings(db=store.url, allow_private_networks=True, stories=False,
                            requests_per_second_per_host=1000.0, timeout_s=3.0)
        src = store.add_source(Source(name="Loop", url=srv.url("/")))
        store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
        summary, _ = Pipeline(store, settings).fetch_once()
    stored = sum(n for k, n in summary.counts.items() if k in ("new", "duplicate", "near_duplicate"))
    assert summary.counts["withheld"] == 2 and stored == 3, summary.counts
    arts = {a.url.rsplit("/", 1)[-1]: a for a in store.iter_articles()}
    assert set(arts) == {"nosnippet", "short", "tdm"}
    assert public_article(arts["nosnippet"])["snippet"] == ""
    short = policy.snippet_for(arts["short"], settings)
    assert 0 < len(short) <= 21 and "Private" not in short
    assert arts["short"].rights["nosnippet_text"] == ["Private aside for readers only."]
    assert arts["tdm"].rights == {"tdm_reserved": True} and policy.mining_text(arts["tdm"]) == ""
