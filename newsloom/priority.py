"""The pipeline's CPU work yields to the reader: its processes and threads run at a lower
scheduling priority (a higher ``nice`` value) than the web server.

On 2 cores, the pipeline (extraction and analysis in worker processes, embedding and clustering
in one processing thread) can use every cycle; at the same priority the reader's requests wait in
the run queue behind it and its p95 doubles. The kernel's scheduler already knows how to let one
kind of work go first: a thread at nice 10 gets about a tenth of the CPU share of a nice-0 thread
when both want it, and the whole machine when the reader is idle, so ingest throughput on a quiet
machine is unchanged. ``Settings.pipeline_nice`` (default 10; 0 = no change) is the value.

On Linux every thread has its own nice value (``setpriority(PRIO_PROCESS, tid)`` with the
thread's native id), so ``newsloom run`` lowers its processing thread without lowering the web
server thread of the same process; threads a lowered thread starts (an ONNX or OpenMP pool)
inherit its value. Elsewhere only whole processes are lowered. Lowering never fails a run: a
platform without it, or a refusal, is logged once and ignored. A value is never raised back (that
needs privileges), and a thread already lower than asked is left as it is.

Inside one process the scheduler is not the whole story: only the thread holding CPython's
interpreter lock (GIL) runs Python, and a waiting thread gets it from a busy one only after the
"switch interval" (5 ms by default). A request of the reader gives the lock up at each SQLite
call and each model or numpy step and then waits for it again, so beside a busy processing
thread ten queries cost ~50 ms of waiting. :func:`reader_switch_interval` shortens the interval
in a process that serves the reader (setting ``reader_switch_interval_ms``, default 1).
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger("newsloom.priority")

MAX_NICE = 19


def _target(nice: int) -> int:
    return max(0, min(MAX_NICE, int(nice)))


def _lower(who: int, nice: int) -> bool:
    """Set ``who``'s (a pid or, on Linux, a thread id; 0 = the calling thread) nice value to
    ``nice`` unless it is already at least that. True when it is at least ``nice`` afterwards."""
    target = _target(nice)
    if target == 0:
        return True
    if not hasattr(os, "setpriority"):
        return False
    try:
        if os.getpriority(os.PRIO_PROCESS, who) >= target:
            return True
        os.setpriority(os.PRIO_PROCESS, who, target)
        return True
    except OSError as exc:
        log.warning("could not lower the pipeline's scheduling priority to nice %d: %s", target, exc)
        return False


def lower_this_thread(nice: int) -> bool:
    """Lower the calling thread (on Linux only it; elsewhere the whole process) to ``nice``.
    Meant as a ``ThreadPoolExecutor`` initializer for the pipeline's processing thread."""
    if sys.platform.startswith("linux"):
        return _lower(threading.get_native_id(), nice)
    return lower_this_process(nice)


def lower_this_process(nice: int) -> bool:
    """Lower the calling process to ``nice`` (a worker process of the pipeline, or a command that
    serves nothing, such as ``newsloom ingest``). On Linux this is the calling thread and every
    thread it starts afterwards, which is the whole process when called before any other starts."""
    return _lower(0, nice)


def current_nice(tid: int | None = None) -> int:
    """The nice value of a thread (Linux native id) or of this thread/process: for tests."""
    return os.getpriority(os.PRIO_PROCESS, 0 if tid is None else tid)


def reader_switch_interval(ms: float) -> None:
    """In a process that serves the reader: hand the interpreter lock between threads at least
    every ``ms`` milliseconds (0 = leave Python's default, 5 ms). Never lengthens a shorter one.
    Measured by ``benchmarks/switch_interval.py``."""
    seconds = float(ms) / 1000.0
    if seconds > 0 and seconds < sys.getswitchinterval():
        sys.setswitchinterval(seconds)
