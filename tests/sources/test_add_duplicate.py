"""A feed refused as already followed leaves no new, empty source behind (`sources add` of a
feed whose outlet was imported under another home page left "165 sources, 164 feeds")."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsloom.app import sources as app_sources
from newsloom.config import Settings
from newsloom.errors import DuplicateSourceError
from newsloom.store import open_store

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head/><body>
<outline text="BBC" type="rss" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml" htmlUrl="https://www.bbc.com/news"/>
</body></opml>"""


def test_duplicate_feed_adds_no_source(tmp_path: Path) -> None:
    settings = Settings(db=f"sqlite:///{tmp_path / 's.db'}")
    with open_store(settings.db) as store:
        assert app_sources.import_opml(store, settings, OPML, "a.opml").added == 1
        assert len(store.list_sources()) == 1
        # the feed's own host is not the outlet's home page: a new source would be made for it
        new = app_sources.check_new_feed("https://feeds.bbci.co.uk/news/world/rss.xml", name="BBC")
        with pytest.raises(DuplicateSourceError):
            app_sources.add_source(store, settings, new)
        assert len(store.list_sources()) == 1 and len(store.list_feeds()) == 1
        other = OPML.replace(b"https://www.bbc.com/news", b"https://bbc.example/")
        result = app_sources.import_opml(store, settings, other, "b.opml")
        assert (result.added, result.skipped) == (0, 1)
        assert len(store.list_sources()) == 1 and len(store.list_feeds()) == 1
        # a new feed of a new outlet is still added with its source
        fresh = app_sources.check_new_feed("https://new.example/rss", name="New")
        feed, source = app_sources.add_source(store, settings, fresh)
        assert feed.source_id == source.id and len(store.list_sources()) == 2
