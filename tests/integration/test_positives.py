""" "This is X" with the real models on real faces: an unknown face confirmed as a resident is
named from then on; faces that fail the enrollment rules (too small, too blurred, a near-duplicate)
are refused with the reason and change nothing."""

from __future__ import annotations

import shutil
import time

import cv2
import pytest

from app.config import Settings
from app.domain import CameraEvent
from app.errors import EventNotFound, FaceNotKept, PositiveRejected
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.quality import DUPLICATE, FACE_TOO_SMALL, TOO_BLURRY
from app.pipeline.sharpness import sharpness
from app.residents.positives import Positives
from app.services import Services
from app.store.events import FaceEmbedding
from tests.conftest import FACES, make_gallery

# person02: img53 is enrolled as Dave; img12, another photo of them, is just too far to be named.
DAVE, OTHER_DAVE = "img53.jpg", "img12.jpg"


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    base = tmp_path_factory.mktemp("positives")
    db = make_gallery(base / "database")
    shutil.copy(FACES / DAVE, db / "Dave.jpg")
    return Services.build(Settings(state_dir=base / "state", database_dir=db))


def positives(services: Services) -> Positives:
    recognition, stores = services.recognition, services.stores
    gallery = recognition.gallery(services.settings.residents_dir)
    return Positives(stores.events, stores.positives, gallery, recognition.quality_gate)


def look(services: Services, photo: str, privacy: int, scale: float = 1.0):
    """What a camera at `privacy` would make of the photo: the verdict and the face it keeps."""
    image = cv2.imread(str(FACES / photo))
    if scale != 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    level, recognition = PrivacyLevel(privacy), services.recognition
    frame = level.blur(image)
    gallery = recognition.gallery(services.settings.residents_dir)
    (found,) = recognition.analyzer.identify(frame, gallery, level)
    box = found.face.box
    vector = recognition.analyzer.embed([found.face])[0]
    model_id = recognition.analyzer.profile(level).model_id
    return found.match, FaceEmbedding(model_id, vector, min(box.w, box.h), sharpness(frame, box))


def seen(services: Services, photo: str, privacy: int, scale: float = 1.0) -> tuple[int, str]:
    """Store the camera event of the photo; its id and the name it got (or None)."""
    match, face = look(services, photo, privacy, scale)
    kind = "recognized" if match.name else "unknown"
    event = CameraEvent(kind, "porch", match.name, time.time(), None, privacy)
    return services.stores.events.add(event, face).id, match.name


def test_an_unknown_face_confirmed_as_a_resident_is_named_from_then_on(services):
    event, name = seen(services, OTHER_DAVE, 0)
    assert name is None  # unknown before
    added = positives(services).add(event, "Dave")
    assert (added.name, added.event_id) == ("Dave", event)
    assert [p.id for p in positives(services).list("Dave")] == [added.id]
    match, _ = look(services, OTHER_DAVE, 0)
    assert match.name == "Dave"
    with pytest.raises(PositiveRejected) as again:
        positives(services).add(event, "Dave")
    assert again.value.reason == DUPLICATE  # the same face twice adds nothing
    positives(services).delete("Dave", added.id)
    assert look(services, OTHER_DAVE, 0)[0].name is None


@pytest.mark.parametrize(
    ("privacy", "scale", "reason"),
    [(9, 1.0, TOO_BLURRY), (0, 0.4, FACE_TOO_SMALL)],  # sharpness 26 < 100; a 64 px face < 80
)
def test_a_face_that_fails_the_enrollment_rules_is_refused_with_the_reason(
    services, privacy, scale, reason
):
    event, _ = seen(services, OTHER_DAVE, privacy, scale)
    with pytest.raises(PositiveRejected) as refused:
        positives(services).add(event, "Dave")
    assert refused.value.reason == reason and reason in refused.value.message
    assert positives(services).list("Dave") == []


def test_only_kept_events_with_a_face_can_be_confirmed(services):
    left = services.stores.events.add(CameraEvent("left", "porch", "Dave", time.time()))
    with pytest.raises(FaceNotKept):
        positives(services).add(left.id, "Dave")
    with pytest.raises(EventNotFound):
        positives(services).add(10**9, "Dave")
