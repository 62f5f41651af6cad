"""TDMRep's site-wide file, ``/.well-known/tdmrep.json`` (W3C TDMRep community report): which
paths of a site reserve text and data mining. Fetched through newsloom's fetch layer for every
followed site at most once a day (``refresh``, called by ``newsloom run`` before its first pass
and after each), kept in the store's state table, and read for each stored page by the rights
gate (``reserved``), so a reserved page is embedded and clustered from its headline alone."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from newsloom.config import Settings
from newsloom.errors import NewsloomError
from newsloom.models import utcnow
from newsloom.rights.signals import tdmrep_reserves
from newsloom.store.base import Store

log = logging.getLogger("newsloom.rights")
PATH = "/.well-known/tdmrep.json"
STATE_PREFIX = "tdmrep:"
MAX_AGE = timedelta(days=1)
RETRY_AFTER_ERROR = timedelta(hours=1)
Getter = Callable[[list[str]], dict[str, tuple[int, bytes] | str]]


def origin(url: str | None) -> str | None:
    """``scheme://host[:port]`` of ``url``, lower case; None when it has none."""
    try:
        p = urlsplit(url or "")
    except ValueError:
        return None
    if p.scheme.lower() not in ("http", "https") or not p.netloc:
        return None
    return f"{p.scheme.lower()}://{p.netloc.lower()}"


def _load(store: Store, site: str) -> dict[str, Any] | None:
    raw = store.get_state(STATE_PREFIX + site)
    if not raw:
        return None
    try:
        d = json.loads(raw)
    except ValueError:
        return None
    return d if isinstance(d, dict) else None


def reserved(store: Store, url: str) -> bool:
    """Whether the site's stored tdmrep.json reserves mining for ``url``'s path."""
    site = origin(url)
    if site is None:
        return False
    d = _load(store, site)
    if not d or not d.get("doc"):
        return False
    return tdmrep_reserves(d["doc"], urlsplit(url).path or "/")


def _fetch_all(settings: Settings) -> Getter:
    """Every site's file in one event loop, through the fetch layer (robots.txt not asked: the
    file is itself the site's statement to machines)."""
    from newsloom.fetch.http import Fetcher

    def get(urls: list[str]) -> dict[str, tuple[int, bytes] | str]:
        async def one(fetcher: Fetcher, u: str) -> tuple[str, tuple[int, bytes] | str]:
            try:
                r = await fetcher.fetch(u, kind="any")
                return u, (r.status_code, r.body)
            except NewsloomError as exc:
                return u, str(exc)

        async def go() -> dict[str, tuple[int, bytes] | str]:
            async with Fetcher(settings, obey_robots=False) as fetcher:
                return dict(await asyncio.gather(*(one(fetcher, u) for u in urls)))

        return asyncio.run(go())

    return get


def refresh(store: Store, settings: Settings, sites: Iterable[str], get: Getter | None = None,
            now: datetime | None = None) -> int:
    """Fetch the file of each site whose copy is missing or older than a day (an hour after a
    failure); a 404 (or anything but a JSON list) means no reservation. Returns how many were
    fetched."""
    now = now or utcnow()
    due = []
    for site in sorted(set(sites)):
        d = _load(store, site)
        try:
            at = datetime.fromisoformat(d["next"]) if d and d.get("next") else None
        except (TypeError, ValueError):
            at = None
        if at is None or at <= now:
            due.append(site)
    if not due:
        return 0
    answers = (get or _fetch_all(settings))([site + PATH for site in due])
    for site in due:
        answer = answers.get(site + PATH, "no answer")
        doc: Any = None
        nxt = now + MAX_AGE
        if isinstance(answer, str):  # a fetch error: keep what was known, try again soon
            old = _load(store, site)
            doc, nxt = (old or {}).get("doc"), now + RETRY_AFTER_ERROR
            log.info("tdmrep %s: %s", site, answer)
        elif answer[0] == 200:
            try:
                doc = json.loads(answer[1][:1_000_000].decode("utf-8", "replace"))
            except ValueError:
                doc = None
            doc = doc if isinstance(doc, list) else None
        store.set_state(STATE_PREFIX + site, json.dumps({"doc": doc, "at": now.isoformat(),
                                                          "next": nxt.isoformat()}))
    return len(due)


def followed_sites(store: Store) -> set[str]:
    """The origins of every active feed and every source's home page."""
    sites = {origin(f.url) for f in store.list_feeds() if f.active}
    sites |= {origin(s.url) for s in store.list_sources()}
    return {s for s in sites if s}
