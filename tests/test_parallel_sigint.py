"""Pool workers ignore Ctrl-C (the owner stops the pool): an idle worker interrupted by the
terminal's SIGINT printed "Process ForkServerProcess-1: Traceback ... KeyboardInterrupt"."""

from __future__ import annotations

import os
import signal

from newsloom.parallel import process_pool


def _interrupt_myself(_: int) -> str:
    os.kill(os.getpid(), signal.SIGINT)
    return "still here"


def test_a_worker_ignores_sigint() -> None:
    pool = process_pool(1)
    try:
        assert pool.submit(_interrupt_myself, 0).result(timeout=120) == "still here"
        assert pool.submit(_interrupt_myself, 1).result(timeout=60) == "still here"  # same worker, alive
    finally:
        pool.shutdown(wait=True)
