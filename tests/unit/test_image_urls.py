"""Image URLs: refused unless enabled, public and allowed. Everything here stays on loopback, so a
successful remote fetch is not tested (it would need the internet)."""

from __future__ import annotations

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from app import image_urls
from app.errors import ImageUrlForbidden, ImageUrlsDisabled, ImageUrlTimeout, ImageUrlTooLarge
from app.image_urls import UrlPolicy, check, copy_limited, fetch

OPEN = UrlPolicy(True, frozenset(), frozenset(), 1024, 5.0)


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"\xff\xd8\xff")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server():
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    yield server.server_address[1]
    server.shutdown()


def test_a_loopback_url_is_refused_and_never_requested(loopback_server):
    for host in ("127.0.0.1", "localhost", "[::1]"):
        with pytest.raises(ImageUrlForbidden):
            fetch(f"http://{host}:{loopback_server}/face.jpg", OPEN, io.BytesIO())
    time.sleep(0.1)
    assert _Recorder.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/x.jpg",  # private
        "http://192.168.1.2/x.jpg",
        "http://172.16.0.1/x.jpg",
        "http://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "http://100.64.0.1/x.jpg",  # carrier-grade NAT
        "http://0.0.0.0/x.jpg",
        "http://[fe80::1]/x.jpg",
        "http://[::ffff:127.0.0.1]/x.jpg",  # IPv4-mapped loopback
        "http://224.0.0.1/x.jpg",  # multicast
        "file:///etc/passwd",
        "ftp://example.org/x.jpg",
        "http://user:pw@example.org/x.jpg",
        "http:///x.jpg",
        "not a url",
    ],
)
def test_private_and_odd_urls_are_refused_before_any_connection(url):
    with pytest.raises(ImageUrlForbidden):
        check(url, OPEN)


def test_disabled_allowlist_and_the_dht_host():
    with pytest.raises(ImageUrlsDisabled):
        check("http://8.8.8.8/x.jpg", UrlPolicy(False, frozenset(), frozenset(), 1024, 5.0))
    only = UrlPolicy(True, frozenset({"photos.example.org"}), frozenset(), 1024, 5.0)
    with pytest.raises(ImageUrlForbidden, match="allowlist"):
        check("http://8.8.8.8/x.jpg", only)
    dht = UrlPolicy(True, frozenset(), frozenset({"8.8.8.8"}), 1024, 5.0)
    with pytest.raises(ImageUrlForbidden, match="DHT"):
        check("http://8.8.8.8:3000/ws", dht)


def test_a_public_address_passes_the_check_and_is_pinned():
    target = check("https://8.8.8.8/a/b.jpg?x=1", OPEN)
    assert (target.address, target.port, target.path) == ("8.8.8.8", 443, "/a/b.jpg?x=1")


def test_bodies_over_the_size_limit_are_refused():
    out = io.BytesIO()
    copy_limited(io.BytesIO(b"x" * 1000), out, OPEN, time.monotonic() + 5)
    assert len(out.getvalue()) == 1000
    with pytest.raises(ImageUrlTooLarge):
        copy_limited(io.BytesIO(b"x" * 5000), io.BytesIO(), OPEN, time.monotonic() + 5)


class _Trickler(BaseHTTPRequestHandler):
    """Answers one byte every 0.2 s, headers included: never idle long enough for a socket
    timeout, and would take about 40 s in all."""

    def do_GET(self) -> None:
        reply = b"HTTP/1.1 200 OK\r\nContent-Length: 150\r\n\r\n" + b"\xff\xd8\xff" + bytes(147)
        try:
            for byte in reply:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client hung up
            pass

    def log_message(self, *args: object) -> None:
        pass


def test_a_trickling_server_is_cut_off_at_the_wall_clock_limit(monkeypatch):
    monkeypatch.setattr(image_urls, "_public", lambda address: True)  # allow loopback here
    server = HTTPServer(("127.0.0.1", 0), _Trickler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    policy = UrlPolicy(True, frozenset(), frozenset(), 1024, 1.0)
    started = time.monotonic()
    try:
        with pytest.raises(ImageUrlTimeout):
            fetch(f"http://127.0.0.1:{server.server_address[1]}/x.jpg", policy, io.BytesIO())
    finally:
        server.shutdown()
    assert time.monotonic() - started < 3
