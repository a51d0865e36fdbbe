""" "This is X": a face a watched camera saw (named wrongly, named right, or unknown), or a face of
a `/faces/identify` answer, confirmed as resident X. Its embedding (never pixels) becomes a
positive of X: one of X's views at the blur it was seen at (its relative blur, sigma / face width,
is kept with it), compared with faces blurred like it (`GalleryIndex.with_faces`) and counted in
the gallery's size N wherever it is compared. So a home teaches the system its residents as its
cameras see them, blur included.

The gate is the accept rule itself, not the sharpness asked of an enrollment photo: the face must
be large enough for its blur to be told apart at all (`AcceptRule.recognisable`; else it is
refused as `unrecognisable`, with the size it would need) and not a near-duplicate of a view the
gallery already holds at that blur (`duplicate`: within the quality gate's ratio of the rule's
pair distance at that blur, app/pipeline/quality.py).

Positives belong to the default gallery, like negatives (app/residents/negatives.py), follow a
rename, are erased with the resident and are forgotten after POSITIVE_RETENTION_DAYS.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import CameraEvent
from app.errors import EventNotFound, FaceNotKept, PositiveNotFound, PositiveRejected
from app.pipeline.gallery import Gallery
from app.pipeline.matching import AcceptRule, relative_blur
from app.pipeline.privacy_advice import largest_privacy, smallest_face
from app.pipeline.quality import QualityGate
from app.store.events import EventStore, FaceEmbedding
from app.store.face_labels import FaceLabels, LabelledFace

UNRECOGNISABLE = "unrecognisable"


@dataclass(frozen=True)
class Refusal:
    reason: str  # `unrecognisable`, app/pipeline/quality.py's `duplicate`, or `face_not_kept`
    message: str


class Positives:
    def __init__(
        self, events: EventStore, positives: FaceLabels, gallery: Gallery, gate: QualityGate
    ) -> None:
        self._events, self._positives, self._gallery, self._gate = events, positives, gallery, gate

    def add(self, event_id: int, name: str) -> LabelledFace:
        """Confirm that the face event `event_id` kept is resident `name` (who must exist)."""
        found = self._events.face(event_id)
        if found is None:
            raise EventNotFound(f"no kept event has id {event_id}")
        return self.confirm(name, *_usable(*found), found[0].id)

    def verdict(self, event: CameraEvent, face: FaceEmbedding | None) -> Refusal | None:
        """Whether confirming `event` (and the face it kept) as any resident would keep the face
        (None) or why not; stores nothing. It does not depend on the resident: a near-duplicate
        is one of any resident's views."""
        try:
            return self._refusal(*_usable(event, face))
        except FaceNotKept as exc:
            return Refusal(FaceNotKept.code, exc.message)

    def confirm(
        self, name: str, face: FaceEmbedding, privacy: int, event_id: int | None = None
    ) -> LabelledFace:
        """Make `face`, seen at privacy parameter `privacy`, a positive of resident `name` if the
        rule lets it be one; else PositiveRejected with the reason."""
        refused = self._refusal(face, privacy)
        if refused is not None:
            raise PositiveRejected(
                f"not added as {name}: {refused.message} ({refused.reason})", refused.reason
            )
        relative = relative_blur(privacy, _width(face))
        return self._positives.add(self._gallery.key, name, face, event_id, relative)

    def _refusal(self, face: FaceEmbedding, privacy: int) -> Refusal | None:
        """Why the accept rule would not keep `face`, seen at `privacy`, as a view; None if it
        would. Raises FaceNotKept for a face it cannot judge."""
        face_px = _width(face)
        try:
            index = self._gallery.index_for(face.model_id)
        except KeyError:
            raise FaceNotKept("the face was made with another model") from None
        relative = relative_blur(privacy, face_px)
        rule = self._gate.analyzer.rule
        if not rule.recognisable(relative, face_px):
            return Refusal(UNRECOGNISABLE, unrecognisable(face_px, privacy, rule))
        names, views = index.views(relative)
        held = [f"a view of {n} at this blur" for n in names]
        refused = self._gate.duplicate(0, face.vector, list(views), held, relative)
        return None if refused is None else Refusal(refused.reason, refused.message)

    def list(self, name: str) -> list[LabelledFace]:
        return self._positives.list(self._gallery.key, name)

    def delete(self, name: str, positive_id: int) -> None:
        if not self._positives.delete(self._gallery.key, name, positive_id):
            raise PositiveNotFound(f"{name!r} has no positive {positive_id}")


def _usable(event: CameraEvent, face: FaceEmbedding | None) -> tuple[FaceEmbedding, int]:
    """The face an event kept and its privacy parameter; FaceNotKept if it kept none."""
    if event.type == UNRECOGNISABLE:
        raise FaceNotKept(
            f"event {event.id} is a face too small for its camera's blur to be told apart: "
            "it kept no face, and such a face could not be named"
        )
    if face is None or face.face_px is None or event.privacy_parameter is None:
        raise FaceNotKept(f"event {event.id} kept no face that could be checked")
    return face, event.privacy_parameter


def _width(face: FaceEmbedding) -> int:
    if face.face_px is None:
        raise FaceNotKept("the face's size is not known")
    return face.face_px


def unrecognisable(face_px: int, privacy: int, rule: AcceptRule) -> str:
    """Why a face this wide cannot be named at this privacy parameter, and what would do."""
    needed = smallest_face(privacy, rule)
    largest = largest_privacy(face_px, rule, privacy)
    at_most = (
        f"a face this wide can be named up to privacy {largest}"
        if largest is not None
        else "a face this narrow cannot be named at any privacy"
    )
    return (
        f"the face is {face_px} px wide: too small for privacy {privacy}'s blur to be told apart"
        f" (at least {needed} px needed; {at_most})"
    )
