""" "This is X": a face a watched camera saw (named wrongly, named right, or unknown) confirmed as
resident X. Its embedding (never pixels) becomes a positive of X — one more row of X in the
gallery's index (`GalleryIndex.with_faces`) — but only when it passes the rules enrollment photos
pass (app/pipeline/quality.py): the face at least ENROLL_MIN_FACE_PX wide, sharp enough, and not
a near-duplicate of a photo or face the gallery already holds. A blurred camera (a high privacy
parameter) rarely gives a face sharp enough: such faces are refused with the reason, never added.

Positives belong to the default gallery, like negatives (app/residents/negatives.py), follow a
rename, are erased with the resident and are forgotten after POSITIVE_RETENTION_DAYS.
"""

from __future__ import annotations

from app.errors import EventNotFound, FaceNotKept, PositiveNotFound, PositiveRejected
from app.pipeline.gallery import Gallery
from app.pipeline.quality import QualityGate
from app.store.events import EventStore
from app.store.face_labels import FaceLabels, LabelledFace


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
        event, face = found
        if face is None or face.face_px is None or face.sharpness is None:
            raise FaceNotKept(f"event {event_id} kept no face that could be checked")
        try:
            index = self._gallery.index_for(face.model_id)
        except KeyError:
            raise FaceNotKept(f"event {event_id}'s face was made with another model") from None
        refused = self._gate.refusal(0, face.face_px, face.sharpness)
        if refused is None:
            held = [f"a photo or confirmed face of {n}" for n in index.names]
            refused = self._gate.duplicate(0, face.vector, list(index.vectors), held)
        if refused is not None:
            raise PositiveRejected(
                f"not added as {name}: {refused.message} ({refused.reason})", refused.reason
            )
        return self._positives.add(self._gallery.key, name, face, event.id)

    def list(self, name: str) -> list[LabelledFace]:
        return self._positives.list(self._gallery.key, name)

    def delete(self, name: str, positive_id: int) -> None:
        if not self._positives.delete(self._gallery.key, name, positive_id):
            raise PositiveNotFound(f"{name!r} has no positive {positive_id}")
