"""Housekeeping (app/housekeeping.py, migration 0010) on both backends: fetched pages, fetch-log
entries and finished jobs older than their settings are deleted, oldest first, in batches; the
articles keep everything but the page's bytes; dead letters, open jobs and a back-fill's record
of what it did stay; the fetch counters on /metrics never go down; a dry run counts and deletes
nothing; ``newsloom prune`` says what it did."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from newsloom.app import housekeeping
from newsloom.config import Settings
from newsloom.models import Article, FetchLog, RawDocument, utcnow
from newsloom.store.base import Store

NOW = utcnow()
OLD = NOW - timedelta(days=40)  # past every default (30, 30, 7 days)


def _article(store: Store, name: str, fetched_at: object) -> int:
    raw_id = store.save_raw(RawDocument(url=f"https://example.org/{name}", body=b"<html>" + random.Random(name).randbytes(4000),
                                        fetched_at=fetched_at))  # type: ignore[arg-type]
    art = store.add_article(Article(url=f"https://example.org/{name}", title=f"Harbour {name}",
                                    text=f"The harbour tariffs of {name} rise in May.", raw_id=raw_id,
                                    fetched_at=fetched_at))  # type: ignore[arg-type]
    return int(art.id)  # type: ignore[arg-type]


def _jobs(store: Store) -> dict[str, int]:
    """One job in each state worth telling apart; all of them finished (or not) 40 days ago."""
    s = store  # the queue's methods are SQLStore's
    ids = {}
    for name in ("done", "dead", "queued", "batch"):
        if name == "batch":
            s.enqueue_batch("process-page", "ingest:abc", [("ingest:abc@0", "{}")])  # type: ignore[attr-defined]
            ids[name] = s.list_jobs("queued", limit=10)[-1].id  # type: ignore[attr-defined]
        else:
            ids[name] = s.enqueue_job("fetch-feed", json.dumps({"feed_id": len(ids)}), max_tries=1)  # type: ignore[attr-defined]
    with s.transaction():  # claimed by worker "w", its last try
        for name in ("done", "dead", "batch"):
            s._execute("UPDATE jobs SET state = 'running', worker = 'w', tries = max_tries WHERE id = ?",  # type: ignore[attr-defined]
                       [ids[name]])
    s.finish_job(ids["done"], "w")  # type: ignore[attr-defined]
    s.finish_job(ids["batch"], "w")  # type: ignore[attr-defined]
    assert s.fail_job(ids["dead"], "w", "always fails", 0.0) == "dead"  # type: ignore[attr-defined]
    with s.transaction():
        s._execute("UPDATE jobs SET updated_at = ?", [s._dt_in(OLD)])  # type: ignore[attr-defined]
    return ids


def test_old_pages_log_and_jobs_go_articles_and_what_the_operator_needs_stay(store: Store) -> None:
    old_id, new_id = _article(store, "old", OLD), _article(store, "new", NOW)
    for at, status in ((OLD, "ok"), (OLD, "http_error"), (NOW, "ok")):
        store.record_fetch(FetchLog(url="https://example.org/feed", status=status, at=at))
    jobs = _jobs(store)
    counters = store.fetch_outcomes()  # type: ignore[attr-defined]
    assert counters == {"ok": 2, "http_error": 1}
    settings = Settings(db="sqlite://")

    would = housekeeping.plan(store, settings, NOW)
    assert {k: n for k, (n, _) in would.items()} == {"pages": 1, "fetch_log": 2, "jobs": 1, "fetch_caches": 0}
    assert would["pages"][1] > 1000  # the stored page's bytes (compressed)
    assert store.get_article(old_id).raw_id is not None  # a dry run deletes nothing

    done = housekeeping.prune(store, settings, NOW)
    assert done.deleted == {"pages": 1, "fetch_log": 2, "jobs": 1} and done.complete
    old = store.get_article(old_id)
    assert old.raw_id is None and old.text.startswith("The harbour tariffs of old")  # only the bytes went
    assert old.title == "Harbour old" and old.status == "ok"
    assert {a.id for a in store.search_articles("tariffs")} == {old_id, new_id}  # still found
    assert store.get_article(new_id).raw_id is not None  # 0 days old: kept
    assert store.fetch_outcomes() == counters  # type: ignore[attr-defined]  # a counter never goes down
    assert [e.at >= NOW - timedelta(seconds=1) for e in store.fetch_log()] == [True]
    left = {j.id: j.state for state in ("done", "dead", "queued") for j in store.list_jobs(state, limit=10)}  # type: ignore[attr-defined]
    assert left == {jobs["dead"]: "dead", jobs["queued"]: "queued", jobs["batch"]: "done"}
    assert housekeeping.prune(store, settings, NOW).total == 0  # nothing left to do
    store.record_fetch(FetchLog(url="https://example.org/feed", status="ok", at=NOW))
    assert store.fetch_outcomes() == {"ok": 3, "http_error": 1}  # type: ignore[attr-defined]


def test_batches_oldest_first_within_a_budget_and_settings_of_zero_keep(store: Store) -> None:
    ids = [_article(store, f"p{i}", OLD + timedelta(hours=i)) for i in range(5)]
    keep_all = Settings(db="sqlite://", keep_pages_days=0, keep_fetch_log_days=0, keep_done_jobs_days=0)
    assert housekeeping.cutoffs(keep_all) == {} and housekeeping.prune(store, keep_all, NOW).total == 0
    settings = Settings(db="sqlite://")
    out_of_time = housekeeping.prune(store, settings, NOW, budget_s=0.0)
    assert not out_of_time.complete and out_of_time.total == 0
    assert store.prune("pages", NOW - timedelta(days=30), limit=2) == 2  # type: ignore[attr-defined]
    assert [store.get_article(i).raw_id is None for i in ids] == [True, True, False, False, False]  # oldest first
    assert housekeeping.prune(store, settings, NOW, batch=2).deleted["pages"] == 3  # batches until none left


def test_fetch_caches_of_sites_nobody_asks_go(store: Store) -> None:
    """robots.txt copies and host slots (one row per site, shared by fetchers: migration 0011)
    stay while a site is fetched and go a day after it stops, so the sites a store once followed
    do not stay for good."""
    s = store
    s.save_robots_txt("https://gone.example", 200, "User-agent: *", NOW - timedelta(days=2))  # type: ignore[attr-defined]
    s.save_robots_txt("https://live.example", 200, "User-agent: *", NOW + timedelta(hours=20))  # type: ignore[attr-defined]
    s.book_host_slot("live.example", 0.0, 1.0)  # type: ignore[attr-defined]  # booked now, on the db's clock
    with s.transaction():
        s._execute("INSERT INTO host_slots (host, next_at) VALUES (?, ?)",  # type: ignore[attr-defined]
                   ["gone.example", (NOW - timedelta(days=3)).timestamp()])
    assert housekeeping.plan(s, Settings(db="sqlite://"), NOW)["fetch_caches"] == (2, 0)
    done = housekeeping.prune(s, Settings(db="sqlite://", keep_pages_days=0, keep_fetch_log_days=0,
                                          keep_done_jobs_days=0), NOW)
    assert done.deleted == {"fetch_caches": 2}  # with every keep_* setting at 0 too: caches, not data
    assert s.robots_txt("https://live.example", NOW) is not None  # type: ignore[attr-defined]
    assert {r["host"] for r in s._rows("SELECT host FROM host_slots", [])} == {"live.example"}  # type: ignore[attr-defined]
    assert s.prune_fetch_caches(NOW - timedelta(days=1)) == 0  # type: ignore[attr-defined]


def test_prune_command(tmp_path: Path) -> None:
    from newsloom.cli.main import cli
    from newsloom.store import open_store

    db = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(db, create=True) as store:
        _article(store, "old", OLD)
    dry = CliRunner().invoke(cli, ["--db", db, "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "fetched pages older than 30 days: 1 would be deleted (" in dry.output
    as_json = json.loads(CliRunner().invoke(cli, ["--db", db, "prune", "--dry-run", "--json"]).output)
    assert as_json["would_delete"]["pages"]["rows"] == 1 and as_json["keep_days"]["jobs"] == 7
    res = CliRunner(env={"NEWSLOOM_KEEP_FETCH_LOG_DAYS": "0"}).invoke(cli, ["--db", db, "prune"])
    assert res.exit_code == 0, res.output
    assert "fetched pages older than 30 days: 1 deleted" in res.output
    assert "fetch-log entries: kept for good (keep_fetch_log_days = 0)" in res.output


def test_the_daemon_and_the_serial_worker_keep_house(tmp_path: Path) -> None:
    """`run` after a pass, the worker holding the serial lock: at the first chance, then hourly."""
    from newsloom.cli.main import cli
    from newsloom.jobs.worker import Worker
    from newsloom.store import open_store

    db = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(db, create=True) as store:
        first = _article(store, "first", OLD)
    res = CliRunner().invoke(cli, ["--db", db, "run", "--once", "--no-web", "--no-default-sources"])
    assert "housekeeping: deleted 1 fetched pages" in res.output, res.output
    with open_store(db) as store:
        assert store.get_article(first).raw_id is None
        second = _article(store, "second", OLD)
        w = Worker(store, Settings(db=db, stories=False))
        w.run(exit_when_idle=True)
        assert store.get_article(second).raw_id is None
        third = _article(store, "third", OLD)
        w._removals_at = 0.0
        w.run(exit_when_idle=True)
        assert store.get_article(third).raw_id is not None  # not due again for an hour
