""" "That was not me": a camera recognition marked wrong keeps its face's embedding (never pixels)
as a negative of the resident it named. Matching then refuses a face that is closer to one of
that resident's negatives than to the resident's enrolled photos (`GalleryIndex.refuted`), from
the next gallery refresh on (at once for analyses, within GALLERY_REFRESH_S for watched cameras).

Watched cameras recognise against the default gallery, so negatives belong to it. They are listed
and deleted per resident, follow a rename and are erased with the resident (ResidentManager).
"""

from __future__ import annotations

from pathlib import Path

from app.errors import EventNotFound, NegativeNotFound, NotARecognition
from app.store.events import EventStore
from app.store.face_labels import FaceLabels, LabelledFace


class Feedback:
    def __init__(self, events: EventStore, negatives: FaceLabels, gallery: Path) -> None:
        self._events, self._negatives = events, negatives
        self._gallery = str(gallery.resolve())  # the gallery's key, as Gallery.key

    def wrong(self, event_id: int) -> LabelledFace:
        """Mark a recognition wrong: its embedding becomes a negative of the resident named."""
        found = self._events.face(event_id)
        if found is None:
            raise EventNotFound(f"no kept event has id {event_id}")
        event, face = found
        if event.type != "recognized" or event.resident is None or face is None:
            raise NotARecognition("only a recognition that kept its face can be marked wrong")
        return self._negatives.add(self._gallery, event.resident, face, event.id)

    def list(self, name: str) -> list[LabelledFace]:
        return self._negatives.list(self._gallery, name)

    def delete(self, name: str, negative_id: int) -> None:
        if not self._negatives.delete(self._gallery, name, negative_id):
            raise NegativeNotFound(f"{name!r} has no negative {negative_id}")
