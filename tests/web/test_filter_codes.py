"""Filters naming a language or country code that cannot exist are refused with a 422 naming
the parameter (HTML page, JSON on /api, feeds too); a real code with no articles is a 200."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url, param", [
    ("/?lang=xx", "lang"), ("/?lang=english", "lang"), ("/?country=ZZZ", "country"),
    ("/?country=qq", "country"), ("/search?q=quake&lang=xx", "lang"),
    ("/search?q=quake&country=ZZ", "country"), ("/blindspots?langs=xx", "langs"),
    ("/blindspots?countries=QQ", "countries"),
])
def test_html_refuses_unknown_codes(client, url, param) -> None:
    r = client.get(url)
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert f"{param}:" in r.text and "is not an ISO" in r.text


@pytest.mark.parametrize("url, param", [
    ("/api/stories?country=ZZZ", "country"), ("/api/stories?lang=xx", "lang"),
    ("/api/search?q=quake&lang=qq", "lang"), ("/api/blindspots?langs=xx", "langs"),
    ("/api/blindspots?countries=ZZ", "countries"),
])
def test_api_refuses_unknown_codes(client, url, param) -> None:
    r = client.get(url)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert detail.startswith(f"{param}:") and "is not an ISO" in detail


@pytest.mark.parametrize("url", ["/feeds/lang/qq.atom", "/feeds/lang/english.atom",
                                 "/feeds/search.atom?q=quake&lang=xx"])
def test_feeds_refuse_unknown_codes(client, url) -> None:
    r = client.get(url)
    assert r.status_code == 422 and "lang:" in r.text and "language code" in r.text


@pytest.mark.parametrize("url", ["/?lang=is", "/?country=IS", "/?country=is", "/api/stories?lang=is",
                                 "/api/stories?country=is", "/feeds/lang/is.atom", "/search?q=quake&lang=is",
                                 "/blindspots?langs=is&countries=IS"])
def test_valid_but_empty_code_is_200(client, url) -> None:
    assert client.get(url).status_code == 200


def test_case_is_normalised_like_the_store(client) -> None:
    # countries are kept upper case, languages lower case: either spelling filters the same
    assert client.get("/?country=br").text.count("Sumatra") == client.get("/?country=BR").text.count("Sumatra") > 0
    assert "Bahnstreik" in client.get("/?lang=DE").text


def test_ui_language_switch_still_works(client) -> None:
    r = client.get("/?lang=de", headers={"Accept-Language": "pt"})
    assert r.status_code == 200 and "Principais histórias" in r.text


def test_ui_parameter_is_not_a_filter(client) -> None:
    try:
        r = client.get("/?ui=pt&lang=de")
    finally:
        client.cookies.delete("ui")  # the session's client: later tests expect English pages
    assert r.status_code == 200 and "Principais histórias" in r.text and "Bahnstreik" in r.text


def test_messages_name_the_web_parameter_not_a_cli_flag(client) -> None:
    detail = client.get("/api/stories?lang=english").json()["detail"]
    assert detail.startswith("lang:") and "--" not in detail and "'en'" in detail  # the hint names the code
    assert "--" not in client.get("/blindspots?countries=UK").text.split("<main", 1)[-1]


def test_a_withdrawn_language_code_names_its_successor(client) -> None:
    """Old systems still send ISO 639's withdrawn codes (iw for Hebrew, in for Indonesian): refused,
    with the current code suggested from CLDR's aliases (CLI and web share the check)."""
    r = client.get("/api/stories?lang=iw")
    assert r.status_code == 422 and "'he' (Hebrew)" in r.json()["detail"]
    assert "'id' (Indonesian)" in client.get("/api/search?q=x&lang=in").json()["detail"]
