"""Back-fill through the queue: ``newsloom ingest --queue ARCHIVE...`` (PostgreSQL) turns every
record of WARC/JSONL/HTML files into a ``process-page`` job that any ``newsloom worker`` runs
through the same stages as a fetched page.

Resumable: a record's job key is ``ingest:<file fingerprint>@<byte offset>`` (WARC),
``...:<line>`` (JSONL) or ``...@0`` (one page per file), where the fingerprint is a hash of the
file's bytes, so the same archive under another path is the same archive. A key that has a job
in any state is never queued again (``enqueue_batch``), so a re-run after an interruption (of
the command or of the workers) queues only what was not queued yet; the jobs already done are
not run again. Each file's jobs form a batch (``ingest:<fingerprint>``), whose counts by state
are the command's progress. The record travels in the job (body base64), so workers on other
machines need no access to the file.

Back-pressure: with ``ahead`` (the ``ingest_queue_ahead`` setting), no more than that many jobs
of the back-fill are open (queued or running) at a time: before queuing a chunk of new records,
queuing waits until the workers have taken enough (``on_wait`` hears the open count each time),
so an archive of millions never sits in the jobs table at once. Records already queued by an
earlier run are skipped without waiting."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from newsloom.errors import IngestError, NewsloomError
from newsloom.ingest import files_of, iter_file
from newsloom.ingest.base import IngestItem
from newsloom.jobs.queue import MAX_TRIES, PROCESS_PAGE
from newsloom.models import Article, RawDocument
from newsloom.store import Store

__all__ = ["Queued", "document", "enqueue_paths", "fingerprint", "payload_of", "run_record"]

#: records queued per transaction (an interruption loses at most these, queued on the re-run)
CHUNK = 200
_ARTICLE_FIELDS = ("url", "title", "text", "lang", "source", "doc_id", "primary_url")


def fingerprint(path: Path) -> str:
    """Hash of the file's bytes (BLAKE2b, 16 hex digits): names the archive wherever it lies."""
    h = hashlib.blake2b(digest_size=8)
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def payload_of(item: IngestItem) -> dict[str, Any]:
    """The job payload of one record: ``{"doc": {...}, "where": "file@offset"}``."""
    doc = item.document
    if isinstance(doc, RawDocument):
        out: dict[str, Any] = {
            "kind": "page", "url": doc.url, "body_b64": base64.b64encode(doc.body).decode("ascii"),
            "content_type": doc.content_type, "encoding": doc.encoding, "http_status": doc.http_status,
            "headers": doc.headers, "fetched_at": doc.fetched_at.isoformat() if doc.fetched_at else None,
            "final_url": doc.final_url, "origin": doc.origin}
    else:
        out = {"kind": "article", **{k: getattr(doc, k) for k in _ARTICLE_FIELDS},
               "published": doc.published.isoformat() if doc.published else None}
    return {"doc": out, "where": item.where}


def document(data: dict[str, Any]) -> RawDocument | Article:
    """Inverse of :func:`payload_of` (``data`` is the ``doc`` member)."""
    try:
        if data.get("kind") == "page":
            return RawDocument(
                url=str(data["url"]), body=base64.b64decode(data["body_b64"]),
                content_type=data.get("content_type"), encoding=data.get("encoding"),
                http_status=data.get("http_status"), headers=dict(data.get("headers") or {}),
                final_url=data.get("final_url"), origin=str(data.get("origin") or "warc"),
                **({"fetched_at": datetime.fromisoformat(data["fetched_at"])} if data.get("fetched_at") else {}))
        if data.get("kind") == "article":
            published = datetime.fromisoformat(data["published"]) if data.get("published") else None
            return Article(**{k: data.get(k) for k in _ARTICLE_FIELDS if data.get(k) is not None},
                           published=published)
    except (KeyError, TypeError, ValueError) as exc:
        raise NewsloomError(f"queued record is malformed ({type(exc).__name__}: {exc})") from None
    raise NewsloomError(f"queued record of unknown kind {data.get('kind')!r}")


def run_record(pipeline: Any, data: dict[str, Any]) -> str:
    """A worker's side: one queued record through the pipeline, as ``ingest`` would store it.
    A rejected record is an outcome (done, not retried); an error raises (retried, then dead)."""
    doc = document(data["doc"]) if isinstance(data.get("doc"), dict) else None
    if doc is None:
        raise NewsloomError("process-page job has no 'doc' object")
    if isinstance(doc, RawDocument):
        outcome = pipeline.process_raw(doc)
    else:
        outcome = pipeline.process_article(doc)
    if outcome.status == "error":
        raise NewsloomError(f"{data.get('where') or doc.url}: {outcome.message or 'processing failed'}")
    return str(outcome.status)


@dataclass
class Queued:
    """What ``enqueue_paths`` did: records read, jobs added now, records already queued before
    (by an earlier run: queued, running, done or dead), unreadable records, the batches, and
    the seconds queuing waited for the workers (back-pressure)."""

    records: int = 0
    added: int = 0
    before: int = 0
    errors: list[str] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)
    waited_s: float = 0.0


def _key(fp: str, path: Path, where: str) -> str:
    position = where[len(str(path)):] if where.startswith(str(path)) else ""
    return f"ingest:{fp}{position or '@0'}"


def _wait_for_room(store: Store, q: Queued, new: int, ahead: int,
                   on_wait: Callable[[int], None] | None, poll_s: float) -> None:
    """Until ``new`` more jobs keep the back-fill's open jobs within ``ahead``."""
    started = None
    while (open_jobs := store.open_batch_jobs(q.batches)) + new > ahead:  # type: ignore[attr-defined]
        started = started or time.monotonic()
        if on_wait:
            on_wait(open_jobs)
        time.sleep(poll_s)
    if started is not None:
        q.waited_s += time.monotonic() - started


def enqueue_paths(store: Store, paths: Iterable[Path], max_tries: int = MAX_TRIES,
                  on_chunk: Callable[[Queued], None] | None = None, ahead: int = 0,
                  on_wait: Callable[[int], None] | None = None, poll_s: float = 0.5) -> Queued:
    """Queue every readable record of ``paths`` (files and folders, as ``ingest`` reads them)
    as a ``process-page`` job, ``CHUNK`` records per transaction; ``on_chunk`` hears the
    totals after each. Unreadable records are reported in ``errors``, never queued. ``ahead``
    (0: no bound) bounds the back-fill's open jobs: past it, queuing waits for the workers,
    calling ``on_wait(open jobs)`` every ``poll_s`` seconds."""
    if not hasattr(type(store), "enqueue_batch"):
        raise NewsloomError(f"{getattr(store, 'url', store)}: this store has no job queue")
    if ahead < 0:
        raise NewsloomError(f"ingest_queue_ahead={ahead}: expected 0 (no bound) or more")
    chunk = min(CHUNK, ahead) if ahead else CHUNK
    q = Queued()
    for path in files_of(paths):
        if not path.is_file():  # missing, or an unsupported name: the reader says why
            q.errors.extend(str(e) for e in iter_file(path) if isinstance(e, IngestError))
            continue
        try:
            fp = fingerprint(path)
        except OSError as exc:
            q.errors.append(f"{path}: cannot read ({exc})")
            continue
        batch = f"ingest:{fp}"
        if batch not in q.batches:
            q.batches.append(batch)
        pending: list[tuple[str, str]] = []

        def flush() -> None:
            if ahead:  # back-pressure: only records not queued before need room
                new = store.new_job_keys([k for k, _ in pending])  # type: ignore[attr-defined]
                if new:
                    _wait_for_room(store, q, len(new), ahead, on_wait, poll_s)
            added = store.enqueue_batch(PROCESS_PAGE, batch, pending, max_tries)  # type: ignore[attr-defined]
            q.added += added
            q.before += len(pending) - added
            pending.clear()
            if on_chunk:
                on_chunk(q)

        for item in iter_file(path):
            if isinstance(item, IngestError):
                q.errors.append(str(item))
                continue
            q.records += 1
            pending.append((_key(fp, path, item.where), json.dumps(payload_of(item), ensure_ascii=False)))
            if len(pending) >= chunk:
                flush()
        if pending:
            flush()
    return q
