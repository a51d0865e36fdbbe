"""The `Host` header, against DNS rebinding: the service answers IP literals, loopback names and
its machine's own names (ALLOWED_HOSTS adds more: tests/browser/test_cross_site.py), and refuses
every other name before anything is read or written."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import FACES
from tests.e2e.test_residents import new_gallery


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "localhost:{port}",
        "LOCALHOST",
        "[::1]:{port}",
        "192.0.2.7:8090",  # an address (Home Assistant calling the service by IP)
        "[2001:db8::7]",
        socket.gethostname(),
    ],
)
def test_addresses_loopback_and_own_names_are_answered(server, host):
    reply = server.raw("GET", "/welcome", headers={"Host": host.format(port=server.port)})
    assert reply.status == 200, reply.body


@pytest.mark.parametrize(
    "host", ["rebind.example:{port}", "rebind.example", "localhost.evil.example"]
)
def test_other_names_are_refused_and_nothing_is_written(server, host):
    gallery = new_gallery(server, "hosts-" + host.replace(".", "-").replace(":{port}", "-port"))
    header = {"Host": host.format(port=server.port)}
    for method, path in [("GET", "/residents"), ("POST", "/residents")]:
        reply = server.raw(
            method,
            f"{path}?path={gallery}",
            fields=[("name", "Mallory"), ("file", ("m.jpg", (FACES / "img38.jpg").read_bytes()))]
            if method == "POST"
            else None,
            headers=header,
        )
        assert reply.status == 400, reply.body
        assert reply.body["error"]["code"] == "host_not_allowed"
    listed = server.raw("GET", f"/residents?path={gallery}").body["residents"]
    assert [r["name"] for r in listed] == ["Bob"]
