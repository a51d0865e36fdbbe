"""Optional API key: with API_KEY set, every route but `/health`, the login page and the UI's
static files needs header `X-API-Key` or a UI session cookie (app/api/sessions.py); a
state-changing request made with the cookie must also carry the session's CSRF token. A UI page
asked for without either redirects to the login page. Wrong keys are throttled per client
address (app/api/throttle.py)."""

from __future__ import annotations

import hmac

from flask import Flask, current_app, g, redirect, request, url_for
from pydantic import SecretStr
from werkzeug.wrappers import Response

from app.api.errors import CsrfFailed, TooManyFailures, Unauthorized
from app.api.same_origin import SAFE_METHODS
from app.api.sessions import COOKIE, Session, Sessions
from app.api.throttle import FailureThrottle

OPEN_ENDPOINTS = frozenset({"ops.health", "ui.login", "ui.static"})
_SESSIONS, _FAILURES = "pafr_sessions", "pafr_failures"


def expected_key(api_key: SecretStr | None) -> bytes:
    """The key requests must carry; empty when API_KEY is unset or empty (no authentication)."""
    return api_key.get_secret_value().encode() if api_key else b""


def key_matches(given: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(given, expected)


def sessions_of(app: Flask) -> Sessions:
    return app.extensions[_SESSIONS]


def sessions() -> Sessions:
    return sessions_of(current_app)


def failures() -> FailureThrottle:
    return current_app.extensions[_FAILURES]


def client() -> str:
    return request.remote_addr or ""


def refuse_if_throttled() -> None:
    """`429 too_many_failures` for a client out of tries, before its key is compared."""
    wait = failures().retry_after(client())
    if wait:
        raise TooManyFailures(f"too many wrong keys from this address: try again in {wait} s", wait)


def session() -> Session | None:
    """The UI session of this request (None without API_KEY, or not logged in)."""
    return g.get("ui_session")


def credential() -> str:
    """How this request was let in, for the audit log: `api_key`, `session:<label>` (a UI
    session, by a digest of its token) or `none` (no API_KEY, or not let in)."""
    found = session()
    if found is not None:
        return f"session:{found.label}"
    return "api_key" if g.get("key_matched") else "none"


def register(app: Flask, api_key: SecretStr | None) -> None:
    expected = expected_key(api_key)
    app.extensions[_SESSIONS] = Sessions()
    app.extensions[_FAILURES] = FailureThrottle()
    app.config["PAFR_LOGIN_REQUIRED"] = bool(expected)
    if not expected:
        return

    @app.before_request
    def require_api_key() -> Response | None:
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        found = sessions().get(request.cookies.get(COOKIE))
        if found is not None:
            if request.method not in SAFE_METHODS and not found.csrf_matches(_csrf_given()):
                raise CsrfFailed("this request needs the page's CSRF token")
            g.ui_session = found
            return None
        if "X-API-Key" in request.headers:
            refuse_if_throttled()
            if key_matches(request.headers["X-API-Key"].encode(), expected):
                g.key_matched = True
                return None
            failures().failed(client(), "wrong X-API-Key")
        if request.blueprint == "ui" and request.method in SAFE_METHODS:
            return redirect(url_for("ui.login"), 303)
        raise Unauthorized("missing or wrong X-API-Key header")


def _csrf_given() -> str | None:
    """The header, or the field of a small URL-encoded form (never parses an upload)."""
    if "X-CSRF-Token" in request.headers:
        return request.headers["X-CSRF-Token"]
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("csrf_token")
    return None
