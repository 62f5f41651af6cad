"""Crash: kill -9 of `newsloom run` (SQLite) or of `newsloom worker` x2 (PostgreSQL) at seeded
random moments, restarts, and the store compared with an uninterrupted run's.

    python benchmarks/crash.py [--mode run|workers|both] [--kills 20] [--seed 2026]
                               [--json benchmarks/results/crash.json]

Feeds and article pages are served from 127.0.0.1 (a stdlib HTTP server in this process, with
ETag and Last-Modified on every feed, so a feed marked "not modified" before its pages were
stored would lose them). The corpus: five events, each reported by four outlets in four
languages on three days, plus a wire copy of each first report: 65 pages in 5 feeds. Every
page answers after 0.1 s (a slow site), so a pass takes a few seconds of fetching and storing.

A kill moment is "the store holds k more articles than when this process started" (k drawn
with the seed from 0..3) plus a random 0-0.2 s, so kills land in start-up, mid-fetch, mid-commit, mid-story assignment and idle time.
After the kills one last run completes the work. The comparison is a checksum (SHA-256) over

- articles: (url, content hash, url of the article it duplicates),
- stories: the membership of every story as a set of article urls (ids differ between stores),
- lineage: (url, mark, url of the article it points to),

and the article/story counts. ``tests/faults/test_faults_crash.py`` runs a few kills of each
mode; this script runs the full 20. Needs PostgreSQL at $NEWSLOOM_TEST_PG for ``workers``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PAGE_DELAY_S = 0.1
PG = os.environ.get("NEWSLOOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

EVENTS = {
    "flood": ("Danube", "Vienna", "4,200", {
        "en": "Floods on the {p} forced {n} people from their homes near {c} after three days of rain.",
        "es": "Las inundaciones del {p} obligaron a {n} personas a dejar sus casas cerca de {c} tras tres días de lluvia.",
        "fr": "Les inondations du {p} ont forcé {n} personnes à quitter leur maison près de {c} après trois jours de pluie.",
        "de": "Das Hochwasser der {p} hat {n} Menschen bei {c} nach drei Tagen Regen aus ihren Häusern vertrieben.",
    }),
    "strike": ("Lufthansa", "Frankfurt", "1,100", {
        "en": "A pilots' strike at {p} cancelled {n} flights at {c} airport, stranding thousands of travellers.",
        "es": "Una huelga de pilotos de {p} canceló {n} vuelos en el aeropuerto de {c} y dejó varados a miles de viajeros.",
        "fr": "Une grève des pilotes de {p} a annulé {n} vols à l'aéroport de {c}, bloquant des milliers de voyageurs.",
        "de": "Ein Pilotenstreik bei {p} hat am Flughafen {c} {n} Flüge ausfallen lassen und Tausende Reisende gestrandet.",
    }),
    "election": ("Kowalski", "Warsaw", "52.4", {
        "en": "{p} won the presidential run-off in {c} with {n} percent of the vote, the electoral commission said.",
        "es": "{p} ganó la segunda vuelta presidencial en {c} con el {n} por ciento de los votos, dijo la comisión electoral.",
        "fr": "{p} a remporté le second tour de la présidentielle à {c} avec {n} % des voix, selon la commission électorale.",
        "de": "{p} hat die Stichwahl um das Präsidentenamt in {c} mit {n} Prozent der Stimmen gewonnen, so die Wahlkommission.",
    }),
    "telescope": ("Kepler-452", "Chile", "1,400", {
        "en": "Astronomers in {c} found water vapour around the planet {p}, some {n} light years from Earth.",
        "es": "Astrónomos en {c} hallaron vapor de agua alrededor del planeta {p}, a unos {n} años luz de la Tierra.",
        "fr": "Des astronomes au {c} ont trouvé de la vapeur d'eau autour de la planète {p}, à quelque {n} années-lumière de la Terre.",
        "de": "Astronomen in {c} haben Wasserdampf um den Planeten {p} gefunden, rund {n} Lichtjahre von der Erde entfernt.",
    }),
    "wildfire": ("Peloponnese", "Kalamata", "3,000", {
        "en": "A wildfire in the {p} burned {n} hectares of forest and olive groves near {c} overnight.",
        "es": "Un incendio forestal en el {p} quemó {n} hectáreas de bosque y olivares cerca de {c} durante la noche.",
        "fr": "Un incendie dans le {p} a brûlé {n} hectares de forêt et d'oliveraies près de {c} pendant la nuit.",
        "de": "Ein Waldbrand auf dem {p} hat über Nacht {n} Hektar Wald und Olivenhaine bei {c} zerstört.",
    }),
}
MORE = {
    "en": "Officials gave more details on the second day and said the situation would be reviewed again on Friday.",
    "es": "Las autoridades dieron más detalles el segundo día y dijeron que la situación se revisará de nuevo el viernes.",
    "fr": "Les autorités ont donné plus de détails le deuxième jour et ont dit que la situation serait revue vendredi.",
    "de": "Die Behörden nannten am zweiten Tag weitere Einzelheiten und wollen die Lage am Freitag erneut prüfen.",
}
LATER = {
    "en": "Insurers and unions were to meet the ministers at noon; the talks could last into the night.",
    "es": "Aseguradoras y sindicatos se reunirán con los ministros al mediodía; las conversaciones podrían durar hasta la noche.",
    "fr": "Assureurs et syndicats devaient rencontrer les ministres à midi ; les discussions pourraient durer jusqu'à la nuit.",
    "de": "Versicherer und Gewerkschaften wollten mittags mit den Ministern sprechen; die Gespräche könnten bis in die Nacht dauern.",
}


# --- the corpus and its server ------------------------------------------------------------------
@dataclass
class Page:
    path: str
    title: str
    text: str
    lang: str
    published: str  # ISO; distinct per page, so "who came first" never depends on store order


def corpus() -> dict[str, list[Page]]:
    """Feed name -> its pages: one feed per language, one for the wire copies."""
    feeds: dict[str, list[Page]] = {lang: [] for lang in MORE}
    feeds["wire"] = []
    for e, (event, (p, c, n, lines)) in enumerate(EVENTS.items()):
        for li, (lang, line) in enumerate(lines.items()):
            lead = line.format(p=p, c=c, n=n)
            for day in range(3):
                text = " ".join([[lead, MORE[lang]], [MORE[lang], lead, LATER[lang]], [lead, LATER[lang]]][day])
                when = f"2026-11-{10 + e * 2 + day:02d}T{8 + li:02d}:{10 * day:02d}:00Z"
                feeds[lang].append(Page(f"/{lang}/{event}/{day}", lead.split(",")[0][:90], text, lang, when))
        first = feeds["en"][-3]
        feeds["wire"].append(Page(f"/wire/{event}", first.title, first.text, "en",
                                  first.published.replace(":00:00Z", ":45:00Z")))
    return feeds


def page_html(page: Page) -> str:
    body = "".join(f"<p>{s}</p>" for s in page.text.split(". "))
    return (f"<!doctype html><html lang='{page.lang}'><head><meta charset='utf-8'><title>{page.title}</title>"
            f"<meta property='article:published_time' content='{page.published}'></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{page.title}</h1>{body}</article>"
            f"<footer>Example News</footer></body></html>")


def feed_xml(base: str, name: str, pages: list[Page]) -> str:
    items = "".join(f"<item><title>{p.title}</title><link>{base}{p.path}</link><guid>{p.path}</guid>"
                    f"<pubDate>{p.published}</pubDate></item>" for p in pages)
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{name}</title><link>{base}/</link><description>x</description>{items}</channel></rss>")


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            body, headers, status = b"not found", {"Content-Type": "text/plain"}, 404
        else:
            body, headers = route
            status = 200
            time.sleep(PAGE_DELAY_S if not self.path.startswith("/feeds/") else 0.0)
            if headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
                body, status = b"", 304
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


class Site:
    """The corpus on 127.0.0.1 (an ephemeral port) until ``close()``."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.httpd.routes = {}
        self.pages = 0
        modified = formatdate(time.time() - 3600, usegmt=True)
        for name, pages in corpus().items():
            xml = feed_xml(self.base, name, pages).encode("utf-8")
            self.httpd.routes[f"/feeds/{name}.xml"] = (xml, {
                "Content-Type": "application/rss+xml", "ETag": f'"{hashlib.md5(xml).hexdigest()}"',
                "Last-Modified": modified})
            for p in pages:
                self.httpd.routes[p.path] = (page_html(p).encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
                self.pages += 1
        self.feeds = [f"{self.base}/feeds/{name}.xml" for name in corpus()]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the store, summed up --------------------------------------------------------------------------
def snapshot(db: str) -> dict[str, Any]:
    """Counts and a checksum over articles (with their duplicate group), stories (as sets of urls)
    and lineage."""
    from newsloom.store import open_store

    with open_store(db) as store:
        arts = list(store.iter_articles())
    url = {a.id: a.url for a in arts}
    # duplicates as groups, named by their smallest URL: the original (``duplicate_of``) is the
    # group's earliest report, but copies with the same time keep the one processed first, and two
    # workers after a kill may process them in another order than an uninterrupted run (the
    # lineage below, which the reader shows as "first report", is compared exactly)
    parent = {a.id: a.duplicate_of for a in arts}

    def root(aid: int) -> int:
        seen = set()
        while parent.get(aid) is not None and aid not in seen:
            seen.add(aid)
            aid = parent[aid]  # type: ignore[assignment]
        return aid

    groups: dict[int, list[str]] = {}
    for a in arts:
        groups.setdefault(root(a.id), []).append(a.url)
    group_of = {a.id: min(groups[root(a.id)]) if len(groups[root(a.id)]) > 1 else "" for a in arts}
    articles = sorted((a.url, a.content_hash or "", group_of[a.id]) for a in arts)
    members: dict[int, list[str]] = {}
    for a in arts:
        if a.story_id is not None:
            members.setdefault(a.story_id, []).append(a.url)
    stories = sorted(sorted(m) for m in members.values())
    lineage = sorted((a.url, a.lineage or "", url.get(a.lineage_of) or "") for a in arts)
    doc = {"articles": articles, "stories": stories, "lineage": lineage}
    digest = hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode("utf-8")).hexdigest()
    return {"articles": len(arts), "stories": len(stories), "without_story": sum(a.story_id is None for a in arts),
            "checksum": digest, "detail": doc}


def diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    """What differs between two snapshots (for a failing comparison's message)."""
    lines = []
    for part in ("articles", "stories", "lineage"):
        x = {json.dumps(r) for r in a["detail"][part]}
        y = {json.dumps(r) for r in b["detail"][part]}
        lines += [f"{part} only in the first: {r}" for r in sorted(x - y)[:5]]
        lines += [f"{part} only in the second: {r}" for r in sorted(y - x)[:5]]
    return "\n".join(lines)


def stored(db: str) -> int:
    from newsloom.store import open_store

    try:
        with open_store(db, create=False) as store:
            return store.count_articles()
    except Exception:  # noqa: BLE001 - not created yet, or mid-migration: nothing stored
        return 0


# --- processes --------------------------------------------------------------------------------------
def env() -> dict[str, str]:
    # one host (127.0.0.1) serves every feed: lift the per-host politeness that would make this
    # a test of waiting; one analysis process keeps start-up short and the machine shareable
    return {**os.environ, "NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "true", "NEWSLOOM_REQUESTS_PER_SECOND_PER_HOST": "500",
            "NEWSLOOM_WORKERS": "1", "PYTHONUNBUFFERED": "1"}


def newsloom(*args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "newsloom", *args], stdout=out, stderr=subprocess.STDOUT,
                            env=env(), cwd=REPO)


def setup(db: str, site: Site) -> None:
    """A new store following the corpus's feeds (what `newsloom sources add` does)."""
    from newsloom.app.sources import add_source, check_new_feed
    from newsloom.config import Settings
    from newsloom.store import open_store

    with open_store(db) as store:
        for i, url in enumerate(site.feeds):
            add_source(store, Settings(db=db), check_new_feed(url, name=f"Outlet {i}"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kill(proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    return True


@dataclass
class Result:
    mode: str
    kills: int
    attempts: int
    seconds: float
    reference: dict[str, Any]
    resumed: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.reference["checksum"] == self.resumed["checksum"]


class Moments:
    """Seeded kill moments: "k more articles stored than at this start" (k in 0..3: 0 kills in
    start-up) plus 0-0.2 s, so 20 kills spread over the whole work of the 65-page corpus."""

    def __init__(self, seed: int, n_pages: int) -> None:
        self.rng = random.Random(seed)
        self.n = n_pages

    def next(self, now_stored: int) -> tuple[int, float]:
        return min(self.n, now_stored + self.rng.randint(0, 3)), self.rng.uniform(0.0, 0.2)


def _wait_stored(db: str, target: int, procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and stored(db) < target and any(p.poll() is None for p in procs):
        time.sleep(0.1)


# `newsloom run` on SQLite ----------------------------------------------------------------------------
def uninterrupted(tmp: Path, site: Site) -> dict[str, Any]:
    """The snapshot of one uninterrupted `newsloom run --once` of ``site`` into a new SQLite store
    (``tmp``/reference.db): what a store that lived through a fault must equal."""
    ref_db = f"sqlite:///{tmp / 'reference.db'}"
    setup(ref_db, site)
    done = newsloom("run", "--once", "--no-default-sources", "--db", ref_db, log=tmp / "reference.log")
    if done.wait(600) != 0:
        raise RuntimeError(f"uninterrupted run failed: {(tmp / 'reference.log').read_text()[-2000:]}")
    return snapshot(ref_db)


def run_mode(tmp: Path, kills: int, seed: int, log: Callable[[str], None] = print) -> Result:
    site = Site()
    try:
        start = time.monotonic()
        reference = uninterrupted(tmp, site)
        log(f"run: reference {reference['articles']} articles, {reference['stories']} stories")

        db = f"sqlite:///{tmp / 'killed.db'}"
        setup(db, site)
        killed = 0
        when = Moments(seed, site.pages)
        for i in range(kills):
            target, delay = when.next(stored(db))
            # every fifth start serves the web app too (a kill while serving)
            web = ["--port", str(_free_port())] if i % 5 == 4 else ["--no-web"]
            proc = newsloom("run", *web, "--no-default-sources", "--db", db, log=tmp / "killed.log")
            _wait_stored(db, target, [proc], 300)
            time.sleep(delay)
            killed += _kill(proc)
            log(f"run: kill {i + 1}/{kills} at {stored(db)} stored (target {target} + {delay:.2f}s)")
        last = newsloom("run", "--once", "--no-default-sources", "--db", db, log=tmp / "killed.log")
        if last.wait(600) != 0:
            raise RuntimeError(f"the run after the kills failed: {(tmp / 'killed.log').read_text()[-2000:]}")
        resumed = snapshot(db)
        notes = ["Traceback in the killed runs' output"] if "Traceback" in (tmp / "killed.log").read_text() else []
        return Result("run (SQLite)", killed, kills, time.monotonic() - start, reference, resumed, notes)
    finally:
        site.close()


# `newsloom worker` x2 on PostgreSQL ------------------------------------------------------------------
def _pg_url(schema: str) -> str:
    return f"{PG}{'&' if '?' in PG else '?'}schema={schema}"


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(schema)))


LEASE = "3"


def _settled(db: str) -> bool:
    """No job open, no feed due, every article with a story."""
    from newsloom.models import utcnow
    from newsloom.store import open_store

    with open_store(db) as store:
        counts = store.job_counts()  # type: ignore[attr-defined]
        open_jobs = sum(n for (_, s), n in counts.items() if s in ("queued", "running"))
        return not open_jobs and not store.due_feeds(utcnow()) and not store.articles_without_story(limit=1)


def _finish_workers(db: str, log_path: Path, timeout: float = 300) -> None:
    """Workers run to idle until the store is settled (a killed worker's jobs wait for their lease)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = [newsloom("worker", "--db", db, "--lease", LEASE, "--exit-when-idle", log=log_path) for _ in range(2)]
        for p in procs:
            p.wait(600)
        if _settled(db):
            return
        time.sleep(float(LEASE) + 0.5)
    raise RuntimeError(f"{db}: workers did not settle the store in {timeout:.0f}s")


def workers_mode(tmp: Path, kills: int, seed: int, log: Callable[[str], None] = print) -> Result:
    site = Site()
    schemas = [f"newsloom_crash_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    try:
        start = time.monotonic()
        ref_db, db = (_pg_url(s) for s in schemas)
        setup(ref_db, site)
        _finish_workers(ref_db, tmp / "reference.log")
        reference = snapshot(ref_db)
        log(f"workers: reference {reference['articles']} articles, {reference['stories']} stories")

        setup(db, site)
        rng = random.Random(seed + 1)
        procs = [newsloom("worker", "--db", db, "--lease", LEASE, log=tmp / "killed.log") for _ in range(2)]
        killed = 0
        when = Moments(seed, site.pages)
        for i in range(kills):
            target, delay = when.next(stored(db))
            _wait_stored(db, target, procs, 300)
            time.sleep(delay)
            victim = rng.randrange(2)
            killed += _kill(procs[victim])
            log(f"workers: kill {i + 1}/{kills} (worker {victim}) at {stored(db)} stored (target {target} + {delay:.2f}s)")
            procs[victim] = newsloom("worker", "--db", db, "--lease", LEASE, log=tmp / "killed.log")
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(120)
        _finish_workers(db, tmp / "killed.log")
        resumed = snapshot(db)
        notes = ["Traceback in the workers' output"] if "Traceback" in (tmp / "killed.log").read_text() else []
        return Result("worker x2 (PostgreSQL)", killed, kills, time.monotonic() - start, reference, resumed, notes)
    finally:
        site.close()
        for s in schemas:
            _drop(s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=["run", "workers", "both"], default="both")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", type=Path, default=REPO / "benchmarks" / "results" / "crash.json")
    ap.add_argument("--keep", type=Path, help="Keep the stores and logs in this folder.")
    args = ap.parse_args()
    import tempfile

    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for mode, fn in (("run", run_mode), ("workers", workers_mode)):
            if args.mode in (mode, "both"):
                tmp = (args.keep or Path(scratch)) / mode
                tmp.mkdir(parents=True, exist_ok=True)
                results.append(fn(tmp, args.kills, args.seed))
    rows = [{"mode": r.mode, "kills": r.kills, "attempts": r.attempts, "seconds": round(r.seconds, 1),
             "equal": r.equal, "notes": r.notes,
             **{f"reference_{k}": r.reference[k] for k in ("articles", "stories", "without_story", "checksum")},
             **{f"resumed_{k}": r.resumed[k] for k in ("articles", "stories", "without_story", "checksum")}}
            for r in results]
    print(f"{'mode':<24} {'kills':>5} {'articles':>9} {'stories':>8} {'equal':>6} {'seconds':>8}")
    for r, row in zip(results, rows, strict=True):
        print(f"{r.mode:<24} {r.kills:>2}/{r.attempts:<2} {r.resumed['articles']:>4}/{r.reference['articles']:<4} "
              f"{r.resumed['stories']:>3}/{r.reference['stories']:<4} {str(r.equal):>6} {r.seconds:>8.1f}")
        if not r.equal:
            print(diff(r.reference, r.resumed))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"seed": args.seed, "cpus": os.cpu_count(), "results": rows}, indent=2) + "\n")
    print(f"wrote {args.json}")
    sys.exit(0 if all(r.equal for r in results) else 1)


if __name__ == "__main__":
    main()
