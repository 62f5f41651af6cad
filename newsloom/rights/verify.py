"""Proof that a requester controls the site a removal request names: the token newsloom gave
in a DNS TXT record, in ``/.well-known/newsloom-verification.txt``, or in a
``<meta name="newsloom-verification">`` tag on the home page. DNS goes through dnspython, pages
through newsloom's fetch layer (the only code that touches the network); both are injectable so
tests run without a network. Each attempt is one audit-log entry, whatever its outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsloom.config import Settings
from newsloom.errors import NewsloomError
from newsloom.models import TakedownRequest
from newsloom.rights.takedowns import TOKEN_PREFIX, is_public_suffix, token_line

WELL_KNOWN = "/.well-known/newsloom-verification.txt"
META_NAME = "newsloom-verification"
TxtResolver = Callable[[str], list[str]]
PageGetter = Callable[[str], tuple[int, bytes]]


@dataclass
class Attempt:
    method: str  # "dns" | "file" | "meta"
    ok: bool
    detail: str


def dns_txt(name: str, timeout_s: float = 5.0) -> list[str]:
    """TXT strings of ``name`` (dnspython); raises LookupError with a readable reason."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=timeout_s)
    except dns.resolver.NXDOMAIN:
        raise LookupError(f"{name}: no such domain (NXDOMAIN)") from None
    except dns.resolver.NoAnswer:
        return []
    except (dns.exception.DNSException, OSError) as exc:
        raise LookupError(f"{name}: DNS lookup failed ({type(exc).__name__}: {exc})") from None
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


def fetch_page(settings: Settings) -> PageGetter:
    """A getter through newsloom's fetch layer (private-network guard and size caps as set;
    robots.txt not consulted: the publisher asked us to look)."""
    from newsloom.fetch.http import Fetcher

    def get(url: str) -> tuple[int, bytes]:
        async def go() -> tuple[int, bytes]:
            async with Fetcher(settings, obey_robots=False) as fetcher:
                result = await fetcher.fetch(url, kind="any")
                return result.status_code, result.body

        return asyncio.run(go())

    return get


def _dns_names(domain: str) -> list[str]:
    """Where the TXT record may be: ``_newsloom.<domain>`` and ``<domain>``, then each parent
    up to the registered domain (control of example.com covers news.example.com)."""
    import ipaddress

    try:
        ipaddress.ip_address(domain)
        return []  # an IP address has no TXT records of its own
    except ValueError:
        pass
    parts = domain.split(".")
    names: list[str] = []
    for i in range(len(parts) - 1):
        d = ".".join(parts[i:])
        if is_public_suffix(d):
            break
        names += [f"_newsloom.{d}", d]
    return names


def _origins(req: TakedownRequest) -> list[str]:
    if req.kind in ("url", "prefix"):
        p = urlsplit(req.target)
        return [f"{p.scheme}://{p.netloc}"]
    return [f"https://{req.domain}", f"http://{req.domain}"]


def check_dns(req: TakedownRequest, resolve: TxtResolver) -> Attempt:
    want = token_line(req)
    problems = []
    for name in _dns_names(req.domain):
        try:
            records = resolve(name)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        if any(want in r.replace('"', "") for r in records):
            return Attempt("dns", True, f"TXT {name} carries the token")
    detail = "; ".join(problems) or ("no TXT record carries the token" if _dns_names(req.domain)
                                     else f"{req.domain} is an IP address: no DNS check")
    return Attempt("dns", False, detail[:500])


def check_file(req: TakedownRequest, get: PageGetter) -> Attempt:
    return _check_pages(req, get, "file", WELL_KNOWN,
                        lambda body: token_line(req) in body or req.token == body.strip())


def check_meta(req: TakedownRequest, get: PageGetter) -> Attempt:
    def has_meta(body: str) -> bool:
        import lxml.html

        try:
            doc = lxml.html.fromstring(body or "<html></html>")
        except Exception:  # noqa: BLE001 - an unparsable home page carries no tag
            return False
        for meta in doc.iter("meta"):
            if (meta.get("name") or "").strip().lower() == META_NAME:
                content = (meta.get("content") or "").strip()
                if content in (req.token, token_line(req)):
                    return True
        return False

    return _check_pages(req, get, "meta", "/", has_meta)


def _check_pages(req: TakedownRequest, get: PageGetter, method: str, path: str,
                 found: Callable[[str], bool]) -> Attempt:
    problems = []
    for origin in _origins(req):
        url = origin + path
        try:
            status, body = get(url)
        except NewsloomError as exc:
            problems.append(f"{url}: {exc}")
            continue
        if status != 200:
            problems.append(f"{url}: HTTP {status}")
            continue
        text = body[:100_000].decode("utf-8", "replace")
        if found(text):
            return Attempt(method, True, f"{url} carries the token")
        problems.append(f"{url}: no token ({TOKEN_PREFIX}…) found")
    return Attempt(method, False, "; ".join(problems)[:500])


def verify(req: TakedownRequest, settings: Settings, resolve: TxtResolver | None = None,
           get: PageGetter | None = None, methods: tuple[str, ...] = ("dns", "file", "meta")) -> list[Attempt]:
    """Try each method until one proves control; returns every attempt made (the last one is
    the success, if any)."""
    resolve = resolve or dns_txt
    get = get or fetch_page(settings)
    attempts: list[Attempt] = []
    for method in methods:
        if method == "dns":
            a = check_dns(req, resolve)
        elif method == "file":
            a = check_file(req, get)
        else:
            a = check_meta(req, get)
        attempts.append(a)
        if a.ok:
            break
    return attempts
