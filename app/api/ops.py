"""Operations: GET /health, GET /welcome, GET /openapi.json."""

from __future__ import annotations

from importlib.metadata import version

from flask import Blueprint, Response, jsonify

from app.api.errors import RETRY_AFTER_S
from app.api.openapi import TITLE, document
from app.api.runtime import runtime

bp = Blueprint("ops", __name__)
PACKAGE = "privacy-aware-face-recognition"


@bp.get("/health")
def health() -> Response:
    """200 with the model names once models and the default gallery are loaded, 503 before."""
    loaded = runtime().loaded
    if loaded is None:
        response = jsonify({"status": "loading"})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S["not_ready"])
        return response
    analyzer = loaded.recognition.analyzer
    return jsonify(
        {
            "status": "ready",
            "detector": analyzer.detector.name,
            "recognizer": analyzer.embedder.name,
        }
    )


@bp.get("/welcome")
def welcome() -> Response:
    return jsonify({"name": TITLE, "version": version(PACKAGE)})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document(runtime().settings, version(PACKAGE)))
