"""Events of the watched cameras: GET /events (a page, from a cursor) and GET /events/stream
(Server-Sent Events, live). Events carry names, times and numbers: never frames, crops or URLs."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context

from app.api.params import event_type
from app.api.runtime import runtime
from app.cameras.feed import StreamEnded
from app.domain import CameraEvent
from app.errors import InvalidParameter
from app.sifis import event_fields
from app.store.events import MAX_PAGE, EventQuery

bp = Blueprint("events", __name__)
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies and waitress from closing the stream
_MAX_ID = 2**62


@bp.get("/events")
def list_events() -> Response:
    args = request.args
    query = EventQuery(
        since=_number("since", args.get("since"), 0),
        camera=args.get("camera") or None,
        resident=args.get("resident") or None,
        type=event_type(args.get("type")),
        limit=_number("limit", args.get("limit"), MAX_PAGE, low=1, high=MAX_PAGE),
    )
    page = runtime().services.watching.feed.store.query(query)
    return jsonify({"events": [event_fields(e) for e in page.events], "cursor": page.cursor})


@bp.get("/events/stream")
def stream() -> Response:
    """Every event stored after `since` (or the `Last-Event-ID` a reconnecting browser sends),
    then each new one as it happens."""
    since = _number("since", request.headers.get("Last-Event-ID") or request.args.get("since"), 0)
    feed = runtime().services.watching.feed
    subscription = feed.subscribe()  # before reading the backlog: nothing falls in between

    def events() -> Iterator[str]:
        last = since
        try:
            yield ": stream of camera events\n\n"
            while True:
                page = feed.store.query(EventQuery(since=last))
                for event in page.events:
                    last = event.id
                    yield _sse(event)
                if len(page.events) < MAX_PAGE:
                    break
            while True:
                try:
                    event = subscription.get(KEEPALIVE_S)
                except StreamEnded:
                    return
                if event is None:
                    yield ": keepalive\n\n"
                elif event.id > last:
                    last = event.id
                    yield _sse(event)
        finally:
            subscription.close()

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _sse(event: CameraEvent) -> str:
    data = json.dumps(event_fields(event), separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


def _number(name: str, raw: str | None, default: int, low: int = 0, high: int = _MAX_ID) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidParameter(f"{name} must be a whole number from {low} to {high}")
    return int(raw)
