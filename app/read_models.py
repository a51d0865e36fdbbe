"""What the shells show, read from the services: the camera views, the newest and recent events,
the residents with their labelled faces, the Review page's rows. The JSON API (app/api) and the
web UI (app/ui) both read through here, never through a store or each other's routes.

The camera view's shape is a TypedDict, which the OpenAPI description is generated from.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Annotated, Literal

from pydantic import Field
from typing_extensions import TypedDict

from app.cameras.registry import Camera as CameraConfig
from app.cameras.registry import Origin
from app.cameras.watcher import CONNECTED, CONNECTING, ERROR, STOPPED
from app.config import MAX_ANALYSIS_FPS
from app.domain import CameraEvent
from app.residents.manager import ResidentView
from app.residents.review import ReviewRow, review_rows
from app.services import Services
from app.store.events import EventQuery
from app.store.face_labels import LabelledFace

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


def camera_view(services: Services, c: CameraConfig) -> Camera:
    """A camera as GET /cameras and the Cameras page show it."""
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


def newest_event_id(services: Services) -> int:
    """The newest event's id: a live page asks /events/stream for those after it."""
    newest = services.stores.events.recent(EventQuery(limit=1))
    return newest[0].id if newest else 0


def recent_events(services: Services, query: EventQuery) -> list[CameraEvent]:
    return services.stores.events.recent(query)


def residents(services: Services) -> list[ResidentView]:
    """The default gallery's residents."""
    return services.residents.of(services.settings.residents_dir).list()


def residents_with_negatives(services: Services) -> list[tuple[ResidentView, list[LabelledFace]]]:
    """Each resident with the faces marked "not this resident"."""
    negatives, key = services.stores.negatives, _gallery_key(services)
    return [(r, negatives.list(key, r.name)) for r in residents(services)]


def review(
    services: Services, limit: int, crops: Container[int]
) -> tuple[list[ReviewRow], list[tuple[str, list[LabelledFace]]]]:
    """The Review page: the newest `limit` events that kept a face, each with what the reviewer
    needs to decide (`crops`: the events whose face crop may be shown), and each resident's
    confirmed faces."""
    recent = services.stores.events.recent_faces(EventQuery(limit=limit, with_face=True))
    rows = review_rows(recent, services.positives(), crops)
    positives, key = services.stores.positives, _gallery_key(services)
    return rows, [(r.name, positives.list(key, r.name)) for r in residents(services)]


def _gallery_key(services: Services) -> str:
    return str(services.settings.residents_dir.resolve())
