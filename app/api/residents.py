"""Residents management over a resident directory (the default one or another by `path`).

GET/POST /residents, GET/PATCH/DELETE /residents/<name>, POST /residents/<name>/images,
DELETE /residents/<name>/images/<image_id>, GET /resident-changes?since=<t>.
Answers carry names, image IDs, metadata and times; never file names or paths.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify, request

from app.api.audit import audited
from app.api.errors import error_response
from app.api.inputs import compute, gallery_dir, images
from app.api.runtime import runtime
from app.errors import InvalidMetadata, InvalidParameter
from app.residents import directory as residents
from app.residents.manager import (
    EnrollmentRejected,
    EnrollmentReport,
    ResidentManager,
    ResidentView,
)
from app.store.audit import AuditTrail

if TYPE_CHECKING:
    from app.pipeline.quality import Rejection

bp = Blueprint("residents", __name__)
MAX_IMAGES = 10  # images per enrollment request (each costs ~0.5 s of CPU)


def _manager(trail: AuditTrail) -> ResidentManager:
    services = runtime().services
    return services.residents.of(gallery_dir(services.recognition, trail))


@bp.get("/residents")
@audited
def list_residents(trail: AuditTrail) -> Response:
    return jsonify({"residents": [view(r) for r in _manager(trail).list()]})


@bp.post("/residents")
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
@audited
def get_resident(trail: AuditTrail, name: str) -> Response:
    return jsonify(view(_manager(trail).get(name)))


@bp.patch("/residents/<name>")
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
@audited
def delete_resident(trail: AuditTrail, name: str) -> Response:
    manager = _manager(trail)
    report = compute(lambda: manager.delete(name))
    removed = {"images": report.images, "metadata": report.metadata}
    return jsonify({"name": report.name, "removed": {**removed, "embeddings": report.embeddings}})


@bp.post("/residents/<name>/images")
@audited
def add_images(trail: AuditTrail, name: str) -> Response:
    manager = _manager(trail)
    with images("file", "image_url", MAX_IMAGES) as paths:
        report = compute(lambda: manager.add_images(name, paths))
    return _created(report)


@bp.delete("/residents/<name>/images/<image_id>")
@audited
def remove_image(trail: AuditTrail, name: str, image_id: str) -> Response:
    manager = _manager(trail)
    embeddings = compute(lambda: manager.remove_image(name, image_id))
    return jsonify({"name": name, "image": image_id, "removed": {"embeddings": embeddings}})


@bp.get("/resident-changes")
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


def view(r: ResidentView) -> dict[str, Any]:
    return {
        "name": r.name,
        "image_count": len(r.image_ids),
        "images": list(r.image_ids),
        "metadata": r.metadata,
        "updated": r.updated,
    }


def rejection(r: Rejection) -> dict[str, Any]:
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
