"""POST /cam_face_recognition/<cam_link>/...: watch a camera for a bounded time.

`cam_link` uses Flask's path converter because URLs contain `/`; `?` and `#` in a camera URL must
be sent percent-encoded (`%3F`, `%23`), or they would end the route's path.
"""

from __future__ import annotations

from flask import Blueprint, Response, g

from app.api import params
from app.api.analysis import ROUTE_TAIL, form_value, reply, run, select_gallery, start_analysis
from app.api.runtime import runtime
from app.domain import MediaType

bp = Blueprint("cam_face_recognition", __name__)


@bp.post(f"/cam_face_recognition/<path:cam_link>/{ROUTE_TAIL}")
def cam_face_recognition(
    cam_link: str, privacy_parameter: str, requestor_id: str, requestor_type: str, request_id: str
) -> Response:
    g.kind = MediaType.CAMERA.value
    services, ids, privacy = start_analysis(
        privacy_parameter, requestor_id, requestor_type, request_id
    )
    settings = runtime().settings
    target = services.camera_target(cam_link)
    directory = select_gallery(services)
    duration = params.duration(
        form_value("duration"), settings.camera_seconds, settings.camera_max_seconds
    )
    stop_early = params.flag(form_value("stop_early"), settings.camera_stop_early)
    result = run(
        lambda progress: services.recognize_camera(
            target, privacy, services.gallery(directory), duration, stop_early, progress
        ),
        ids,
        target.label,
    )
    return reply(result, target.label, ids)
