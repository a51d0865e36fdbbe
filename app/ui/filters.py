"""The Events page's filters: the query string of /ui/events (camera, resident, type, since) as an
EventQuery. `since` is a local date and time, as a browser's date-time field sends it."""

from __future__ import annotations

import time
from collections.abc import Mapping

from app.domain import EVENT_TYPES
from app.errors import InvalidParameter
from app.store.events import EventQuery

FIELDS = ("camera", "resident", "type", "since")
_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def event_query(args: Mapping[str, str], limit: int) -> EventQuery:
    kind = args.get("type") or None
    if kind is not None and kind not in EVENT_TYPES:
        raise InvalidParameter(f"type must be one of {', '.join(EVENT_TYPES)}")
    since = args.get("since") or ""
    return EventQuery(
        camera=args.get("camera") or None,
        resident=args.get("resident") or None,
        type=kind,
        after=local_time(since) if since else None,
        limit=limit,
    )


def local_time(text: str) -> float:
    """Seconds since the epoch of a local `YYYY-MM-DDTHH:MM[:SS]`."""
    for layout in _TIME_FORMATS:
        try:
            return time.mktime(time.strptime(text, layout))
        except ValueError:
            continue
    raise InvalidParameter("since must be a local date and time, YYYY-MM-DDTHH:MM")
