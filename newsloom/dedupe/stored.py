"""Inputs already stored as they are: what lets a re-run of ``newsloom ingest`` (after an
interruption, or over an archive partly ingested) skip them before extraction, the costly part
(~25 ms a page), instead of extracting every page again to find it unchanged.

A page (WARC record, HTML file) is stored unchanged when an article under its URL keeps a raw
page with the same bytes; an extracted article (JSONL) when the article under its URL has the
same normalised text and title. Anything else goes through the pipeline as before (a changed
page there becomes a revision)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from newsloom.dedupe.hashing import content_hash, normalise_text
from newsloom.errors import NotFoundError
from newsloom.ingest.base import IngestItem
from newsloom.models import RawDocument
from newsloom.store.base import Store

__all__ = ["Stored", "skip_stored", "stored_unchanged"]


@dataclass(frozen=True)
class Stored:
    """An input found stored unchanged: stands in for it (small, so a worker pool passes it on
    without the page)."""

    where: str
    article_id: int


def stored_unchanged(store: Store, item: IngestItem) -> int | None:
    """The id of the article that already holds ``item`` unchanged, or None."""
    doc = item.document
    found = store.find_article_by_url(doc.url)
    if found is None or found.id is None or found.status == "removed":
        return None
    if isinstance(doc, RawDocument):
        if found.raw_id is None:
            return None
        try:
            return found.id if store.get_raw(found.raw_id).body == doc.body else None
        except NotFoundError:
            return None
    same_text = found.content_hash == content_hash(doc.text or "")
    same_title = normalise_text(found.title or "") == normalise_text(doc.title or "")
    return found.id if same_text and same_title else None


def skip_stored(store: Store, items: Iterable[Any]) -> Iterator[Any]:
    """``items`` with every input stored unchanged replaced by a :class:`Stored`."""
    for item in items:
        if isinstance(item, IngestItem):
            aid = stored_unchanged(store, item)
            if aid is not None:
                yield Stored(item.where, aid)
                continue
        yield item
