"""Canonical URLs: one spelling per article page, so the same page reached through a feed, a
social share and a newsletter is recognised as the same page.

>>> canonical_url("HTTPS://Example.COM:443/news/a?utm_source=x&id=3&fbclid=y#comments")
'https://example.com/news/a?id=3'
>>> canonical_url("https://example.com/a?ref=feed", declared="/news/a")
'https://example.com/news/a'
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from tld import get_fld

from newsloom.errors import InvalidURL

__all__ = ["canonical_url", "registered_domain", "same_site"]

# courlan strips the common trackers (utm_*, fbclid, gclid, msclkid, mc_*, ref, source, ...);
# these are the ones news sites add on top that it keeps.
_EXTRA_TRACKERS = re.compile(
    r"^(?:ocid|cmpid|cmp|icid|smid|smtyp|spm|share|ito|trk|trkid|sr_share|rss|"
    r"_hsenc|_hsmi|__twitter_impression|guccounter|mkt_tok|wt\.mc_id|wt_mc|"
    r"ns_mchannel|ns_linkname|at_[a-z0-9]+|s_[a-z]*cid)$"
)
_ESCAPE = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)
_HOST_OK = re.compile(r"^[^\s/\\?#@<>\"'`{}|^%]+$")


def _split(url: str) -> tuple[str, str, str, str]:
    """Validated (scheme, netloc, path, query) of an absolute http(s) URL."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidURL(repr(url), "empty URL")
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise InvalidURL(url, f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidURL(url, "not an http(s) URL")
    host = parts.hostname or ""
    if not host or not _HOST_OK.match(host) or ".." in host or host.startswith("."):
        raise InvalidURL(url, f"invalid host {host!r}")
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host and not host.startswith("["):  # IPv6 literals need their brackets back
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return scheme, netloc, parts.path, parts.query


def _strip_extra_trackers(query: str) -> str:
    if not query:
        return ""
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not _EXTRA_TRACKERS.match(k.lower())
    ]
    return urlencode(kept)


def _normalise(url: str) -> str:
    scheme, netloc, path, query = _split(url)
    if "/." in path:
        # RFC 3986 dot-segment removal; urljoin implements it and courlan only trims leading ones
        path = urlsplit(urljoin("http://h/", path.lstrip("/"))).path
    # user:password@ is dropped on purpose: credentials never belong in a stored URL
    rebuilt = urlunsplit((scheme, netloc, path or "/", _strip_extra_trackers(query), ""))
    try:
        out = normalize_url(rebuilt, strict=False, trailing_slash=True)
    except ValueError as exc:  # courlan re-parses; keep its failures ours
        raise InvalidURL(url, f"cannot be normalised ({exc})") from None
    scheme, netloc, path, query, _fragment = urlsplit(out)
    path = _ESCAPE.sub(lambda m: m.group().upper(), path)  # RFC 3986 6.2.2.1: %c3 == %C3
    # fragments only select a place on the page, never a different article
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def registered_domain(url: str) -> str:
    """The registrable domain (eTLD+1, e.g. ``bbc.co.uk``) of ``url``; the bare host for IP
    addresses, ``localhost`` and unknown suffixes."""
    _scheme, netloc, _path, _query = _split(url)
    host = urlsplit(f"//{netloc}").hostname or netloc
    fld = get_fld(host, fix_protocol=True, fail_silently=True)
    return str(fld) if fld else host


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on the same registered domain (``www.x.com`` ~ ``m.x.com``)."""
    return registered_domain(a) == registered_domain(b)


def canonical_url(url: str, declared: str | None = None) -> str:
    """The canonical spelling of the article page at ``url``.

    Lower-cases scheme and host, drops default ports, fragments, credentials and tracking
    parameters (``utm_*``, ``fbclid``, ``gclid``, ...), sorts the remaining query parameters and
    resolves ``.``/``..`` path segments.

    ``declared`` is the page's ``<link rel=canonical>`` (absolute or relative to ``url``). It is
    preferred when it is on the same registered domain. A canonical on another domain is a
    *copy* signal (syndication), handled by copy lineage, not our canonical; a canonical that
    points at the site's home page from an article is a CMS bug and is ignored, as is an
    unparseable one.

    Local identifiers (``file://`` paths of ingested files, ``urn:`` ids of corpus documents) are
    kept as they are: they have no site to normalise against.

    Raises :class:`~newsloom.errors.InvalidURL` when ``url`` is not an absolute http(s) URL.
    """
    if url.startswith(("file://", "urn:")):
        return url
    own = _normalise(url)
    if not declared or not declared.strip():
        return own
    try:
        theirs = _normalise(urljoin(own, declared.strip()))
    except InvalidURL:
        return own
    if not same_site(own, theirs):
        return own
    if urlsplit(theirs).path == "/" and not urlsplit(theirs).query and urlsplit(own).path != "/":
        return own
    return theirs
