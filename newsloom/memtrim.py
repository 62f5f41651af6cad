"""Give the heap's free memory back to the system after each pass of a long-lived process, and
say where the process's memory is (``memory_breakdown``, on ``/metrics``).

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
_mallinfo2: object = _UNSET
_sqlite_used: object = _UNSET
_pymalloc: object = _UNSET
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
    with the cap too, as two large mmaps (docs/memory.md). ``MALLOC_ARENA_MAX`` set by
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


class _MallInfo2(ctypes.Structure):
    # glibc's struct mallinfo2 (malloc.h, glibc 2.33+): every field a size_t
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def memory_breakdown() -> dict[str, int]:
    """Where this process's memory is, in bytes, for an operator to tell a leak from fragmentation.

    ``rss_anon`` / ``rss_file``: resident anonymous and file-backed memory (Linux /proc);
    ``malloc_in_use`` / ``malloc_free``: glibc's heap, allocated vs held free (``mallinfo2``,
    summed over every arena; large blocks served by mmap count as in use, and also apart as
    ``malloc_mmapped``); ``sqlite``: what SQLite has allocated (page caches of every connection,
    statements; part of ``malloc_in_use``); ``python_blocks``: objects' blocks CPython's own allocator holds;
    ``python_arenas`` / ``python_in_use`` / ``python_free``: that allocator's 1 MiB arenas (which
    it maps itself, outside glibc's heap), the bytes of its live blocks, and its free blocks and
    pools. RSS growing with ``malloc_in_use`` flat is free memory not returned; ``malloc_in_use``
    growing is live allocations (Python's large objects, numpy buffers, SQLite, the embedders'
    runtimes); ``python_arenas`` growing with ``python_in_use`` flat is small objects' memory
    fragmented (an arena is returned only when every object in it is gone); anonymous RSS outside
    all of these is thread stacks and other mmaps. Keys are absent where the platform lacks them."""
    out: dict[str, int] = {"python_blocks": sys.getallocatedblocks()}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("RssAnon", "RssFile"):
                    out[key.lower().replace("rss", "rss_")] = int(rest.split()[0]) * 1024
    except OSError:
        pass  # not Linux
    global _mallinfo2
    if _mallinfo2 is _UNSET:
        fn = _glibc_function("mallinfo2", [])
        if fn is not None:
            fn.restype = _MallInfo2  # type: ignore[attr-defined]
        _mallinfo2 = fn
    if _mallinfo2 is not None:
        info = _mallinfo2()  # type: ignore[operator]
        out["malloc_in_use"] = int(info.uordblks + info.hblkhd)
        out["malloc_mmapped"] = int(info.hblkhd)  # of which large blocks mmap serves (numpy arrays, big dicts)
        out["malloc_free"] = int(info.fordblks)
    used = _sqlite_memory_used()
    if used is not None:
        out["sqlite"] = used
    out.update(_pymalloc_stats())
    return out


_PYMALLOC_LINES = {"# arenas allocated current": "arenas", "# bytes in allocated blocks": "python_in_use",
                   "# bytes in available blocks": "free_blocks", "unused pools *": "free_pools"}


def _pymalloc_stats() -> dict[str, int]:
    """CPython's small-object allocator's own account (``sys._debugmallocstats``'s numbers).

    That function prints to the C-level stderr only, so the C function behind it is called through
    ctypes into an ``open_memstream`` buffer instead of redirecting the process's stderr, which the
    other threads write to. Takes well under a millisecond; {} where either function is missing
    (not glibc or musl, or CPython built without pymalloc)."""
    global _pymalloc
    if _pymalloc is _UNSET:
        _pymalloc = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            opener, fclose, free = libc.open_memstream, libc.fclose, libc.free
            stats = ctypes.pythonapi._PyObject_DebugMallocStats  # PyDLL: called with the GIL held
        except (OSError, AttributeError):
            return {}
        opener.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
        opener.restype = ctypes.c_void_p
        fclose.argtypes, free.argtypes, stats.argtypes, stats.restype = [ctypes.c_void_p], [ctypes.c_void_p], [
            ctypes.c_void_p], ctypes.c_int
        _pymalloc = (opener, fclose, free, stats)
    if _pymalloc is None:
        return {}
    opener, fclose, free, stats = _pymalloc  # type: ignore[misc]
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = opener(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        return {}
    try:
        printed = stats(stream)
    finally:
        fclose(stream)  # sets buf and size
    text = ctypes.string_at(buf, size.value).decode("ascii", "replace")
    free(ctypes.cast(buf, ctypes.c_void_p))
    if not printed:
        return {}  # pymalloc not in use (PYTHONMALLOC=malloc)
    found: dict[str, int] = {}
    for line in text.splitlines():
        for start, key in _PYMALLOC_LINES.items():
            if start in line and key not in found:
                found[key] = int(line.rsplit("=", 1)[1].replace(",", ""))
    if len(found) != len(_PYMALLOC_LINES):
        return {}  # a CPython whose report reads otherwise
    return {"python_arenas": found["arenas"] << 20, "python_in_use": found["python_in_use"],
            "python_free": found["free_blocks"] + found["free_pools"]}


def _sqlite_memory_used() -> int | None:
    """SQLite's ``sqlite3_memory_used()``: the sqlite3 module does not expose it, so it is read from
    the library the module links (``libsqlite3.so.0`` on Linux); None where that is not loadable."""
    global _sqlite_used
    if _sqlite_used is _UNSET:
        _sqlite_used = None
        name = ctypes.util.find_library("sqlite3")
        if name and sys.platform.startswith("linux"):
            try:
                fn = ctypes.CDLL(name).sqlite3_memory_used
                fn.argtypes, fn.restype = [], ctypes.c_int64
                _sqlite_used = fn
            except (OSError, AttributeError):
                pass
    return None if _sqlite_used is None else int(_sqlite_used())  # type: ignore[operator]


def cache_fill(min_capacity: int = 1024) -> dict[str, tuple[int, int]]:
    """Entries held and capacity of every ``functools.lru_cache`` of the loaded newsloom modules
    with room for at least ``min_capacity`` entries, by ``module.function``: a long-lived
    process's memory rises while its bounded caches fill (names, URLs, times seen for the first
    time), and stops when they are full; which are still filling says whether a rising RSS is
    that. Found by looking, not registered, so a cache added later is counted too."""
    out: dict[str, tuple[int, int]] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("newsloom.") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            info = getattr(value, "cache_info", None)
            if info is None or getattr(value, "__module__", None) != name:
                continue  # imported from elsewhere: counted under its own module
            try:
                stats = info()
            except TypeError:
                continue
            if stats.maxsize is not None and stats.maxsize >= min_capacity:
                out[f"{name}.{attr}"] = (stats.currsize, stats.maxsize)
    return out
