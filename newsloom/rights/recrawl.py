"""The recrawl rule: each crawled article is fetched again about 1 h, 24 h and 7 days after it
was first fetched (setting ``recrawl_steps``), and what the answer means — gone (404/410, or a redirect to the site's home
page: retracted), a page to compare with the stored one (a changed headline or body becomes a
revision), or an error (kept; the next step tries again). No I/O: the fetching and the store
work are in ``newsloom.app.recrawl``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

# after the first fetch; the 1 h step catches a hasty correction or a pulled story, 24 h the
# next day's rewrite, 7 days the late retraction (the default of setting recrawl_steps)
STEPS = (timedelta(hours=1), timedelta(hours=24), timedelta(days=7))
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.I)
# an article first fetched longer ago than the last step plus this is not recrawled at all: it
# was stored before recrawling existed (or by an old import), and fetching a whole archive again
# would be neither polite nor useful
BACKLOG = timedelta(days=1)
GONE_CODES = frozenset({404, 410})
# paths that are a site's front page, not an article: "/", "/index.html", "/home", "/en/", "/de-at"
_HOME = re.compile(r"^/?(index\.(html?|php|aspx?)|home|default\.aspx?|[a-z]{2}([-_][a-z]{2})?)?/?$", re.I)


def parse_steps(text: str) -> tuple[timedelta, ...]:
    """``"1h, 24h, 7d"`` -> the steps (units s, m, h, d; each later than the one before);
    ``""`` -> none (recrawling off). ValueError names what is wrong."""
    steps: list[timedelta] = []
    for part in (p for p in text.replace(" ", ",").split(",") if p.strip()):
        m = _STEP.match(part)
        if m is None:
            raise ValueError(f"{part.strip()!r} is not a duration like 90m, 1h or 7d")
        step = timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2).lower()])
        if step <= (steps[-1] if steps else timedelta(0)):
            raise ValueError(f"{part.strip()!r} is not later than the step before it")
        steps.append(step)
    return tuple(steps)


def window(now: datetime, steps: tuple[timedelta, ...] = STEPS) -> tuple[datetime, datetime]:
    """``(first_before, first_after)``: articles never recrawled are due for their first step
    when fetched in this interval."""
    return now - steps[0], now - steps[-1] - BACKLOG


def next_due(fetched_at: datetime, done: int, now: datetime,
             steps: tuple[timedelta, ...] = STEPS) -> tuple[int, datetime | None]:
    """After a recrawl with ``done`` steps already behind the article: ``(steps done now, when
    the next is due)``; None when all are done. Steps whose time has already passed (the
    process was stopped for days) are skipped, so one late recrawl does not fire three."""
    count = done + 1
    while count < len(steps) and fetched_at + steps[count] <= now:
        count += 1
    if count >= len(steps):
        return len(steps), None
    return count, fetched_at + steps[count]


def is_home(url: str) -> bool:
    """Whether ``url`` is a site's front page (its root, an index file or a language root)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(_HOME.match(parts.path or "/")) and not parts.query


@dataclass(frozen=True)
class Verdict:
    """What a recrawl answer means: ``kind`` is "gone" (retract, with ``reason``), "page"
    (compare with the stored text) or "error" (keep the article, try at the next step)."""

    kind: str
    reason: str = ""


def judge_status(code: int | None, message: str = "") -> Verdict:
    """An answer that carried no page: 404/410 retract, anything else is an error to retry."""
    if code in GONE_CODES:
        return Verdict("gone", f"retracted at the source (HTTP {code})")
    return Verdict("error", message or (f"HTTP {code}" if code else "no answer"))


def judge_redirect(url: str, final_url: str | None, redirects: list[str]) -> Verdict:
    """A page came back: if it was reached by redirects that end on the site's home page (an
    article that was not itself a home page), the article is gone; otherwise it is the page."""
    if redirects and final_url and final_url != url and is_home(final_url) and not is_home(url):
        return Verdict("gone", f"retracted at the source (redirected to the home page {final_url})")
    return Verdict("page")
