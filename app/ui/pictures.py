"""The only pictures the web UI shows, each downscaled and marked `Cache-Control: private,
no-store` (browsers keep no copy on disk):

- `/ui/residents/<name>/photos/<image_id>.jpg`: a thumbnail of one of a resident's enrollment
  photos — the household's own photos, never camera frames — for anyone the service lets in.
- `/ui/cameras/<name>/snapshot.jpg`: the latest frame the camera's watcher analysed, already
  blurred at the camera's privacy level, held in memory only; off unless UI_SNAPSHOTS is set,
  and only for a logged-in UI session (so never without API_KEY).
- `/ui/events/<id>/face.jpg`: the face of one of the newest events, cut from the blurred frame the
  watcher analysed (app/cameras/evidence.py), held in memory only; under the same conditions as
  the snapshot, for the Review page.

A blueprint nested in the UI's (endpoints `ui.pictures.*`): behind the same authentication, not
part of the JSON API's OpenAPI description; each request leaves an audit row, as the residents
routes do.
"""

from __future__ import annotations

from flask import Blueprint, Response

from app.api.audit import AuditTrail, audited
from app.api.auth import session
from app.api.runtime import runtime
from app.errors import SnapshotUnavailable

bp = Blueprint("pictures", __name__)
THUMBNAIL_PX = 96
SNAPSHOT_PX = 320
FACE_PX = 160


def shown() -> bool:
    """Whether this request may see camera pictures (snapshots, event faces)."""
    return runtime().settings.ui_snapshots and session() is not None


@bp.get("/ui/residents/<name>/photos/<image_id>.jpg")
@audited
def resident_photo(trail: AuditTrail, name: str, image_id: str) -> Response:
    services = runtime().services
    manager = services.residents.of(services.settings.residents_dir)
    return _jpeg(manager.thumbnail(name, image_id, THUMBNAIL_PX))


@bp.get("/ui/cameras/<name>/snapshot.jpg")
@audited
def camera_snapshot(trail: AuditTrail, name: str) -> Response:
    _require_shown()
    services = runtime().services
    services.cameras.get(name)  # camera_not_found for an unknown name
    jpeg = services.watching.snapshot(name, SNAPSHOT_PX)
    if jpeg is None:
        raise SnapshotUnavailable(f"camera {name!r} has no analysed frame yet (is it watched?)")
    return _jpeg(jpeg)


@bp.get("/ui/events/<int:event_id>/face.jpg")
@audited
def event_face(trail: AuditTrail, event_id: int) -> Response:
    _require_shown()
    trail.event_id = event_id
    jpeg = runtime().services.watching.crops.jpeg(event_id, FACE_PX)
    if jpeg is None:
        raise SnapshotUnavailable(
            f"no face of event {event_id} is held in memory (only the newest events' are, while "
            "their camera is watched here with UI_SNAPSHOTS)"
        )
    return _jpeg(jpeg)


def _require_shown() -> None:
    if not runtime().settings.ui_snapshots:
        raise SnapshotUnavailable("camera snapshots are off (UI_SNAPSHOTS=false)")
    if session() is None:
        raise SnapshotUnavailable("camera snapshots are shown only to a logged-in UI session")


def _jpeg(data: bytes) -> Response:
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    return response
