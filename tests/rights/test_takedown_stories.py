"""A takedown reaches story membership: the removed first report leaves its story, which gets a
new first; copies pointing to it are re-marked; its vectors and text are purged."""

from __future__ import annotations

import sys
from pathlib import Path

from newsloom.app import rights as uc
from newsloom.config import Settings
from newsloom.store.base import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stories"))
from test_service_growth import BASE, Stream, service  # noqa: E402


def test_takedown_of_a_first_report(store: Store) -> None:
    svc = service(store)
    s = Stream(store, svc)
    first = s.add(BASE, 0, url="https://first.example.com/flood")
    copy = s.add(BASE + " Updates follow.", 5, url="https://wire.example.org/flood-copy")
    later = s.add(BASE.replace("Monday", "Tuesday") + " More rain is expected.", 60,
                  url="https://third.example.net/flood-2")
    sid = store.get_article(first.id).story_id
    assert store.get_article(first.id).lineage == "first" and store.get_embedding(first.id, svc.model)
    settings = Settings(db=store.url, stories=True)
    req = uc.submit(store, settings, "url", "https://first.example.com/flood", "First", "l@first.example.com",
                    "ours", statement=True).request
    uc.approve(store, settings, req.id, services=uc.Services(store, settings, stories=svc))  # type: ignore[arg-type]
    members = store.story_articles(sid)
    assert {a.id for a in members} == {copy.id, later.id}
    assert sum(a.lineage == "first" for a in members) == 1 and all(a.lineage_of != first.id for a in members)
    gone = store.get_article(first.id)
    assert gone.status == "removed" and gone.story_id is None and gone.text == ""
    assert store.get_embedding(first.id, svc.model) is None
    assert svc.catch_up() == 0
