"""The rights routes over the real ASGI app: the rights page and its form, the JSON API for
requests, the transparency report (HTML + JSON), the admin view's alarm, tombstones in the API,
and the overdue gauge on /metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from newsloom.app import rights as uc
from newsloom.config import Settings
from newsloom.models import Article, utcnow
from newsloom.store.base import Store
from newsloom.web import create_app
from newsloom.web.security import ADMIN_COOKIE, create_token

SAME = {"origin": "http://testserver"}


def _client(store: Store) -> TestClient:
    return TestClient(create_app(store, Settings(db=store.url, stories=False), semantic=False))


def test_form_api_transparency_and_tombstone(store: Store) -> None:
    a = store.add_article(Article(url="https://pub.example.com/x", title="Headline", text="body " * 80))
    c = _client(store)
    page = c.get("/rights")
    assert page.status_code == 200 and "noindex" in page.text and 'action="/rights/requests"' in page.text
    bad = c.post("/rights/requests", data={"kind": "prefix", "target": "https://", "requester": "P",
                                           "contact": "p@example.com", "reason": "r"}, headers=SAME)
    assert bad.status_code == 422 and "names no site" in bad.text
    forged = c.post("/rights/requests", data={"kind": "url", "target": "https://pub.example.com/x",
                                              "requester": "P", "contact": "p@example.com", "reason": "r"},
                    headers={"origin": "https://evil.example"})
    assert forged.status_code == 403
    ok = c.post("/rights/requests", data={"kind": "url", "target": "https://pub.example.com/x", "requester": "P",
                                          "contact": "p@example.com", "reason": "r", "statement": "true"},
                headers=SAME)
    assert ok.status_code == 200 and "newsloom-verification=" in ok.text
    api = c.post("/api/rights/requests", json={"kind": "domain", "target": "pub.example.com", "requester": "P",
                                               "contact": "p@example.com", "reason": "all of it"})
    assert api.status_code == 201 and api.json()["verify_with"]["meta"].startswith("<meta")
    assert "contact" not in api.json()  # the public view of a request names no person
    dup = c.post("/api/rights/requests", json={"kind": "domain", "target": "PUB.example.com.", "requester": "Q",
                                               "contact": "q@example.com", "reason": "again"})
    assert dup.status_code == 200 and dup.json()["duplicate"] and "verify_with" not in dup.json()
    malformed = c.post("/api/rights/requests", json={"kind": "everything", "target": "*"})
    assert malformed.status_code == 422
    uc.approve(store, Settings(db=store.url, stories=False), api.json()["id"])
    art = c.get(f"/api/articles/{a.id}").json()
    assert art["status"] == "removed" and art["removed"] == "removed at the publisher's request" and not art["title"]
    report = c.get("/rights/transparency.json").json()
    assert report["by_status"] == {"received": 1, "executed": 1} and report["articles_removed"] == 1
    assert c.get("/rights/transparency", headers={"accept": "application/json"}).json()["requests"] == 2
    assert "Transparency report" in c.get("/rights/transparency").text
    assert c.get(f"/api/rights/requests/{api.json()['id']}").json()["status"] == "executed"


def test_admin_view_alarm_and_metrics(store: Store) -> None:
    settings = Settings(db=store.url, stories=False, takedown_deadline_hours=-1.0)  # born overdue
    req = uc.submit(store, settings, "url", "https://late.example.com/a", "P", "p@example.com", "r").request
    c = _client(store)
    token = create_token(store, "admin")
    c.cookies.set(ADMIN_COOKIE, token)
    view = c.get("/admin/rights")
    assert "ALARM" in view.text and f"#{req.id}" in view.text
    assert "newsloom_takedowns_overdue 1.0" in c.get("/metrics").text
    r = c.post(f"/admin/rights/{req.id}/reject", data={"why": "not theirs"}, headers=SAME, follow_redirects=False)
    assert r.status_code == 303 and store.get_takedown(req.id).status == "rejected"  # type: ignore[attr-defined]
    c.cookies.clear()
    assert c.post(f"/admin/rights/{req.id}/approve", headers=SAME).status_code == 401
    assert utcnow() - timedelta(days=1) < store.get_takedown(req.id).received_at  # type: ignore[attr-defined]
