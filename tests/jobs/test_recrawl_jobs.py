"""The recrawl in scale mode: the serial lock's holder turns due articles into ``recrawl`` jobs
(each article held, so never queued twice, and due again if its job never runs); any worker runs
them (a changed page becomes a revision, an unchanged one walks the schedule); a page found gone
is retracted by the worker holding the stories, itself or through a ``retract`` job that only it
claims; fetches that outlast the job's time are left for later, not counted as failures."""

from __future__ import annotations

import time
from datetime import timedelta

from localserver import LocalServer

from newsloom.app.recrawl import is_retracted
from newsloom.config import Settings
from newsloom.jobs.queue import FETCH_FEED, RECRAWL, RETRACT
from newsloom.jobs.recrawl import HOLD, run_recrawl_job, schedule_recrawl
from newsloom.jobs.worker import Worker
from newsloom.models import Feed, Source
from newsloom.pipeline import Pipeline
from newsloom.rights import recrawl as rule
from newsloom.store import open_store
from newsloom.store.base import Store

STEPS = "1s,1h,24h"  # the first recrawl due a second after the fetch: no clock games


def _page(title: str, extra: str = "") -> str:
    text = " ".join(f"{title}: sentence {i} on the ferry timetable and the new harbour tariffs." for i in range(30))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{text}</p>"
            f"<p>{extra}</p></article></body></html>")


def _site(srv: LocalServer, paths: list[str]) -> None:
    for path in paths:
        srv.route(path, _page(path), content_type="text/html")
    items = "".join(f"<item><title>{p}</title><link>{srv.url(p)}</link></item>" for p in paths)
    srv.route("/feed.xml", f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
              content_type="application/rss+xml")
    srv.route("/", "<html><head><title>Home</title></head><body><p>front page</p></body></html>",
              content_type="text/html")


def _settings(db: str, **kw: object) -> Settings:
    return Settings(db=db, allow_private_networks=True, stories=False, workers=1, recrawl_steps=STEPS,
                    requests_per_second_per_host=1000.0, timeout_s=3.0, min_feed_interval_s=3600, **kw)  # type: ignore[arg-type]


def _ids(store: Store) -> dict[str, int]:
    return {a.url.rsplit("/", 1)[1]: int(a.id) for a in store.iter_articles()}  # type: ignore[arg-type]


def _changes(srv: LocalServer) -> None:
    srv.route("/news/gone", "gone", status=410, content_type="text/plain")
    srv.route("/news/edit", _page("/news/edit", "Correction: the tariffs rise in May, not in March."),
              content_type="text/html")


def test_one_worker_fetches_schedules_recrawls_and_retracts(db: str) -> None:
    """SQLite and PostgreSQL: one worker does it all (it holds the serial lock)."""
    with LocalServer() as srv, open_store(db) as store:
        _site(srv, ["/news/gone", "/news/edit", "/news/same"])
        src = store.add_source(Source(name="Loop", url=srv.url("/")))
        store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
        w = Worker(store, _settings(db))
        w._recrawl_at = time.monotonic() + 3600  # a slow first fetch (a busy machine) must not meet the 1 s step
        w.run(exit_when_idle=True)
        ids = _ids(store)
        assert len(ids) == 3 and store.job_counts() == {(FETCH_FEED, "done"): 1}
        _changes(srv)
        time.sleep(1.2)  # the first step (1 s) falls due
        w._recrawl_at = 0.0  # as after recrawl_every_s
        assert w._stories() == 1  # one recrawl job queued: it looks again within a second, not 10
        assert w._recrawl_at - time.monotonic() <= w.recrawl_busy_s < w.recrawl_every_s
        w.run(exit_when_idle=True)
        assert store.job_counts()[(RECRAWL, "done")] == 1
        assert (RETRACT, "queued") not in store.job_counts()  # the holder of the stories retracts itself
        gone = store.get_article(ids["gone"])
        assert gone.status == "removed" and is_retracted(gone)
        edit = store.get_article(ids["edit"])
        assert "Correction" in edit.text and edit.updated is not None and len(store.list_revisions(ids["edit"])) == 1
        assert store.get_article(ids["same"]).status == "ok" and store.list_revisions(ids["same"]) == []
        for name in ("edit", "same"):  # one step done, the next due 1 h after the first fetch
            fetched = store.get_article(ids[name]).fetched_at
            assert store.recrawl_state(ids[name]) == (1, fetched + timedelta(hours=1))  # type: ignore[attr-defined]
        assert (w.totals.recrawled, w.totals.retracted) == (3, 1)
        w._recrawl_at = 0.0
        w.run(exit_when_idle=True)  # nothing due: nothing queued
        assert store.job_counts()[(RECRAWL, "done")] == 1
        assert w._recrawl_at - time.monotonic() > w.recrawl_busy_s  # and the next look in 10 s


def _five_crawled(srv: LocalServer, store: Store, db: str) -> tuple[Settings, object]:
    """Five pages crawled; returns the settings and a moment their first recrawl step is due."""
    _site(srv, [f"/news/{i}" for i in range(5)])
    src = store.add_source(Source(name="Loop", url=srv.url("/")))
    store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
    settings = _settings(db)
    Pipeline(store, settings).fetch_once()
    return settings, max(a.fetched_at for a in store.iter_articles()) + timedelta(seconds=2)  # type: ignore[type-var]


def test_held_articles_are_queued_once_and_come_back_if_their_job_never_runs(db: str) -> None:
    with LocalServer() as srv, open_store(db) as store:
        settings, now = _five_crawled(srv, store, db)
        steps = rule.parse_steps(STEPS)
        assert len(store.recrawl_due(now, *rule.window(now, steps), 100, 3)) == 5  # type: ignore[attr-defined]
        assert schedule_recrawl(store, settings, now, batch=2, open_cap=2) == 2  # the cap: 2 jobs of 2
        assert store.open_jobs(RECRAWL) == 2  # type: ignore[attr-defined]
        assert len(store.recrawl_due(now, *rule.window(now, steps), 100, 3)) == 1  # type: ignore[attr-defined]
        assert schedule_recrawl(store, settings, now, batch=2, open_cap=2) == 0  # full
        assert schedule_recrawl(store, settings, now, batch=2, open_cap=3) == 1  # the fifth
        assert store.recrawl_due(now, *rule.window(now, steps), 100, 3) == []  # type: ignore[attr-defined]
        # the jobs die (or wait behind a back-fill) past the hold: their articles fall due again,
        # and the status line counts them as late from the end of the hold
        later = now + HOLD + timedelta(seconds=1)
        assert len(store.recrawl_due(later, *rule.window(later, steps), 100, 3)) == 5  # type: ignore[attr-defined]
        assert store.recrawl_backlog(later, *rule.window(later, steps), 1.0, 3)[0] == 5  # type: ignore[attr-defined]


def test_articles_are_held_only_with_a_job_that_carries_them(db: str) -> None:
    """A job still open under the same key (its first article and step: a queue backed up past
    the hold) queues nothing new, and then holds nothing: held without a job, the chunk's other
    articles would wait an hour for nothing."""
    from newsloom.jobs.queue import enqueue

    with LocalServer() as srv, open_store(db) as store:
        settings, now = _five_crawled(srv, store, db)
        window = rule.window(now, rule.parse_steps(STEPS))
        first = store.recrawl_due(now, *window, 100, 3)[0][0]  # type: ignore[attr-defined]
        assert enqueue(store, RECRAWL, {"articles": [[first, 0]]}, key=f"recrawl:{first}:0") is not None
        assert schedule_recrawl(store, settings, now, batch=5, open_cap=10) == 0
        assert len(store.recrawl_due(now, *window, 100, 3)) == 5  # type: ignore[attr-defined]  # none held


def test_a_retried_job_skips_what_it_did_and_a_slow_host_is_left_for_later(db: str) -> None:
    with LocalServer() as srv, open_store(db) as store:
        _site(srv, ["/news/a", "/news/b", "/news/slow"])
        src = store.add_source(Source(name="Loop", url=srv.url("/")))
        store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
        settings = _settings(db)
        pipe = Pipeline(store, settings, with_stories=False)
        pipe.fetch_once()
        ids = _ids(store)
        time.sleep(1.2)
        job = {"articles": [[ids["a"], 0], [ids["b"], 0], [ids["slow"], 0]]}
        srv.route("/news/slow", _page("/news/slow"), content_type="text/html", delay=3.0)
        store.hold_recrawl(list(ids.values()), time_now := store.get_article(ids["a"]).fetched_at + HOLD)  # type: ignore[attr-defined]
        rep = run_recrawl_job(store, settings, pipe, job, within_s=1.0)
        assert (rep.checked, rep.unchanged, rep.errors) == (2, 2, 0)  # the slow page: not a failure
        assert store.recrawl_state(ids["slow"]) == (0, time_now)  # type: ignore[attr-defined]  # held, for a later job
        assert store.recrawl_state(ids["a"])[0] == 1  # type: ignore[attr-defined]
        # the same job again (its worker was killed before finishing it): the done ones are skipped
        srv.route("/news/slow", _page("/news/slow"), content_type="text/html")
        before = len(srv.requests_for("/news/a"))
        rep = run_recrawl_job(store, settings, pipe, job)
        assert rep.checked == 1 and len(srv.requests_for("/news/a")) == before
        assert store.recrawl_state(ids["slow"])[0] == 1  # type: ignore[attr-defined]


def test_a_worker_without_the_stories_hands_the_retraction_to_the_one_with_them(pg: str) -> None:
    """PostgreSQL, two workers: A holds the serial lock, B runs the recrawl job and finds a page
    gone; B never retracts (it cannot reach the stories) but queues a retract job, which B does
    not claim and A does."""
    with LocalServer() as srv, open_store(pg) as store_a, open_store(pg) as store_b:
        _site(srv, ["/news/gone", "/news/edit", "/news/same"])
        src = store_a.add_source(Source(name="Loop", url=srv.url("/")))
        store_a.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
        settings = _settings(pg)
        Pipeline(store_a, settings, with_stories=False).fetch_once()
        ids = _ids(store_a)
        a = Worker(store_a, settings, name="A", schedule=False)
        a._recrawl_at = time.monotonic() + 3600  # A schedules nothing by itself in this test
        a.run(exit_when_idle=True)  # takes the serial lock
        assert a._story_pipeline is not None
        _changes(srv)
        time.sleep(1.2)
        assert schedule_recrawl(store_a, settings) == 1
        b = Worker(store_b, settings, name="B", schedule=False)
        b.run(exit_when_idle=True)
        assert b._story_pipeline is None and (b.totals.recrawled, b.totals.retracted) == (3, 0)
        counts = store_b.job_counts()
        assert counts[(RECRAWL, "done")] == 1 and counts[(RETRACT, "queued")] == 1
        assert store_b.get_article(ids["gone"]).status == "ok"  # not yet: only A may
        assert "Correction" in store_b.get_article(ids["edit"]).text  # the revision is B's to store
        a.run(exit_when_idle=True)
        assert store_a.job_counts()[(RETRACT, "done")] == 1 and a.totals.retracted == 1
        assert [j.worker for j in store_a.list_jobs("done") if j.kind == RETRACT] == ["A"]
        assert is_retracted(store_a.get_article(ids["gone"]))
