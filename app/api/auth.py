"""Optional API key: with API_KEY set, every route but `/health` needs header `X-API-Key`."""

from __future__ import annotations

import hmac

from flask import Flask, request
from pydantic import SecretStr

from app.api.errors import Unauthorized

OPEN_ENDPOINTS = frozenset({"ops.health"})


def expected_key(api_key: SecretStr | None) -> bytes:
    """The key requests must carry; empty when API_KEY is unset or empty (no authentication)."""
    return api_key.get_secret_value().encode() if api_key else b""


def key_matches(given: bytes, expected: bytes) -> bool:
    return hmac.compare_digest(given, expected)


def register(app: Flask, api_key: SecretStr | None) -> None:
    expected = expected_key(api_key)
    if not expected:
        return

    @app.before_request
    def require_api_key() -> None:
        if request.endpoint in OPEN_ENDPOINTS:
            return
        given = request.headers.get("X-API-Key", "").encode()
        if not key_matches(given, expected):
            raise Unauthorized("missing or wrong X-API-Key header")
