"""Ordered, bounded parallel map over worker processes for the CPU-only pipeline half.

``concurrent.futures.Executor.map`` submits its whole input at once, which would read a
multi-gigabyte WARC into memory; this keeps at most ``max_pending`` documents in flight and
yields results in input order, so the stateful half (dedupe, store, stories) sees the same
order as a serial run and the result is deterministic.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def worker_count(requested: int) -> int:
    """0 means one worker per core."""
    return requested if requested > 0 else (os.cpu_count() or 1)


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    max_pending: int | None = None,
    preload: list[str] | None = None,
) -> Iterator[tuple[T, R]]:
    """Yield ``(item, fn(item))`` in input order, computing up to ``workers`` at a time.

    ``preload`` names modules the fork server imports once, so each worker starts with them
    (and whatever they load at import) instead of importing them itself."""
    if workers <= 1:
        for item in items:
            yield item, fn(item)
        return
    max_pending = max_pending or workers * 16
    # forkserver: forking a parent that has loaded BLAS/onnx thread pools can deadlock workers
    ctx = multiprocessing.get_context("forkserver")
    if preload:
        ctx.set_forkserver_preload(preload)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
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
