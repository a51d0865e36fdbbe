"""Optional API key: with API_KEY set, every route but `/health` needs header `X-API-Key`."""

from __future__ import annotations

import hmac

from flask import Flask, request
from pydantic import SecretStr

from app.api.errors import Unauthorized

OPEN_ENDPOINTS = frozenset({"ops.health"})


def register(app: Flask, api_key: SecretStr | None) -> None:
    expected = api_key.get_secret_value().encode() if api_key else b""
    if not expected:  # unset or empty: no authentication
        return

    @app.before_request
    def require_api_key() -> None:
        if request.endpoint in OPEN_ENDPOINTS:
            return
        given = request.headers.get("X-API-Key", "").encode()
        if not hmac.compare_digest(given, expected):
            raise Unauthorized("missing or wrong X-API-Key header")
