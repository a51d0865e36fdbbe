"""Images fetched by URL, only when enabled and only from public hosts (no request forgery).

Before every request (the first and each redirect) the URL must be `http`/`https` without
credentials, its host must be on the allowlist when one is configured and must not be the DHT's,
and *every* address the host resolves to must be a public unicast address: loopback, private,
link-local, carrier-grade NAT, multicast and reserved ranges are refused (IPv4-mapped IPv6 too).
The connection then goes to the checked address itself, with the host name kept for the `Host`
header and TLS verification, so a second DNS answer cannot redirect it (no DNS rebinding).
The body is read up to `max_bytes`, within `timeout_s` of wall-clock time: a timer shuts the
socket down at the deadline, whatever the fetch is waiting for (connecting, TLS, headers or body),
so a server trickling one byte a second cannot hold a fetch past it. Only the DNS look-up is left
to the resolver's own timeouts.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import IO
from urllib.parse import urljoin, urlsplit

from app.errors import (
    ImageUrlForbidden,
    ImageUrlsDisabled,
    ImageUrlTimeout,
    ImageUrlTooLarge,
    ImageUrlUnavailable,
)

MAX_REDIRECTS = 3
CHUNK = 64 * 1024
_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class UrlPolicy:
    enabled: bool
    hosts: frozenset[str]  # empty: any public host
    forbidden_hosts: frozenset[str]  # e.g. the DHT's host
    max_bytes: int
    timeout_s: float


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked IP the connection goes to
    path: str  # path and query


def check(url: str, policy: UrlPolicy) -> Target:
    """Validate a URL and resolve its host; raise ImageUrlForbidden unless it may be fetched."""
    if not policy.enabled:
        raise ImageUrlsDisabled("images by URL are disabled (setting IMAGE_URLS)")
    try:
        parts = urlsplit(url)
        port = parts.port or _PORTS.get(parts.scheme.lower(), 0)
    except ValueError as exc:
        raise ImageUrlForbidden("the image URL is not a valid URL") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _PORTS or not host:
        raise ImageUrlForbidden("an image URL must be an http or https URL with a host")
    if parts.username is not None or any(c.isspace() or ord(c) < 32 for c in url):
        raise ImageUrlForbidden("an image URL may not hold credentials or control characters")
    if policy.hosts and host not in policy.hosts:
        raise ImageUrlForbidden(f"image host {host!r} is not in the configured allowlist")
    addresses = _resolve(host, port)
    forbidden = {a for h in policy.forbidden_hosts for a in _resolve(h, port, strict=False)}
    if host in policy.forbidden_hosts or forbidden & set(addresses):
        raise ImageUrlForbidden(f"image host {host!r} is the DHT's host")
    for address in addresses:
        if not _public(address):
            raise ImageUrlForbidden(
                f"image host {host!r} resolves to a loopback, private, link-local or reserved "
                "address"
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, addresses[0], path)


def fetch(url: str, policy: UrlPolicy, out: IO[bytes]) -> None:
    """Write the image at `url` to `out`, following at most MAX_REDIRECTS checked redirects."""
    deadline = time.monotonic() + policy.timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        target = check(url, policy)
        conn = _connection(target, _remaining(deadline, policy))
        try:
            with _cut_at(deadline, conn, policy):
                location = _get(conn, target, out, policy, deadline)
        except TimeoutError as exc:
            raise ImageUrlTimeout(f"the image URL took longer than {policy.timeout_s:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ImageUrlUnavailable("the image URL could not be fetched") from exc
        finally:
            conn.close()
        if location is None:
            return
        url = urljoin(url, location)
    raise ImageUrlUnavailable(f"more than {MAX_REDIRECTS} redirects")


def _get(
    conn: http.client.HTTPConnection,
    target: Target,
    out: IO[bytes],
    policy: UrlPolicy,
    deadline: float,
) -> str | None:
    """GET the target into `out`; the redirect's Location instead, when it answers one."""
    conn.request("GET", target.path, headers={"Accept": "image/*"})
    response = conn.getresponse()
    location = response.getheader("Location")
    if response.status in _REDIRECTS and location:
        return location
    if response.status != 200:
        raise ImageUrlUnavailable(f"the image server answered HTTP {response.status}")
    copy_limited(response, out, policy, deadline)
    return None


@contextmanager
def _cut_at(deadline: float, conn: http.client.HTTPConnection, policy: UrlPolicy) -> Iterator[None]:
    """Shut the connection's socket down at `deadline`; what was cut short is ImageUrlTimeout."""
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        if conn.sock is not None:
            with suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    except (OSError, http.client.HTTPException) as exc:
        if fired.is_set():
            raise ImageUrlTimeout(f"the image URL took longer than {policy.timeout_s:g} s") from exc
        raise
    finally:
        timer.cancel()
    if fired.is_set():  # a body cut short may look complete: never keep it
        raise ImageUrlTimeout(f"the image URL took longer than {policy.timeout_s:g} s")


def copy_limited(source: IO[bytes], out: IO[bytes], policy: UrlPolicy, deadline: float) -> None:
    """Copy at most `policy.max_bytes` bytes, refusing more, and stop at the deadline."""
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > policy.max_bytes:
            raise ImageUrlTooLarge(f"the image is larger than {policy.max_bytes} bytes")
        _remaining(deadline, policy)
        out.write(chunk)
    out.flush()


def _remaining(deadline: float, policy: UrlPolicy) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ImageUrlTimeout(f"the image URL took longer than {policy.timeout_s:g} s")
    return left


def _resolve(host: str, port: int, strict: bool = True) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        if not strict:
            return []
        raise ImageUrlUnavailable(f"image host {host!r} cannot be resolved") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to a checked address, sending the URL's host name as `Host`."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address, verifying the certificate for the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    return (_PinnedHTTPS if target.scheme == "https" else _PinnedHTTP)(target, timeout)
