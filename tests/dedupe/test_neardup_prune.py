"""The shared near-duplicate index (``neardup_keys``) is kept to ``near_duplicate_window``
articles, like the in-memory index: the keys of older articles are pruned in bounded batches by
the periodic maintenance of ``newsloom worker`` (the serial lock's holder) and ``newsloom run``.
After more than the window of articles the table is bounded, copies inside the window are still
found, and a copy of an article outside it is new (as with the in-memory index)."""

from __future__ import annotations

import threading
from pathlib import Path

from neardup_pages import near_copy, page, words

from newsloom.config import Settings
from newsloom.dedupe.neardup import NearDupIndex
from newsloom.jobs.queue import PROCESS_PAGE, enqueue
from newsloom.jobs.worker import Worker
from newsloom.models import Article, RawDocument
from newsloom.pipeline import Pipeline
from newsloom.store import open_store

BANDS = NearDupIndex().bands


def _raw(url: str, ws: list[str], title: str) -> RawDocument:
    return RawDocument(url=url, body=page(ws, title).encode(), content_type="text/html")


def _key_ids(store) -> set[int]:  # type: ignore[no-untyped-def]
    return {int(r["article_id"]) for r in store._rows("SELECT DISTINCT article_id FROM neardup_keys")}


def test_store_prunes_keys_outside_the_window_in_bounded_batches(db: str) -> None:
    index = NearDupIndex()
    with open_store(db) as store:
        ids = []
        for i in range(30):
            a = store.add_article(Article(url=f"https://a.example/{i}", title=f"A{i}", text=" ".join(words(i))))
            store.set_neardup_keys(a.id, index.band_keys(index.signature(a.text or "")))
            ids.append(a.id)
        assert store.count_neardup_keys() == 30 * BANDS
        assert store.prune_neardup_keys(0) == 0  # 0: no window, nothing pruned
        assert store.prune_neardup_keys(100) == 0  # fewer articles than the window
        # bounded: 4 articles a batch, 2 batches a call -> 8 articles' keys at most
        assert store.prune_neardup_keys(10, articles_per_batch=4, max_batches=2) == 8 * BANDS
        assert min(_key_ids(store)) == ids[8]
        while store.prune_neardup_keys(10, articles_per_batch=4, max_batches=2):
            pass
        assert _key_ids(store) == set(ids[-10:])  # exactly the newest 10 by id
        assert store.count_neardup_keys() == 10 * BANDS
        near = index.band_keys(index.signature(" ".join(near_copy(words(29)))))
        assert [c[0] for c in store.neardup_candidates(near)] == [ids[29]]
        old = index.band_keys(index.signature(" ".join(near_copy(words(0)))))
        assert store.neardup_candidates(old) == []


def test_pipeline_shared_index_bounded_and_copies_in_the_window_found(db: str, tmp_path: Path) -> None:
    """More than the window of articles through the pipeline with the shared index (PostgreSQL's
    default; near_duplicate_index = "store" on SQLite), pruned after each "pass"; the in-memory
    index with the same window gives the same verdicts."""
    window, n = 12, 40
    settings = Settings(db=db, stories=False, near_duplicate_window=window, near_duplicate_index="store")
    with open_store(db) as store:
        pipeline = Pipeline(store, settings)
        assert pipeline.deduper.shared
        for i in range(n):
            out = pipeline.process_raw(_raw(f"https://a.example/{i}", words(i), f"Report {i}"))
            assert out.status == "new", out
            if i % 10 == 9:
                pipeline.deduper.prune()
                assert store.count_neardup_keys() <= window * BANDS
        pipeline.deduper.prune()
        assert store.count_neardup_keys() == window * BANDS
        newest = max(a.id for a in store.iter_articles())
        assert _key_ids(store) == set(range(newest - window + 1, newest + 1))
        recent = pipeline.process_raw(_raw("https://b.example/recent", near_copy(words(n - 3)), "Copy"))
        assert recent.status == "near_duplicate"
        assert recent.of == store.find_article_by_url(f"https://a.example/{n - 3}").id
        old = pipeline.process_raw(_raw("https://b.example/old", near_copy(words(2)), "Copy"))
        assert old.status == "new"  # outside the window: the in-memory index forgets it too
    mem = Settings(db=f"sqlite:///{tmp_path / 'memory.db'}", stories=False, near_duplicate_window=window,
                   near_duplicate_index="memory")
    with open_store(mem.db) as store:  # the in-memory index, same window: the same verdicts
        p = Pipeline(store, mem)
        for i in range(n):
            p.process_raw(_raw(f"https://a.example/{i}", words(i), f"Report {i}"))
        assert p.process_raw(_raw("https://b.example/recent", near_copy(words(n - 3)), "Copy")).status == "near_duplicate"
        assert p.process_raw(_raw("https://b.example/old", near_copy(words(2)), "Copy")).status == "new"


def test_worker_holding_the_serial_lock_prunes_while_two_work(pg: str) -> None:
    """Two workers on PostgreSQL take the jobs; the serial lock's holder prunes in its periodic
    maintenance (here every step): at the end the table holds the window and no more."""
    window, n = 15, 50
    settings = Settings(db=pg, stories=False, near_duplicate_window=window)
    with open_store(pg) as store:
        for i in range(n):
            enqueue(store, PROCESS_PAGE, {"url": f"https://a.example/{i}", "html": page(words(i), f"Report {i}")})
    stores = [open_store(pg) for _ in range(2)]
    try:
        workers = [Worker(s, settings, name=f"w{i}", schedule=False) for i, s in enumerate(stores)]
        for w in workers:
            w.removals_every_s = 0.0  # maintenance on every step
        errors: list[BaseException] = []

        def go(w: Worker) -> None:
            try:
                w.run(exit_when_idle=True, idle_s=0.05)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=go, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors
        assert sum(w.totals.done for w in workers) == n
        holder = next(w for w in workers if w._story_pipeline is not None)
        holder.step()  # one more round of maintenance after the last job
        assert stores[0].count_neardup_keys() == window * BANDS
        # a copy of a recent article is still found, by either worker
        other = next(w for w in workers if w is not holder)
        copy = other.pipeline.process_raw(_raw("https://b.example/1", near_copy(words(n - 1)), "Copy"))
        assert copy.status == "near_duplicate"
    finally:
        for s in stores:
            s.close()


def test_two_processes_pruning_at_once_delete_each_row_once(pg: str) -> None:
    """`newsloom run` beside workers, or two prunes racing: one prunes, the other returns at once
    (a try-lock, no waiting); nothing is deleted twice or left behind."""
    index = NearDupIndex()
    with open_store(pg) as store:
        for i in range(60):
            a = store.add_article(Article(url=f"https://a.example/{i}", title=f"A{i}", text=" ".join(words(i))))
            store.set_neardup_keys(a.id, index.band_keys(index.signature(a.text or "")))
    stores = [open_store(pg) for _ in range(2)]
    try:
        barrier, got = threading.Barrier(2), []

        def prune(s) -> None:  # type: ignore[no-untyped-def]
            barrier.wait()
            total = 0
            while n := s.prune_neardup_keys(10, articles_per_batch=2, max_batches=3):
                total += n
            got.append(total)

        threads = [threading.Thread(target=prune, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sum(got) == 50 * BANDS
        assert stores[0].count_neardup_keys() == 10 * BANDS
    finally:
        for s in stores:
            s.close()


def test_newsloom_run_prunes_after_its_pass(pg: str) -> None:
    """`newsloom run --once` on PostgreSQL: 30 pages fetched from a loopback feed with a window of
    8; after the pass its maintenance leaves the keys of the newest 8 articles."""
    import os
    import subprocess
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from newsloom.app.sources import add_source, check_new_feed

    pages = {f"/p/{i}": page(words(i), f"Report {i}").encode() for i in range(30)}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/feed.xml":
                items = "".join(f"<item><title>Report {i}</title><link>{base}/p/{i}</link><guid>{i}</guid></item>"
                                for i in range(30))
                body, kind = (f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><link>{base}/</link>"
                              f"<description>d</description>{items}</channel></rss>").encode(), "application/rss+xml"
            elif self.path in pages:
                body, kind = pages[self.path], "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with open_store(pg) as store:
            add_source(store, Settings(db=pg), check_new_feed(f"http://127.0.0.1:{httpd.server_address[1]}/feed.xml",
                                                               name="Loopback"))
        env = {**os.environ, "NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "true", "NEWSLOOM_REQUESTS_PER_SECOND_PER_HOST": "500",
               "NEWSLOOM_WORKERS": "1", "NEWSLOOM_STORIES": "false", "NEWSLOOM_NEAR_DUPLICATE_WINDOW": "8"}
        r = subprocess.run([sys.executable, "-m", "newsloom", "run", "--once", "--no-default-sources", "--db", pg],
                           capture_output=True, text=True, timeout=240, env=env)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert r.returncode == 0, r.stdout + r.stderr
    with open_store(pg) as store:
        assert store.count_articles() == 30
        newest = max(a.id for a in store.iter_articles())
        assert _key_ids(store) == set(range(newest - 7, newest + 1))
