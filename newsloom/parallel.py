"""Ordered, bounded parallel map over worker processes for the CPU-only pipeline half.

``concurrent.futures.Executor.map`` submits its whole input at once, which would read a
multi-gigabyte WARC into memory; this keeps at most ``max_pending`` documents in flight and
yields results in input order, so the stateful half (dedupe, store, stories) sees the same
order as a serial run and the result is deterministic.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _orphan_watch(parent: int, every_s: float = 1.0) -> None:
    """Worker initializer: exit as soon as the process that started the pool is gone,
    however it died. A worker's own parent is the fork server, so the pool's owner is watched
    by pid; a killed owner never shuts its pool down, and without this the workers idle on,
    holding their memory (and the owner's stdout, so whoever waits for its output hangs). A
    killed owner stays a zombie until its own parent reaps it, which may be never while this
    worker holds that parent's pipe: a zombie counts as gone."""
    import psutil

    try:
        owner = psutil.Process(parent)
    except psutil.NoSuchProcess:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(every_s)
            try:
                # is_running() also checks the creation time, so a reused pid is not mistaken
                if not owner.is_running() or owner.status() == psutil.STATUS_ZOMBIE:
                    os._exit(1)
            except psutil.NoSuchProcess:
                os._exit(1)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def _init_worker(parent: int, nice: int = 0) -> None:
    """Worker initializer: the orphan watch, and the scheduling priority of the pipeline's CPU
    work (``newsloom.priority``: below the web server's). Ctrl-C in a terminal reaches every
    process of the group: a worker ignores it (each printed a KeyboardInterrupt traceback under
    the command's "interrupted" line), the owner stops the pool, and the orphan watch ends a
    worker whose owner is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        from newsloom.priority import lower_this_process

        lower_this_process(nice)
    _orphan_watch(parent)


def worker_count(requested: int) -> int:
    """0 means one worker per core."""
    return requested if requested > 0 else (os.cpu_count() or 1)


def process_pool(workers: int, preload: list[str] | None = None, nice: int = 0) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for the stateless half of the pipeline: forked from a
    fork server that has imported ``preload`` (forking a parent that has loaded BLAS/onnx
    thread pools can deadlock the children), each exiting when this process is gone and running
    at ``nice`` (0: this process's priority).

    Raises CodeChanged (``newsloom.codeversion``) when the newsloom code on disk is no longer
    the code this process started with: workers forked now (and a fork server started now)
    would run other code than this process; the caller stops so it is restarted on the new
    code."""
    from newsloom.codeversion import check

    check()
    ctx = multiprocessing.get_context("forkserver")
    if preload:
        ctx.set_forkserver_preload(preload)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(os.getpid(), nice))


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    max_pending: int | None = None,
    preload: list[str] | None = None,
    nice: int = 0,
) -> Iterator[tuple[T, R]]:
    """Yield ``(item, fn(item))`` in input order, computing up to ``workers`` at a time.

    ``preload`` names modules the fork server imports once, so each worker starts with them
    (and whatever they load at import) instead of importing them itself."""
    if workers <= 1:
        for item in items:
            yield item, fn(item)
        return
    max_pending = max_pending or workers * 16
    pool = process_pool(workers, preload, nice)
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        for item in items:
            pending.append((item, pool.submit(fn, item)))
            if len(pending) >= max_pending:
                head, fut = pending.popleft()
                yield head, fut.result()
        while pending:
            head, fut = pending.popleft()
            yield head, fut.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
