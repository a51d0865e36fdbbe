"""Cross-site writes and DNS rebinding, with a real Chromium as the attacker's victim, against a
server without API_KEY (the default): a page from another origin, and a page the browser reached
under a name that resolves to the service (as after DNS rebinding), try to enroll a stranger.
The service's own pages and clients without a browser's headers keep writing.

The service is reached at 127.0.0.1 (Chromium sends `Sec-Fetch-Site` to loopback addresses) and
at FRONT, a name of ALLOWED_HOSTS (plain HTTP to a name: only `Origin` tells where a request
comes from), both mapped to loopback by Chromium's resolver rules, as is REBOUND."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import FACES
from tests.e2e.server import Server, start_server, stop_server

# Strangers (each a different person, none a resident) whose photos pass the enrollment quality
# gate: one per test, so that no test's photo is a near-duplicate of another's.
STRANGERS = {
    "by-address": "img38.jpg",
    "by-name": "img29.jpg",
    "rebound": "img47.jpg",
    "plain": "img13.jpg",
}
REBOUND = "rebind.test"  # a name the attacker points at the service's address
FRONT = "face.test"  # the name the household gives the service (ALLOWED_HOSTS)
# What the attacker's script does: post a stranger's photo as a new resident and as one more
# photo of Alice. `no-cors` fetches are "simple" requests: a browser sends them without asking.
ENROLL = """async ([target, newName, bytes]) => {
  const photo = new Blob([new Uint8Array(bytes)], {type: "image/jpeg"});
  for (const [path, name] of [["/residents", newName], ["/residents/Alice/images", null]]) {
    const form = new FormData();
    if (name) form.append("name", name);
    form.append("file", photo, "stranger.jpg");
    try { await fetch(target + path, {method: "POST", mode: "no-cors", body: form}); }
    catch (e) { /* refused or unreachable: the server's state says which */ }
  }
}"""


class Attacker:
    """Another loopback origin, serving an empty page for the attacker's script to run in."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"<!doctype html><title>elsewhere</title>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def __enter__(self) -> Attacker:
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("open"), ALLOWED_HOSTS=f'["{FRONT}"]')
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """Chromium that resolves FRONT, and REBOUND as a rebinding attacker's DNS would, to
    loopback."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
    rule = f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1, MAP {FRONT} 127.0.0.1"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_FLAGS, rule])
        yield launched
        launched.close()


@pytest.fixture
def tab(chromium) -> Iterator:
    context = chromium.new_context()
    yield context.new_page()
    context.close()


def stranger(test: str) -> list[int]:
    return list((FACES / STRANGERS[test]).read_bytes())


def residents(server: Server) -> dict[str, int]:
    """Name -> photo count, asked as a client without a browser (no Origin, no Sec-Fetch-*)."""
    listed = requests.get(f"{server.url}/residents", timeout=30).json()["residents"]
    return {r["name"]: r["image_count"] for r in listed}


@pytest.mark.parametrize("reached", ["by-address", "by-name"])
def test_a_page_of_another_origin_cannot_enroll_or_add_photos(open_server, tab, reached):
    before = residents(open_server)
    target = open_server.url if reached == "by-address" else f"http://{FRONT}:{open_server.port}"
    with Attacker() as attacker:
        tab.goto(attacker.url)
        tab.evaluate(ENROLL, [target, f"Mallory {reached}", stranger(reached)])
    assert residents(open_server) == before


def test_a_page_under_a_rebound_name_cannot_enroll_or_add_photos(open_server, tab):
    before = residents(open_server)
    rebound = f"http://{REBOUND}:{open_server.port}"
    tab.goto(f"{rebound}/health")  # the attacker's page, its name now resolving to the service
    tab.evaluate(ENROLL, [rebound, "Mallory", stranger("rebound")])
    assert residents(open_server) == before


@pytest.mark.parametrize("reached", ["by-address", "by-name"])
def test_the_services_own_pages_still_write(open_server, tab, reached):
    origin = open_server.url if reached == "by-address" else f"http://{FRONT}:{open_server.port}"
    tab.goto(f"{origin}/ui/residents")
    status = tab.evaluate(
        """async () => {
          const response = await fetch("/residents/Bob", {
            method: "PATCH", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({metadata: {room: "attic"}})});
          return response.status;
        }"""
    )
    assert status == 200


def test_clients_without_a_browsers_headers_still_write(open_server):
    enrolled = requests.post(
        f"{open_server.url}/residents",
        data={"name": "Trent"},
        files={"file": ("t.jpg", bytes(stranger("plain")), "image/jpeg")},
        timeout=60,
    )
    assert enrolled.status_code == 201, enrolled.text
    assert residents(open_server)["Trent"] == 1


SHOW = """([src]) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve(img.naturalWidth);
  img.onerror = () => resolve(0);
  img.src = src;
})"""


def test_a_page_of_another_origin_cannot_show_a_residents_photo(open_server, tab):
    image = requests.get(f"{open_server.url}/residents/Alice", timeout=30).json()["images"][0]
    thumbnail = f"/ui/residents/Alice/photos/{image}.jpg"
    tab.goto(f"{open_server.url}/ui/residents")
    assert tab.evaluate(SHOW, [thumbnail]) > 0  # the service's own page shows it
    with Attacker() as attacker:
        tab.goto(attacker.url)
        assert tab.evaluate(SHOW, [f"{open_server.url}{thumbnail}"]) == 0
