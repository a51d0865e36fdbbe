"""Operations: GET /health, GET /welcome, GET /openapi.json."""

from __future__ import annotations

from collections import Counter
from importlib.metadata import version

from flask import Blueprint, Response, jsonify

from app.api.errors import RETRY_AFTER_S
from app.api.openapi import TITLE, document
from app.api.openapi_cameras import with_cameras
from app.api.openapi_feedback import with_feedback
from app.api.runtime import runtime
from app.cameras.watcher import CONNECTED, CONNECTING, ERROR

WATCH_STATES = (CONNECTED, CONNECTING, ERROR)

bp = Blueprint("ops", __name__)
PACKAGE = "privacy-aware-face-recognition"


@bp.get("/health")
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
            "workers": rt.queue.workers() if rt.queue else [rt.pool.here(sum(states.values()))],
        }
    )


@bp.get("/welcome")
def welcome() -> Response:
    return jsonify({"name": TITLE, "version": version(PACKAGE)})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(with_feedback(with_cameras(document(runtime().settings, version(PACKAGE)))))
