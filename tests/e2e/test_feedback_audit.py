"""Feedback on camera events leaves audit rows that say which event, which resident and who:
the client's address and how it was let in (the API key, or a UI session named by a digest of
its token, never the token), whatever the outcome."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest
import requests

from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server

KEY = "feedback-audit-key-31"
HEADERS = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def hall() -> Iterator[MjpegCamera]:
    with MjpegCamera(FACES / "img5.jpg", fps=10) as cam:  # Alice, not one of her gallery photos
        yield cam


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, hall) -> Iterator[Server]:
    camera = {"url": f"{hall.url}/live.mjpg", "privacy_parameter": 0, "watch": True}
    running = start_server(
        tmp_path_factory.mktemp("feedback"),
        API_KEY=KEY,
        CAMERAS=json.dumps({"hall": camera}),
        CAMERA_HOSTS='["127.0.0.1"]',
    )
    yield running
    stop_server(running)


def recognition(server: Server) -> int:
    """The id of a recognition of Alice, once the watched camera has made one."""
    found: list[dict] = []

    def seen() -> bool:
        query = {"type": "recognized", "resident": "Alice"}
        reply = requests.get(f"{server.url}/events", params=query, headers=HEADERS, timeout=10)
        found[:] = reply.json()["events"]
        return bool(found)

    until(seen, "a recognition of Alice on the hall camera", 120)
    return found[0]["id"]


def ui_session(server: Server) -> tuple[requests.Session, str, str]:
    """A logged-in UI session, its cookie's token and the page's CSRF token."""
    browser = requests.Session()
    login = browser.post(f"{server.url}/ui/login", data={"api_key": KEY}, timeout=10)
    assert login.status_code == 200 and login.url.endswith("/ui/"), login.text[:200]
    page = browser.get(f"{server.url}/ui/review", timeout=10).text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert csrf is not None
    token = browser.cookies["pafr_session"]
    assert token is not None, "no session cookie"
    return browser, token, csrf[1]


def feedback_rows(server: Server) -> list[dict]:
    with sqlite3.connect(server.state_dir / "state.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        query = "SELECT * FROM audit WHERE route = 'feedback' ORDER BY id"
        return [dict(r) for r in conn.execute(query)]


def test_this_is_x_and_that_was_not_me_are_audited_with_event_resident_and_who(keyed):
    event = recognition(keyed)
    confirmed = requests.post(f"{keyed.url}/events/{event}/is/Alice", headers=HEADERS, timeout=30)
    assert confirmed.status_code in (201, 422), confirmed.text  # 422: the kept face too small
    browser, token, csrf = ui_session(keyed)
    wrong = browser.post(
        f"{keyed.url}/events/{event}/wrong", headers={"X-CSRF-Token": csrf}, timeout=30
    )
    assert wrong.status_code == 201, wrong.text
    missing = requests.post(
        f"{keyed.url}/events/{event + 10**6}/wrong", headers=HEADERS, timeout=30
    )
    assert missing.status_code == 404

    is_alice, not_me, no_event = feedback_rows(keyed)[-3:]
    assert (is_alice["event_id"], is_alice["residents"]) == (event, "Alice")
    assert (is_alice["client"], is_alice["credential"]) == ("127.0.0.1", "api_key")
    assert is_alice["status"] == confirmed.status_code
    assert (not_me["event_id"], not_me["residents"], not_me["status"]) == (event, "Alice", 201)
    assert not_me["client"] == "127.0.0.1"
    assert re.fullmatch(r"session:[0-9a-f]{12}", not_me["credential"])
    assert not_me["credential"].removeprefix("session:") not in token
    assert (no_event["event_id"], no_event["outcome"]) == (event + 10**6, "event_not_found")
    assert (no_event["client"], no_event["credential"]) == ("127.0.0.1", "api_key")
