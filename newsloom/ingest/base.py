"""What every reader yields: an item to process, or an error that names where the input is bad."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsloom.errors import IngestError
from newsloom.models import Article, RawDocument

# Same cap as Settings.max_body_bytes: a page bigger than this is not an article, and reading it
# whole would let one bad file exhaust memory.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class IngestItem:
    """One thing read from a file: a page that still needs extraction, or a finished article.

    ``where`` says where it came from ("docs.jsonl:12", "cc.warc.gz@40960") for logs and errors;
    ``extra`` keeps input fields newsloom has no place for (a corpus's gold ``story_id``, ``topic``,
    ``license``...) so evaluations can use them.
    """

    document: RawDocument | Article
    where: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_extraction(self) -> bool:
        return isinstance(self.document, RawDocument)

    @property
    def raw(self) -> RawDocument | None:
        return self.document if isinstance(self.document, RawDocument) else None

    @property
    def article(self) -> Article | None:
        return self.document if isinstance(self.document, Article) else None


class IngestItemError(IngestError):
    """One unreadable file, line or record. Yielded (not raised) so one bad record never ends a
    bulk import; ``stopped`` is True when the reader gave up on the rest of the file."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        offset: int | None = None,
        stopped: bool = False,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.offset = offset
        self.stopped = stopped
        if line is not None:
            where = f"{self.path}:{line}"
        elif offset is not None:
            where = f"{self.path} (record at byte offset {offset})"
        else:
            where = self.path
        self.where = where
        super().__init__(f"{where}: {message}")
