"""Login, session cookie and CSRF rules of the web UI (app/api/auth.py, sessions.py), on the Flask
app before its models are loaded (no models needed): what is open, what redirects, what refuses."""

from __future__ import annotations

import pytest

from app.api.sessions import COOKIE, Sessions
from app.config import Settings
from app.web import create_app

KEY = "unit-test-key-0123456"


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(state_dir=tmp_path, database_dir=tmp_path, api_key=KEY))
    return app.test_client()


def logged_in(client) -> str:
    """Log in; returns the page's CSRF token."""
    response = client.post("/ui/login", data={"api_key": KEY})
    assert response.status_code == 303 and response.headers["Location"] == "/ui/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and KEY not in cookie
    page = client.get("/ui/analyse").get_data(as_text=True)
    return page.split('name="csrf-token" content="')[1].split('"')[0]


def test_pages_redirect_to_login_and_the_api_answers_401_without_key_or_session(client):
    assert client.get("/").headers["Location"] == "/ui/login"
    page = client.get("/ui/residents")
    assert (page.status_code, page.headers["Location"]) == (303, "/ui/login")
    assert client.get("/events").status_code == 401
    assert client.get("/ui/login").status_code == 200
    assert client.get("/ui/static/ui.js").status_code == 200
    wrong = client.post("/ui/login", data={"api_key": "nope"})
    assert wrong.status_code == 401 and COOKIE not in wrong.headers.get("Set-Cookie", "")


def test_state_changes_with_the_cookie_need_the_csrf_token(client):
    csrf = logged_in(client)
    assert len(csrf) >= 32
    refused = client.post("/events/1/wrong")
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "csrf_failed")
    bad = client.post("/events/1/wrong", headers={"X-CSRF-Token": "x" * len(csrf)})
    assert bad.status_code == 403
    # with the token the request reaches the view (503: models not loaded in this app)
    passed = client.post("/events/1/wrong", headers={"X-CSRF-Token": csrf})
    assert passed.json["error"]["code"] == "not_ready"
    assert client.get("/ui/analyse").status_code == 200  # reading needs no token
    # the logout form sends its token as a field
    assert client.post("/ui/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/ui/analyse").status_code == 303  # the session is gone


def test_the_key_header_still_works_without_a_session(client):
    reply = client.post("/events/1/wrong", headers={"X-API-Key": KEY})
    assert reply.json["error"]["code"] == "not_ready"


def test_every_answer_carries_the_security_headers(client):
    headers = client.get("/ui/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"


def test_sessions_expire_and_forged_tokens_are_unknown():
    now = [0.0]
    sessions = Sessions(lambda: now[0])
    first = sessions.open()
    assert sessions.get(first.token) == first and sessions.get("forged") is None
    now[0] += 13 * 3600
    assert sessions.get(first.token) is None


def test_camera_snapshots_are_off_by_default_and_only_for_a_session(client, tmp_path):
    """UI_SNAPSHOTS defaults to false; even when on, the API key alone gets no snapshot."""
    assert Settings(state_dir=tmp_path).ui_snapshots is False
    snapshot = "/ui/cameras/hall/snapshot.jpg"
    assert client.get(snapshot).status_code == 401
    logged_in(client)
    off = client.get(snapshot)
    assert (off.status_code, off.json["error"]["code"]) == (404, "snapshot_unavailable")
    assert "UI_SNAPSHOTS=false" in off.json["error"]["message"]
    on = create_app(
        Settings(state_dir=tmp_path, database_dir=tmp_path, api_key=KEY, ui_snapshots=True)
    ).test_client()
    by_key = on.get(snapshot, headers={"X-API-Key": KEY})
    assert (by_key.status_code, by_key.json["error"]["code"]) == (404, "snapshot_unavailable")
    assert "logged-in UI session" in by_key.json["error"]["message"]
