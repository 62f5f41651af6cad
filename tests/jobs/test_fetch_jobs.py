"""Due feeds become fetch-feed jobs (one open job per feed however often it is scheduled), and a
worker's fetch-feed job stores the feed's pages; on both backends."""

from __future__ import annotations

import sys
from pathlib import Path

from localserver import LocalServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from test_cli_end_to_end import PARAS, page, rss  # noqa: E402

from newsloom.config import Settings  # noqa: E402
from newsloom.jobs.queue import FETCH_FEED  # noqa: E402
from newsloom.jobs.scheduler import schedule_due_feeds  # noqa: E402
from newsloom.jobs.worker import Worker  # noqa: E402
from newsloom.models import Feed  # noqa: E402
from newsloom.store import open_store  # noqa: E402


def test_fetch_feed_jobs_store_the_pages(db: str) -> None:
    with LocalServer() as srv:
        srv.route("/news/quake", page("Earthquake hits northern coast", PARAS["quake"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/news/budget", page("Parliament passes budget", PARAS["budget"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/feed.xml", rss(srv, [("Earthquake", "/news/quake"), ("Budget", "/news/budget")]),
                  headers={"Content-Type": "application/rss+xml"})
        with open_store(db) as store:
            store.add_feed(Feed(url=srv.url("/feed.xml")))
            assert schedule_due_feeds(store) == 1
            assert schedule_due_feeds(store) == 0  # already open
            w = Worker(store, Settings(db=db, stories=False, allow_private_networks=True, workers=1))
            w.run(exit_when_idle=True)
            assert store.job_counts() == {(FETCH_FEED, "done"): 1}
            assert store.count_articles() == 2
            assert schedule_due_feeds(store) == 0  # fetched: not due again yet
