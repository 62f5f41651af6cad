"""Is the code on disk still the code this process runs?

A long-running process (``newsloom run``, ``newsloom worker``, a big ``newsloom ingest``) outlives
upgrades: ``pip install -U newsloom`` or a ``git pull`` of an editable install replaces the files
under it. Python has the modules it imported in memory, but anything imported later (a lazy
import, a worker process forked afresh) would read the new files and mix two versions in one
program: in a soak run a worker forked after a commit added a module died on an ImportError.

Two defences. The worker processes fork from a fork server that imported everything they use
(``newsloom.worker``), so a worker never reads code from disk. And this module takes a stamp of
the installed code when the process starts (the package version and, per ``.py`` file of the
``newsloom`` package, its path, size and modification time: ~150 ``stat`` calls, about a
millisecond) and compares it when a worker pool is about to be (re)created and every
``every_s`` seconds in the daemons' loops. When it differs, the daemon logs one line saying so,
finishes what it has in hand and exits with :data:`EXIT_UPGRADED` (75, ``EX_TEMPFAIL``), so that
the service manager (systemd ``Restart=on-failure`` or ``always``) starts it again on the new
code, instead of crashing later with a traceback."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from newsloom.errors import ConfigError, NewsloomError

__all__ = ["EXIT_UPGRADED", "CodeChanged", "CodeStamp", "CodeWatch", "check", "remember", "stamp", "watch"]

#: exit status of a process that stopped because its code changed on disk (sysexits.h EX_TEMPFAIL:
#: "try again later"); not 0, so ``Restart=on-failure`` restarts it
EXIT_UPGRADED = 75

PACKAGE_DIR = Path(__file__).resolve().parent


class CodeChanged(NewsloomError):
    """The newsloom code on disk is not the code this process started with."""

    exit_code = EXIT_UPGRADED


@dataclass(frozen=True)
class CodeStamp:
    version: str
    files: dict[str, tuple[int, int]] = field(repr=False)  # relative path -> (size, mtime in ns)

    @property
    def digest(self) -> str:
        h = hashlib.sha1()
        for rel, (size, mtime) in sorted(self.files.items()):
            h.update(f"{rel}\0{size}\0{mtime}\n".encode())
        return h.hexdigest()[:10]

    @property
    def label(self) -> str:
        return f"{self.version}, code {self.digest}"

    def differences(self, other: "CodeStamp") -> str:
        """'2 files changed, 1 added (newsloom/x.py)': what ``other`` has that this has not."""
        added = sorted(set(other.files) - set(self.files))
        removed = sorted(set(self.files) - set(other.files))
        changed = sorted(k for k in set(self.files) & set(other.files) if self.files[k] != other.files[k])
        parts = [f"{len(v)} {'file' if len(v) == 1 else 'files'} {what}"
                 for what, v in (("changed", changed), ("added", added), ("removed", removed)) if v]
        example = (changed + added + removed)[:1]
        return ", ".join(parts) + (f" ({example[0]}{', ...' if sum(map(len, (changed, added, removed))) > 1 else ''})"
                                   if example else "")


def _version() -> str:
    """The installed distribution's version, read from disk now (not the one imported)."""
    try:
        from importlib.metadata import PackageNotFoundError, version

        return version("newsloom")
    except (ImportError, PackageNotFoundError):  # running from a source tree not installed
        from newsloom import __version__

        return __version__


def stamp(root: Path | None = None, version: Callable[[], str] = _version) -> CodeStamp:
    """The version and the size and modification time of every ``.py`` file under ``root``
    (default: the installed ``newsloom`` package)."""
    root = root or PACKAGE_DIR
    files: dict[str, tuple[int, int]] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__" and not entry.name.startswith("."):
                        stack.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    files[os.path.relpath(entry.path, root.parent)] = (st.st_size, st.st_mtime_ns)
            except OSError:  # removed while looking: it counts as missing
                continue
    return CodeStamp(version(), files)


class CodeWatch:
    """The stamp taken at start and a throttled comparison with the disk."""

    def __init__(self, root: Path | None = None, every_s: float = 120.0,
                 clock: Callable[[], float] = time.monotonic,
                 version: Callable[[], str] = _version) -> None:
        self.root, self.every_s, self.clock, self.version = root, every_s, clock, version
        self.started = stamp(root, version)
        self._next = clock() + every_s
        self._lock = threading.Lock()
        self.message: str | None = None  # set once a change was seen

    def changed(self, force: bool = False) -> str | None:
        """None while the code on disk is the code of the start; else one line saying what
        changed. Looks at the disk at most every ``every_s`` seconds unless ``force``."""
        with self._lock:
            if self.message is not None:
                return self.message
            now = self.clock()
            if not force and now < self._next:
                return None
            self._next = now + self.every_s
            current = stamp(self.root, self.version)
            if current.files == self.started.files and current.version == self.started.version:
                return None
            self.message = (f"newsloom was upgraded on disk since this process started "
                            f"({self.started.label} -> {current.label}: {self.started.differences(current)})")
            return self.message

    def check(self, force: bool = False) -> None:
        """Raise CodeChanged when ``changed``."""
        message = self.changed(force)
        if message is not None:
            raise CodeChanged(message)


_watch: CodeWatch | None = None
_watch_lock = threading.Lock()


#: how often the daemons look at the disk while idle (seconds; the environment can change it)
CHECK_ENV = "NEWSLOOM_UPGRADE_CHECK_S"


def check_every() -> float:
    """``$NEWSLOOM_UPGRADE_CHECK_S`` (default 120): seconds between looks at the disk."""
    raw = os.environ.get(CHECK_ENV, "").strip()
    if not raw:
        return 120.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"{CHECK_ENV}={raw!r}: expected seconds, more than 0")
    return value


def remember() -> CodeWatch:
    """The process's watch, its stamp taken on the first call (``newsloom`` calls it as it
    starts; a library user at the first pool)."""
    global _watch
    with _watch_lock:
        if _watch is None:
            _watch = CodeWatch(every_s=check_every())
        return _watch


def watch() -> CodeWatch:
    return remember()


def check(force: bool = True) -> None:
    """Raise CodeChanged when the code on disk differs from the start's (default: look now)."""
    remember().check(force)
