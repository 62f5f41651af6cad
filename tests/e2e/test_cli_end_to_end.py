"""The user's path through the real CLI: sources -> fetch (local HTTP server) -> stored, deduplicated
articles; files -> ingest; bad input -> one clear line, nothing lost; interruption -> same store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer

from newsloom.cli import cli

PARAS = {
    "quake": [
        "A strong earthquake of magnitude 6.8 struck the northern coast of the island on Tuesday morning, "
        "damaging hundreds of homes and cutting power to the regional capital, officials said.",
        "The national seismology institute said the quake hit at a depth of 12 kilometres, about 40 "
        "kilometres from the port city, and was followed by more than thirty aftershocks.",
        "Rescue teams from three provinces were sent to the area, and the health ministry said two "
        "hospitals had been evacuated as a precaution while engineers inspected their buildings.",
        "Schools will stay closed until Friday, the education minister told reporters, adding that "
        "temporary shelters had been opened in sports halls for families whose homes were unsafe.",
    ],
    "budget": [
        "Parliament approved the government's budget for next year late on Wednesday after a debate "
        "that lasted more than fourteen hours and ended with a narrow vote of 176 to 171.",
        "The plan raises spending on hospitals and railways while freezing public-sector wages, a "
        "compromise that the finance minister described as painful but necessary for the deficit.",
        "Opposition parties said the budget relied on optimistic growth forecasts and vowed to challenge "
        "several tax measures before the constitutional court in the coming weeks.",
        "Economists at the central bank expect the deficit to fall to 2.9 percent of output, just under "
        "the limit set by the fiscal rules, if the growth forecast of 1.8 percent holds.",
    ],
    "match": [
        "The home side came from two goals down to win the cup final 3-2 in extra time on Saturday, "
        "sending tens of thousands of supporters into the streets of the old town to celebrate.",
        "Their captain scored the winner with a header in the 112th minute, his first goal of the "
        "season, after the visitors had dominated the first half with quick counter-attacks.",
        "The coach said the comeback was the proudest moment of his career and dedicated the trophy to "
        "the club's youth academy, which produced seven of the eleven starting players.",
        "It is the club's first major trophy in 23 years, and the mayor announced an open-top bus parade "
        "through the city centre for Sunday afternoon.",
    ],
}


def page(title: str, paras: list[str], canonical: str | None = None) -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>{link}"
        f"<meta property='article:published_time' content='2026-11-20T08:00:00Z'></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        f"<footer>Copyright Example News. All rights reserved.</footer></body></html>"
    )


def rss(srv: LocalServer, items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{t}</title><link>{srv.url(path)}</link><guid>{path}</guid>"
        f"<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate></item>"
        for t, path in items
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Example</title>"
        f"<link>{srv.url('/')}</link><description>x</description>{entries}</channel></rss>"
    )


def invoke(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def site():
    with LocalServer() as srv:
        srv.robots("User-agent: *\nDisallow: /private/\n")
        srv.route("/news/quake", page("Earthquake hits northern coast", PARAS["quake"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/news/budget", page("Parliament passes budget", PARAS["budget"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        # the same quake story republished under another URL with a new title: a duplicate
        srv.route("/wire/quake-copy", page("Strong quake damages homes", PARAS["quake"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/private/match", page("Cup final", PARAS["match"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/feed.xml", rss(srv, [("Earthquake", "/news/quake"), ("Budget", "/news/budget"),
                                         ("Cup final", "/private/match")]),
                  headers={"Content-Type": "application/rss+xml"})
        srv.route("/wire.xml", rss(srv, [("Quake copy", "/wire/quake-copy"),
                                         ("Earthquake", "/news/quake?utm_source=wire")]),
                  headers={"Content-Type": "application/rss+xml"})
        srv.route("/broken.xml", "<rss><channel><item><title>unterminated",
                  headers={"Content-Type": "application/rss+xml"})
        yield srv


def test_fetch_from_feeds_stores_clean_deduplicated_articles(db: str, site: LocalServer) -> None:
    invoke("init", "--db", db, "--no-default-sources")
    invoke("sources", "add", site.url("/feed.xml"), "--name", "Example", "--country", "GB", "--db", db)
    invoke("sources", "add", site.url("/wire.xml"), "--name", "Wire", "--country", "FR", "--db", db)
    invoke("sources", "add", site.url("/broken.xml"), "--name", "Broken", "--db", db)
    output = invoke("fetch", "--db", db)
    assert "fetch:" in output

    arts = json.loads(invoke("articles", "list", "--json", "--db", db))
    by_url = {a["url"]: a for a in arts}
    assert site.url("/news/quake") in by_url and site.url("/news/budget") in by_url
    assert not any("/private/" in u for u in by_url), "robots.txt Disallow was not obeyed"
    assert not any("utm_source" in u for u in by_url), "same page with tracking params stored twice"
    original = by_url[site.url("/news/quake")]
    copy = by_url[site.url("/wire/quake-copy")]
    # the two feeds are fetched and their pages analysed concurrently: whichever page was stored
    # first is the original, the other its duplicate
    assert (copy["duplicate_of"], original["duplicate_of"]) in ((original["id"], None), (None, copy["id"]))
    for field in ("id", "url", "canonical_url", "source", "title", "lang", "published", "duplicate_of",
                  "is_copy", "primary_url", "embeds", "images"):
        assert field in original
    assert original["lang"] == "en" and original["source"] == "Example"

    full = json.loads(invoke("articles", "show", str(original["id"]), "--json", "--db", db))
    assert "magnitude 6.8" in full["text"] and "All rights reserved" not in full["text"]

    feeds = json.loads(invoke("sources", "list", "--json", "--db", db))
    status = {f["url"].rsplit("/", 1)[-1]: f for f in feeds}
    assert status["broken.xml"]["last_status"] not in (None, "ok")
    assert status["broken.xml"]["last_error"]
    assert status["feed.xml"]["last_status"] == "ok"
    log = json.loads(invoke("sources", "log", "--json", "--db", db))
    assert any(e["status"] == "robots" for e in log)

    # a second pass changes nothing: the feed answers the same and the pages are known
    invoke("fetch", "--db", db)
    assert len(json.loads(invoke("articles", "list", "--json", "--db", db))) == len(arts)


def test_edited_article_is_recorded_as_revision(db: str, site: LocalServer) -> None:
    invoke("init", "--db", db, "--no-default-sources")
    invoke("sources", "add", site.url("/feed.xml"), "--db", db)
    invoke("fetch", "--db", db)
    before = json.loads(invoke("articles", "list", "--json", "--db", db))
    site.route("/news/budget", page("Parliament narrowly passes budget", PARAS["budget"][:3]
                                     + ["Update: the president signed the budget into law on Thursday evening."]),
               headers={"Content-Type": "text/html; charset=utf-8"})
    feed_id = json.loads(invoke("sources", "list", "--json", "--db", db))[0]["id"]
    import asyncio

    from newsloom.config import Settings
    from newsloom.fetch.crawler import fetch_page
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store

    settings = Settings(db=db, allow_private_networks=True)  # the test site is on loopback
    with open_store(db) as store:
        raw = asyncio.run(fetch_page(site.url("/news/budget"), settings))
        outcome = Pipeline(store, settings, with_stories=False).process_raw(raw)
    assert outcome.status == "revision"
    after = json.loads(invoke("articles", "list", "--json", "--db", db))
    assert len(after) == len(before)
    art = json.loads(invoke("articles", "show", str(outcome.article_id), "--json", "--db", db))
    assert art["title"] == "Parliament narrowly passes budget"
    assert len(art["revisions"]) == 1 and art["revisions"][0]["title"] == "Parliament passes budget"
    assert feed_id


def test_opml_round_trip_and_not_opml(db: str, tmp_path: Path) -> None:
    invoke("init", "--db", db, "--no-default-sources")
    invoke("sources", "add", "https://example.org/rss", "--name", "Org", "--country", "de", "--db", db)
    out = tmp_path / "out.opml"
    invoke("sources", "export-opml", "-o", str(out), "--db", db)
    db2 = f"sqlite:///{tmp_path / 'two.db'}"
    assert "1 feed added" in invoke("sources", "import-opml", str(out), "--db", db2)
    assert "0 feeds added, 1 already followed" in invoke("sources", "import-opml", str(out), "--db", db2)
    bad = tmp_path / "notes.opml"
    bad.write_text("<html><body>hello</body></html>")
    proc = run_cli("sources", "import-opml", str(bad), "--db", db2)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and str(bad) in proc.stderr


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True, timeout=120)


def test_bad_inputs_give_one_clear_line(db: str, tmp_path: Path) -> None:
    invoke("init", "--db", db, "--no-default-sources")
    invoke("sources", "add", "https://example.org/rss", "--db", db)
    dup = run_cli("sources", "add", "https://example.org/rss", "--db", db)
    assert dup.returncode == 1 and "Traceback" not in dup.stderr and "example.org/rss" in dup.stderr
    notdb = tmp_path / "not-a-db.db"
    notdb.write_bytes(b"this is not sqlite" * 100)
    proc = run_cli("articles", "list", "--db", f"sqlite:///{notdb}")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    proc = run_cli("articles", "list", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    # files: one good page, an all-boilerplate page, a binary file, an unknown extension
    (tmp_path / "good.html").write_text(page("Cup final", PARAS["match"]), encoding="utf-8")
    (tmp_path / "boiler.html").write_text("<html><body><p>Read more</p><p>Back to top</p></body></html>")
    (tmp_path / "bin.html").write_bytes(bytes(range(256)) * 50)
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4")
    proc = run_cli("ingest", str(tmp_path / "good.html"), str(tmp_path / "boiler.html"),
                   str(tmp_path / "bin.html"), str(tmp_path / "x.pdf"), "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "1 new" in proc.stdout and "boiler.html" in proc.stdout and "bin.html" in proc.stdout
    arts = json.loads(invoke("articles", "list", "--json", "--db", db))
    assert len(arts) == 1


def test_ingest_seed_pages(db: str, shared_dir: Path) -> None:
    seeds = sorted((shared_dir / "seeds").glob("*.txt"))
    invoke("ingest", *map(str, seeds), "--db", db)
    arts = json.loads(invoke("articles", "list", "--json", "--db", db))
    assert {a["lang"] for a in arts} == {"en", "pt"}
    en = next(a for a in arts if a["lang"] == "en")
    pt = next(a for a in arts if a["lang"] == "pt")
    assert en["is_copy"] is True
    full_pt = json.loads(invoke("articles", "show", str(pt["id"]), "--json", "--db", db))
    assert full_pt["text"].count("Oleksii Reznikov") == 1
    assert "pic.twitter.com" not in full_pt["text"] and len(full_pt["embeds"]) == 3


def test_interrupted_ingest_resumes_to_the_same_store(tmp_path: Path) -> None:
    lines = []
    for i, (key, paras) in enumerate(sorted(PARAS.items()) * 3):
        lines.append(json.dumps({"doc_id": f"d{i}", "title": f"{key} {i}", "text": "\n\n".join(paras),
                                 "lang": "en", "url": f"https://example.org/{key}/{i}"}))
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    cut = f"sqlite:///{tmp_path / 'cut.db'}"
    invoke("ingest", str(corpus), "--db", whole)

    from newsloom.config import Settings
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store

    seen = 0

    def stop_after_four(_: object) -> None:
        nonlocal seen
        seen += 1
        if seen == 4:
            raise KeyboardInterrupt

    with open_store(cut) as store:
        with pytest.raises(KeyboardInterrupt):
            Pipeline(store, Settings(db=cut)).ingest([corpus], progress=stop_after_four)
    invoke("ingest", str(corpus), "--db", cut)

    def snapshot(db: str) -> list[tuple]:
        arts = json.loads(invoke("articles", "list", "--json", "--limit", "100", "--db", db))
        return sorted((a["id"], a["url"], a["title"], a["duplicate_of"], a["lang"], a["story_id"]) for a in arts)

    assert snapshot(cut) == snapshot(whole)


def test_run_once_and_default_sources(db: str, site: LocalServer, tmp_path: Path) -> None:
    invoke("init", "--db", db)  # first start: the shipped world source list
    feeds = json.loads(invoke("sources", "list", "--json", "--db", db))
    assert len(feeds) >= 60
    assert len({f["source"]["language"] for f in feeds if f["source"]}) >= 15
    empty = f"sqlite:///{tmp_path / 'own.db'}"
    invoke("sources", "add", site.url("/feed.xml"), "--name", "Example", "--db", empty)
    output = invoke("run", "--once", "--no-default-sources", "--db", empty)
    assert "pass:" in output
    assert len(json.loads(invoke("articles", "list", "--json", "--db", empty))) == 2


def test_ingest_warc_with_a_truncated_record(db: str, tmp_path: Path) -> None:
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for i, key in enumerate(("quake", "budget", "match")):
        body = page(f"Story {key}", PARAS[key]).encode("utf-8")
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://cc.example.net/{key}", "response",
                                                      payload=BytesIO(body), http_headers=headers))
    data = buf.getvalue()
    whole = tmp_path / "ok.warc.gz"
    whole.write_bytes(data)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) - 200])  # the last record is truncated
    proc = run_cli("ingest", str(cut), "--db", db)
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr
    assert "cut.warc.gz" in proc.stdout
    assert len(json.loads(invoke("articles", "list", "--json", "--db", db))) == 2
    invoke("ingest", str(whole), "--db", db)  # the complete archive adds only the missing page
    assert len(json.loads(invoke("articles", "list", "--json", "--db", db))) == 3


def test_killed_fetch_resumes_to_the_same_store(tmp_path: Path) -> None:
    import signal
    import time as _time

    with LocalServer() as srv:
        items = []
        for i in range(6):
            key = sorted(PARAS)[i % 3]
            srv.route(f"/p/{i}", page(f"{key} report {i}", [f"Report number {i}."] + PARAS[key]),
                      headers={"Content-Type": "text/html; charset=utf-8"}, delay=0.4)
            items.append((f"{key} {i}", f"/p/{i}"))
        srv.route("/feed.xml", rss(srv, items), headers={"Content-Type": "application/rss+xml"})
        whole, cut = (f"sqlite:///{tmp_path / n}" for n in ("whole.db", "cut.db"))
        for db in (whole, cut):
            invoke("init", "--no-default-sources", "--db", db)
            invoke("sources", "add", srv.url("/feed.xml"), "--name", "Example", "--db", db)
        invoke("fetch", "--db", whole)

        before = len(srv.requests_for("/p/1"))
        proc = subprocess.Popen([sys.executable, "-m", "newsloom", "fetch", "--db", cut],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = _time.monotonic() + 60
        while len(srv.requests_for("/p/1")) == before and _time.monotonic() < deadline:
            _time.sleep(0.05)  # wait until it is busy fetching pages
        proc.send_signal(signal.SIGTERM)
        out, err_text = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in out + err_text, err_text
        assert "interrupted" in err_text
        partial = json.loads(invoke("articles", "list", "--json", "--db", cut))
        assert len(partial) < 6
        invoke("fetch", "--feed", "1", "--db", cut)  # the feed is not due yet: ask for it by id

    def snapshot(db: str) -> list[tuple]:
        arts = json.loads(invoke("articles", "list", "--json", "--limit", "100", "--db", db))
        return sorted((a["url"], a["title"], a["duplicate_of"] is not None, a["lang"]) for a in arts)

    assert snapshot(cut) == snapshot(whole)


def test_gone_feed_is_switched_off_and_can_be_switched_on(db: str, site: LocalServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    site.route("/old.xml", "this feed has moved on", status=410)
    monkeypatch.setenv("NEWSLOOM_DISABLE_AFTER_410", "2")
    invoke("init", "--no-default-sources", "--db", db)
    invoke("sources", "add", site.url("/old.xml"), "--name", "Old", "--db", db)
    for _ in range(2):
        # --feed: polled even though backing off; exit 1 as the only feed tried failed
        invoke("fetch", "--feed", "1", "--db", db, ok=False)
    listing = json.loads(invoke("sources", "list", "--json", "--db", db))
    assert listing[0]["active"] is False and listing[0]["last_status"] == "disabled"
    assert "switched off after 2 polls in a row answered HTTP 410" in listing[0]["last_error"]
    # a normal pass no longer asks the host; nothing stored is lost
    before = len(site.requests_for("/old.xml"))
    invoke("fetch", "--db", db)
    assert len(site.requests_for("/old.xml")) == before
    assert "switched on" in invoke("sources", "enable", "1", "--db", db)
    listing = json.loads(invoke("sources", "list", "--json", "--db", db))
    assert listing[0]["active"] is True and listing[0]["gone_count"] == 0 and listing[0]["next_due"] is None
    assert "switched off" in invoke("sources", "disable", "1", "--db", db)
    proc = run_cli("sources", "enable", "99", "--db", db)
    assert proc.returncode == 1 and "feed 99" in proc.stderr and "Traceback" not in proc.stderr
