"""JSON request bodies must be valid Unicode. JSON may escape a lone surrogate (`"\\udcff"`),
which parses into a Python string that no SQLite row, file or answer can hold: such a body is
taken as malformed, as any other unparsable JSON (the views answer `400 invalid_parameter`),
before a view could store part of it."""

from __future__ import annotations

import json
from typing import Any

from flask.json.provider import DefaultJSONProvider


class UnicodeJSONProvider(DefaultJSONProvider):
    sort_keys = False  # keep the SIFIS field order in answers

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        value = super().loads(s, **kwargs)
        try:
            json.dumps(value, ensure_ascii=False).encode()
        except UnicodeEncodeError as exc:
            raise ValueError("JSON text with a lone surrogate escape") from exc
        return value
