"""Guessing the API key: wrong keys and failed UI logins are throttled per client address (429
with Retry-After, the key not even checked), logged without the value guessed, and other
addresses are not affected; a key shorter than 16 characters stops the service at start-up."""

from __future__ import annotations

import http.client
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tests.e2e.server import ROOT, Server, child_env, free_port, start_server, stop_server

KEY = "throttle-test-key-5d1c9"
GUESSES = 100  # far more than a client may fail in a row before it is throttled


@pytest.fixture(scope="module")
def keyed(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("throttle"), API_KEY=KEY)
    yield running
    stop_server(running)


def ask(
    server: Server, source: str, method: str, path: str, headers: dict, body: bytes = b""
) -> http.client.HTTPResponse:
    """A request from loopback address `source` (127.0.0.0/8: each one another client)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=30, source_address=(source, 0)
    )
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def guess(server: Server, source: str, attempt: int) -> http.client.HTTPResponse:
    return ask(server, source, "GET", "/welcome", {"X-API-Key": f"guess-{attempt:04d}"})


def log_in(server: Server, source: str, key: str) -> http.client.HTTPResponse:
    form = urlencode({"api_key": key}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return ask(server, source, "POST", "/ui/login", headers, form)


def test_wrong_keys_are_throttled_per_client_and_logged_without_the_guess(keyed):
    statuses = [guess(keyed, "127.0.0.2", i).status for i in range(GUESSES)]
    assert statuses[0] == 401 and 429 in statuses
    assert set(statuses[statuses.index(429) :]) == {429}  # no more guesses checked
    refused = guess(keyed, "127.0.0.2", GUESSES)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    right = ask(keyed, "127.0.0.2", "GET", "/welcome", {"X-API-Key": KEY})
    assert right.status == 429  # while throttled, even the right key is not checked
    other = ask(keyed, "127.0.0.3", "GET", "/welcome", {"X-API-Key": KEY})
    assert other.status == 200
    log = keyed.log.read_text()
    assert "wrong X-API-Key from 127.0.0.2" in log and "throttled 127.0.0.2" in log
    assert "guess-00" not in log


def test_failed_logins_are_throttled_per_client(keyed):
    statuses = [log_in(keyed, "127.0.0.4", f"login-guess-{i}").status for i in range(GUESSES)]
    assert statuses[0] == 401 and 429 in statuses
    assert set(statuses[statuses.index(429) :]) == {429}
    assert log_in(keyed, "127.0.0.4", KEY).status == 429
    assert log_in(keyed, "127.0.0.5", KEY).status == 303  # logged in: to the dashboard
    log = keyed.log.read_text()
    assert "failed UI login from 127.0.0.4" in log and "login-guess" not in log


def test_a_key_shorter_than_16_characters_stops_the_service(tmp_path):
    environment = child_env(
        API_KEY="k" * 15, PORT=str(free_port()), STATE_DIR=str(tmp_path / "state")
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "app", "serve"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the service started with a 15-character API_KEY")
    assert done.returncode == 2
    assert "API_KEY" in done.stderr and "16 characters" in done.stderr
    assert "k" * 15 not in done.stderr and "Traceback" not in done.stderr
