"""POST /check_directory/...: recognise residents in one uploaded video or image."""

from __future__ import annotations

from typing import Annotated, NotRequired

from flask import Blueprint, Response
from pydantic import Field
from typing_extensions import TypedDict

from app.analyses import FileMedia
from app.api import params
from app.api.analysis import ANALYSIS_ERRORS, RESULT, ROUTE_TAIL, analyse, route_path
from app.api.audit import audited
from app.api.inputs import Gallery, Upload
from app.api.spec import Body, Shape, operation
from app.api.uploads import media_upload
from app.config import Settings
from app.store.audit import AuditTrail

bp = Blueprint("check_directory", __name__)

FileName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=params.MAX_FILE_NAME,
        description="The caller's name for the upload, echoed in the result; never used as a "
        "path (`/`, `\\`, `..` and control characters are refused).",
    ),
]


class CheckDirectoryForm(TypedDict):
    file: Annotated[
        Upload,
        Field(description="One video or image; the type is read from the bytes, not the name."),
    ]
    path: NotRequired[Gallery]


def _path(settings: Settings) -> Shape:
    return route_path("file_name", FileName, settings)


@bp.post(f"/check_directory/<file_name>/{ROUTE_TAIL}")
@operation(
    "Recognise residents in an uploaded video or image",
    RESULT,
    errors=(*ANALYSIS_ERRORS, 415, 422, 507),
    path=_path,
    body=Body(CheckDirectoryForm),
)
@audited
def check_directory(trail: AuditTrail, file_name: str, **tail: str) -> Response:
    def media() -> FileMedia:
        return FileMedia(label=params.file_name(file_name), path=media_upload())

    return analyse(trail, media, **tail)
