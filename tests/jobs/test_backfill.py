"""Back-fill through the queue (`newsloom ingest --queue`, PostgreSQL): an archive's records become
process-page jobs that workers run; interrupting the queueing and killing a worker, then running
the command again, stores every record exactly once and queues nothing twice. On SQLite the queue
is refused with a clear line, and the in-process ingest skips stored records before extracting."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsloom.config import Settings
from newsloom.jobs import backfill
from newsloom.jobs.queue import PROCESS_PAGE
from newsloom.pipeline import Pipeline
from newsloom.store import open_store

WORDS = ("river council harbour minister railway budget storm village school hospital bridge court "
         "farmers election museum factory police festival airport forest mayor union teachers drought "
         "satellite market energy workers coast library tunnel vaccine").split()
ENV = {**os.environ, "NEWSLOOM_STORIES": "false"}  # stories have their own tests; these are about the queue


def _text(i: int) -> str:
    rnd = random.Random(i)
    paras = [" ".join(rnd.choice(WORDS) + str(rnd.randrange(90)) for _ in range(45)) + "." for _ in range(4)]
    return "\n\n".join(paras)


def _archive(tmp: Path, pages: int = 10, docs: int = 10) -> list[Path]:
    warc = tmp / "news.warc.gz"
    with warc.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for i in range(pages):
            body = "".join(f"<p>{p}</p>" for p in _text(i).split("\n\n"))
            html = f"<html><head><title>Page {i}</title></head><body><article><h1>Page {i}</h1>{body}</article></body></html>"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(f"https://news.example/{i}", "response",
                                                payload=io.BytesIO(html.encode()), http_headers=http))
    jsonl = tmp / "corpus.jsonl"
    jsonl.write_text("".join(json.dumps({"doc_id": f"d{i}", "title": f"Doc {i}", "text": _text(1000 + i),
                                         "lang": "en", "url": f"https://corpus.example/{i}"}) + "\n"
                             for i in range(docs)) + "{not json\n")
    return [warc, jsonl]


def _cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def _wait(cond, timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


def test_queue_interrupted_worker_killed_rerun_every_record_once(pg: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _archive(tmp_path)
    n = 20
    # 1. queueing interrupted after its first transaction (5 records)
    monkeypatch.setattr(backfill, "CHUNK", 5)

    def interrupt(q: backfill.Queued) -> None:
        raise KeyboardInterrupt

    with open_store(pg) as store, pytest.raises(KeyboardInterrupt):
        backfill.enqueue_paths(store, paths, on_chunk=interrupt)
    with open_store(pg) as store:
        assert store.job_counts() == {(PROCESS_PAGE, "queued"): 5}
    # 2. the same command again queues the rest, nothing twice
    r = _cli("ingest", "--queue", "--no-wait", *map(str, paths), "--db", pg)
    assert r.returncode == 0, r.stderr
    assert "20 records read, 15 queued now, 5 queued before" in r.stdout
    assert "corpus.jsonl:11: not valid JSON" in r.stdout  # a bad line is reported, never queued
    # 3. a worker is killed (-9) while it holds jobs
    worker = subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", pg, "--no-schedule",
                               "--batch", "3", "--lease", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=ENV)
    try:
        with open_store(pg) as store:
            assert _wait(lambda: store.job_counts().get((PROCESS_PAGE, "done"), 0) >= 3), store.job_counts()
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    # 4. the command again, with two workers of its own, until the archive is done
    r = _cli("ingest", "--queue", "--workers", "2", *map(str, paths), "--db", pg)
    assert r.returncode == 0, r.stderr
    assert "20 records read, 0 queued now, 20 queued before; jobs 20 done, 0 open, 0 dead" in r.stdout, r.stdout
    with open_store(pg) as store:
        assert store.job_counts() == {(PROCESS_PAGE, "done"): n}
        urls = [a.url for a in store.iter_articles()]
    assert len(urls) == n and len(set(urls)) == n  # every record stored exactly once
    assert {u.rsplit("/", 1)[0] for u in urls} == {"https://news.example", "https://corpus.example"}
    # 5. and once more: nothing queued, nothing run
    r = _cli("ingest", "--queue", "--no-wait", *map(str, paths), "--db", pg)
    assert "0 queued now, 20 queued before" in r.stdout
    with open_store(pg) as store:
        assert store.job_counts() == {(PROCESS_PAGE, "done"): n}


def test_the_same_archive_elsewhere_is_the_same_archive(pg: str, tmp_path: Path) -> None:
    paths = _archive(tmp_path, pages=3, docs=0)
    moved = tmp_path / "moved.warc.gz"
    moved.write_bytes(paths[0].read_bytes())
    with open_store(pg) as store:
        first = backfill.enqueue_paths(store, [paths[0]])
        again = backfill.enqueue_paths(store, [moved])
    assert (first.added, again.added, again.before) == (3, 0, 3)


def test_queue_needs_postgresql(tmp_path: Path) -> None:
    paths = _archive(tmp_path, pages=1, docs=1)
    r = _cli("ingest", "--queue", *map(str, paths), "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert r.returncode == 1
    assert "the job queue needs PostgreSQL" in r.stderr and "without --queue" in r.stderr
    assert "Traceback" not in r.stderr


def test_in_process_rerun_skips_stored_records_before_extracting(db: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _archive(tmp_path, pages=4, docs=4)
    settings = Settings(db=db, stories=False, workers=1)
    with open_store(db) as store:
        first = Pipeline(store, settings).ingest(paths, workers=1)
    assert first.counts["new"] == 8
    import newsloom.pipeline as pipeline

    calls: list[object] = []
    real = pipeline.analyse
    monkeypatch.setattr(pipeline, "analyse", lambda doc, *a, **k: calls.append(doc) or real(doc, *a, **k))
    with open_store(db) as store:
        again = Pipeline(store, settings).ingest(paths, workers=1)
        assert again.counts["unchanged"] == 8 and calls == []
        assert store.count_articles() == 8
    lines = paths[1].read_text().splitlines(keepends=True)
    row = json.loads(lines[0])
    paths[1].write_text("".join([json.dumps({**row, "text": row["text"] + " A late correction."}) + "\n", *lines[1:]]))
    with open_store(db) as store:  # a record changed since: it alone is analysed again, a revision
        third = Pipeline(store, settings).ingest(paths, workers=1)
        assert (third.counts["unchanged"], third.counts["revision"], len(calls)) == (7, 1, 1)


def test_queue_with_stories_every_record_gets_one(pg: str, tmp_path: Path) -> None:
    paths = _archive(tmp_path, pages=3, docs=3)
    r = subprocess.run([sys.executable, "-m", "newsloom", "ingest", "--queue", "--workers", "1", *map(str, paths),
                        "--db", pg], capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert r.returncode == 0, r.stderr
    assert "jobs 6 done, 0 open, 0 dead" in r.stdout
    with open_store(pg) as store:
        arts = list(store.iter_articles())
        assert len(arts) == 6 and all(a.story_id for a in arts)  # the worker's serial lock, or the command's
        # the records' pages are no longer kept in the done jobs (they are in the store)
        assert all("body_b64" not in j.payload for j in store.list_jobs("done"))
