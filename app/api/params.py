"""Validation of the values a request carries in its URL and form (no HTTP objects here)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from app.domain import EVENT_TYPES
from app.errors import InvalidParameter
from app.pipeline.numerals import plain_decimal
from app.sifis import RequestIds, valid_id
from app.store.events import EventQuery

MAX_FILE_NAME = 255
MAX_ID = 2**62  # ids are SQLite integers (at most 2**63 - 1)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def request_ids(requestor_id: str, requestor_type: str, request_id: str) -> RequestIds:
    """The three SIFIS IDs, echoed in results: short and plain (letters, digits, `_.:@+-`)."""
    for name, value in (
        ("requestor_id", requestor_id),
        ("requestor_type", requestor_type),
        ("request_id", request_id),
    ):
        if not valid_id(value):
            raise InvalidParameter(
                f"{name} must be 1-128 letters, digits or any of `_.:@+-`, got {value[:40]!r}"
            )
    return RequestIds(requestor_id, requestor_type, request_id)


def file_name(text: str) -> str:
    """The caller's label for its upload. It is only echoed in the result, never used as a path,
    but names that look like paths are refused so that nobody can think otherwise."""
    if (
        not 0 < len(text) <= MAX_FILE_NAME
        or text in {".", ".."}
        or any(c in "/\\" or ord(c) < 32 or ord(c) == 127 for c in text)
    ):
        raise InvalidParameter(
            "file_name must be a plain file name (no `/`, `\\`, `..` or control characters, "
            f"at most {MAX_FILE_NAME} characters)"
        )
    return text


def duration(raw: str | None, default: float, maximum: float) -> float:
    """A camera watch time in seconds: `default` when absent, refused above `maximum`."""
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= maximum:
        raise InvalidParameter(f"duration must be a number of seconds in (0, {maximum:g}]")
    return value


def whole_number(
    name: str, raw: str | None, default: int = 0, low: int = 0, high: int = MAX_ID
) -> int:
    """An id, cursor or count from a URL, query or header: `default` when absent, else plain
    ASCII digits (as the privacy parameter: app/pipeline/numerals.py) from `low` to `high`."""
    if raw is None or raw == "":
        return default
    value = plain_decimal(raw)
    if value is None or not low <= value <= high:
        raise InvalidParameter(
            f"{name} must be a whole number from {low} to {high} in ASCII digits without "
            f"leading zeros, got {raw[:20]!r}"
        )
    return value


def flag(raw: str | None, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    if raw.lower() in _TRUE | _FALSE:
        return raw.lower() in _TRUE
    raise InvalidParameter("a flag must be 1/0, true/false, yes/no or on/off")


EVENT_FILTERS = ("camera", "resident", "type", "since")
_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def event_filter(args: Mapping[str, str], limit: int) -> EventQuery:
    """The Events page's filters (camera, resident, type, since: a local date and time, as a
    browser's date-time field sends it) as an EventQuery."""
    since = args.get("since") or ""
    return EventQuery(
        camera=args.get("camera") or None,
        resident=args.get("resident") or None,
        type=event_type(args.get("type")),
        after=local_time(since) if since else None,
        limit=limit,
    )


def event_type(raw: str | None) -> str | None:
    """One of EVENT_TYPES, or None for any."""
    if raw and raw not in EVENT_TYPES:
        raise InvalidParameter(f"type must be one of {', '.join(EVENT_TYPES)}")
    return raw or None


def local_time(text: str) -> float:
    """Seconds since the epoch of a local `YYYY-MM-DDTHH:MM[:SS]`."""
    for layout in _TIME_FORMATS:
        try:
            return time.mktime(time.strptime(text, layout))
        except ValueError:
            continue
    raise InvalidParameter("since must be a local date and time, YYYY-MM-DDTHH:MM")
