"""The private-network guard: loopback, private, link-local and metadata addresses are refused by
default — as literals, after DNS, and on every redirect hop — and allowed by a setting."""

from __future__ import annotations

import dataclasses
from asyncio import run
from typing import Any

import httpcore
import httpx
import pytest
from localserver import LocalServer

from newsloom.config import Settings
from newsloom.errors import PrivateAddress
from newsloom.fetch import guard
from newsloom.fetch.crawler import crawl
from newsloom.fetch.http import Fetcher
from newsloom.models import Feed, FetchLog

HTML = "text/html; charset=utf-8"


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return dataclasses.replace(settings, allow_private_networks=False)


def fetch(settings: Settings, url: str, **kw: Any) -> Any:
    async def go() -> Any:
        async with Fetcher(settings, **kw) as f:
            return await f.fetch(url)
    return run(go())


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.9.9.9:8080/x", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://192.168.0.1/admin", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[fd00:ec2::254]/", "private"),
    ("http://100.100.100.200/", "non-public"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://localhost:8000/", "loopback"),
    ("http://api.localhost/", "loopback"),
])
def test_private_literals_are_refused(strict: Settings, url: str, kind: str) -> None:
    with pytest.raises(PrivateAddress, match=kind) as info:
        fetch(strict, url)
    assert str(info.value).startswith(url) and "allow_private_networks" in str(info.value)


def test_public_addresses_pass_the_check() -> None:
    for ip in ("93.184.216.34", "2606:2800:220:1:248:1893:25c7:1946", "8.8.8.8"):
        assert guard.refusal(ip) is None
    assert guard.refusal("not an ip") is None


def test_loopback_server_refused_by_default_and_allowed_by_setting(server: LocalServer, strict: Settings,
                                                                   settings: Settings) -> None:
    server.route("/page", "<p>hi</p>", content_type=HTML)
    with pytest.raises(PrivateAddress, match="loopback"):
        fetch(strict, server.url("/page"))
    assert server.requests == []  # not even robots.txt was asked
    assert fetch(settings, server.url("/page")).body == b"<p>hi</p>"


def test_allow_private_networks_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLOOM_ALLOW_PRIVATE_NETWORKS", "false")
    assert Settings.load().allow_private_networks is False
    monkeypatch.setenv("NEWSLOOM_ALLOW_PRIVATE_NETWORKS", "true")
    assert Settings.load().allow_private_networks is True


def test_a_name_resolving_to_loopback_is_refused_after_dns(server: LocalServer, strict: Settings,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A public-looking name whose DNS answer is private (or a rebinding DNS server) is refused at
    connect time, on the address actually resolved — robots.txt included."""
    async def fake_resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "rebind.example" else []
    monkeypatch.setattr(guard, "_resolve", fake_resolve)
    server.route("/page", "<p>hi</p>", content_type=HTML)
    with pytest.raises(PrivateAddress, match=r"host rebind.example resolves only to 127.0.0.1 \(loopback\)"):
        fetch(strict, f"http://rebind.example:{server.port}/page")
    assert server.requests == []


def test_guarded_backend_connects_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    connected: list[str] = []

    class Inner(httpcore.AsyncNetworkBackend):
        async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                              local_address: str | None = None, socket_options: Any = None) -> Any:
            connected.append(host)
            return object()

    async def fake_resolve(host: str, port: int) -> list[str]:
        return ["10.0.0.7", "169.254.169.254", "93.184.216.34"]
    monkeypatch.setattr(guard, "_resolve", fake_resolve)
    run(guard.GuardedBackend(Inner()).connect_tcp("mixed.example", 80))
    assert connected == ["93.184.216.34"]  # never the private ones, never a second lookup


def _public_site(hops: dict[str, tuple[int, dict[str, str], bytes]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        status, headers, body = hops.get(str(request.url), (404, {}, b""))
        return httpx.Response(status, headers=headers, content=body)
    return httpx.MockTransport(handler)


@pytest.mark.parametrize("target, address", [
    ("http://127.0.0.1:9/x", "127.0.0.1"), ("http://10.0.0.1/", "10.0.0.1"), ("http://[::1]/", "::1"),
    ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254")])
def test_redirect_to_a_private_address_is_refused(strict: Settings, target: str, address: str) -> None:
    site = _public_site({"https://news.example/story": (302, {"Location": target}, b"")})
    with pytest.raises(PrivateAddress, match="allow_private_networks") as info:
        fetch(strict, "https://news.example/story", transport=site)
    assert f"address {address} is" in str(info.value)


def test_refusal_is_recorded_in_the_fetch_log(strict: Settings) -> None:
    feed = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
            b"<item><title>Meta</title><link>http://169.254.169.254/latest/meta-data/</link></item>"
            b"<item><title>Hop</title><link>https://news.example/hop</link></item></channel></rss>")
    site = _public_site({
        "https://news.example/feed.xml": (200, {"Content-Type": "application/rss+xml"}, feed),
        "https://news.example/hop": (301, {"Location": "http://192.168.1.1/"}, b""),
    })
    done: list[tuple[Feed, list[FetchLog]]] = []

    async def go() -> Any:
        async with Fetcher(strict, transport=site) as fetcher:
            return await crawl([Feed(url="https://news.example/feed.xml", id=1)], strict,
                               seen=lambda u: False, on_page=lambda raw: None,
                               on_feed=lambda f, logs: done.append((f, logs)), fetcher=fetcher)
    summary = run(go())
    logs = {log.url: log for log in done[0][1]}
    meta = logs["http://169.254.169.254/latest/meta-data/"]
    assert meta.status == "private_address" and "link-local / cloud metadata" in (meta.error or "")
    hop = logs["https://news.example/hop"]
    assert hop.status == "private_address" and "192.168.1.1" in (hop.error or "")
    assert summary.pages_failed == 2 and summary.pages_fetched == 0
