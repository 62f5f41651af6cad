"""The one HTTP client: polite (robots, per-host rate limit), bounded (time, size, redirects).

Usage::

    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch("https://example.org/feed.xml", kind="feed", etag=feed.etag)

Redirects are followed by hand so that every hop is checked against robots.txt and the host's
rate limit, and recorded. Bodies are streamed and cut at ``settings.max_body_bytes`` (after
gzip/deflate/br decoding, which httpx does), so a 5 GB answer never reaches memory.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ssl
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Self

import httpx

from newsloom.config import Settings
from newsloom.errors import (
    BadContentType,
    FetchError,
    FetchTimeout,
    HostUnreachable,
    HTTPStatusError,
    InvalidURL,
    PrivateAddress,
    TooLarge,
    TooManyRedirects,
)
from newsloom.fetch.guard import check_literal, for_url, guarded_transport
from newsloom.fetch.ratelimit import DEFAULT_MAX_WAIT_S, HostRateLimiter
from newsloom.fetch.robots import RobotsCache, RobotsRules

Kind = Literal["page", "feed", "any"]

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/x-rss+xml", "application/feed+json", "application/json", "text/json",
    # misconfigured servers send feeds as these; the parser decides whether it is a feed
    "text/plain", "text/html", "application/xhtml+xml",
    # gzipped sitemaps (sitemap.xml.gz)
    "application/gzip", "application/x-gzip",
})
ACCEPT = {
    "page": "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5",
    "feed": "application/rss+xml,application/atom+xml,application/feed+json,"
            "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5",
    "any": "*/*",
}
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
DEFAULT_429_DEFER_S = 60.0  # a 429 without Retry-After still means "slow down"


@dataclass
class FetchResult:
    url: str  # what was asked for
    final_url: str  # where the body came from, after redirects
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""  # decoded (gunzipped), not charset-decoded
    content_type: str | None = None  # media type only, e.g. "text/html"
    encoding: str | None = None  # charset from Content-Type, if the server said
    not_modified: bool = False
    elapsed_ms: float = 0.0  # time on the network, rate-limit waits excluded
    redirects: list[str] = field(default_factory=list)  # URLs that answered with a redirect, in order


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _check_content_type(url: httpx.URL, mtype: str | None, kind: Kind) -> None:
    if mtype is None or kind == "any":
        return  # no header: let the parser/extractor judge the bytes
    allowed = PAGE_TYPES if kind == "page" else FEED_TYPES
    if mtype in allowed or (kind == "feed" and mtype.endswith("+xml")):
        return
    if kind == "feed" and mtype == "application/octet-stream" and url.path.endswith(".gz"):
        return  # sitemap.xml.gz is often served as octet-stream
    expected = "an HTML page" if kind == "page" else "a feed or sitemap"
    raise BadContentType(str(url), f"Content-Type {mtype} is not {expected}")


def _check_url(url: str) -> httpx.URL:
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidURL(str(url), f"not a valid URL ({exc})") from None
    if u.scheme not in ("http", "https") or not u.host:
        raise InvalidURL(str(url), "only absolute http:// and https:// URLs can be fetched")
    return u


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process. httpx builds a new one for each client
    by default, loading the system's CA certificates every time (~26 ms and ~11,000 small heap
    allocations here, freed again with the client): a Fetcher is made for every pass of
    ``newsloom run``, so each pass paid that for the same certificates. Read once, so a change
    of ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` takes a restart."""
    return httpx.create_ssl_context()


# The most of an answer without a page (304, redirect, error) read only to keep its connection:
# httpx closes a streamed connection whose body was not read to the end, so every conditional
# recrawl (a 304) and every redirect cost a new TCP (and TLS) handshake. Larger ones are left.
DRAIN_BYTES = 65536


async def _drain(resp: httpx.Response) -> None:
    declared = resp.headers.get("content-length", "")
    if resp.is_stream_consumed or (declared.isdigit() and int(declared) > DRAIN_BYTES):
        return  # read already (a transport that is not streamed), or too large to be worth it
    read = 0
    try:
        async for chunk in resp.aiter_raw():
            read += len(chunk)
            if read > DRAIN_BYTES:
                return
    except (httpx.HTTPError, httpx.StreamError):
        pass  # the answer's status is what counts; this connection is simply not reused


class Fetcher:
    """One shared httpx.AsyncClient plus the robots cache and per-host rate limiter."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        limiter: HostRateLimiter | None = None,
        obey_robots: bool = True,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        transport: httpx.AsyncBaseTransport | None = None,
        robots_rules: RobotsRules | None = None,
    ) -> None:
        """``limiter`` and ``robots_rules`` may be kept by the caller across Fetchers (and event
        loops) so Retry-After deferrals and robots.txt survive from one crawl pass to the next."""
        self.settings = settings or Settings()
        s = self.settings
        self.limiter = limiter or HostRateLimiter(
            s.requests_per_second_per_host, s.concurrency, max_wait_s=max_wait_s)
        limits = httpx.Limits(max_connections=max(s.concurrency * 2, 10))
        self.guarded = not s.allow_private_networks
        if transport is None and self.guarded:
            transport = guarded_transport(http2=True, limits=limits, verify=tls_context())
        self.client = httpx.AsyncClient(
            http2=True,
            verify=tls_context(),
            headers={"User-Agent": s.user_agent},
            timeout=httpx.Timeout(s.timeout_s),
            follow_redirects=False,
            max_redirects=s.max_redirects,
            limits=limits,
            transport=transport,
        )
        self.robots: RobotsCache | None = (
            RobotsCache(self.client, self.limiter, s.user_agent, timeout_s=s.timeout_s,
                        rules=robots_rules)
            if obey_robots else None
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        kind: Kind = "page",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        """GET ``url`` politely. Raises a FetchError subclass for every failure."""
        if kind not in ACCEPT:
            raise ValueError(f"kind={kind!r}: expected one of {', '.join(ACCEPT)}")
        current = _check_url(url)
        headers = {"Accept": ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects: list[str] = []
        seen = {str(current)}
        elapsed = 0.0
        while True:
            if self.guarded:  # every hop: a public page may redirect to http://10.0.0.1/
                check_literal(current)
            if self.robots is not None:
                await self.robots.check(current)
            host = current.netloc.decode("ascii")
            await self.limiter.acquire(host, str(current))
            start = time.perf_counter()
            try:
                result = await self._one(current, headers, kind)
            except FetchError as exc:
                # the fetch log's ms is time on the network, not queue, robots or rate waits
                exc.elapsed_ms = (elapsed + time.perf_counter() - start) * 1000.0  # type: ignore[attr-defined]
                raise
            finally:
                elapsed += time.perf_counter() - start
            if isinstance(result, FetchResult):
                result.url, result.redirects = url, redirects
                result.elapsed_ms = elapsed * 1000.0
                return result
            redirects.append(str(current))
            try:
                target = str(current.join(result))
            except (httpx.InvalidURL, ValueError):
                raise InvalidURL(url, f"{current} redirects to an invalid Location {result!r}") from None
            nxt = _check_url(target)
            if str(nxt) in seen:
                chain = " -> ".join([*redirects, str(nxt)])
                raise TooManyRedirects(url, f"redirect loop: {chain}")
            if len(redirects) > self.settings.max_redirects:
                raise TooManyRedirects(url, f"more than {self.settings.max_redirects} redirects "
                                            f"(last: {redirects[-1]} -> {nxt})")
            seen.add(str(nxt))
            current = nxt

    async def _one(self, url: httpx.URL, headers: dict[str, str], kind: Kind) -> FetchResult | str:
        """One request: a FetchResult, or the Location of a redirect."""
        s = self.settings
        try:
            # asyncio.timeout bounds the whole exchange: httpx's timeout is per read, so a server
            # dripping one byte a second would otherwise hold us forever
            async with self.limiter.semaphore:
                self.limiter.check(url.netloc.decode("ascii"), str(url))
                async with asyncio.timeout(s.timeout_s):
                    async with self.client.stream("GET", url, headers=headers) as resp:
                        return await self._read(url, resp, kind)
        except PrivateAddress as exc:  # raised by the connection guard, which knows only the host
            raise for_url(exc, str(url)) from None
        except FetchError:
            raise
        except (TimeoutError, httpx.TimeoutException):
            raise FetchTimeout(str(url), f"no complete answer within {s.timeout_s:g} s") from None
        except httpx.ConnectError as exc:
            raise HostUnreachable(str(url), f"cannot connect ({exc})") from None
        except httpx.DecodingError as exc:
            raise FetchError(str(url), f"body does not decode as its Content-Encoding says ({exc})") \
                from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise InvalidURL(str(url), str(exc)) from None
        except httpx.HTTPError as exc:
            raise FetchError(str(url), f"{exc.__class__.__name__}: {exc}") from None

    async def _read(self, url: httpx.URL, resp: httpx.Response, kind: Kind) -> FetchResult | str:
        s = self.settings
        code = resp.status_code
        if code >= 300:  # a 304, a redirect or an error page: read, so the connection is used again
            await _drain(resp)
        if code in REDIRECT_CODES and resp.headers.get("location"):
            return resp.headers["location"]
        mtype = media_type(resp.headers.get("content-type"))
        result = FetchResult(url=str(url), final_url=str(url), status_code=code,
                             headers=dict(resp.headers), content_type=mtype,
                             encoding=resp.charset_encoding)
        if code == 304:
            result.not_modified = True
            return result
        if code >= 300:
            retry_after = parse_retry_after(resp.headers.get("retry-after"))
            if retry_after is not None:  # "Retry-After: 99999999999" must not hold a host for ever
                retry_after = min(retry_after, float(s.max_backoff_s))
            host = url.netloc.decode("ascii")
            if code == 429:
                self.limiter.defer(host, retry_after if retry_after is not None else DEFAULT_429_DEFER_S,
                                   f"HTTP 429 from {url}")
            elif code == 503 and retry_after is not None:
                self.limiter.defer(host, retry_after, f"HTTP 503 from {url}")
            raise HTTPStatusError(str(url), code, resp.reason_phrase or "", retry_after=retry_after)
        _check_content_type(url, mtype, kind)
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and "content-encoding" not in resp.headers \
                and int(declared) > s.max_body_bytes:
            raise TooLarge(str(url), f"Content-Length {declared} exceeds the "
                                     f"{s.max_body_bytes}-byte limit")
        body = bytearray()
        async for chunk in resp.aiter_bytes():
            body += chunk
            if len(body) > s.max_body_bytes:
                raise TooLarge(str(url), f"body exceeds the {s.max_body_bytes}-byte limit")
        result.body = bytes(body)
        return result
