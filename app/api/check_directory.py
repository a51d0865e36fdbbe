"""POST /check_directory/...: recognise residents in one uploaded video or image."""

from __future__ import annotations

from flask import Blueprint, Response

from app.analyses import FileMedia
from app.api import params
from app.api.analysis import ROUTE_TAIL, analyse
from app.api.audit import audited
from app.api.uploads import media_upload
from app.store.audit import AuditTrail

bp = Blueprint("check_directory", __name__)


@bp.post(f"/check_directory/<file_name>/{ROUTE_TAIL}")
@audited
def check_directory(trail: AuditTrail, file_name: str, **tail: str) -> Response:
    def media() -> FileMedia:
        return FileMedia(label=params.file_name(file_name), path=media_upload())

    return analyse(trail, media, **tail)
