"""End to end through the real fetcher: Wikinews articles served as HTML pages and RSS feeds on a
loopback server, one `newsloom fetch` pass (politeness relaxed for the one local host), every
page extracted, analysed, deduplicated, stored, embedded and clustered into stories.

    python benchmarks/fetch_pipeline.py [--shared ../shared] [--articles 600] [--feeds 12]
                                         [--db URL] [--no-stories] [--json benchmarks/results/fetch_pipeline.json]

Reports articles/s end to end (from the first feed request to the last story assigned), the
fetch pass's own counts, peak RSS of this process, and the store's counts. The pages are the
corpus texts wrapped in a plain article template, dated as the corpus dates them.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import resource
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _shared(arg: str | None) -> Path:
    return Path(arg or os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")


def _page(row: dict[str, Any]) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in (row.get("text") or "").split("\n") if p.strip())
    date = row.get("date") or ""
    return (f"<!doctype html><html lang='{row.get('lang') or 'en'}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(row.get('title') or '')}</title>"
            f"<meta property='article:published_time' content='{date}'></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{html.escape(row.get('title') or '')}</h1>"
            f"{paras}</article><footer>Example site</footer></body></html>").encode()


def _feed(base: str, items: list[tuple[str, dict[str, Any]]]) -> bytes:
    out = "".join(f"<item><title>{html.escape(r.get('title') or '')}</title><link>{base}{path}</link>"
                  f"<guid>{base}{path}</guid></item>" for path, r in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>bench</title>{out}</channel></rss>".encode()


class _Server:
    def __init__(self, routes: dict[str, tuple[bytes, str]]) -> None:
        routes_ = routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body, ctype = routes_.get(self.path.split("?")[0], (b"not found", "text/plain"))
                self.send_response(200 if self.path.split("?")[0] in routes_ else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()


def run(rows: list[dict[str, Any]], feeds: int, db: str | None, stories: bool) -> dict[str, Any]:
    from newsloom.config import Settings
    from newsloom.models import Feed, Source
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store

    routes: dict[str, tuple[bytes, str]] = {}
    pages = [(f"/a/{i}", r) for i, r in enumerate(rows)]
    for path, r in pages:
        routes[path] = (_page(r), "text/html; charset=utf-8")
    with _Server(routes) as srv, tempfile.TemporaryDirectory() as tmp:
        per = -(-len(pages) // feeds)
        for k in range(feeds):
            routes[f"/feed{k}.xml"] = (_feed(srv.base, pages[k * per:(k + 1) * per]), "application/rss+xml")
        url = db or f"sqlite:///{tmp}/bench.db"
        settings = Settings.load(db=url, stories=stories, allow_private_networks=True,
                                 requests_per_second_per_host=1000.0, max_articles_per_feed=per + 1,
                                 concurrency=16)
        with open_store(url) as store:
            src = store.add_source(Source(name="bench", url=srv.base + "/", country="GB", language="en"))
            for k in range(feeds):
                store.add_feed(Feed(url=f"{srv.base}/feed{k}.xml", source_id=src.id))
            pipeline = Pipeline(store, settings)
            t_load = time.perf_counter()
            if stories:  # the models load before the clock starts
                service = pipeline.stories
                service.embedder.embed(["warm up"])
                if service.bridging:
                    service._fallback_embedder().embed(["warm up"])
            load_s = time.perf_counter() - t_load
            t0 = time.perf_counter()
            summary, crawl = pipeline.fetch_once()
            seconds = time.perf_counter() - t0
            n = store.count_articles()
            with_story = n - len(store.articles_without_story(limit=10 ** 9))
    return {
        "articles_served": len(pages), "feeds": feeds, "stories": stories,
        "articles_stored": n, "articles_with_story": with_story if stories else None,
        "outcomes": dict(summary.counts), "pages_fetched": getattr(crawl, "pages_fetched", None),
        "seconds": round(seconds, 2), "articles_per_s": round(n / seconds, 2) if seconds else None,
        "model_load_s": round(load_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared")
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--feeds", type=int, default=12)
    ap.add_argument("--db")
    ap.add_argument("--no-stories", action="store_true")
    ap.add_argument("--json", default=str(REPO / "benchmarks/results/fetch_pipeline.json"))
    args = ap.parse_args()
    from newsloom.bench.stories import read_corpus

    shared = _shared(args.shared)
    corpora = [shared / "corpora/wikinews-meantime/docs.jsonl", shared / "corpora/wikinews-primer/docs.jsonl"]
    missing = [str(c) for c in corpora if not c.is_file()]
    if missing:
        sys.exit(f"benchmarks/fetch_pipeline.py: corpus not found: {', '.join(missing)} (--shared DIR)")
    rows = read_corpus(corpora)[: args.articles]
    result = run(rows, args.feeds, args.db, not args.no_stories)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    print("| what | value |\n|---|---|")
    for k, v in result.items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
