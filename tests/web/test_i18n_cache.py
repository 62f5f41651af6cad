"""The UI catalogue is complete in every language; Accept-Language negotiation; the micro-cache
serves public pages again and never admin pages or credentialed requests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from newsloom.config import Settings
from newsloom.web import create_app, i18n


def test_catalogue_complete() -> None:
    for lang in i18n.UI_LANGS[1:]:
        assert i18n.missing(lang) == [], lang
    assert i18n.gettext("de", "Blindspots") == "Blinde Flecken"
    assert i18n.gettext("xx", "Blindspots") == "Blindspots"


def test_negotiate() -> None:
    assert i18n.negotiate("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert i18n.negotiate("ja, pt-BR;q=0.5") == "pt"
    assert i18n.negotiate("en;q=0.1, de;q=0.9") == "de"
    assert i18n.negotiate("zz, ;q=x, *") == "en" and i18n.negotiate(None) == "en"
    assert i18n.country_name("BR", "fr") == "Brésil" and i18n.language_name("pt", "de") == "Portugiesisch"


def test_micro_cache(app_store) -> None:
    app = create_app(app_store, Settings(db=app_store.url), semantic=False, cache_seconds=60)
    with TestClient(app) as c:
        first = c.get("/api/stories?limit=2")
        second = c.get("/api/stories?limit=2")
        assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
        assert c.get("/api/stories?limit=2", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        # a different UI language is a different page
        assert "Blinde Flecken" in c.get("/", headers={"Accept-Language": "de"}).text
        assert "Blindspots" in c.get("/", headers={"Accept-Language": "en"}).text
        assert c.get("/admin").headers["cache-control"] == "no-store"
        assert app.state is not None


def test_formatting_caches_hold_the_pages_being_read_not_the_archive() -> None:
    """Every article shown adds its time and URL to the formatting caches of the serving process;
    bounded by the archive they grew for good in a months-long `newsloom run` (~8 small objects
    an article in a soak). Times of one day share one `day` entry; `when` and the URL caches stay small."""
    from datetime import UTC, date, datetime, timedelta

    from newsloom.web import render

    i18n._day.cache_clear()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    texts = {i18n.day(start + timedelta(seconds=37 * k), "en") for k in range(2000)}  # all on 1 March
    assert texts == {i18n.day(date(2026, 3, 1), "en")} == {"Mar 1, 2026"}
    assert i18n._day.cache_info().currsize == 1
    assert i18n.day(None, "en") == ""
    for cached in (i18n.when, render._safe_url, render._host):
        assert cached.cache_info().maxsize <= 16_384, cached
    i18n.when.cache_clear()
    for k in range(20_000):
        i18n.when(start + timedelta(minutes=k), "en")
    assert i18n.when.cache_info().currsize == i18n.when.cache_info().maxsize
