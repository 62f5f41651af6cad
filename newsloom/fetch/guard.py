"""The private-network guard: no request to loopback, private, link-local or cloud-metadata
addresses unless ``settings.allow_private_networks`` says so.

One bad feed item, redirect or OPML entry must not make the server request its own network
(a router's admin page, ``http://169.254.169.254/`` credentials). The check sits where every
connection is opened — the httpcore network backend — so it sees the address DNS actually gave
and then connects to exactly that checked address: no second lookup a rebinding DNS server
could answer differently, and every redirect hop and the robots.txt request go through it too.
A host written as an IP literal is refused earlier, before robots.txt or the rate limit, by
``check_literal``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from newsloom.errors import PrivateAddress

HINT = "set allow_private_networks = true (NEWSLOOM_ALLOW_PRIVATE_NETWORKS=true) to allow it"
# names that mean this machine whatever DNS says (RFC 6761); refused without a lookup
_LOCAL_NAMES = ("localhost", "localhost.localdomain")

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _kind(ip: IP) -> str | None:
    """Why ``ip`` is not to be fetched, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
            return _kind(embedded)
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:  # 169.254.169.254 (cloud metadata) lives here, and fe80::/10
        return "link-local / cloud metadata" if str(ip).startswith("169.254.") else "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:  # 10/8, 172.16/12, 192.168/16, fc00::/7 (fd00:ec2::254, AWS metadata) ...
        return "private network"
    if not ip.is_global:  # 100.64/10 carrier NAT (100.100.100.200, Alibaba metadata), reserved
        return "non-public"
    return None


def refusal(ip_text: str) -> str | None:
    """The reason an address is refused, or None; unparsable text is not an address (None)."""
    try:
        ip = ipaddress.ip_address(ip_text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None
    return _kind(ip)


def for_url(exc: PrivateAddress, url: str) -> PrivateAddress:
    """The guard's refusal (which knows only the host) restated for the URL asked for."""
    reason = str(exc)[len(exc.url) + 2:]
    return PrivateAddress(url, f"host {exc.url} {reason}")


def check_literal(url: httpx.URL) -> None:
    """Refuse a URL whose host is an IP literal or localhost name of a private kind."""
    host = url.host.lower().rstrip(".")
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise PrivateAddress(str(url), f"host {host} is this machine (loopback); {HINT}")
    why = refusal(host)
    if why is not None:
        raise PrivateAddress(str(url), f"address {host} is {why}; {HINT}")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, refuse private addresses, then connect to the first allowed address itself."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port)
        refused: list[str] = []
        last: Exception | None = None
        for addr in addresses:
            why = refusal(addr)
            if why is not None:
                refused.append(f"{addr} ({why})")
                continue
            try:
                # TLS still verifies the certificate against the original host name: httpcore
                # passes the origin host as server_hostname, not this address
                return await self._inner.connect_tcp(addr, port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        if last is not None:
            raise last
        raise PrivateAddress(host, f"resolves only to {', '.join(refused)}; {HINT}")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def guarded_transport(*, http2: bool, limits: httpx.Limits,
                      verify: ssl.SSLContext | bool = True) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through GuardedBackend."""
    transport = httpx.AsyncHTTPTransport(http2=http2, limits=limits, verify=verify)
    pool = getattr(transport, "_pool", None)
    # httpx offers no public hook for the network backend; its pool is a plain httpcore pool
    # whose documented ``network_backend`` is kept here. Fail loudly if a future httpx differs
    # rather than fetch unguarded.
    if not isinstance(pool, httpcore.AsyncConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx internals changed: cannot install the private-network guard")
    pool._network_backend = GuardedBackend()
    return transport
