"""The reader's pages through the ASGI app: front page, filters, cursor pages, story page,
blindspots, sources, search across languages, 404 and 422."""

from __future__ import annotations

from reader_world import story_ids


def test_front_page_ranks_broad_stories_first(client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    html = r.text
    # the quake (3 languages, 4 outlets) and the pensions (3 languages) outrank the rail strike (2)
    assert html.index("Sumatra") < html.index("Bahnstreik")
    assert "Content-Security-Policy" in r.headers and "script-src" not in r.headers["Content-Security-Policy"]


def test_headline_in_the_readers_language(client) -> None:
    pt = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}).text
    assert "Terremoto de magnitude 6,8 atinge Sumatra" in pt and "Principais histórias" in pt
    # a story with no Portuguese headline shows its own, marked with its language
    assert "Bahnstreik" in pt


def test_filters(client) -> None:
    de = client.get("/?lang=de").text
    assert "Bahnstreik" in de and "Sumatra" not in de
    br = client.get("/?country=BR").text
    assert "Sumatra" in br and "Chile" not in br
    assert client.get("/?range=24h").status_code == 200


def test_cursor_pages_walk_every_story_once(client) -> None:
    seen, cursor = [], None
    for _ in range(20):
        url = "/api/stories?limit=1" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    everything = [i["id"] for i in client.get("/api/stories?limit=100").json()["items"]]
    assert seen == everything and len(seen) >= 3


def test_story_page(client) -> None:
    ids = story_ids(client)
    html = client.get(f"/stories/{ids['quake']}").text
    for text in ("Coverage", "Daily Planet", "Folha Exemplo", "El Diario Ejemplo", "Read at the source",
                 "https://planet.example.com/news/quake-0", "Andi Saputra"):
        assert text in html, text
    # the wire copy is collapsed under its original, not listed as a report of its own
    assert "<details class=\"copies\">" in html and "wire.example.org" in html
    # no stored text beyond the snippet
    assert html.count("No tsunami warning was issued") == 0 or len(html) < 40000


def test_snippet_is_short(client) -> None:
    ids = story_ids(client)
    body = client.get(f"/api/stories/{ids['pension']}").json()
    arts = [a for vs in body["articles_by_language"].values() for a in vs]
    assert arts and all(len(a["snippet"]) <= 201 for a in arts)
    assert all("text" not in a for a in arts)


def test_blindspots(client) -> None:
    # a reader of English in the US misses the German rail strike (de + fr)
    html = client.get("/blindspots?langs=en&countries=US").text
    assert "Bahnstreik" in html and "Sumatra" not in html
    assert client.get("/blindspots?langs=e1").status_code == 422


def test_source_page_and_sources(client) -> None:
    assert "Daily Planet" in client.get("/sources").text
    html = client.get("/sources/1").text
    assert "Feed health" in html and "Sumatra" in html


def test_search_across_languages(client) -> None:
    # an English query finds the Portuguese and Spanish reports by meaning, grouped in one story
    body = client.get("/api/search", params={"q": "earthquake Indonesia dead"}).json()
    langs = {a["lang"] for g in body["groups"] for a in g["articles"]}
    assert {"pt", "es"} <= langs, langs
    html = client.get("/search", params={"q": "terremoto"}).text
    assert "Sumatra" in html


def test_odd_queries_are_safe(client) -> None:
    for q in ['"unbalanced', "NEAR(a b) OR * ^x", "'; DROP TABLE articles; --", "\u0000\ufffd\U0001F600",
              "ä" * 400, "a AND", "title:x", "-", ")"]:
        r = client.get("/search", params={"q": q})
        assert r.status_code == 200, (q, r.status_code)
    assert client.get("/search", params={"q": "x" * 5000}).status_code == 422


def test_not_found_and_bad_params(client) -> None:
    r = client.get("/stories/987654321")
    assert r.status_code == 404 and "Page not found" in r.text and "<html" in r.text
    assert client.get("/no/such/page").status_code == 404
    r = client.get("/?range=forever")
    assert r.status_code == 422 and "range" in r.text
    r = client.get("/api/stories?cursor=garbage!!")
    assert r.status_code == 422 and "cursor" in r.json()["detail"]
    assert client.get("/api/stories?limit=1000").status_code == 422
    assert client.get("/stories/abc").status_code == 422
    assert client.get("/api/articles/987654321").status_code == 404


def test_ui_language_switch_sets_a_cookie(client) -> None:
    r = client.get("/?ui=de")
    assert "Top-Geschichten" in r.text and r.cookies.get("ui") == "de"
    assert "Top-Geschichten" in client.get("/").text
    client.cookies.clear()
    assert "Top stories" in client.get("/").text


def test_localised_dates_and_country_names(client) -> None:
    html = client.get("/?ui=fr&country=BR").text
    assert "Brésil" in html
    client.cookies.clear()


def test_unchosen_filter_menus_mean_no_filter(client) -> None:
    r = client.get("/?lang=de&country=&source=&range=")
    assert r.status_code == 200 and "Bahnstreik" in r.text and "Sumatra" not in r.text.split("cards")[1]
