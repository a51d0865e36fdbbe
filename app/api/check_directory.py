"""POST /check_directory/...: recognise residents in one uploaded video or image."""

from __future__ import annotations

from flask import Blueprint, Response

from app.api import params
from app.api.analysis import ROUTE_TAIL, reply, run, select_gallery, start_analysis
from app.api.uploads import media_upload

bp = Blueprint("check_directory", __name__)


@bp.post(f"/check_directory/<file_name>/{ROUTE_TAIL}")
def check_directory(
    file_name: str, privacy_parameter: str, requestor_id: str, requestor_type: str, request_id: str
) -> Response:
    services, ids, privacy = start_analysis(
        privacy_parameter, requestor_id, requestor_type, request_id
    )
    label = params.file_name(file_name)
    directory = select_gallery(services)
    upload = media_upload()
    result = run(
        lambda progress: services.recognize_file(
            upload, privacy, services.gallery(directory), progress
        ),
        ids,
        label,
    )
    return reply(result, label, ids)
