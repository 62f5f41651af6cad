"""Removal requests: checking and normalising what a request names (a URL, a URL prefix or a
domain), the fields a DMCA 512(c)(3) / DSA Art. 16 notice needs, the verification token, the
deadline, and which stored articles a request covers. No I/O but the store."""

from __future__ import annotations

import ipaddress
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from newsloom.config import Settings
from newsloom.errors import TakedownError
from newsloom.models import TakedownRequest, utcnow

KINDS = ("url", "prefix", "domain")
OPEN = ("received", "verified")
TOKEN_PREFIX = "newsloom-verification="
# a plain address check (no library validates "an e-mail a human can read" better than this
# without a network round trip); the point is to refuse garbage, not to prove deliverability
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_MAX_FIELD = {"requester": 200, "contact": 254, "reason": 5000}


def to_ascii_host(host: str, what: str) -> str:
    """A host name in its ASCII (punycode) form, lower case; an IP address as is. IDN names
    go through the ``idna`` package (UTS 46 mapping), as browsers do."""
    import idna

    host = host.strip().rstrip(".").lower()
    if not host:
        raise TakedownError(f"{what}: no host name")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise TakedownError(f"{what}: {host!r} is not a valid domain name ({exc})") from None
    labels = ascii_host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        raise TakedownError(f"{what}: {host!r} is not a valid domain name")
    return ascii_host


def is_public_suffix(host: str) -> bool:
    """True for a TLD or public suffix ("com", "co.uk"): a request for it would match every
    site under it. The ``tld`` package carries the Public Suffix List."""
    from tld import get_tld

    if "." not in host:
        try:
            ipaddress.ip_address(host)
            return False
        except ValueError:
            return host != "localhost"
    try:
        suffix = get_tld(host, fix_protocol=True, fail_silently=True)
    except Exception:  # noqa: BLE001 - tld raises its own classes for odd input
        suffix = None
    return suffix is not None and str(suffix).lower() == host


def _url(value: str, what: str) -> tuple[str, str]:
    """(normalised URL, its ASCII host); refuses what is not an absolute http(s) URL."""
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise TakedownError(f"{what} {value!r}: not a URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise TakedownError(f"{what} {value!r}: must start with http:// or https://")
    if not parts.hostname:
        raise TakedownError(f"{what} {value!r}: names no site (it would match everything)")
    host = to_ascii_host(parts.hostname, f"{what} {value!r}")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, "")), host


def normalise_target(kind: str, value: str) -> tuple[str, str, list[str]]:
    """(target, domain, notes) for a request naming ``value`` as ``kind``; raises
    TakedownError naming the input and what is wrong. ``notes`` say what was changed."""
    notes: list[str] = []
    if kind not in KINDS:
        raise TakedownError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not isinstance(value, str) or not value.strip():
        raise TakedownError(f"--{kind}: empty")
    if "\x00" in value or len(value) > 2000:
        raise TakedownError(f"--{kind}: not a readable {kind} (control characters or over 2,000 characters)")
    if kind == "url":
        target, host = _url(value, "--url")
        if is_public_suffix(host):
            raise TakedownError(f"--url {value!r}: {host} is a public suffix, not a site")
    elif kind == "prefix":
        target, host = _url(value, "--prefix")
        if is_public_suffix(host):
            raise TakedownError(f"--prefix {value!r}: {host} is a public suffix; it would match every site under it")
    else:
        raw = value.strip()
        if "://" in raw or "/" in raw:
            raise TakedownError(
                f"--domain {raw!r}: a domain takes no scheme or path; use --prefix for part of a site "
                f"or --domain {urlsplit(raw if '://' in raw else 'http://' + raw).hostname or '?'} for all of it")
        host = to_ascii_host(raw.split(":")[0] if raw.count(":") == 1 else raw, f"--domain {raw!r}")
        if is_public_suffix(host):
            raise TakedownError(f"--domain {raw!r}: a top-level domain or public suffix; it would match every site under it")
        target = host
    if host != (urlsplit(value.strip()).hostname if kind != "domain" else value.strip().lower().rstrip(".")):
        notes.append(f"host {value.strip()!r} normalised to {host} (IDN to punycode / lower case)")
    return target, host, notes


def check_fields(requester: str, contact: str, reason: str) -> None:
    """The notice fields: who asks, how to reach them, which work and why (DMCA 512(c)(3),
    DSA Art. 16(2)). Raises TakedownError naming the first field that is missing or malformed."""
    for name, value in (("requester", requester), ("contact", contact), ("reason", reason)):
        if not isinstance(value, str) or not value.strip():
            raise TakedownError(f"--{name}: required")
        if "\x00" in value or len(value) > _MAX_FIELD[name]:
            raise TakedownError(f"--{name}: over {_MAX_FIELD[name]:,} characters or with control characters")
    if not _EMAIL.match(contact.strip()):
        raise TakedownError(f"--contact {contact!r}: not an e-mail address")


def new_request(kind: str, value: str, requester: str, contact: str, reason: str, statement: bool,
                settings: Settings, channel: str = "cli", now: datetime | None = None
                ) -> tuple[TakedownRequest, list[str]]:
    """A checked request (not stored yet) with its token and deadline, and normalisation notes."""
    check_fields(requester, contact, reason)
    target, domain, notes = normalise_target(kind, value)
    now = now or utcnow()
    req = TakedownRequest(kind=kind, target=target, domain=domain, requester=requester.strip(),
                          contact=contact.strip(), reason=reason.strip(), statement=bool(statement),
                          token=secrets.token_urlsafe(18), channel=channel, received_at=now,
                          deadline=now + timedelta(hours=settings.takedown_deadline_hours))
    return req, notes


def token_line(req: TakedownRequest) -> str:
    """What the publisher publishes (TXT record, file line, meta content)."""
    return f"{TOKEN_PREFIX}{req.token}"


def time_left(req: TakedownRequest, now: datetime | None = None) -> timedelta | None:
    """Until the deadline (negative when overdue); None once the request is closed."""
    if req.status not in OPEN or req.deadline is None:
        return None
    return req.deadline - (now or utcnow())


def _lower_origin(url: str) -> str:
    """``url`` with scheme and host in lower case (the path keeps its case: it matters)."""
    try:
        p = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path, p.query, p.fragment))


def covers(req: TakedownRequest, url: str) -> bool:
    """Whether ``url`` (as stored) is covered by the request, exactly as intake normalised it."""
    if req.kind == "url":
        return url == req.target
    if req.kind == "prefix":
        return _lower_origin(url).startswith(req.target)
    host = (urlsplit(url).hostname or "").lower()
    return host == req.target or host.endswith("." + req.target)
