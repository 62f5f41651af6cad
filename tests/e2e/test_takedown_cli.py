"""Publisher removal requests through the real CLI, on SQLite and PostgreSQL: intake and its
refusals, duplicates, operator approval, execution (tombstone, purge, suppression), and a
re-ingest (same URL, a syndicated copy under another URL, a WARC) that brings nothing back."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsloom.cli import cli
from newsloom.config import Settings
from newsloom.models import RawDocument
from newsloom.pipeline import Pipeline
from newsloom.store import open_store


def _page(title: str, n: int) -> bytes:
    paras = "".join(f"<p>{title} paragraph {i}: the council met on Tuesday to debate item {n}-{i} of "
                    f"the budget, and the mayor said the vote on measure {n * 7 + i} would come soon.</p>"
                    for i in range(6))
    return (f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paras}</article></body></html>").encode()


PAGES = {
    "https://news.example.com/politics/a": _page("Council budget vote delayed", 1),
    "https://news.example.com/politics/b": _page("Mayor defends spending plan", 2),
    "https://other.example.org/c": _page("Harbour reopens after storm", 3),
}


@pytest.fixture(autouse=True)
def _no_stories(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLOOM_STORIES", "false")


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True, timeout=120)


def _ingest(db: str, pages: dict[str, bytes]) -> list[str]:
    with open_store(db) as store:
        p = Pipeline(store, Settings(db=db, stories=False))
        return [p.process_raw(RawDocument(url=u, body=b, content_type="text/html", origin="file")).status
                for u, b in pages.items()]


ADD = ["--requester", "Example News Ltd", "--contact", "legal@news.example.com", "--reason", "our article"]


def test_takedown_end_to_end(db: str, tmp_path: Path) -> None:
    assert _ingest(db, PAGES) == ["new", "new", "new"]
    body = json.loads(invoke("takedown", "add", "--prefix", "https://news.example.com/politics/", *ADD,
                             "--statement", "--json", "--db", db))
    rid = body["id"]
    assert body["status"] == "received" and body["verification"].startswith("newsloom-verification=")
    # the same request again: answered with the first id, nothing new
    again = json.loads(invoke("takedown", "add", "--prefix", "https://news.example.com/politics/", *ADD,
                              "--json", "--db", db))
    assert again["duplicate"] and again["id"] == rid
    listed = json.loads(invoke("takedown", "list", "--json", "--db", db))
    assert [r["id"] for r in listed] == [rid] and 0 < listed[0]["time_left_s"] <= 24 * 3600
    out = invoke("takedown", "approve", str(rid), "--operator", "alice", "--db", db)
    assert "executed, 2 articles removed" in out
    with open_store(db) as store:
        arts = {a.url: a for a in store.iter_articles()}
        gone = arts["https://news.example.com/politics/a"]
        assert gone.status == "removed" and gone.text == "" and gone.title is None and gone.raw_id is None
        assert arts["https://other.example.org/c"].status == "ok"  # nothing unrelated
        assert store.search_articles("delayed") == [] and store.search_articles("spending") == []  # FTS purged
        assert [a.url for a in store.search_articles("harbour")] == ["https://other.example.org/c"]
    # re-ingest: same URL, a syndicated copy (same text, another site), a WARC of the removed page
    copy = {"https://aggregator.example.net/copy-of-a": PAGES["https://news.example.com/politics/a"],
            "https://news.example.com/politics/a": PAGES["https://news.example.com/politics/a"],
            "https://news.example.com/politics/new": _page("Another politics page", 9)}
    assert _ingest(db, copy) == ["suppressed", "suppressed", "suppressed"]
    warc = tmp_path / "removed.warc.gz"
    with warc.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://news.example.com/politics/b", "response",
                                            payload=io.BytesIO(PAGES["https://news.example.com/politics/b"]),
                                            http_headers=http))
    with open_store(db) as store:
        summary = Pipeline(store, Settings(db=db, stories=False)).ingest([warc], workers=1)
        assert dict(summary.counts) == {"suppressed": 1}
        assert store.get_article(gone.id).status == "removed"  # type: ignore[arg-type]
    shown = json.loads(invoke("takedown", "show", str(rid), "--json", "--db", db))
    steps = [(e["step"], e["outcome"]) for e in shown["audit"]]
    assert ("intake", "ok") in steps and ("duplicate", "ok") in steps and ("approve", "ok") in steps
    assert ("execute", "ok") in steps and ("suppress", "blocked") in steps


def test_refusals_are_one_line_and_audited(db: str) -> None:
    invoke("init", "--no-default-sources", "--db", db)  # takedown add refuses a store that does not exist
    cases = [
        (["--prefix", "https://"], "names no site"),
        (["--domain", "com"], "public suffix"),
        (["--domain", "co.uk"], "public suffix"),
        (["--domain", "example.com/news"], "takes no scheme or path"),
        (["--url", "ftp://example.com/a"], "http:// or https://"),
        (["--url", "https://a.example/x", "--domain", "a.example"], "exactly one of"),
    ]
    for extra, message in cases:
        r = run_cli("takedown", "add", *extra, *ADD, "--db", db)
        assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr, (extra, r.stderr)
    r = run_cli("takedown", "add", "--url", "https://a.example/x", "--requester", "X", "--contact", "nope",
                "--reason", "r", "--db", db)
    assert r.returncode == 1 and "not an e-mail address" in r.stderr
    with open_store(db) as store:
        refused = store.audit_trail(None)  # type: ignore[attr-defined]
        assert len(refused) == 7 and all(e.outcome == "refused" for e in refused)


def test_idn_domain_never_ingested_and_operator_needed(db: str) -> None:
    invoke("init", "--no-default-sources", "--db", db)
    body = json.loads(invoke("takedown", "add", "--domain", "Bücher.example", *ADD, "--json", "--db", db))
    assert body["target"] == "xn--bcher-kva.example" and body["notes"]
    rid = str(body["id"])
    # verified nowhere, no statement: `takedown run` (what `newsloom run` does) executes nothing
    out = invoke("takedown", "approve", rid, "--db", db)
    assert "executed, 0 articles removed" in out
    shown = invoke("takedown", "show", rid, "--db", db)
    assert "never ingested" in shown and "normalised to xn--bcher-kva.example" in shown
    r = run_cli("takedown", "approve", rid, "--db", db)
    assert r.returncode == 1 and "already executed" in r.stderr
    r = run_cli("takedown", "show", "999", "--db", db)
    assert r.returncode == 1 and "not found" in r.stderr


def test_newsloom_run_executes_approved_requests(db: str) -> None:
    assert _ingest(db, {"https://news.example.com/politics/a": PAGES["https://news.example.com/politics/a"]}) == ["new"]
    rid = json.loads(invoke("takedown", "add", "--url", "https://news.example.com/politics/a", *ADD,
                            "--json", "--db", db))["id"]
    assert "verified" in invoke("takedown", "approve", str(rid), "--no-execute", "--db", db)
    out = invoke("run", "--once", "--no-default-sources", "--db", db)
    assert "takedowns: 0 verified, 1 executed" in out
    listed = json.loads(invoke("takedown", "list", "--all", "--json", "--db", db))
    assert listed[0]["status"] == "executed" and listed[0]["removed"] == 1
