"""Takedown benchmark: 1,000 mixed removal requests against a store of N generated articles.

    python benchmarks/takedowns.py [--articles 100000] [--requests 1000] [--db URL]
                                   [--json benchmarks/results/takedowns.json] [--seed 1]

The store is filled fast by direct inserts (``Store.add_article`` in large transactions):
articles on 2,000 sites under three sections, 1 % of them with a syndicated copy (same text)
on an aggregator. The requests mix: URL (some never ingested), prefix and domain requests
verified by a DNS TXT record or the .well-known file (an injected resolver and page getter:
no network), operator-approved ones, unverified ones (no proof: must never run), requests
without the good-faith statement (held for an operator), duplicates, and malformed ones refused
at intake (match-everything prefixes, TLDs, domains with a path, bad e-mail).

``newsloom run``'s unattended pass (``app.rights.run_due``) then verifies and executes. Measured:
time from verification to complete purge per request (median, p95, max), none overdue, no
unverified request executed, the removed set equal to the expected set computed independently
from the generated ground truth (so nothing unrelated removed), and a re-ingest through
``Pipeline.commit`` of removed pages (same URL) and of syndicated copies under new URLs, and an
ingest of a WARC holding the removed pages as HTML under their own and new URLs, that must all
come back "suppressed".
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsloom.app import rights as uc  # noqa: E402
from newsloom.config import Settings  # noqa: E402
from newsloom.dedupe.hashing import content_hash  # noqa: E402
from newsloom.errors import TakedownError  # noqa: E402
from newsloom.models import Article  # noqa: E402
from newsloom.pipeline import Pipeline  # noqa: E402
from newsloom.rights.takedowns import token_line  # noqa: E402
from newsloom.store import open_store  # noqa: E402

SECTIONS = ("news", "sport", "opinion")
SITES = 2000
WORDS = ("council vote harbour storm budget minister rail strike court ruling market rates school "
         "election turnout hospital wage festival bridge flood museum league final").split()


def _text(i: int, rnd: random.Random) -> str:
    body = " ".join(rnd.choice(WORDS) for _ in range(60))
    return f"Report {i}. {body}."


def fill(store: Any, n: int, rnd: random.Random) -> dict[str, Any]:
    """Insert ``n`` articles (plus syndicated copies); returns the ground truth."""
    truth: dict[str, Any] = {"url": {}, "copies": {}}
    start = time.perf_counter()
    batch = 5000
    i = 0
    while i < n:
        with store.transaction():
            for j in range(i, min(n, i + batch)):
                site, sec = j % SITES, SECTIONS[(j // SITES) % 3]
                url = f"https://site{site}.example.com/{sec}/{j}"
                text = _text(j, rnd)
                h = content_hash(text)
                a = store.add_article(Article(url=url, canonical_url=url, title=f"Report {j}", text=text,
                                              content_hash=h, lang="en"))
                truth["url"][url] = (a.id, h)
                if j % 100 == 7:  # a syndicated copy of 1 % of articles
                    cu = f"https://agg{j % 50}.example.net/copy/{j}"
                    c = store.add_article(Article(url=cu, canonical_url=cu, title=f"Report {j}", text=text,
                                                  content_hash=h, lang="en", duplicate_of=a.id))
                    truth["copies"].setdefault(h, []).append(c.id)
        i += batch
    truth["fill_s"] = time.perf_counter() - start
    return truth


def plan(n_requests: int, n_articles: int, rnd: random.Random) -> list[dict[str, Any]]:
    """The request mix (kind, value, how it is proven)."""
    mix = ([("url", "dns")] * 22 + [("url", "file")] * 10 + [("url-missing", "dns")] * 5
           + [("prefix", "dns")] * 8 + [("prefix", "file")] * 5 + [("domain", "dns")] * 5
           + [("url", "operator")] * 8 + [("prefix", "operator")] * 2
           + [("url", "none")] * 12 + [("domain", "none")] * 3 + [("url", "nostatement")] * 5
           + [("dup", "dns")] * 5 + [("bad", "-")] * 10)
    used_sites: set[int] = set()
    out: list[dict[str, Any]] = []
    for k in range(n_requests):
        kind, proof = mix[k % len(mix)]
        if kind == "bad":
            value = rnd.choice([("prefix", "https://"), ("domain", "com"), ("domain", "co.uk"),
                                ("domain", "site1.example.com/news"), ("url", "ftp://x.example.com/a"),
                                ("url", "https://site2.example.com/news/2|bad-email")])
            out.append({"kind": value[0], "value": value[1], "proof": "-", "bad": True})
            continue
        if kind == "dup":
            if out:
                prev = next((r for r in reversed(out) if not r.get("bad")), None)
                if prev is not None:
                    out.append({**prev, "dup": True})
                    continue
            kind = "url"
        site = rnd.randrange(SITES)
        if kind in ("prefix", "domain"):
            while site in used_sites and len(used_sites) < SITES:  # whole sites: keep them distinct
                site = rnd.randrange(SITES)
            used_sites.add(site)
        if kind == "url":
            j = rnd.randrange(n_articles)
            value = f"https://site{j % SITES}.example.com/{SECTIONS[(j // SITES) % 3]}/{j}"
        elif kind == "url-missing":
            kind, value = "url", f"https://site{site}.example.com/never/{k}"
        elif kind == "prefix":
            value = f"https://site{site}.example.com/{rnd.choice(SECTIONS)}/"
        else:
            value = f"site{site}.example.com"
        out.append({"kind": kind, "value": value, "proof": proof})
    return out


def run(n_articles: int, n_requests: int, db: str | None, seed: int) -> dict[str, Any]:
    rnd = random.Random(seed)
    tmp = tempfile.TemporaryDirectory()
    url = db or f"sqlite:///{tmp.name}/bench.db"
    settings = Settings(db=url, stories=False, takedown_recheck_s=0)
    store = open_store(url)
    truth = fill(store, n_articles, rnd)
    requests = plan(n_requests, n_articles, rnd)
    dns: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    refused = 0
    ids: dict[int, dict[str, Any]] = {}
    t0 = time.perf_counter()
    for r in requests:
        contact = "legal@example.com" if not r["value"].endswith("|bad-email") else "not-an-email"
        try:
            intake = uc.submit(store, settings, r["kind"], r["value"].split("|")[0], "Rights Holder", contact,
                               "copyright", statement=r["proof"] != "nostatement")
        except TakedownError:
            refused += 1
            continue
        req = intake.request
        if intake.duplicate:
            continue
        ids[int(req.id)] = r  # type: ignore[arg-type]
        # a site with several requests publishes several TXT records / file lines
        if r["proof"] == "dns":
            dns.setdefault(f"_newsloom.{req.domain}", []).append(token_line(req))
        elif r["proof"] == "file":
            key = f"https://{req.domain}/.well-known/newsloom-verification.txt"
            files[key] = files.get(key, "") + token_line(req) + "\n"
        elif r["proof"] == "operator":
            uc.approve(store, settings, int(req.id), "bench", execute_now=False)  # type: ignore[arg-type]
    intake_s = time.perf_counter() - t0

    def resolve(name: str) -> list[str]:
        return dns.get(name, [])

    def get(u: str) -> tuple[int, bytes]:
        return (200, files[u].encode()) if u in files else (404, b"")

    t0 = time.perf_counter()
    rep = uc.run_due(store, settings, resolve=resolve, fetch=get)
    pass_s = time.perf_counter() - t0

    # --- checks against the ground truth ---------------------------------------------------------
    reqs = {int(r.id): r for r in store.list_takedowns()}  # type: ignore[arg-type]
    should_run = {i for i, r in ids.items() if r["proof"] in ("dns", "file", "operator")}
    executed = {i for i, r in reqs.items() if r.status == "executed"}
    by_host: dict[str, list[str]] = {}
    for u in truth["url"]:
        by_host.setdefault(u.split("/")[2], []).append(u)
    expected: set[int] = set()
    for i in should_run:
        q = reqs[i]
        urls = [q.target] if q.kind == "url" else by_host.get(q.domain, [])
        for u in urls:
            if u in truth["url"] and (q.kind != "prefix" or u.startswith(q.target)):
                aid, h = truth["url"][u]
                expected.add(aid)
                expected.update(truth["copies"].get(h, []))
    removed = set(_removed_ids(store))
    lat = [(reqs[i].executed_at - reqs[i].verified_at).total_seconds() for i in executed
           if reqs[i].verified_at and reqs[i].executed_at]
    overdue = [i for i in executed if reqs[i].executed_at > reqs[i].deadline]  # type: ignore[operator]

    # --- re-ingest: removed pages (same URL) and syndicated copies under new URLs --------------------
    sample = sorted(expected)[:200]
    arts = store.get_articles(sample)
    by_id = {aid: (u, h) for u, (aid, h) in truth["url"].items()}
    pipe = Pipeline(store, settings, with_stories=False)
    outcomes: dict[str, int] = {}
    warc_pages: list[tuple[str, int, str]] = []
    for a in arts:
        if a.id not in by_id:
            continue
        u, _ = by_id[a.id]
        j = int(u.rsplit("/", 1)[1])
        text = _text_for(j, seed, truth)
        for candidate in (u, f"https://mirror{j % 7}.example.org/{j}"):
            o = pipe.process_article(Article(url=candidate, title=f"Report {j}", text=text, lang="en"))
            outcomes[o.status] = outcomes.get(o.status, 0) + 1
        warc_pages.append((u, j, text))
    # and a WARC holding the removed pages as HTML, under their URLs and under new ones
    warc = Path(tmp.name) / "removed.warc.gz"
    _write_warc(warc, [(u, j, t) for u, j, t in warc_pages] + [(f"https://archive{j % 5}.example.net/{j}", j, t)
                                                              for u, j, t in warc_pages])
    warc_outcomes = dict(pipe.ingest([warc], workers=1).counts)
    stored = store.count_articles()
    store.close()
    tmp.cleanup()
    return {
        "articles": n_articles, "stored_rows": stored, "requests": len(requests), "refused_at_intake": refused,
        "accepted": len(ids), "duplicates": len(requests) - refused - len(ids),
        "should_execute": len(should_run), "executed": len(executed & should_run),
        "unverified_executed": len(executed - should_run),
        "verified_to_purge_s": {"median": round(statistics.median(lat), 4) if lat else None,
                                "p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 4) if lat else None,
                                "max": round(max(lat), 4) if lat else None},
        "overdue": len(overdue) + len(rep.overdue),
        "expected_removed": len(expected), "removed": len(removed),
        "unrelated_removed": len(removed - expected), "missed": len(expected - removed),
        "reingest": outcomes, "reingest_warc": warc_outcomes, "fill_s": round(truth["fill_s"], 1), "intake_s": round(intake_s, 2),
        "run_pass_s": round(pass_s, 2), "backend": url.split(":", 1)[0],
    }


def _write_warc(path: Path, pages: list[tuple[str, int, str]]) -> None:
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url, j, text in pages:
            body = (f"<html lang='en'><head><title>Report {j}</title></head><body><article>"
                    f"<p>{text}</p></article></body></html>").encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


_TEXTS: dict[int, str] = {}


def _text_for(j: int, seed: int, truth: dict[str, Any]) -> str:
    """The generated text of article ``j`` (regenerated: the store holds only the tombstone)."""
    if not _TEXTS:
        rnd = random.Random(seed)
        for i in range(len(truth["url"])):
            _TEXTS[i] = _text(i, rnd)
    return _TEXTS[j]


def _removed_ids(store: Any) -> list[int]:
    return [a.id for a in store.iter_articles(batch=5000) if a.status == "removed"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--db", help="store URL (default: a temporary SQLite file)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "takedowns.json"))
    args = ap.parse_args()
    if args.articles < 1000 or args.requests < 1:
        ap.error("--articles must be at least 1000 and --requests at least 1")
    res = run(args.articles, args.requests, args.db, args.seed)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"{k:<{width}}  {v}")
    ok = (res["unverified_executed"] == 0 and res["unrelated_removed"] == 0 and res["missed"] == 0
          and res["overdue"] == 0 and set(res["reingest"]) <= {"suppressed"}
          and set(res["reingest_warc"]) <= {"suppressed"})
    print("checks:", "all passed" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
