"""Cameras as configuration: GET/POST /cameras, GET/PATCH/DELETE /cameras/<name> (JSON).

A camera's URL is shown without credentials, query or fragment; its `status` is its watcher's
(docs/cameras.md). Cameras of the CAMERAS setting are listed too, and are read-only here.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from app.api.audit import audited
from app.api.runtime import runtime
from app.cameras.registry import Camera
from app.errors import InvalidParameter
from app.store.audit import AuditTrail

bp = Blueprint("cameras", __name__)


@bp.get("/cameras")
@audited
def list_cameras(trail: AuditTrail) -> Response:
    return jsonify({"cameras": [view(c) for c in runtime().services.cameras.all()]})


@bp.post("/cameras")
@audited
def add_camera(trail: AuditTrail) -> Response:
    camera = runtime().services.cameras.add(_body())
    response = jsonify(view(camera))
    response.status_code = 201
    return response


@bp.get("/cameras/<name>")
@audited
def get_camera(trail: AuditTrail, name: str) -> Response:
    return jsonify(view(runtime().services.cameras.get(name)))


@bp.patch("/cameras/<name>")
@audited
def update_camera(trail: AuditTrail, name: str) -> Response:
    body = _body()
    if not body or "name" in body:
        raise InvalidParameter("send a JSON object with the fields to change (not `name`)")
    return jsonify(view(runtime().services.cameras.update(name, body)))


@bp.delete("/cameras/<name>")
@audited
def delete_camera(trail: AuditTrail, name: str) -> Response:
    return jsonify(view(runtime().services.cameras.remove(name)))  # its watcher has stopped


def view(c: Camera) -> dict[str, Any]:
    return {
        "name": c.name,
        "url": c.shown_url,
        "privacy_parameter": c.privacy_parameter,
        "watch": c.watch,
        "analysis_fps": c.analysis_fps,
        "source": c.origin,
        "status": asdict(runtime().services.watching.status(c.name)),
    }


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("send a JSON object")
    return body
