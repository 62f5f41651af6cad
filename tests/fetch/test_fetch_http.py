"""Fetcher against a real local HTTP server: redirects, caps, content types, status codes."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from asyncio import run  # each test drives its own event loop (no pytest-asyncio)
from localserver import LocalServer, Request, closed_port_url

from newsloom.config import Settings
from newsloom.errors import (
    BadContentType,
    FetchTimeout,
    HostUnreachable,
    HTTPStatusError,
    InvalidURL,
    RetryLater,
    TooLarge,
    TooManyRedirects,
)
from newsloom.fetch.http import Fetcher, FetchResult, parse_retry_after

HTML = "text/html; charset=utf-8"


def fetch(settings: Settings, url: str, **kw: object) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings) as f:
            return await f.fetch(url, **kw)  # type: ignore[arg-type]
    return run(go())


def test_plain_page_and_user_agent(server: LocalServer, settings: Settings) -> None:
    server.route("/a", "<p>hello</p>", content_type=HTML)
    r = fetch(settings, server.url("/a"))
    assert (r.status_code, r.body, r.content_type, r.encoding) == (200, b"<p>hello</p>", "text/html", "utf-8")
    assert r.final_url == r.url == server.url("/a") and r.redirects == [] and not r.not_modified
    assert server.requests_for("/a")[0].headers["User-Agent"] == settings.user_agent


def test_non_utf8_body_is_bytes_with_header_charset(server: LocalServer, settings: Settings) -> None:
    body = "<p>Olá, coração</p>".encode("iso-8859-1")
    server.route("/pt", body, content_type="text/html; charset=ISO-8859-1")
    r = fetch(settings, server.url("/pt"))
    assert r.body == body  # untouched: decoding is the extract package's job
    assert r.encoding == "iso-8859-1"


def test_redirect_chain_is_recorded(server: LocalServer, settings: Settings) -> None:
    server.redirect("/a", "/b", 301)
    server.redirect("/b", server.url("/c"), 307)
    server.route("/c", "<p>c</p>", content_type=HTML)
    r = fetch(settings, server.url("/a"))
    assert r.final_url == server.url("/c") and r.url == server.url("/a")
    assert r.redirects == [server.url("/a"), server.url("/b")]


def test_redirect_loop(server: LocalServer, settings: Settings) -> None:
    server.redirect("/x", "/y")
    server.redirect("/y", "/x")
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        fetch(settings, server.url("/x"))
    assert len(server.requests_for("/x")) == 1  # stopped at the first repeat, no ping-pong


def test_too_many_redirects(server: LocalServer, settings: Settings) -> None:
    for i in range(6):
        server.redirect(f"/r{i}", f"/r{i + 1}")
    server.route("/r6", "<p>end</p>", content_type=HTML)
    with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
        fetch(settings, server.url("/r0"))  # settings.max_redirects == 3
    assert server.requests_for("/r4") == []
    ok = fetch(Settings(**{**vars(settings), "max_redirects": 6}), server.url("/r0"))
    assert ok.final_url == server.url("/r6") and len(ok.redirects) == 6


def test_every_redirect_hop_checks_robots(server: LocalServer, settings: Settings) -> None:
    from newsloom.errors import RobotsDisallowed

    server.robots("User-agent: *\nDisallow: /private\n")
    server.redirect("/open", "/private/page")
    server.route("/private/page", "<p>secret</p>", content_type=HTML)
    with pytest.raises(RobotsDisallowed):
        fetch(settings, server.url("/open"))
    assert server.requests_for("/private/page") == []


def test_endless_body_is_cut_at_the_cap(server: LocalServer, settings: Settings) -> None:
    # 50 MB offered, no Content-Length: we must stop reading at the 256 KiB cap
    server.route("/huge", stream_bytes=50 * 1024 * 1024, content_type=HTML)
    with pytest.raises(TooLarge, match="262144-byte limit"):
        fetch(settings, server.url("/huge"))


def test_declared_length_over_cap_rejected_before_reading(server: LocalServer,
                                                           settings: Settings) -> None:
    server.route("/big", stream_bytes=50 * 1024 * 1024, declare_length=True, content_type=HTML)
    with pytest.raises(TooLarge, match="Content-Length 52428800"):
        fetch(settings, server.url("/big"))


def test_cap_applies_to_decoded_size(server: LocalServer, settings: Settings) -> None:
    bomb = gzip.compress(b"<p>" + b"a" * (2 * 1024 * 1024))  # ~2 KB on the wire, 2 MB decoded
    assert len(bomb) < settings.max_body_bytes
    server.route("/bomb", bomb, headers={"Content-Type": HTML, "Content-Encoding": "gzip"})
    with pytest.raises(TooLarge):
        fetch(settings, server.url("/bomb"))
    small = b"<p>" + b"b" * 1000
    server.route("/gz", gzip.compress(small), headers={"Content-Type": HTML, "Content-Encoding": "gzip"})
    assert fetch(settings, server.url("/gz")).body == small


@pytest.mark.parametrize("ctype", ["image/jpeg", "application/octet-stream", "application/pdf"])
def test_binary_content_type_rejected(server: LocalServer, settings: Settings, ctype: str) -> None:
    server.route("/bin", b"\x00\x01binary", content_type=ctype)
    with pytest.raises(BadContentType, match=ctype):
        fetch(settings, server.url("/bin"))
    with pytest.raises(BadContentType):
        fetch(settings, server.url("/bin"), kind="feed")


def test_kind_decides_what_is_accepted(server: LocalServer, settings: Settings) -> None:
    server.route("/feed", "<rss/>", content_type="application/rss+xml")
    with pytest.raises(BadContentType, match="not an HTML page"):
        fetch(settings, server.url("/feed"), kind="page")
    assert fetch(settings, server.url("/feed"), kind="feed").body == b"<rss/>"
    server.route("/sm.xml.gz", gzip.compress(b"<urlset/>"), content_type="application/octet-stream")
    assert fetch(settings, server.url("/sm.xml.gz"), kind="feed").status_code == 200


def test_conditional_get_304(server: LocalServer, settings: Settings) -> None:
    def handler(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"',
                     "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"<rss/>"

    server.route("/feed", handler=handler)
    first = fetch(settings, server.url("/feed"), kind="feed")
    assert first.headers["etag"] == '"v1"' and not first.not_modified
    second = fetch(settings, server.url("/feed"), kind="feed", etag='"v1"',
                   last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert second.not_modified and second.status_code == 304 and second.body == b""
    sent = server.requests_for("/feed")[1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert "If-None-Match" not in server.requests_for("/feed")[0].headers


def test_429_with_retry_after_seconds_defers_the_host(server: LocalServer,
                                                      settings: Settings) -> None:
    server.route("/busy", "slow down", status=429, headers={"Retry-After": "120"})
    server.route("/other", "<p>x</p>", content_type=HTML)

    async def go() -> None:
        async with Fetcher(settings, max_wait_s=5) as f:
            with pytest.raises(HTTPStatusError) as info:
                await f.fetch(server.url("/busy"))
            assert info.value.code == 429 and info.value.retry_after == 120
            # the host asked for two minutes of quiet: the next request is refused locally
            with pytest.raises(RetryLater) as later:
                await f.fetch(server.url("/other"))
            assert 100 < later.value.retry_after <= 120

    run(go())
    assert server.requests_for("/other") == []


def test_503_with_retry_after_http_date(server: LocalServer, settings: Settings) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    server.route("/down", "maintenance", status=503,
                 headers={"Retry-After": format_datetime(when, usegmt=True)})
    with pytest.raises(HTTPStatusError) as info:
        fetch(settings, server.url("/down"))
    assert info.value.code == 503 and 80 <= (info.value.retry_after or 0) <= 91
    assert "HTTP 503" in str(info.value) and server.url("/down") in str(info.value)


@pytest.mark.parametrize("code", [404, 410, 500])
def test_other_error_codes(server: LocalServer, settings: Settings, code: int) -> None:
    server.route("/e", "nope", status=code)
    with pytest.raises(HTTPStatusError) as info:
        fetch(settings, server.url("/e"))
    assert info.value.code == code and info.value.retry_after is None


def test_dead_host_is_unreachable(settings: Settings) -> None:
    url = closed_port_url("/page")
    with pytest.raises(HostUnreachable, match="127.0.0.1"):
        fetch(settings, url)


def test_slow_server_times_out(server: LocalServer) -> None:
    s = Settings(db="sqlite:///:memory:", requests_per_second_per_host=1000.0, timeout_s=0.3,
                 allow_private_networks=True)
    server.route("/slow", "<p>late</p>", content_type=HTML, delay=1.0)
    with pytest.raises(FetchTimeout, match="0.3 s"):
        fetch(s, server.url("/slow"))


@pytest.mark.parametrize("bad", ["ftp://example.org/x", "not a url", "http://", "/relative"])
def test_invalid_url(settings: Settings, bad: str) -> None:
    with pytest.raises(InvalidURL):
        fetch(settings, bad)


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now) == 0.0  # past date: now
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_protocol_garbage_is_a_fetch_error(server: LocalServer, settings: Settings) -> None:
    from newsloom.errors import FetchError

    server.route("/garbage", raw=b"SMTP ready\r\nnot http at all\r\n\r\n")
    with pytest.raises(FetchError, match="/garbage"):
        fetch(settings, server.url("/garbage"))


def test_bad_redirect_location(server: LocalServer, settings: Settings) -> None:
    server.redirect("/bad", "http://[broken/x")
    server.redirect("/ftp", "ftp://example.org/file")
    from newsloom.errors import FetchError

    with pytest.raises(FetchError):  # httpx escapes it into a host name that cannot resolve
        fetch(settings, server.url("/bad"))
    with pytest.raises(InvalidURL, match="ftp://"):
        fetch(settings, server.url("/ftp"))


def test_brotli_body_is_decoded(server: LocalServer, settings: Settings) -> None:
    brotli = pytest.importorskip("brotli")
    page = b"<p>" + "Übersetzung ".encode() * 100 + b"</p>"
    server.route("/br", brotli.compress(page), headers={"Content-Type": HTML, "Content-Encoding": "br"})
    assert fetch(settings, server.url("/br")).body == page
    assert "br" in server.requests_for("/br")[0].headers["Accept-Encoding"]


def test_unknown_kind_is_a_programming_error(settings: Settings) -> None:
    with pytest.raises(ValueError, match="kind='video'"):
        fetch(settings, "http://127.0.0.1/", kind="video")


@pytest.mark.parametrize("guarded", [True, False])
def test_every_fetcher_shares_one_tls_context_that_verifies(guarded: bool) -> None:
    """One TLS context per process (the CA certificates read once, not at every pass), still
    verifying certificates and host names; the private-network guard's transport uses it too."""
    import ssl

    from newsloom.fetch.http import tls_context

    settings = Settings(allow_private_networks=not guarded)

    async def contexts() -> list[object]:
        out = []
        for _ in range(2):
            async with Fetcher(settings) as f:
                # httpx keeps the context on its connection pool (no public accessor)
                out.append(f.client._transport._pool._ssl_context)  # type: ignore[attr-defined]
        return out

    first, second = run(contexts())
    assert first is second is tls_context()
    assert tls_context().verify_mode == ssl.CERT_REQUIRED and tls_context().check_hostname


def test_answers_without_a_page_keep_their_connection(settings: Settings) -> None:
    """A 304 (every cheap conditional recrawl), a redirect and an error page are read to their
    end, so the next request to the host reuses the connection instead of a new TCP and TLS
    handshake each (httpx closes a connection whose body was left unread)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    connections: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            connections.append(1)

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            answers = {"/same": (304, b"", {"ETag": '"1"'}), "/moved": (301, b"<p>moved</p>", {"Location": "/page"}),
                       "/gone": (404, b"<p>not here</p>" * 200, {"Content-Type": "text/html"})}
            status, body, headers = answers.get(self.path, (200, b"<p>page</p>", {"Content-Type": "text/html"}))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"

    async def go() -> list[object]:
        got: list[object] = []
        async with Fetcher(settings) as f:
            for path in ("/page", "/same", "/same", "/moved", "/gone", "/same", "/page"):
                try:
                    r = await f.fetch(base + path, etag='"1"' if path == "/same" else None)
                    got.append(304 if r.not_modified else r.final_url)
                except HTTPStatusError as exc:
                    got.append(exc.status)
        return got

    try:
        assert run(go()) == [base + "/page", 304, 304, base + "/page", "http_error", 304, base + "/page"]
        assert len(connections) == 1
    finally:
        httpd.shutdown()
        httpd.server_close()
