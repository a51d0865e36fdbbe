"""Residents management over a resident directory (the default one or another by `path`).

GET/POST /residents, GET/PATCH/DELETE /residents/<name>, POST /residents/<name>/images,
DELETE /residents/<name>/images/<image_id>, GET /resident-changes?since=<t>.
Answers carry names, image IDs, metadata and times; never file names or paths.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from app.api.audit import audited
from app.api.errors import Error, error_response
from app.api.inputs import (
    URL_ERRORS,
    Gallery,
    GalleryQuery,
    Image,
    ImageUrl,
    compute,
    gallery_dir,
    images,
)
from app.api.runtime import runtime
from app.api.spec import Body, Reply, operation
from app.errors import InvalidMetadata, InvalidParameter
from app.pipeline.quality import REASONS
from app.residents import directory as residents
from app.residents.manager import (
    EnrollmentRejected,
    EnrollmentReport,
    ResidentManager,
    ResidentView,
)
from app.store.audit import AuditTrail

if TYPE_CHECKING:
    from app.pipeline.quality import Rejection as QualityRejection

bp = Blueprint("residents", __name__)
MAX_IMAGES = 10  # images per enrollment request (each costs ~0.5 s of CPU)
COMMON = (400, 404, 500, 503)
ENROLL_ERRORS = (*COMMON, *URL_ERRORS, 409, 413, 415, 422, 504, 507)
Name = Annotated[str, Field(min_length=1, description="A resident's name.")]


class Resident(TypedDict):
    name: str
    image_count: Annotated[int, Field(ge=0)]
    images: Annotated[
        list[str], Field(description="Image IDs (content hash prefixes), never file names")
    ]
    metadata: dict[str, Any]
    updated: Annotated[float, Field(description="Last change noticed, epoch seconds")]


class ResidentList(TypedDict):
    residents: list[Resident]


class Rejection(TypedDict):
    index: Annotated[int, Field(description="`file` parts first, then `image_url`s")]
    reason: Literal[REASONS]  # type: ignore[valid-type]
    message: str


class Accepted(TypedDict):
    index: int
    image: str


class Enrollment(TypedDict):
    resident: Resident
    accepted: list[Accepted]
    rejected: list[Rejection]


class RejectedEnrollment(Error):
    rejected: list[Rejection]


class Removed(TypedDict):
    images: int
    metadata: bool
    embeddings: int


class Deletion(TypedDict):
    name: str
    removed: Removed


class EmbeddingsRemoved(TypedDict):
    embeddings: int


class ImageRemoval(TypedDict):
    name: str
    image: str
    removed: EmbeddingsRemoved


class Change(TypedDict):
    name: str
    change: Literal["updated", "deleted"]
    time: float
    resident: NotRequired[Resident]


class ResidentChanges(TypedDict):
    since: float
    cursor: Annotated[float, Field(description="Pass as `since` next time")]
    changes: list[Change]


class ImagesForm(TypedDict):
    file: NotRequired[Annotated[Image, Field(description="An image; repeat the part for several.")]]
    image_url: NotRequired[ImageUrl]
    path: NotRequired[Gallery]


class EnrollmentForm(ImagesForm):
    name: Annotated[str, Field(description="The new resident's name.")]
    metadata: NotRequired[
        Annotated[str, Field(description="A JSON object as text, at most 4096 bytes.")]
    ]


@with_config(ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1}))
class ResidentChange(TypedDict, total=False):
    name: str
    metadata: dict[str, Any]


class ResidentPath(TypedDict):
    name: Name


class ImagePath(TypedDict):
    name: Name
    image_id: Annotated[str, Field(description="An image ID from the resident's `images`.")]


class ChangesQuery(TypedDict):
    since: NotRequired[
        Annotated[
            float,
            Field(
                ge=0,
                description="Seconds since the epoch: the `cursor` of the previous answer "
                "(default 0).",
            ),
        ]
    ]
    path: NotRequired[Gallery]


REJECTED = Reply(
    RejectedEnrollment,
    "enrollment_rejected (with `rejected`), undecodable_media, media_too_large",
)


def _manager(trail: AuditTrail) -> ResidentManager:
    services = runtime().services
    return services.residents.of(gallery_dir(services.recognition, trail))


@bp.get("/residents")
@operation(
    "List the residents of a resident directory",
    {200: Reply(ResidentList, "Residents")},
    errors=COMMON,
    query=GalleryQuery,
)
@audited
def list_residents(trail: AuditTrail) -> Response:
    return jsonify({"residents": [view(r) for r in _manager(trail).list()]})


@bp.post("/residents")
@operation(
    "Enroll a new resident from images that pass the quality gate",
    {201: Reply(Enrollment, "Enrolled"), 422: REJECTED},
    errors=ENROLL_ERRORS,
    operation_id="enroll_resident",
    query=GalleryQuery,
    body=Body(EnrollmentForm),
)
@audited
def enroll(trail: AuditTrail) -> Response:
    manager = _manager(trail)
    name = residents.new_name(request.form.get("name"))
    raw = request.form.get("metadata")
    meta = None if raw is None else residents.metadata(raw)
    with images("file", "image_url", MAX_IMAGES) as paths:
        report = compute(lambda: manager.enroll(name, paths, meta))
    return _created(report)


@bp.get("/residents/<name>")
@operation(
    "One resident",
    {200: Reply(Resident, "The resident")},
    errors=(*COMMON, 409),
    path=ResidentPath,
    query=GalleryQuery,
)
@audited
def get_resident(trail: AuditTrail, name: str) -> Response:
    return jsonify(view(_manager(trail).get(name)))


@bp.patch("/residents/<name>")
@operation(
    "Rename a resident and/or replace its metadata",
    {200: Reply(Resident, "The resident after the change")},
    errors=(*COMMON, 409, 413),
    path=ResidentPath,
    query=GalleryQuery,
    body=Body(ResidentChange, ("application/json",)),
)
@audited
def update_resident(trail: AuditTrail, name: str) -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body or set(body) - {"name", "metadata"}:
        raise InvalidParameter("send a JSON object with `name` and/or `metadata`")
    new = residents.new_name(body["name"]) if "name" in body else None
    meta = None
    if "metadata" in body:
        if not isinstance(body["metadata"], dict):
            raise InvalidMetadata("metadata must be a JSON object")
        meta = residents.metadata(body["metadata"])
    return jsonify(view(_manager(trail).update(name, new, meta)))


@bp.delete("/residents/<name>")
@operation(
    "Delete a resident: its images, metadata and cached embeddings",
    {200: Reply(Deletion, "What was removed")},
    errors=(*COMMON, 409, 504),
    path=ResidentPath,
    query=GalleryQuery,
)
@audited
def delete_resident(trail: AuditTrail, name: str) -> Response:
    manager = _manager(trail)
    report = compute(lambda: manager.delete(name))
    removed = {"images": report.images, "metadata": report.metadata}
    return jsonify({"name": report.name, "removed": {**removed, "embeddings": report.embeddings}})


@bp.post("/residents/<name>/images")
@operation(
    "Add images (quality-gated) to a resident",
    {201: Reply(Enrollment, "Added"), 422: REJECTED},
    errors=ENROLL_ERRORS,
    operation_id="add_resident_images",
    path=ResidentPath,
    query=GalleryQuery,
    body=Body(ImagesForm),
)
@audited
def add_images(trail: AuditTrail, name: str) -> Response:
    manager = _manager(trail)
    with images("file", "image_url", MAX_IMAGES) as paths:
        report = compute(lambda: manager.add_images(name, paths))
    return _created(report)


@bp.delete("/residents/<name>/images/<image_id>")
@operation(
    "Remove one image of a resident and its cached embeddings",
    {200: Reply(ImageRemoval, "Removed")},
    errors=(*COMMON, 409, 504),
    operation_id="remove_resident_image",
    path=ImagePath,
    query=GalleryQuery,
)
@audited
def remove_image(trail: AuditTrail, name: str, image_id: str) -> Response:
    manager = _manager(trail)
    embeddings = compute(lambda: manager.remove_image(name, image_id))
    return jsonify({"name": name, "image": image_id, "removed": {"embeddings": embeddings}})


@bp.get("/resident-changes")
@operation(
    "Residents changed or deleted since a time (for mirroring clients)",
    {200: Reply(ResidentChanges, "Changes")},
    errors=COMMON,
    operation_id="resident_changes",
    query=ChangesQuery,
)
@audited
def changes(trail: AuditTrail) -> Response:
    since = _since(request.args.get("since"))
    changeset, views = _manager(trail).changes(since)
    return jsonify(
        {
            "since": since,
            "cursor": changeset.cursor,
            "changes": [
                {
                    "name": c.name,
                    "change": c.kind,
                    "time": c.time,
                    **({"resident": view(views[c.name])} if c.name in views else {}),
                }
                for c in changeset.changes
            ],
        }
    )


@bp.errorhandler(EnrollmentRejected)
def rejected(exc: EnrollmentRejected) -> Response:
    """The standard error body, plus `rejected`: why each image was refused."""
    response = error_response(exc.code, exc.message)
    body = {**response.get_json(), "rejected": [rejection(r) for r in exc.rejections]}
    response.set_data(current_app.json.dumps(body))
    return response


def view(r: ResidentView) -> Resident:
    return {
        "name": r.name,
        "image_count": len(r.image_ids),
        "images": list(r.image_ids),
        "metadata": r.metadata,
        "updated": r.updated,
    }


def rejection(r: QualityRejection) -> Rejection:
    return {"index": r.index, "reason": r.reason, "message": r.message}


def _created(report: EnrollmentReport) -> Response:
    response = jsonify(
        {
            "resident": view(report.resident),
            "accepted": [{"index": i, "image": image} for i, image in report.accepted],
            "rejected": [rejection(r) for r in report.rejected],
        }
    )
    response.status_code = 201
    return response


def _since(raw: str | None) -> float:
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidParameter("since must be a time in seconds since the epoch (a number >= 0)")
    return value
