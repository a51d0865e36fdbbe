"""POST /cam_face_recognition/<cam_link>/...: watch a camera for a bounded time.

`cam_link` uses Flask's path converter because URLs contain `/`; `?` and `#` in a camera URL must
be sent percent-encoded (`%3F`, `%23`), or they would end the route's path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from flask import Blueprint, Response
from pydantic import Field

from app.analyses import CameraMedia
from app.api import params
from app.api.analysis import ANALYSIS_ERRORS, RESULT, ROUTE_TAIL, analyse, form_value, route_path
from app.api.audit import audited
from app.api.inputs import Gallery
from app.api.runtime import runtime
from app.api.spec import Body, Shape, operation, settings_shape
from app.config import Settings
from app.domain import MediaType
from app.store.audit import AuditTrail

bp = Blueprint("cam_face_recognition", __name__)

CamLink = Annotated[
    str,
    Field(
        description="A device index (`0`), a configured camera name, or an rtsp/rtsps/http/https "
        "URL (slashes allowed; `?` and `#` percent-encoded). Other schemes are refused."
    ),
]


def _options(settings: Settings) -> dict[str, Any]:
    """`duration` and `stop_early`: form fields or query parameters."""
    stop = "on" if settings.camera_stop_early else "off"
    return {
        "duration": NotRequired[
            Annotated[
                float,
                Field(
                    gt=0,
                    le=settings.camera_max_seconds,
                    description=f"Seconds to watch (default {settings.camera_seconds:g}); form "
                    "field or query parameter.",
                ),
            ]
        ],
        "stop_early": NotRequired[
            Annotated[
                Literal["1", "0", "true", "false", "yes", "no", "on", "off"],
                Field(description=f"Stop as soon as a resident is recognised (default {stop})."),
            ]
        ],
    }


def _path(settings: Settings) -> Shape:
    return route_path("cam_link", CamLink, settings)


def _query(settings: Settings) -> Shape:
    return settings_shape("CameraOptions", _options(settings))


def _form(settings: Settings) -> Shape:
    return settings_shape("CameraForm", {"path": NotRequired[Gallery], **_options(settings)})


@bp.post(f"/cam_face_recognition/<path:cam_link>/{ROUTE_TAIL}")
@operation(
    "Watch a camera for a bounded time and recognise residents",
    RESULT,
    errors=(*ANALYSIS_ERRORS, 403, 422, 502),
    path=_path,
    query=_query,
    body=Body(_form, ("multipart/form-data", "application/x-www-form-urlencoded"), required=False),
)
@audited
def cam_face_recognition(trail: AuditTrail, cam_link: str, **tail: str) -> Response:
    trail.kind = MediaType.CAMERA.value

    def media() -> CameraMedia:
        rt = runtime()
        s = rt.settings
        return CameraMedia(
            rt.services.recognition.camera_target(cam_link),
            params.duration(form_value("duration"), s.camera_seconds, s.camera_max_seconds),
            params.flag(form_value("stop_early"), s.camera_stop_early),
        )

    return analyse(trail, media, **tail)
