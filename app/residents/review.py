"""What the Review page shows of each event before anyone confirms it (docs/ui.md, Review): its
face's size, how blurred it was relative to that size, the track's best match and its margin, the
accept rule's verdict on a confirmation, and whether its blurred face crop is held in memory."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from app.domain import CameraEvent, Nearest
from app.pipeline.matching import relative_blur
from app.residents.positives import Positives, Refusal
from app.store.events import FaceEmbedding

REFUSED = {
    "unrecognisable": "Too small for its blur: will not be kept",
    "duplicate": "A near-duplicate: will not be kept",
}


@dataclass(frozen=True)
class ReviewRow:
    event: CameraEvent
    face_px: int | None
    blur_percent: float | None  # the blur's sigma as a share of the face's width
    nearest: Nearest | None
    refusal: Refusal | None  # None: a confirmation keeps the face
    crop: bool  # its blurred face crop is held and may be shown

    @property
    def refused(self) -> str:
        """Why a confirmation would not be kept, for people ("" if it would be)."""
        if self.refusal is None:
            return ""
        headline = REFUSED.get(self.refusal.reason, "Will not be kept")
        return f"{headline} — {self.refusal.message}."


def review_rows(
    found: list[tuple[CameraEvent, FaceEmbedding | None]],
    positives: Positives,
    crops: Container[int],
) -> list[ReviewRow]:
    """One row per event; `crops`: the events whose face crop this request may see."""
    return [
        ReviewRow(
            event,
            face.face_px if face else None,
            _blur_percent(event.privacy_parameter, face),
            face.nearest if face else None,
            positives.verdict(event, face),
            event.id in crops,
        )
        for event, face in found
    ]


def _blur_percent(privacy: int | None, face: FaceEmbedding | None) -> float | None:
    if privacy is None or face is None or face.face_px is None:
        return None
    return 100 * relative_blur(privacy, face.face_px)
