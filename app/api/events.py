"""Events of the watched cameras: GET /events (a page, from a cursor) and GET /events/stream
(Server-Sent Events, live). Events carry names, times and numbers: never frames, crops or URLs."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Annotated, Literal, NotRequired

from flask import Blueprint, Response, jsonify, request, stream_with_context
from pydantic import Field
from typing_extensions import TypedDict

from app.api.connections import client_gone, unsent_bytes
from app.api.params import MAX_ID, event_type, whole_number
from app.api.runtime import runtime
from app.api.spec import Reply, operation
from app.cameras.feed import QUEUE, StreamEnded
from app.domain import EVENT_TYPES, CameraEvent
from app.sifis import Event, event_fields
from app.store.events import MAX_PAGE, EventQuery

bp = Blueprint("events", __name__)
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies and waitress from closing the stream
DISCONNECT_CHECK_S = 1.0
COMMON = (400, 500, 503)
Since = Annotated[
    int,
    Field(
        ge=0, le=MAX_ID, description="The `cursor` of the previous answer (an event id; default 0)."
    ),
]


class EventsQuery(TypedDict):
    since: NotRequired[Since]
    camera: NotRequired[Annotated[str, Field(description="Only this camera's events")]]
    resident: NotRequired[Annotated[str, Field(description="Only this resident's events")]]
    type: NotRequired[
        Annotated[Literal[EVENT_TYPES], Field(description="Only events of this type")]  # type: ignore[valid-type]
    ]
    limit: NotRequired[
        Annotated[
            int,
            Field(
                ge=1, le=MAX_PAGE, description=f"Events per answer (default and most {MAX_PAGE})"
            ),
        ]
    ]


class StreamQuery(TypedDict):
    since: NotRequired[Since]


class EventPage(TypedDict):
    events: list[Event]
    cursor: int


@bp.get("/events")
@operation(
    "Events of the watched cameras, oldest first, after a cursor",
    {200: Reply(EventPage, "Events")},
    errors=COMMON,
    query=EventsQuery,
)
def list_events() -> Response:
    args = request.args
    query = EventQuery(
        since=whole_number("since", args.get("since")),
        camera=args.get("camera") or None,
        resident=args.get("resident") or None,
        type=event_type(args.get("type")),
        limit=whole_number("limit", args.get("limit"), MAX_PAGE, low=1, high=MAX_PAGE),
    )
    page = runtime().services.watching.feed.store.query(query)
    return jsonify({"events": [event_fields(e) for e in page.events], "cursor": page.cursor})


@bp.get("/events/stream")
@operation(
    "Server-Sent Events: events after `since` (or `Last-Event-ID`), then each new one; `id` is "
    "the event id, `event` its type, `data` the Event as JSON",
    {200: Reply(str, "An endless text/event-stream", "text/event-stream")},
    errors=COMMON,
    operation_id="event_stream",
    query=StreamQuery,
)
def stream() -> Response:
    """Every event stored after `since` (or the `Last-Event-ID` a reconnecting browser sends),
    then each new one as it happens."""
    since = whole_number("since", request.headers.get("Last-Event-ID") or request.args.get("since"))
    feed = runtime().services.watching.feed
    subscription = feed.subscribe()  # before reading the backlog: nothing falls in between
    # waitress tells when the client has gone (channel_request_lookahead): the stream's slot is
    # freed within DISCONNECT_CHECK_S, not at the next write (a page left holds it no longer)
    gone = client_gone()
    behind = Backlog(unsent_bytes())

    def events() -> Iterator[str]:
        last = since
        try:
            yield ": stream of camera events\n\n"
            while True:
                page = feed.store.query(EventQuery(since=last))
                for event in page.events:
                    if behind.too_far(subscription.waiting):
                        return  # the client resumes from its last id
                    last = event.id
                    yield behind.sent(_sse(event))
                if len(page.events) < MAX_PAGE:
                    break
            quiet_s = 0.0
            while not gone():
                try:
                    pushed = subscription.get(DISCONNECT_CHECK_S)
                except StreamEnded:
                    return
                if pushed is None:
                    quiet_s += DISCONNECT_CHECK_S
                    if quiet_s >= KEEPALIVE_S:
                        quiet_s = 0.0
                        yield ": keepalive\n\n"
                elif pushed.id > last:
                    if behind.too_far(subscription.waiting):
                        return
                    last = pushed.id
                    yield behind.sent(_sse(pushed))
        finally:
            subscription.close()

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


class Backlog:
    """How many events a stream's client has not taken yet: those waitress still holds for it
    (told by its unsent bytes) and those waiting in its subscription. Past QUEUE the stream
    ends, as docs/cameras.md promises, rather than buffer without bound for a client that does
    not read (362 KB had piled up for one)."""

    def __init__(self, unsent: Callable[[], int]) -> None:
        self._unsent = unsent
        self._ends: deque[int] = deque()  # where each event handed to waitress ends, in bytes
        self._handed = 0

    def sent(self, chunk: str) -> str:
        size = len(chunk.encode())
        self._handed += size + len(f"{size:x}") + 4  # waitress sends it as one HTTP chunk
        self._ends.append(self._handed)
        return chunk

    def too_far(self, waiting: int) -> bool:
        taken = self._handed - self._unsent()
        while self._ends and self._ends[0] <= taken:
            self._ends.popleft()
        return len(self._ends) + waiting >= QUEUE


def _sse(event: CameraEvent) -> str:
    data = json.dumps(event_fields(event), separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"
