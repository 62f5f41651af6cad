"""The reader in headless Chromium (Debian's chromium driven by Playwright), as a person uses it:
front page, a story, a filter, the UI language, search across languages, a primary-source link,
every feed kind. Skipped when Chromium or Playwright is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import feedparser
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    # primary sources are other sites: answer them locally (no network in tests)
    ctx.route("https://**/*", lambda route: route.fulfill(
        status=200, content_type="text/html", body=f"<h1>outlet page</h1><p>{route.request.url}</p>"))
    pg = ctx.new_page()
    yield pg
    ctx.close()


def test_read_like_a_person(page, live_server: str) -> None:
    page.goto(live_server + "/")
    assert page.title().startswith("Top stories")
    assert page.locator(".card").count() >= 3
    # open the quake story
    page.get_by_role("link", name="Earthquake of magnitude 6.8 strikes Sumatra, killing 12").first.click()
    page.wait_for_url("**/stories/*")
    assert page.locator("table.coverage tbody tr").count() >= 3
    assert page.get_by_text("Folha Exemplo").count() >= 1
    # the wire copy is folded under its original; opening it shows the copy
    page.locator("details.copies summary").first.click()
    assert page.locator("details.copies li").first.is_visible()
    # follow a primary-source link
    link = page.locator("a.primary").first
    href = link.get_attribute("href")
    assert href and href.startswith("https://")
    link.click()
    page.wait_for_url(href)
    assert "outlet page" in page.content()


def test_filter_and_language_switch(page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.select_option("select[name=lang]", "de")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**lang=de**")
    assert "Bahnstreik" in page.content() and "Sumatra" not in page.inner_text("main .cards")
    page.goto(live_server + "/")
    page.get_by_role("link", name="pt", exact=True).click()
    page.wait_for_url("**ui=pt**")
    assert page.locator("h1").inner_text() == "Principais histórias"
    assert page.get_by_text("Terremoto de magnitude 6,8 atinge Sumatra e mata 12 pessoas").count() == 1
    page.goto(live_server + "/")  # the choice is remembered (cookie)
    assert page.locator("h1").inner_text() == "Principais histórias"


def test_search_across_languages(page, live_server: str) -> None:
    page.goto(live_server + "/")
    page.fill("#q", "earthquake Indonesia dead")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=**")
    text = page.inner_text("main")
    assert "Terremoto de magnitude 6,8 atinge Sumatra" in text  # the Portuguese report
    assert "Un terremoto de magnitud 6,8 sacude Sumatra" in text


def test_download_every_feed_kind(page, live_server: str) -> None:
    page.goto(live_server + "/")
    for kind in ("atom", "rss"):
        r = page.request.get(f"{live_server}/feeds/front.{kind}")
        parsed = feedparser.parse(r.body())
        assert r.ok and not parsed.bozo and parsed.entries
    r = page.request.get(f"{live_server}/feeds/front.json")
    assert r.ok and r.json()["items"]
    r = page.request.get(f"{live_server}/sources.opml")
    assert r.ok and b"<opml" in r.body()


def test_no_console_errors_and_no_script(page, live_server: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    for path in ("/", "/blindspots", "/sources", "/search?q=Chile"):
        page.goto(live_server + path)
        assert page.locator("script").count() == 0
    assert errors == []


def test_api_docs_work_without_the_internet(page, live_server: str) -> None:
    """Swagger UI comes from this machine (no CDN) and runs under the page's CSP."""
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server + "/docs")
    page.locator(".opblock-summary-path").first.wait_for(timeout=15000)
    paths = " ".join(page.locator(".opblock-summary-path").all_inner_texts()).replace("\u200b", "")
    assert "/api/stories" in paths
    assert not outside, outside
    assert not [e for e in errors if "Content Security Policy" in e], errors
