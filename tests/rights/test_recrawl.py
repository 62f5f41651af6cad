"""Recrawl of stored articles against the loopback server: 410 and a redirect to the home page
retract (hidden, out of the story, not suppressed), a changed body is a revision shown as
updated, an unchanged page walks the schedule 1 h -> 24 h -> 7 d -> done, an error keeps the
article for the next step."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from localserver import LocalServer

from newsloom.app import rights as uc
from newsloom.app.recrawl import is_retracted, run_recrawl
from newsloom.config import Settings
from newsloom.models import Feed, Source
from newsloom.pipeline import Pipeline
from newsloom.rights.recrawl import is_home, next_due
from newsloom.store.base import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stories"))
from test_service_growth import BASE, Stream, service  # noqa: E402


def _page(title: str, extra: str = "") -> str:
    text = " ".join(f"{title}: sentence {i} on the ferry timetable and the new harbour tariffs." for i in range(30))
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{text}</p>"
            f"<p>{extra}</p></article></body></html>")


def _crawl(store: Store, srv: LocalServer, paths: list[str]) -> tuple[Settings, Pipeline, dict[str, int]]:
    items = ""
    for path in paths:
        if path not in srv.routes:  # a test's own route (a conditional handler) is kept
            srv.route(path, _page(path), content_type="text/html")
        items += f"<item><title>{path}</title><link>{srv.url(path)}</link></item>"
    srv.route("/feed.xml", f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>",
              content_type="application/rss+xml")
    srv.route("/", "<html><head><title>Home</title></head><body><p>front page</p></body></html>",
              content_type="text/html")
    settings = Settings(db=store.url, allow_private_networks=True, stories=False,
                        requests_per_second_per_host=1000.0, timeout_s=3.0, min_feed_interval_s=0)
    src = store.add_source(Source(name="Loop", url=srv.url("/")))
    store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
    pipe = Pipeline(store, settings)
    pipe.fetch_once()
    ids = {a.url.rsplit("/", 1)[1]: int(a.id) for a in store.iter_articles()}  # type: ignore[arg-type]
    assert sorted(ids) == sorted(p.rsplit("/", 1)[1] for p in paths)
    return settings, pipe, ids


def test_gone_and_home_redirect_retract_and_leave_the_story(store: Store) -> None:
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/gone", "/news/moved", "/news/kept"])
        svc = service(store)
        s = Stream(store, svc)
        other = s.add(BASE, 0, url="https://other.example/flood")
        sid = store.get_article(other.id).story_id  # type: ignore[arg-type]
        for aid in ids.values():  # all three belong to the other article's story
            a = store.get_article(aid)
            a.story_id = sid
            store.update_article(a)
        assert {a.id for a in store.story_articles(sid)} == {other.id, *ids.values()}
        srv.route("/news/gone", "gone", status=410, content_type="text/plain")
        srv.redirect("/news/moved", "/", status=301)
        fetched = store.get_article(ids["gone"]).fetched_at
        rep = run_recrawl(store, settings, pipe, uc.Services(store, settings, stories=svc),
                          now=fetched + timedelta(minutes=61))
    assert (rep.checked, rep.retracted, rep.unchanged, rep.errors) == (3, 2, 1, 0)
    gone, moved = store.get_article(ids["gone"]), store.get_article(ids["moved"])
    assert gone.status == moved.status == "removed" and is_retracted(gone) and is_retracted(moved)
    assert gone.notes[-1].startswith("retracted at the source (HTTP 410)")
    assert "home page" in moved.notes[-1]
    assert store.get_article(ids["kept"]).status == "ok"
    assert {a.id for a in store.story_articles(sid)} == {other.id, ids["kept"]}
    assert store.count_suppressions() == {}  # type: ignore[attr-defined]  # retracted, not taken down
    assert [e.step for e in store.audit_trail(None)].count("retract") == 2  # type: ignore[attr-defined]
    from newsloom.web import create_app

    c = TestClient(create_app(store, settings, semantic=False))
    tomb = c.get(f"/api/articles/{ids['gone']}").json()
    assert tomb.get("title") is None and tomb["removed"] == "retracted at the source (HTTP 410)"
    assert c.get(f"/api/articles/{ids['kept']}").json()["title"]


def test_changed_body_is_a_revision_shown_as_updated(store: Store) -> None:
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/edit"])
        aid = ids["edit"]
        s = Stream(store, service(store))
        sid = store.get_article(s.add(BASE, 0, url="https://other.example/flood").id).story_id  # type: ignore[arg-type]
        before = store.get_article(aid)
        before.story_id = sid
        store.update_article(before)
        srv.route("/news/edit", _page("/news/edit", "Correction: the tariffs rise in May, not in March."),
                  content_type="text/html")
        rep = run_recrawl(store, settings, pipe, now=before.fetched_at + timedelta(minutes=61))
    assert (rep.revised, rep.retracted) == (1, 0)
    after = store.get_article(aid)
    assert "Correction" in after.text and after.updated is not None and after.status == "ok"
    assert after.fetched_at == before.fetched_at
    assert [r.text for r in store.list_revisions(aid)] == [before.text]
    from newsloom.web import create_app

    page = TestClient(create_app(store, settings, semantic=False)).get(f"/stories/{sid}").text
    assert 'class="updated">updated <time' in page  # the reader marks the edited report



def test_unchanged_walks_the_schedule_and_errors_keep_the_article(store: Store) -> None:
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/same", "/news/flaky"])
        t0 = store.get_article(ids["same"]).fetched_at
        srv.route("/news/flaky", "busy", status=500, content_type="text/plain")
        assert run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=30)).checked == 0  # not due yet
        rep = run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=61))
        assert (rep.checked, rep.unchanged, rep.errors, rep.retracted) == (2, 1, 1, 0)
        f0 = store.get_article(ids["flaky"]).fetched_at
        assert store.recrawl_state(ids["same"]) == (1, t0 + timedelta(hours=24))  # type: ignore[attr-defined]
        assert store.recrawl_state(ids["flaky"]) == (1, f0 + timedelta(hours=24))  # type: ignore[attr-defined]
        assert store.get_article(ids["flaky"]).status == "ok"
        srv.route("/news/flaky", _page("/news/flaky"), content_type="text/html")  # back again
        rep = run_recrawl(store, settings, pipe, now=t0 + timedelta(hours=24, minutes=1))
        assert (rep.checked, rep.unchanged) == (2, 2)
        assert store.recrawl_state(ids["same"]) == (2, t0 + timedelta(days=7))  # type: ignore[attr-defined]
    # the server is gone: a network error at the last step keeps the article, the schedule ends
    rep = run_recrawl(store, settings, pipe, now=t0 + timedelta(days=7, minutes=1))
    assert (rep.checked, rep.errors) == (2, 2)
    assert store.recrawl_state(ids["same"]) == (3, None)  # type: ignore[attr-defined]
    assert {store.get_article(i).status for i in ids.values()} == {"ok"}
    assert run_recrawl(store, settings, pipe, now=t0 + timedelta(days=30)).checked == 0
    assert store.list_revisions(ids["same"]) == []


def test_rule() -> None:
    from datetime import UTC, datetime

    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_due(t, 0, t + timedelta(hours=1)) == (1, t + timedelta(hours=24))
    assert next_due(t, 0, t + timedelta(days=2)) == (2, t + timedelta(days=7))  # missed steps skipped
    assert next_due(t, 2, t + timedelta(days=7)) == (3, None)
    assert all(is_home(u) for u in ("https://x.example/", "https://x.example", "https://x.example/index.html",
                                    "https://x.example/en/", "https://x.example/de-at"))
    assert not any(is_home(u) for u in ("https://x.example/news/a", "https://x.example/?p=12",
                                        "https://x.example/2026/story"))


def test_cli_recrawl_pass(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from newsloom.cli import cli
    from newsloom.models import Article, utcnow
    from newsloom.store import open_store

    monkeypatch.setenv("NEWSLOOM_STORIES", "false")
    monkeypatch.setenv("NEWSLOOM_ALLOW_PRIVATE_NETWORKS", "true")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with LocalServer() as srv:
        srv.route("/news/pulled", "gone", status=410, content_type="text/plain")
        with open_store(db) as store:
            src = store.add_source(Source(name="Loop", url=srv.url("/")))
            feed = store.add_feed(Feed(url=srv.url("/feed.xml"), source_id=src.id))
            aid = store.add_article(Article(url=srv.url("/news/pulled"), title="Pulled", text="t", feed_id=feed.id,
                                            source_id=src.id, fetched_at=utcnow() - timedelta(hours=2))).id
        result = CliRunner().invoke(cli, ["takedown", "recrawl", "--db", db], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "1 due, 1 retracted" in result.output and "retracted at the source (HTTP 410)" in result.output
        again = CliRunner().invoke(cli, ["takedown", "recrawl", "--db", db], catch_exceptions=False)
        assert "0 due" in again.output
    with open_store(db) as store:
        assert store.get_article(aid).status == "removed"  # type: ignore[arg-type]


def test_recrawled_pages_are_analysed_in_worker_processes(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The long-running process does not load the language model (or the extractor's state) for
    the pages it recrawls: with workers, their stateless half runs there, as a fetch pass's pages'
    does (analysed here, the first recrawl added ~77 MB to `newsloom run` for good)."""
    from newsloom.analyse import language

    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/edit"])
        settings.workers = 2
        before = store.get_article(ids["edit"])
        srv.route("/news/edit", _page("/news/edit", "Correction: the tariffs rise in May, not in March."),
                  content_type="text/html")
        # as in a process that never analysed a page; any load of the model here is recorded
        monkeypatch.setattr(language, "_identifier", None)
        monkeypatch.setattr(language, "_model_cache", None)
        loads: list[int] = []
        real = language._get_identifier
        monkeypatch.setattr(language, "_get_identifier", lambda: loads.append(1) or real())
        rep = run_recrawl(store, settings, pipe, now=before.fetched_at + timedelta(minutes=61))
    assert (rep.revised, rep.errors) == (1, 0)
    assert "Correction" in store.get_article(ids["edit"]).text
    assert not loads, "the recrawled page was analysed in this process"


def _no_analysis(pipe: Pipeline, monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Record every page the recrawl sends through the pipeline's analysis (here or in a worker
    process: either way its result is committed)."""
    seen: list[str] = []
    real = pipe.commit
    monkeypatch.setattr(pipe, "commit", lambda analysed, raw=None: seen.append(raw.url) or real(analysed, raw))
    return seen


def test_unchanged_bytes_are_not_analysed_again(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A page that answers with the bytes stored is unchanged without extraction or analysis;
    one byte of difference (a per-request timestamp) sends it through the pipeline, which still
    finds the article unchanged."""
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/static", "/news/stamped"])
        t0 = store.get_article(ids["static"]).fetched_at
        srv.route("/news/stamped", _page("/news/stamped").replace("</body>", "<!-- served 12:01:07 --></body>"),
                  content_type="text/html")
        seen = _no_analysis(pipe, monkeypatch)
        rep = run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=61))
    assert (rep.checked, rep.unchanged, rep.not_modified, rep.revised, rep.errors) == (2, 2, 1, 0, 0)
    assert seen == [srv.url("/news/stamped")]
    assert store.recrawl_state(ids["static"])[0] == 1  # type: ignore[attr-defined]  # the schedule walks on


def test_recrawl_is_conditional_on_the_stored_validators(store: Store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A site that sends ETag and Last-Modified is asked with If-None-Match / If-Modified-Since;
    its 304 is "unchanged" without a body; a new ETag with a changed page is a revision."""
    from localserver import Request

    version = {"etag": '"v1"', "extra": ""}

    def conditional(req: Request) -> tuple[int, dict[str, str], bytes]:
        headers = {"ETag": version["etag"], "Last-Modified": "Sun, 06 Dec 2026 09:00:00 GMT",
                   "Content-Type": "text/html"}
        if req.headers.get("If-None-Match") == version["etag"]:
            return 304, headers, b""
        return 200, headers, _page("/news/tagged", version["extra"]).encode()

    with LocalServer() as srv:
        srv.route("/news/tagged", handler=conditional)
        settings, pipe, ids = _crawl(store, srv, ["/news/tagged"])
        a = store.get_article(ids["tagged"])
        seen = _no_analysis(pipe, monkeypatch)
        rep = run_recrawl(store, settings, pipe, now=a.fetched_at + timedelta(minutes=61))
        asked = srv.requests_for("/news/tagged")[-1].headers
        assert asked.get("If-None-Match") == '"v1"' and asked.get("If-Modified-Since", "").startswith("Sun, 06 Dec")
        assert (rep.unchanged, rep.not_modified, rep.errors) == (1, 1, 0) and seen == []
        version.update(etag='"v2"', extra="Correction: the ferry sails at nine, not at ten.")
        rep = run_recrawl(store, settings, pipe, now=a.fetched_at + timedelta(hours=24, minutes=1))
        assert (rep.revised, rep.not_modified) == (1, 0) and len(seen) == 1
        assert "Correction" in store.get_article(ids["tagged"]).text
        # the revision's page is what the next recrawl is conditional on
        rep = run_recrawl(store, settings, pipe, now=a.fetched_at + timedelta(days=7, minutes=1))
        assert srv.requests_for("/news/tagged")[-1].headers.get("If-None-Match") == '"v2"'
        assert (rep.unchanged, rep.not_modified) == (1, 1)


def test_same_bytes_with_a_new_noindex_header_are_withdrawn(store: Store) -> None:
    """The bytes alone do not make a page unchanged: an X-Robots-Tag: noindex added by the
    publisher (on a 200 with the same body, or on a 304) sends it through the pipeline, which
    withholds it: the article is hidden as withdrawn at the source."""
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/hidden"])
        srv.route("/news/hidden", _page("/news/hidden"), content_type="text/html",
                  headers={"X-Robots-Tag": "noindex"})
        t0 = store.get_article(ids["hidden"]).fetched_at
        rep = run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=61))
    assert (rep.retracted, rep.not_modified) == (1, 0)
    gone = store.get_article(ids["hidden"])
    assert gone.status == "removed" and gone.notes[-1].startswith("withdrawn at the source")


def test_a_304_with_a_new_noindex_header_is_withdrawn(store: Store) -> None:
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/n"])
        srv.route("/news/n", handler=lambda req: (304, {"X-Robots-Tag": "noindex"}, b""))
        t0 = store.get_article(ids["n"]).fetched_at
        rep = run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=61))
    assert (rep.retracted, rep.not_modified, rep.errors) == (1, 0, 0)
    assert store.get_article(ids["n"]).notes[-1].startswith("withdrawn at the source")


def test_the_schedule_is_a_setting(store: Store) -> None:
    """recrawl_steps "10m,30m": due 10 minutes after the fetch, finished after two; "" = off."""
    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/s"])
        t0 = store.get_article(ids["s"]).fetched_at
        settings.recrawl_steps = ""
        assert run_recrawl(store, settings, pipe, now=t0 + timedelta(hours=2)).checked == 0
        settings.recrawl_steps = "10m,30m"
        assert run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=5)).checked == 0
        assert run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=11)).checked == 1
        assert store.recrawl_state(ids["s"]) == (1, t0 + timedelta(minutes=30))  # type: ignore[attr-defined]
        assert run_recrawl(store, settings, pipe, now=t0 + timedelta(minutes=31)).checked == 1
        assert store.recrawl_state(ids["s"]) == (2, None)  # type: ignore[attr-defined]
        assert run_recrawl(store, settings, pipe, now=t0 + timedelta(days=1)).checked == 0


def test_after_a_pass_the_recrawl_goes_on_in_batches_until_its_time_is_up(store: Store) -> None:
    """`newsloom run` recrawls batch after batch after each pass, until none is due or its time
    is up (one batch a pass let it fall an hour behind a daemon at the machine's limit); what
    is left is counted as late, for `newsloom status` and the run's output."""
    from newsloom.app.recrawl import backlog, recrawl_for

    with LocalServer() as srv:
        settings, pipe, ids = _crawl(store, srv, ["/news/a", "/news/b", "/news/c"])
        settings.recrawl_steps = "1s,1h"  # due a second after the fetch: the clock need not move
        time.sleep(1.1)
        assert backlog(store, settings)[0] == 3
        rep = recrawl_for(store, settings, pipe, seconds=0.0, batch=1)  # time is up after one batch
        assert rep.checked == 1 and rep.out_of_time and backlog(store, settings)[0] == 2
        n, late = backlog(store, settings)
        assert late is not None and late > 0
        rep = recrawl_for(store, settings, pipe, seconds=60.0, batch=1)
        assert (rep.checked, rep.unchanged, rep.not_modified, rep.out_of_time) == (2, 2, 2, False)
        assert backlog(store, settings) == (0, None)
