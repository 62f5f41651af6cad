"""Use cases of publisher rights, for the CLI, the web app and ``newsloom run``: take a removal
request in, verify it, approve or reject it, carry it out (purge + tombstone + suppression list),
the periodic pass that does all that without a person, and the transparency report."""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsloom.config import Settings
from newsloom.errors import NotFoundError, TakedownError
from newsloom.models import Suppression, TakedownRequest, utcnow
from newsloom.rights import audit, takedowns
from newsloom.rights.policy import REMOVED_NOTE
from newsloom.rights.verify import PageGetter, TxtResolver, verify
from newsloom.store.base import Store

log = logging.getLogger("newsloom.rights")


@dataclass
class Intake:
    request: TakedownRequest
    duplicate: bool = False
    notes: list[str] = field(default_factory=list)


def submit(store: Store, settings: Settings, kind: str, value: str, requester: str, contact: str,
           reason: str, statement: bool = False, channel: str = "cli") -> Intake:
    """Check, store and acknowledge a request. A refused one raises TakedownError and leaves an
    audit entry (no request id); a duplicate of an open or executed request returns that one."""
    try:
        req, notes = takedowns.new_request(kind, value, requester, contact, reason, statement, settings, channel)
    except TakedownError as exc:
        audit.record(store, "intake", "refused", f"{channel}: {exc}")
        raise
    same = store.find_open_takedown(req.kind, req.target)  # type: ignore[attr-defined]
    if same is not None:
        audit.record(store, "duplicate", "ok", f"{channel}: same {req.kind} {req.target} from "
                     f"{req.requester} <{req.contact}>; answered with request {same.id}", same.id)
        return Intake(same, duplicate=True)
    store.add_takedown(req)  # type: ignore[attr-defined]
    audit.record(store, "intake", "ok", f"{channel}: {req.kind} {req.target} from {req.requester} "
                 f"<{req.contact}>; statement {'given' if req.statement else 'not given'}; "
                 f"deadline {req.deadline:%Y-%m-%d %H:%M} UTC", req.id)
    for note in notes:
        audit.record(store, "normalise", "ok", note, req.id)
    if not req.statement:
        audit.record(store, "intake", "note", "no good-faith statement: an operator must approve "
                     "even after the site is verified", req.id)
    return Intake(req, notes=notes)


def get(store: Store, request_id: int) -> TakedownRequest:
    return store.get_takedown(request_id)  # type: ignore[attr-defined,no-any-return]


def _open(store: Store, request_id: int, action: str) -> TakedownRequest:
    req = get(store, request_id)
    if req.status not in takedowns.OPEN:
        audit.record(store, action, "refused", f"request is already {req.status}", req.id)
        raise TakedownError(f"takedown {request_id}: already {req.status}; nothing to {action}")
    return req


def approve(store: Store, settings: Settings, request_id: int, operator: str = "operator",
            execute_now: bool = True, services: Any = None) -> TakedownRequest:
    """An operator vouches for the request (the only way for a site nobody verified)."""
    req = _open(store, request_id, "approve")
    req.status, req.verified_by, req.verified_at = "verified", "operator", utcnow()
    store.update_takedown(req)  # type: ignore[attr-defined]
    audit.record(store, "approve", "ok", f"by {operator}", req.id)
    return execute(store, settings, req, services) if execute_now else req


def reject(store: Store, request_id: int, why: str, operator: str = "operator") -> TakedownRequest:
    req = _open(store, request_id, "reject")
    req.status = "rejected"
    store.update_takedown(req)  # type: ignore[attr-defined]
    audit.record(store, "reject", "ok", f"by {operator}: {why or 'no reason given'}", req.id)
    return req


def check(store: Store, settings: Settings, req: TakedownRequest, resolve: TxtResolver | None = None,
          fetch: PageGetter | None = None) -> bool:
    """One verification round (DNS, file, meta); each attempt is audited. A request without
    the good-faith statement stays for an operator even when the site is verified."""
    attempts = verify(req, settings, resolve=resolve, get=fetch)
    req.checked_at = utcnow()
    for a in attempts:
        audit.record(store, f"verify-{a.method}", "ok" if a.ok else "failed", a.detail, req.id)
    ok = bool(attempts and attempts[-1].ok)
    if ok and req.statement:
        req.status, req.verified_by, req.verified_at = "verified", attempts[-1].method, utcnow()
    elif ok:
        audit.record(store, "verify", "held", "site control proven, but no good-faith statement: "
                     "waiting for an operator", req.id)
    store.update_takedown(req)  # type: ignore[attr-defined]
    return req.status == "verified"


class Services:
    """The stateful stages a removal reaches: the stories service (built on first need: it
    loads the embedder) and the in-memory near-duplicate index of a running pipeline."""

    def __init__(self, store: Store, settings: Settings, stories: Any = None, deduper: Any = None) -> None:
        self.store, self.settings, self._stories, self.deduper = store, settings, stories, deduper

    @property
    def stories(self) -> Any:
        if self._stories is None:
            from newsloom.stories.service import StoryService

            self._stories = StoryService(self.store, self.settings, replay=False)
        return self._stories


def matching_ids(store: Store, req: TakedownRequest) -> tuple[list[int], list[int], set[str]]:
    """(articles the request names, other stored copies of their text, the content hashes that
    are the requester's) among articles not yet removed.

    A text is the requester's only when the requester's article is the earliest stored holder
    of it (by effective time, then arrival): then the other holders are copies of it (wire
    copies, syndication, scrapers) and go with it, and the hash is suppressed. When another
    site had the text first, the requester's page is itself a copy: only the requester's pages
    go, the earlier original and its hash stay (else anybody could copy a competitor's article
    onto their own domain and have both removed)."""
    from newsloom.stories.naming import effective_time

    direct = [(aid, url, h) for aid, url, h in store.takedown_candidates(req.kind, req.target)  # type: ignore[attr-defined]
              if req.kind == "url" or takedowns.covers(req, url)]
    ids = [aid for aid, _, _ in direct]
    own = set(ids)
    hashes = {h for _, _, h in direct if h}
    holders = {a.id: a for a in store.get_articles(set(store.articles_with_hash(sorted(hashes))) | own)}  # type: ignore[attr-defined]

    def first_key(a: Any) -> tuple[bool, datetime, int]:
        t = effective_time(a.published, a.fetched_at)
        return (t is None, t or datetime.max.replace(tzinfo=UTC), a.id)

    copies: set[int] = set()
    owned: set[str] = set()
    for h in hashes:
        same = [a for a in holders.values() if a.content_hash == h]
        if same and min(same, key=first_key).id in own:
            owned.add(h)
            copies.update(a.id for a in same if a.id not in own)
    return ids, sorted(copies), owned


def execute(store: Store, settings: Settings, req: TakedownRequest, services: Services | None = None) -> TakedownRequest:
    """Carry out a verified request: every matching article (and stored copies of its text)
    leaves its story, is purged to a tombstone, and its URL, the request's target and the
    content hash go on the suppression list. Audited step by step."""
    if req.status != "verified":
        audit.record(store, "execute", "refused", f"request is {req.status}, not verified", req.id)
        raise TakedownError(f"takedown {req.id}: {req.status}, not verified; refusing to execute")
    services = services or Services(store, settings)
    started = utcnow()
    ids, copies, owned = matching_ids(store, req)
    entries = [Suppression(req.kind, req.target, req.id)]
    for aid in ids + copies:
        a = store.get_article(aid)
        entries += [Suppression("url", u, req.id) for u in (a.url, a.canonical_url) if u]
    entries += [Suppression("hash", h, req.id) for h in sorted(owned)]
    # listed first: a crawl running meanwhile can no longer store what is being removed
    new = store.add_suppressions(entries)  # type: ignore[attr-defined]
    for aid in ids + copies:
        _tombstone(store, services, aid, f"{REMOVED_NOTE} (takedown {req.id})")
    req.status, req.executed_at, req.removed = "executed", utcnow(), len(ids) + len(copies)
    store.update_takedown(req)  # type: ignore[attr-defined]
    if ids or copies:
        detail = (f"{len(ids)} article(s) removed, {len(copies)} stored copy(ies) of the same text; "
                  f"ids {', '.join(map(str, (ids + copies)[:50]))}{' …' if len(ids + copies) > 50 else ''}")
    else:
        detail = "nothing stored matched (never ingested); listed so it is never stored"
    audit.record(store, "execute", "ok", f"{detail}; {(req.executed_at - started).total_seconds():.2f}s", req.id)
    audit.record(store, "suppress", "ok", f"{new} new entr{'y' if new == 1 else 'ies'} on the suppression list", req.id)
    return req


@dataclass
class PassReport:
    verified: int = 0
    executed: int = 0
    failed: int = 0
    expired: int = 0
    overdue: list[int] = field(default_factory=list)


def run_due(store: Store, settings: Settings, services: Services | None = None,
            resolve: TxtResolver | None = None, fetch: PageGetter | None = None,
            now: datetime | None = None) -> PassReport:
    """What ``newsloom run`` does after each pass, without a person: verify pending requests
    (each at most every ``takedown_recheck_s``), execute verified ones, hide articles past their
    unavailable_after date, and raise the overdue alarm (log + audit) for open requests past
    their deadline."""
    now = now or utcnow()
    rep = PassReport()
    services = services or Services(store, settings)
    pending = list(reversed(store.list_takedowns(takedowns.OPEN)))  # type: ignore[attr-defined]
    # requests already verified (an operator's approval) go first, so they never wait behind a
    # pass's worth of verification checks; then the others, oldest first
    pending.sort(key=lambda r: r.status != "verified")
    for req in pending:
        try:
            if req.status == "received" and (
                    req.checked_at is None or (now - req.checked_at).total_seconds() >= settings.takedown_recheck_s):
                if check(store, settings, req, resolve, fetch):
                    rep.verified += 1
            if req.status == "verified":
                execute(store, settings, req, services)
                rep.executed += 1
        except (TakedownError, NotFoundError) as exc:
            rep.failed += 1
            log.warning("takedown %s: %s", req.id, exc)
        left = takedowns.time_left(req, now)
        if left is not None and left.total_seconds() < 0:
            rep.overdue.append(int(req.id))  # type: ignore[arg-type]
            audit.record(store, "overdue", "overdue", f"{-left.total_seconds() / 3600:.1f} h past the deadline, "
                         f"status {req.status}", req.id)
    rep.expired = hide_expired(store, services, now)
    return rep


def hide_expired(store: Store, services: Services, now: datetime | None = None) -> int:
    """Tombstone the articles whose unavailable_after date has passed."""
    from newsloom.models import Article
    from newsloom.rights.policy import expired

    n, after = 0, 0
    while True:
        page = store.articles_with_expiry(after_id=after)  # type: ignore[attr-defined]
        if not page:
            return n
        for aid, rights in page:
            after = aid
            if expired(Article(url="", rights=rights or {}), now):
                _tombstone(store, services, aid, "hidden: past the publisher's unavailable_after date")
                n += 1


def _tombstone(store: Store, services: Services, aid: int, note: str) -> None:
    a = store.get_article(aid)
    a.status = "removed"  # first, or the stories stage's catch-up would cluster it again
    store.update_article(a)
    if a.story_id is not None:
        services.stories.remove(aid)
    if services.deduper is not None:
        services.deduper.remove(aid)
    store.purge_article(aid, note)  # type: ignore[attr-defined]


# origin -> the expiry of the robots.txt rules last swept (rules are per process, so is this)
_ROBOTS_SWEPT: dict[str, float] = {}


def hide_disallowed(store: Store, settings: Settings, rules: dict[str, Any], services: Services) -> int:
    """Tombstone stored articles whose path a site's robots.txt now disallows: run after each
    pass over the fetcher's cached rules (``Pipeline._robots``), once per fresh robots.txt."""
    from newsloom.rights.suppression import host_of
    from newsloom.rights.tdmrep import origin

    n = 0
    for site, r in list(rules.items()):
        parser, expires = getattr(r, "parser", None), getattr(r, "expires", None)
        if parser is None or _ROBOTS_SWEPT.get(site) == expires:
            continue
        _ROBOTS_SWEPT[site] = expires  # type: ignore[assignment]
        host = host_of(site)
        if not host:
            continue
        hidden = []
        for aid, url, _ in store.takedown_candidates("domain", host):  # type: ignore[attr-defined]
            if origin(url) == site and not parser.can_fetch(url, settings.user_agent):
                _tombstone(store, services, aid, "hidden: robots.txt now disallows it")
                hidden.append(aid)
        if hidden:
            audit.record(store, "robots", "ok", f"{site}: robots.txt disallows {len(hidden)} stored "
                         f"page(s), hidden: ids {', '.join(map(str, hidden[:50]))}")
            n += len(hidden)
    return n


def refresh_tdmrep(store: Store, settings: Settings, get: Any = None) -> int:
    """Fetch (at most daily) the /.well-known/tdmrep.json of every followed site."""
    from newsloom.rights import tdmrep

    return tdmrep.refresh(store, settings, tdmrep.followed_sites(store), get=get)


def overdue(store: Store, now: datetime | None = None) -> list[TakedownRequest]:
    """Open requests past their deadline (the alarm for /metrics and the admin view)."""
    now = now or utcnow()
    return [r for r in store.list_takedowns(takedowns.OPEN)  # type: ignore[attr-defined]
            if (left := takedowns.time_left(r, now)) is not None and left.total_seconds() < 0]


def request_dict(req: TakedownRequest, now: datetime | None = None, public: bool = False) -> dict[str, Any]:
    left = takedowns.time_left(req, now)
    d: dict[str, Any] = {
        "id": req.id, "kind": req.kind, "target": req.target, "domain": req.domain, "status": req.status,
        "verified_by": req.verified_by, "channel": req.channel, "received_at": req.received_at.isoformat(),
        "deadline": req.deadline.isoformat() if req.deadline else None,
        "verified_at": req.verified_at.isoformat() if req.verified_at else None,
        "executed_at": req.executed_at.isoformat() if req.executed_at else None,
        "time_left_s": round(left.total_seconds()) if left is not None else None,
        "overdue": bool(left is not None and left.total_seconds() < 0), "removed": req.removed,
    }
    if not public:
        d.update(requester=req.requester, contact=req.contact, reason=req.reason, statement=req.statement,
                 verification=takedowns.token_line(req))
    return d


def transparency(store: Store) -> dict[str, Any]:
    """Counts by outcome and time to removal (hours from receipt to execution), for
    /rights/transparency: what a publisher can check newsloom's promise against."""
    reqs = store.list_takedowns()  # type: ignore[attr-defined]
    by_status: dict[str, int] = {}
    for r in reqs:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    hours = [(r.executed_at - r.received_at).total_seconds() / 3600 for r in reqs
             if r.status == "executed" and r.executed_at]
    late = [r for r in reqs if r.status == "executed" and r.executed_at and r.deadline and r.executed_at > r.deadline]
    by_kind: dict[str, int] = {}
    for r in reqs:
        by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
    return {
        "requests": len(reqs), "by_status": by_status, "by_kind": by_kind,
        "articles_removed": sum(r.removed for r in reqs),
        "hours_to_removal": {"median": round(statistics.median(hours), 3) if hours else None,
                             "max": round(max(hours), 3) if hours else None},
        "executed_after_deadline": len(late), "open_overdue": len(overdue(store)),
        "suppressions": store.count_suppressions(),  # type: ignore[attr-defined]
        "generated_at": utcnow().isoformat(),
    }
