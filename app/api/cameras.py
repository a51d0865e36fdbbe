"""Cameras as configuration: GET/POST /cameras, GET/PATCH/DELETE /cameras/<name> (JSON).

A camera's URL is shown without credentials, query or fragment; its `status` is its watcher's
(docs/cameras.md). Cameras of the CAMERAS setting are listed too, and are read-only here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, jsonify, request
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from app.api.audit import audited
from app.api.runtime import runtime
from app.api.spec import Body, Reply, operation
from app.cameras.registry import Camera as CameraConfig
from app.cameras.registry import Origin
from app.cameras.watcher import CONNECTED, CONNECTING, ERROR, STOPPED
from app.config import MAX_ANALYSIS_FPS
from app.errors import InvalidParameter
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER
from app.store.audit import AuditTrail

bp = Blueprint("cameras", __name__)
COMMON = (400, 500, 503)
Url = Annotated[str, Field(description="Device index or rtsp/rtsps/http/https URL")]
Privacy = Annotated[int, Field(ge=0)]
Fps = Annotated[float, Field(gt=0, le=MAX_ANALYSIS_FPS)]


class CameraStatus(TypedDict):
    state: Literal[CONNECTED, CONNECTING, ERROR, STOPPED]  # type: ignore[valid-type]
    fps_in: float
    fps_analysed: float
    frames_dropped: int
    last_frame_at: float | None
    last_error: str | None


class PrivacyAdvice(TypedDict):
    faces_seen: Annotated[
        int, Field(description="Face boxes the watcher detected lately (kept in memory only)")
    ]
    median_face_px: Annotated[int | None, Field(description="Their median width in pixels")]
    largest_privacy_parameter: Annotated[
        int | None,
        Field(
            description="The largest privacy parameter at which the median face can still be "
            "named (the shipped accept rule; at most MAX_PRIVACY_PARAMETER); null before any "
            "face, or when it is too small to be named even unblurred"
        ),
    ]


class Camera(TypedDict):
    name: str
    url: Annotated[str, Field(description="Without credentials, query or fragment")]
    privacy_parameter: Privacy
    watch: bool
    analysis_fps: Fps
    source: Origin
    status: CameraStatus
    privacy_advice: PrivacyAdvice


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
    return jsonify({"cameras": [view(c) for c in runtime().services.cameras.all()]})


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
    camera = runtime().services.cameras.add(_body())
    response = jsonify(view(camera))
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
    return jsonify(view(runtime().services.cameras.get(name)))


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
    return jsonify(view(runtime().services.cameras.update(name, body)))


@bp.delete("/cameras/<name>")
@operation(
    "Remove a camera added through the API (its watcher stops)",
    {200: Reply(Camera, "Removed")},
    errors=(*COMMON, 404, 409),
    path=CameraPath,
)
@audited
def delete_camera(trail: AuditTrail, name: str) -> Response:
    return jsonify(view(runtime().services.cameras.remove(name)))  # its watcher has stopped


def view(c: CameraConfig) -> Camera:
    services = runtime().services
    s = services.watching.status(c.name)
    median = s.median_face_px
    largest = None if median is None else services.recognition.largest_privacy(median)
    return {
        "name": c.name,
        "url": c.shown_url,
        "privacy_parameter": c.privacy_parameter,
        "watch": c.watch,
        "analysis_fps": c.analysis_fps,
        "source": c.origin,
        "status": {
            "state": s.state,
            "fps_in": s.fps_in,
            "fps_analysed": s.fps_analysed,
            "frames_dropped": s.frames_dropped,
            "last_frame_at": s.last_frame_at,
            "last_error": s.last_error,
        },
        "privacy_advice": {
            "faces_seen": s.faces_seen,
            "median_face_px": median,
            "largest_privacy_parameter": largest,
        },
    }


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("send a JSON object")
    return body
