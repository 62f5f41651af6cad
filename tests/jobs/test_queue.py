"""The job table: open-job keys, claims under leases, expiry, retries with back-off, the
dead-letter state; on PostgreSQL two claimers never get the same job (SKIP LOCKED)."""

from __future__ import annotations

import threading
import time

from newsloom.jobs.queue import FETCH_FEED, PROCESS_PAGE, backoff_s, enqueue
from newsloom.store import open_store


def test_enqueue_claim_finish_and_open_keys(db: str) -> None:
    with open_store(db) as store:
        assert enqueue(store, FETCH_FEED, {"feed_id": 1}, key="feed:1")
        assert enqueue(store, FETCH_FEED, {"feed_id": 1}, key="feed:1") is None  # one open per key
        [job] = store.claim_jobs("w1", limit=5)
        assert job.kind == FETCH_FEED and job.tries == 1 and job.state == "running"
        assert store.claim_jobs("w2") == []  # leased
        assert store.finish_job(job.id, "w1")
        assert enqueue(store, FETCH_FEED, {"feed_id": 1}, key="feed:1")  # closed: a new one may open
        assert store.job_counts() == {(FETCH_FEED, "done"): 1, (FETCH_FEED, "queued"): 1}


def test_expired_lease_is_claimed_again_and_the_old_holder_cannot_finish(db: str) -> None:
    with open_store(db) as store:
        enqueue(store, PROCESS_PAGE, {"url": "u", "html": "h"})
        [job] = store.claim_jobs("dead-worker", lease_s=0.2)
        time.sleep(0.4)
        [again] = store.claim_jobs("w2", lease_s=60)
        assert again.id == job.id and again.tries == 2 and again.worker == "w2"
        assert not store.finish_job(job.id, "dead-worker")
        assert store.finish_job(job.id, "w2")


def test_failures_back_off_then_dead_letter(db: str) -> None:
    with open_store(db) as store:
        enqueue(store, PROCESS_PAGE, {"url": "u"}, max_tries=3)
        states = []
        for _ in range(3):
            [job] = store.claim_jobs("w")
            states.append(store.fail_job(job.id, "w", "boom", backoff_s=0.0))
        assert states == ["queued", "queued", "dead"]
        assert store.claim_jobs("w") == []
        [dead] = store.list_jobs("dead")
        assert dead.tries == 3 and dead.last_error == "boom"
        enqueue(store, PROCESS_PAGE, {"url": "v"})
        [job] = store.claim_jobs("w")
        store.fail_job(job.id, "w", "later", backoff_s=3600)
        assert store.claim_jobs("w") == []  # backing off
        assert store.requeue_dead_jobs() == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_s(t) for t in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert backoff_s(40) == 3600.0


def test_concurrent_claims_never_share_a_job(pg: str) -> None:
    with open_store(pg) as store:
        for i in range(60):
            enqueue(store, PROCESS_PAGE, {"url": f"u{i}"})
    got: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def claimer(name: str) -> None:
        with open_store(pg) as s:
            while jobs := s.claim_jobs(name, limit=3):
                got[name] += [j.id for j in jobs]

    threads = [threading.Thread(target=claimer, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for v in got.values() for i in v]
    assert len(ids) == 60 and len(set(ids)) == 60


def test_the_singleton_lock_is_held_by_one_connection(pg: str) -> None:
    with open_store(pg) as a, open_store(pg) as b:
        assert a.try_singleton_lock("stories")
        assert not b.try_singleton_lock("stories")
    with open_store(pg) as c:  # a's connection closed: free again
        assert c.try_singleton_lock("stories")


def test_only_the_serial_lock_holder_executes_due_removals(pg: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from newsloom.app import rights
    from newsloom.config import Settings
    from newsloom.jobs.worker import Worker

    calls: list[str] = []

    class Report:
        executed, overdue = 1, []

    monkeypatch.setattr(rights, "run_due", lambda store, settings, services: calls.append("x") or Report())
    with open_store(pg) as a, open_store(pg) as b:
        wa = Worker(a, Settings(db=pg, stories=False), name="a", schedule=False)
        wb = Worker(b, Settings(db=pg, stories=False), name="b", schedule=False)
        wa.step()
        wb.step()
        wa.step()  # within removals_every_s: not again
        assert calls == ["x"] and wa.totals.removals == 1 and wb.totals.removals == 0


def test_a_worker_whose_clock_jumps_takes_no_live_lease_and_runs_no_backoff_early(pg: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL leases and back-offs are read on the database's clock, the one every
    worker shares: a worker whose own clock runs an hour ahead neither takes over a job another
    worker holds nor runs a job still backing off."""
    from datetime import timedelta

    from newsloom.models import utcnow
    from newsloom.store import _jobs

    with open_store(pg) as store:
        enqueue(store, PROCESS_PAGE, {"url": "held"})
        enqueue(store, PROCESS_PAGE, {"url": "backing off"}, max_tries=5)
        [held] = store.claim_jobs("w1", lease_s=60)
        [failing] = store.claim_jobs("w1", lease_s=60)
        assert store.fail_job(failing.id, "w1", "boom", backoff_s=600) == "queued"
        monkeypatch.setattr(_jobs, "utcnow", lambda: utcnow() + timedelta(hours=1))
        assert store.claim_jobs("jumped") == []
        assert store.finish_job(held.id, "w1")


def test_a_worker_follows_the_database_clock(pg: str, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """A worker on a machine whose clock is an hour behind aligns its process clock to the
    database server's (one log line), so the feeds it schedules are the ones due by the shared
    clock; a clock within tolerance is left alone."""
    import logging
    from datetime import UTC, datetime, timedelta

    from newsloom import models
    from newsloom.config import Settings
    from newsloom.jobs.worker import Worker

    real_now = datetime.now
    try:
        with open_store(pg) as store:
            worker = Worker(store, Settings(stories=False), name="w", schedule=False)
            worker._align_clock()
            assert models.clock_offset() == 0.0  # same machine: within tolerance

            class Behind(datetime):
                @classmethod
                def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
                    return real_now(tz) - timedelta(hours=1)

            monkeypatch.setattr("newsloom.jobs.worker.datetime", Behind)
            monkeypatch.setattr(models, "datetime", Behind)
            worker._clock_at = 0.0
            with caplog.at_level(logging.WARNING, logger="newsloom"):
                worker._align_clock()
            assert 3590 < models.clock_offset() < 3610
            assert abs((models.utcnow() - real_now(UTC)).total_seconds()) < 5  # the server's time
            assert "clock is -3600" in caplog.text
    finally:
        models.set_clock_offset(0.0)
