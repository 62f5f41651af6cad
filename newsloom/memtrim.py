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
import sys
import time

log = logging.getLogger(__name__)

_UNSET = object()
_trim: object = _UNSET


def _malloc_trim() -> object:
    global _trim
    if _trim is _UNSET:
        _trim = None
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                fn = libc.malloc_trim  # absent from musl
                fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
                _trim = fn
            except (OSError, AttributeError):
                _trim = None
    return _trim


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
