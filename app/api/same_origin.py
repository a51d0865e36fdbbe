"""State-changing requests (POST, PUT, PATCH, DELETE) from a browser are answered only when they
come from the service's own origin, API key or not: a page elsewhere cannot enroll, delete or
reconfigure through a visitor's browser (`403 cross_site_request`).

A browser says where a request comes from: `Sec-Fetch-Site` (sent to HTTPS and loopback
targets) must be `same-origin` (or `none`, typed by the user), else `Origin` must name this
service's `Host`. Clients that are not browsers (curl, the SIFIS bus, Home Assistant) send
neither header and are not affected. A browser cannot forge either header, and DNS rebinding,
where both are honest, is stopped by the `Host` check (app/api/allowed_hosts.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from app.api.errors import CrossSiteRequest

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(origin: str, host: str) -> bool:
    """Whether `Origin` names the host and port of `Host`. The scheme is not compared: behind a
    TLS proxy the service sees `http` while the page is `https`, and nothing else can serve
    pages at this host and port."""
    theirs, ours = urlsplit(origin), urlsplit(f"//{host}")
    default = DEFAULT_PORTS.get(theirs.scheme)
    try:
        return (
            default is not None
            and theirs.hostname is not None
            and (theirs.hostname, theirs.port or default) == (ours.hostname, ours.port or default)
        )
    except ValueError:  # a port that is not a number
        return False


def cross_site() -> str | None:
    """Why this request is a browser's cross-site write, or None."""
    if request.method in SAFE_METHODS:
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return None if site in OWN_FETCH_SITES else f"the browser says it is {site[:20]!r}"
    origin = request.headers.get("Origin")
    if origin is None or same_origin(origin, request.host):
        return None
    return f"it comes from {origin[:100]!r}"


def register(app: Flask) -> None:
    @app.before_request
    def refuse_cross_site() -> None:
        reason = cross_site()
        if reason is not None:
            raise CrossSiteRequest(
                f"a browser page of another origin may not change anything here: {reason}"
            )
