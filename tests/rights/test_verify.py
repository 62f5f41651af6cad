"""Verification of site control (DNS TXT through an injected resolver, the .well-known file and
the meta tag served by the loopback server) and the unattended pass of ``newsloom run``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from localserver import LocalServer

from newsloom.app import rights as uc
from newsloom.config import Settings
from newsloom.models import Article, utcnow
from newsloom.rights.takedowns import token_line
from newsloom.rights.verify import WELL_KNOWN
from newsloom.store.base import Store

ADD = dict(requester="Example News", contact="legal@example.com", reason="ours")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def settings() -> Settings:
    return Settings(db="sqlite:///:memory:", allow_private_networks=True, timeout_s=3.0,
                    requests_per_second_per_host=1000.0, stories=False, takedown_recheck_s=0)


def _no_dns(name: str) -> list[str]:
    raise LookupError(f"{name}: DNS lookup failed (Timeout)")


def test_dns_txt_record_verifies_and_a_failing_lookup_is_audited(store: Store, settings: Settings) -> None:
    req = uc.submit(store, settings, "domain", "news.example.com", statement=True, **ADD).request
    assert not uc.check(store, settings, req, resolve=_no_dns, fetch=lambda url: (404, b""))
    trail = [(e.step, e.outcome, e.detail) for e in store.audit_trail(req.id)]  # type: ignore[attr-defined]
    assert ("verify-dns", "failed") == trail[-3][:2] and "Timeout" in trail[-3][2]
    records = {"_newsloom.example.com": [f'"{token_line(req)}"']}
    assert uc.check(store, settings, req, resolve=lambda n: records.get(n, []), fetch=lambda url: (404, b""))
    assert store.get_takedown(req.id).verified_by == "dns"  # type: ignore[attr-defined]
    # someone else's token does not verify
    other = uc.submit(store, settings, "domain", "rival.example.com", statement=True, **ADD).request
    assert not uc.check(store, settings, other, resolve=lambda n: records.get(n, []), fetch=lambda u: (404, b""))


def test_file_that_appears_and_disappears(store: Store, settings: Settings, server: LocalServer) -> None:
    store.add_article(Article(url=server.url("/news/1"), title="One", text="one " * 60, content_hash="h1"))
    store.add_article(Article(url=server.url("/sport/2"), title="Two", text="two " * 60, content_hash="h2"))
    req = uc.submit(store, settings, "prefix", server.url("/news/"), statement=True, **ADD).request
    rep = uc.run_due(store, settings, resolve=_no_dns)
    assert rep.verified == 0 and rep.executed == 0  # no file yet: nothing executed
    server.route(WELL_KNOWN, token_line(req) + "\n", content_type="text/plain")
    rep = uc.run_due(store, settings, resolve=_no_dns)
    assert (rep.verified, rep.executed) == (1, 1)
    server.route(WELL_KNOWN, "", status=404)  # gone again: what was verified stays verified, once
    assert uc.run_due(store, settings, resolve=_no_dns).executed == 0
    statuses = {a.url.rsplit("/", 2)[-2]: a.status for a in store.iter_articles()}
    assert statuses == {"news": "removed", "sport": "ok"}
    steps = [(e.step, e.outcome) for e in store.audit_trail(req.id)]  # type: ignore[attr-defined]
    assert steps.count(("verify-file", "failed")) == 1 and ("verify-file", "ok") in steps


def test_meta_tag_and_unverified_never_executed(store: Store, settings: Settings, server: LocalServer) -> None:
    req = uc.submit(store, settings, "url", server.url("/a"), statement=True, **ADD).request
    server.route("/", f'<html><head><meta name="newsloom-verification" content="{req.token}"></head></html>',
                 content_type="text/html")
    assert uc.check(store, settings, req, resolve=_no_dns)
    assert store.get_takedown(req.id).verified_by == "meta"  # type: ignore[attr-defined]
    # no statement: site control alone is not enough, an operator must approve
    held = uc.submit(store, settings, "url", server.url("/b"), **ADD).request
    server.route(WELL_KNOWN, token_line(held), content_type="text/plain")
    rep = uc.run_due(store, settings, resolve=_no_dns)
    assert store.get_takedown(held.id).status == "received" and rep.executed == 1  # type: ignore[attr-defined]


def test_overdue_alarm_and_expired_articles(store: Store, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    req = uc.submit(store, settings, "domain", "slow.example.com", statement=True, **ADD).request
    later = utcnow() + timedelta(hours=25)
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    a = store.add_article(Article(url="https://x.example.com/old", title="Old", text="x " * 50,
                                  rights={"unavailable_after": past}))
    with caplog.at_level("WARNING", logger="newsloom.rights"):
        rep = uc.run_due(store, settings, resolve=_no_dns, fetch=lambda u: (404, b""), now=later)
    assert rep.overdue == [req.id] and "overdue" in caplog.text
    assert rep.expired == 1 and store.get_article(a.id).status == "removed"  # type: ignore[arg-type]
    assert uc.transparency(store)["open_overdue"] == 0  # measured now: not yet 24 h
