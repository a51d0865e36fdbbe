"""Operations: GET /health, GET /welcome, GET /openapi.json."""

from __future__ import annotations

from collections import Counter
from importlib.metadata import version
from typing import Annotated, Any, Literal, NotRequired

from flask import Blueprint, Response, current_app, jsonify
from pydantic import Field
from typing_extensions import TypedDict

from app.api.errors import RETRY_AFTER_S
from app.api.openapi import TITLE, document
from app.api.runtime import runtime
from app.api.spec import Reply, operation
from app.cameras.watcher import CONNECTED, CONNECTING, ERROR

WATCH_STATES = (CONNECTED, CONNECTING, ERROR)

bp = Blueprint("ops", __name__)
PACKAGE = "privacy-aware-face-recognition"
Count = Annotated[int, Field(ge=0)]


class CameraSummary(TypedDict):
    watched: int
    connected: int
    connecting: int
    error: int


class Worker(TypedDict):
    name: str
    host: str
    tasks_done: Count
    cameras: Count


class Destination(TypedDict):
    pending: Count
    dead_letters: Count
    oldest_s: float | None
    stalled: bool


class Health(TypedDict):
    status: Literal["loading", "ready"]
    detector: NotRequired[str]
    recognizer: NotRequired[str]
    cameras: NotRequired[CameraSummary]
    bus: NotRequired[
        Annotated[
            dict[str, Destination],
            Field(
                description="Per configured bus (`mqtt`, `dht`): messages waiting, messages set "
                "aside as undeliverable, how long the oldest has waited, and `stalled` when "
                "delivery has not moved for a minute (docs/bus.md)."
            ),
        ]
    ]
    workers: NotRequired[
        Annotated[
            list[Worker],
            Field(
                description="Analysis worker processes: `serve` itself, or with QUEUE_URL the "
                "live `python -m app worker` processes."
            ),
        ]
    ]


class Welcome(TypedDict):
    name: str
    version: str


@bp.get("/health")
@operation(
    "Readiness: 200 once models and the default gallery are loaded",
    {200: Reply(Health, "Ready"), 503: Reply(Health, "Still loading", retry_after=True)},
    public=True,
)
def health() -> Response:
    """200 with the model names once models and the default gallery are loaded, 503 before."""
    rt = runtime()
    loaded = rt.loaded
    if loaded is None:
        response = jsonify({"status": "loading"})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S["not_ready"])
        return response
    analyzer = loaded.recognition.analyzer
    states = Counter(s.state for s in loaded.watching.statuses())
    return jsonify(
        {
            "status": "ready",
            "detector": analyzer.detector.name,
            "recognizer": analyzer.embedder.name,
            "cameras": {"watched": sum(states.values()), **{s: states[s] for s in WATCH_STATES}},
            "bus": loaded.bus.health(),
            "workers": loaded.runners.http.workers(sum(states.values())),
        }
    )


@bp.get("/welcome")
@operation("Name and version", {200: Reply(Welcome, "Name and version")})
def welcome() -> Response:
    return jsonify({"name": TITLE, "version": version(PACKAGE)})


@bp.get("/openapi.json")
@operation("This document", {200: Reply(dict[str, Any], "OpenAPI 3.1 document")})
def openapi() -> Response:
    return jsonify(document(current_app, runtime().settings, version(PACKAGE)))
