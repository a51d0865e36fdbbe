"""Cameras as configuration: GET/POST /cameras, GET/PATCH/DELETE /cameras/<name> (JSON).

A camera's URL is shown without credentials, query or fragment; its `status` is its watcher's
(docs/cameras.md). Cameras of the CAMERAS setting are listed too, and are read-only here.
"""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from app.api.audit import audited
from app.api.runtime import runtime
from app.api.spec import Body, Reply, operation
from app.errors import InvalidParameter
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER
from app.read_models import Camera, Fps, Privacy, camera_view
from app.store.audit import AuditTrail

bp = Blueprint("cameras", __name__)
COMMON = (400, 500, 503)
Url = Annotated[str, Field(description="Device index or rtsp/rtsps/http/https URL")]


class CameraList(TypedDict):
    cameras: list[Camera]


class _Settable(TypedDict, total=False):
    privacy_parameter: Privacy
    watch: bool
    analysis_fps: Fps


@with_config(ConfigDict(extra="forbid"))
class CameraChange(_Settable, total=False):
    url: Url


@with_config(ConfigDict(extra="forbid"))
class CameraNew(_Settable):
    name: str
    url: Url


class CameraPath(TypedDict):
    name: Annotated[str, Field(description="The camera's name")]


JSON = ("application/json",)


@bp.get("/cameras")
@operation(
    "Every camera (CAMERAS and those added here) with its watcher's status",
    {200: Reply(CameraList, "Cameras")},
    errors=COMMON,
)
@audited
def list_cameras(trail: AuditTrail) -> Response:
    services = runtime().services
    return jsonify({"cameras": [camera_view(services, c) for c in services.cameras.all()]})


@bp.post("/cameras")
@operation(
    "Add a camera (persisted); with `watch`, it is watched from now on; without "
    f"`privacy_parameter`, the default privacy parameter, {DEFAULT_PRIVACY_PARAMETER}",
    {201: Reply(Camera, "Added")},
    errors=(*COMMON, 403, 409),
    body=Body(CameraNew, JSON),
)
@audited
def add_camera(trail: AuditTrail) -> Response:
    services = runtime().services
    response = jsonify(camera_view(services, services.cameras.add(_body())))
    response.status_code = 201
    return response


@bp.get("/cameras/<name>")
@operation(
    "One camera and its watcher's status",
    {200: Reply(Camera, "Camera")},
    errors=(*COMMON, 404),
    path=CameraPath,
)
@audited
def get_camera(trail: AuditTrail, name: str) -> Response:
    services = runtime().services
    return jsonify(camera_view(services, services.cameras.get(name)))


@bp.patch("/cameras/<name>")
@operation(
    "Change a camera added through the API (its watcher restarts)",
    {200: Reply(Camera, "Changed")},
    errors=(*COMMON, 403, 404, 409),
    path=CameraPath,
    body=Body(CameraChange, JSON),
)
@audited
def update_camera(trail: AuditTrail, name: str) -> Response:
    body = _body()
    if not body or "name" in body:
        raise InvalidParameter("send a JSON object with the fields to change (not `name`)")
    services = runtime().services
    return jsonify(camera_view(services, services.cameras.update(name, body)))


@bp.delete("/cameras/<name>")
@operation(
    "Remove a camera added through the API (its watcher stops)",
    {200: Reply(Camera, "Removed")},
    errors=(*COMMON, 404, 409),
    path=CameraPath,
)
@audited
def delete_camera(trail: AuditTrail, name: str) -> Response:
    services = runtime().services
    return jsonify(camera_view(services, services.cameras.remove(name)))  # its watcher has stopped


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("send a JSON object")
    return body
