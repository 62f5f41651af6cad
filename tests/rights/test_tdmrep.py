"""/.well-known/tdmrep.json served by the loopback server: fetched for each followed site, kept
in the store, and a page under a reserved path is stored with its text kept from mining."""

from __future__ import annotations

import json

from localserver import LocalServer

from newsloom.app import rights as uc
from newsloom.config import Settings
from newsloom.models import Feed, RawDocument, Source
from newsloom.pipeline import Pipeline
from newsloom.rights import tdmrep
from newsloom.store.base import Store

BODY = "<html><head><title>{t}</title></head><body><article><h1>{t}</h1><p>{p}</p></article></body></html>"


def test_tdmrep_file_reserves_paths(store: Store) -> None:
    with LocalServer() as srv:
        srv.route(tdmrep.PATH, json.dumps([{"location": "/news/*", "tdm-reservation": 1},
                                           {"location": "/news/open/*", "tdm-reservation": 0}]),
                  content_type="application/json")
        src = store.add_source(Source(name="Loop", url=srv.url("/")))
        store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
        settings = Settings(db=store.url, allow_private_networks=True, stories=False, timeout_s=3.0,
                            requests_per_second_per_host=1000.0)
        assert uc.refresh_tdmrep(store, settings) == 1
        assert uc.refresh_tdmrep(store, settings) == 0  # fetched at most daily
        assert len(srv.requests_for(tdmrep.PATH)) == 1
        pipe = Pipeline(store, settings)
        texts = {p: " ".join(f"Line {i} of the {p} page about the harbour works." for i in range(40))
                 for p in ("/news/a", "/news/open/b", "/sport/c")}
        for path, text in texts.items():
            raw = RawDocument(url=srv.url(path), body=BODY.format(t=path, p=text).encode(), content_type="text/html")
            assert pipe.process_raw(raw).status in ("new", "near_duplicate")
    rights = {a.url.split("/", 3)[3]: a.rights for a in store.iter_articles()}
    assert rights["news/a"] == {"tdm_reserved": True, "tdm_source": "tdmrep.json"}
    assert rights["news/open/b"] == {} and rights["sport/c"] == {}


def test_unreachable_or_missing_file_reserves_nothing(store: Store) -> None:
    settings = Settings(db=store.url)
    answers = {"https://a.example/.well-known/tdmrep.json": "connection refused",
               "https://b.example/.well-known/tdmrep.json": (404, b""),
               "https://c.example/.well-known/tdmrep.json": (200, b"not json")}
    n = tdmrep.refresh(store, settings, ["https://a.example", "https://b.example", "https://c.example"],
                       get=lambda urls: {u: answers[u] for u in urls})
    assert n == 3
    assert not any(tdmrep.reserved(store, f"https://{h}.example/x") for h in "abc")
