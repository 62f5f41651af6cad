"""Recrawl cost: CPU seconds per recrawled page, by what the page looks like when asked again,
against the CPU of its first fetch and processing.

    python benchmarks/recrawl.py [--articles 1000] [--json benchmarks/results/recrawl.json]

A loopback site in its own process (its CPU is not counted) serves ``--articles`` article pages
(the soak's generator) and one feed listing them. ``Pipeline.fetch_once`` crawls them into a new
SQLite store with stories off (the recrawl of an unchanged page never reaches the stories
stage), then ``app.recrawl.run_recrawl`` recrawls every one of them once per mode, the schedule
reset in between:

- ``static``: the same bytes as stored (a cached or static page): unchanged by its hash;
- ``validators``: the site sends ETag and Last-Modified and answers 304 to a matching ask;
- ``stamped``: bytes that differ on every request (a "served at" line, as many CMSs' pages):
  the page is extracted and analysed again, then found unchanged (the worst case);
- ``revised``: the text changed: extracted, analysed and stored as a revision.

Measured per mode: wall seconds and CPU seconds per page, the first crawl's per article for
comparison. Everything runs in this one process (``workers = 1``; the extraction and language
models loaded before timing) so that its CPU time is all of the work: worker processes are
children of the fork server, whose CPU no clock of this process sees. No timing is asserted.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from soak import article  # noqa: E402 - the soak's seeded article generator

MODES = ("static", "validators", "stamped", "revised")


def _serve(port_out: Any, mode: Any, n: int) -> None:
    def page(i: int) -> bytes:
        title, text = article(i)
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
        if MODES[mode.value] == "revised":
            paras += f"<p>Correction: an earlier version of report {i} gave the wrong date for the meeting.</p>"
        return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                f"</head><body><article><h1>{html.escape(title)}</h1>{paras}</article>"
                f"<footer>Recrawl site</footer></body></html>").encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path, headers, status = self.path, {"Content-Type": "text/html; charset=utf-8"}, 200
            if path == "/feed.xml":
                items = "".join(f"<item><title>{html.escape(article(i)[0])}</title><link>http://127.0.0.1:"
                                f"{self.server.server_address[1]}/a/{i}</link></item>" for i in range(n))
                body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>r</title>{items}</channel></rss>"
                headers["Content-Type"], data = "application/rss+xml", body.encode()
            elif path.startswith("/a/") and path[3:].isdigit() and int(path[3:]) < n:
                data, kind = page(int(path[3:])), MODES[mode.value]
                if kind == "stamped":
                    data = data.replace(b"</footer>", f" served {time.time_ns()}</footer>".encode())
                headers |= {"ETag": f'"{path[3:]}"', "Last-Modified": "Sun, 06 Dec 2026 00:00:00 GMT"}
                if kind == "validators" and self.headers.get("If-None-Match") == headers["ETag"]:
                    status, data = 304, b""
                elif kind != "validators":  # only this mode offers validators that match
                    headers["ETag"] = f'"{path[3:]}-{time.time_ns()}"'
            else:
                status, data = 404, b"not found"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.value = httpd.server_address[1]
    httpd.serve_forever()


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def bench(n: int) -> dict[str, Any]:
    from newsloom.app.recrawl import run_recrawl
    from newsloom.config import Settings
    from newsloom.models import Feed, Source
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store

    ctx = multiprocessing.get_context("spawn")
    port, mode = ctx.Value("i", 0), ctx.Value("i", 0)
    site = ctx.Process(target=_serve, args=(port, mode, n), daemon=True)
    site.start()
    while not port.value:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port.value}"
    tmp = Path(tempfile.mkdtemp(prefix="newsloom-recrawl-"))
    settings = Settings(db=f"sqlite:///{tmp / 'r.db'}", allow_private_networks=True, stories=False,
                        requests_per_second_per_host=1000.0, concurrency=16, max_articles_per_feed=n,
                        min_feed_interval_s=0, workers=1)
    from newsloom.models import RawDocument
    from newsloom.pipeline import analyse

    title, text = article(n + 1)  # models loaded before anything is timed
    analyse(RawDocument(url=f"{base}/warm-up", content_type="text/html", body=(
        f"<html><head><title>{title}</title></head><body><article><p>{text}</p></article></body></html>").encode()),
        settings)
    out: dict[str, Any] = {"articles": n, "cpus": os.cpu_count(), "modes": {}}
    with open_store(settings.db, create=True) as store:
        src = store.add_source(Source(name="Recrawl site", url=base + "/"))
        store.add_feed(Feed(url=base + "/feed.xml", source_id=src.id))
        pipe = Pipeline(store, settings)
        w0, c0 = time.perf_counter(), _cpu()
        pipe.fetch_once()
        w1, c1 = time.perf_counter(), _cpu()
        stored = store.count_articles()
        out["first_crawl"] = {"stored": stored, "wall_s": round(w1 - w0, 2),
                              "cpu_ms_per_page": round((c1 - c0) / max(1, stored) * 1000, 2)}
        newest = max(a.fetched_at for a in store.iter_articles())
        for k, name in enumerate(MODES):
            mode.value = k
            with store.transaction():  # every article due for its first step again
                store._execute("UPDATE articles SET recrawl_count = 0, recrawl_at = NULL")  # type: ignore[attr-defined]
            w0, c0 = time.perf_counter(), _cpu()
            rep = run_recrawl(store, settings, pipe, now=newest + timedelta(minutes=61), limit=n)
            w1, c1 = time.perf_counter(), _cpu()
            per_page = (c1 - c0) / max(1, rep.checked) * 1000
            out["modes"][name] = {
                "checked": rep.checked, "unchanged": rep.unchanged, "without_analysis": rep.not_modified,
                "revised": rep.revised, "errors": rep.errors, "wall_s": round(w1 - w0, 2),
                "cpu_ms_per_page": round(per_page, 2),
                "share_of_first_crawl": round(per_page / out["first_crawl"]["cpu_ms_per_page"], 3)
                if out["first_crawl"]["cpu_ms_per_page"] else None}
    site.terminate()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--json", default=str(REPO / "benchmarks/results/recrawl.json"))
    args = ap.parse_args()
    result = bench(args.articles)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    first = result["first_crawl"]
    print(f"first crawl: {first['stored']} articles, {first['cpu_ms_per_page']} ms CPU each")
    print("| recrawl | pages | without analysis | revised | wall s | CPU ms/page | share of first crawl |")
    print("|---|---|---|---|---|---|---|")
    for name, m in result["modes"].items():
        print(f"| {name} | {m['checked']} | {m['without_analysis']} | {m['revised']} | {m['wall_s']} | "
              f"{m['cpu_ms_per_page']} | {m['share_of_first_crawl']} |")


if __name__ == "__main__":
    main()
