"""POST /cam_face_recognition/<cam_link>/...: watch a camera for a bounded time.

`cam_link` uses Flask's path converter because URLs contain `/`; `?` and `#` in a camera URL must
be sent percent-encoded (`%3F`, `%23`), or they would end the route's path.
"""

from __future__ import annotations

from flask import Blueprint, Response

from app.analyses import CameraMedia
from app.api import params
from app.api.analysis import ROUTE_TAIL, analyse, form_value
from app.api.audit import audited
from app.api.runtime import runtime
from app.domain import MediaType
from app.store.audit import AuditTrail

bp = Blueprint("cam_face_recognition", __name__)


@bp.post(f"/cam_face_recognition/<path:cam_link>/{ROUTE_TAIL}")
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
