"""Read articles and pages from files instead of the web.

    for item in iter_file(Path("cc-news.warc.gz")):
        if isinstance(item, IngestError):
            log(item)            # bad record/line: reported, reading went on (or stopped cleanly)
        elif item.needs_extraction:
            extract(item.raw)    # a page (RawDocument)
        else:
            store(item.article)  # already an Article (JSONL corpora)

Readers stream: a WARC is read record by record and a JSONL line by line, so file size does not
bound memory. No reader raises for bad input; every problem is yielded as an ``IngestItemError``
(a subclass of ``newsloom.errors.IngestError``) naming the file and the line or byte offset.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from newsloom.errors import IngestError
from newsloom.ingest.base import DEFAULT_MAX_BYTES, IngestItem, IngestItemError
from newsloom.ingest.files import file_url, page_url, read_html, read_text
from newsloom.ingest.jsonl import doc_urn, read_jsonl
from newsloom.ingest.warc import read_warc

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IngestError",
    "IngestItem",
    "IngestItemError",
    "SUFFIXES",
    "doc_urn",
    "file_url",
    "files_of",
    "iter_file",
    "iter_paths",
    "page_url",
    "reader_for",
]

Reader = Callable[..., Iterator["IngestItem | IngestItemError"]]

# Longest suffix first so ".warc.gz" wins over ".gz".
_READERS: list[tuple[str, Reader, dict[str, bool]]] = [
    (".warc.gz", read_warc, {}),
    (".warc", read_warc, {}),
    (".jsonl.gz", read_jsonl, {"gzipped": True}),
    (".jsonl", read_jsonl, {}),
    (".html.gz", read_html, {"gzipped": True}),
    (".htm.gz", read_html, {"gzipped": True}),
    (".html", read_html, {}),
    (".htm", read_html, {}),
    (".txt.gz", read_text, {"gzipped": True}),
    (".txt", read_text, {}),
]
SUFFIXES: tuple[str, ...] = tuple(s for s, _, _ in _READERS)


def reader_for(path: Path) -> tuple[Reader, dict[str, bool]] | None:
    """The reader that handles this file name, or None for an unsupported extension."""
    name = path.name.lower()
    for suffix, reader, kwargs in _READERS:
        if name.endswith(suffix):
            return reader, kwargs
    return None


def iter_file(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[IngestItem | IngestError]:
    """Everything readable in one file, chosen by extension (see ``SUFFIXES``).

    ``max_bytes`` caps one page (HTML/text file, WARC record body, JSONL line); larger ones are
    reported and skipped rather than read into memory.
    """
    path = Path(path)
    found = reader_for(path)
    if found is None:
        yield IngestItemError(
            path,
            f"unsupported file type {''.join(path.suffixes) or '(none)'!r}; "
            f"expected one of {', '.join(SUFFIXES)}",
            stopped=True,
        )
        return
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "not found"
        yield IngestItemError(path, what, stopped=True)
        return
    reader, kwargs = found
    try:
        yield from reader(path, max_bytes=max_bytes, **kwargs)
    except IngestItemError as exc:
        exc.stopped = True
        yield exc
    # File-level failures: unreadable file or a broken gzip wrapper around .jsonl/.html/.txt
    # (WARC handles its own). What was yielded before stays valid.
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield IngestItemError(path, f"cannot read ({type(exc).__name__}: {exc})", stopped=True)


def files_of(paths: Iterable[Path]) -> Iterator[Path]:
    """The files ``iter_paths`` reads, in its order: a directory is walked recursively (sorted,
    so runs are repeatable) for files with a supported extension, hidden ones skipped; any other
    path is given as it is (``iter_file`` says what is wrong with it)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(p.startswith(".") for p in rel) or not child.is_file():
                    continue
                if reader_for(child) is not None:
                    yield child
        else:
            yield path


def iter_paths(
    paths: Iterable[Path], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[IngestItem | IngestError]:
    """Files and directories in order (see ``files_of``)."""
    for path in files_of(paths):
        yield from iter_file(path, max_bytes=max_bytes)
