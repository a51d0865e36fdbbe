"""The host names the service answers to, against DNS rebinding.

A page on an attacker's name that later resolves to this machine's address is, for the browser,
of the same origin as the service: only the request's `Host` header tells the two apart. Answered
are IP literals (rebinding needs a name, and Home Assistant often calls by address), loopback
names, this machine's own host names and the names of ALLOWED_HOSTS; any other `Host` is refused
with `400 host_not_allowed` before anything else looks at the request. A request without `Host`
(HTTP/1.0) cannot come from a browser and is answered.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from flask import Flask, request

from app.api.errors import HostNotAllowed

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def own_names() -> frozenset[str]:
    """Loopback names and this machine's host names, lower-case."""
    names = {socket.gethostname(), socket.getfqdn()}
    return LOOPBACK_NAMES | {n.lower() for n in names if n}


def host_name(header: str) -> str:
    """The name or address of a `Host` header (`name[:port]`, `[v6]:port`), lower-case, without
    the port, brackets or a final dot."""
    host = header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.rpartition(":")[0]
    return host.rstrip(".")


def is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class AllowedHosts:
    def __init__(self, names: Iterable[str]) -> None:
        self._names = own_names() | {host_name(n) for n in names}

    def allows(self, header: str | None) -> bool:
        """Whether to answer a request with this `Host` header; one without (HTTP/1.0) cannot
        come from a browser."""
        if header is None:
            return True
        host = host_name(header)
        return is_address(host) or host in self._names


def register(app: Flask, names: Iterable[str]) -> None:
    """Refuse requests whose `Host` is not answered (before any other check)."""
    allowed = AllowedHosts(names)

    @app.before_request
    def check_host() -> None:
        header = request.headers.get("Host")
        if header is not None and not allowed.allows(header):
            raise HostNotAllowed(
                f"this service does not answer to host {host_name(header)[:64]!r}; add it to "
                "ALLOWED_HOSTS"
            )
