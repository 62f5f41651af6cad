"""Give the heap's free memory back to the system after each pass of a long-lived process.

CPython returns freed objects to glibc's malloc, which keeps the pages of a fragmented heap (one
arena per thread that ever allocated: the web server's, the processing thread's) rather than
return them. A daemon that runs for months then shows a slowly rising RSS that is free memory, not
live objects: in a soak of ``newsloom run`` its Python objects stayed flat (~130,000) while RSS
rose, and ``malloc_trim(0)`` each minute took 20-25 MB back. There is no portable Python API for
this, so glibc's own function is called through ctypes; elsewhere (musl, macOS) it does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
import time

log = logging.getLogger(__name__)

_UNSET = object()
_trim: object = _UNSET
_M_ARENA_MAX = -8  # glibc's malloc.h
DEFAULT_ARENAS = 2


def _glibc_function(name: str, argtypes: list[object]) -> object:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = getattr(libc, name)  # absent from musl
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = argtypes, ctypes.c_int
    return fn


def _malloc_trim() -> object:
    global _trim
    if _trim is _UNSET:
        _trim = _glibc_function("malloc_trim", [ctypes.c_size_t])
    return _trim


def limit_arenas(n: int = DEFAULT_ARENAS) -> int | None:
    """Cap glibc's malloc arenas for a long-lived process; call it before threads start.

    glibc gives every new thread an arena of its own, up to 8 per core, and each keeps its own
    free pages, which ``malloc_trim`` can return only where no live object sits: a daemon with a
    web server's thread pool and a processing thread would hold many. Python threads take turns
    under the GIL, so a few arenas cost no speed (a 75-minute soak with the cap: 7.89 articles/s,
    7.95 without). A one-time RSS step that soaks show near 28,900 articles is not this: it came
    with the cap too, as two large mmaps (README, memory). ``MALLOC_ARENA_MAX`` set by
    the operator wins (glibc has read it already). Returns the cap applied, None when not
    applied (not glibc, or the environment decides)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return None
    fn = _glibc_function("mallopt", [ctypes.c_int, ctypes.c_int])
    if fn is None or not fn(_M_ARENA_MAX, n):  # type: ignore[operator]
        return None
    log.debug("malloc arenas capped at %d", n)
    return n


def release_free_heap() -> float | None:
    """Trim every malloc arena; returns the seconds it took, or None where glibc is absent."""
    fn = _malloc_trim()
    if fn is None:
        return None
    t0 = time.perf_counter()
    fn(0)  # type: ignore[operator]
    took = time.perf_counter() - t0
    log.debug("malloc_trim took %.1f ms", took * 1000)
    return took
