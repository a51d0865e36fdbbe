""" "This is X" with the real models on real faces: an unknown face confirmed as a resident is
named from then on, a blurred one where faces are blurred like it; faces the rule cannot tell
apart at their blur, and near-duplicates, are refused with the reason and change nothing; the
verdict the Review page shows before a confirmation is the one the confirmation gets."""

from __future__ import annotations

import shutil
import time

import cv2
import pytest

from app.config import Settings
from app.domain import CameraEvent
from app.errors import EventNotFound, FaceNotKept, PositiveRejected
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.quality import DUPLICATE
from app.pipeline.sharpness import sharpness
from app.residents.positives import UNRECOGNISABLE, Positives
from app.services import Services
from app.store.events import FaceEmbedding
from tests.conftest import FACES, make_gallery
from tests.media import read_image

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
    image = read_image(FACES / photo)
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


def verdict(services: Services, event_id: int) -> str | None:
    """The reason a confirmation of the event would be refused (None: it would be kept)."""
    found = services.stores.events.face(event_id)
    assert found is not None
    refusal = positives(services).verdict(*found)
    return refusal.reason if refusal else None


def seen(services: Services, photo: str, privacy: int, scale: float = 1.0) -> tuple[int, str]:
    """Store the camera event of the photo; its id and the name it got (or None)."""
    match, face = look(services, photo, privacy, scale)
    kind = "recognized" if match.name else "unknown"
    event = CameraEvent(kind, "porch", match.name, time.time(), None, privacy)
    return services.stores.events.add(event, face).id, match.name


def test_an_unknown_face_confirmed_as_a_resident_is_named_from_then_on(services):
    match, _ = look(services, OTHER_DAVE, 0)
    assert (match.name, match.nearest) == (None, "Dave")  # nearest, yet not named
    event, name = seen(services, OTHER_DAVE, 0)
    assert name is None  # unknown before
    assert verdict(services, event) is None  # checking stores nothing
    assert verdict(services, event) is None
    added = positives(services).add(event, "Dave")
    assert (added.name, added.event_id) == ("Dave", event)
    assert [p.id for p in positives(services).list("Dave")] == [added.id]
    match, _ = look(services, OTHER_DAVE, 0)
    assert match.name == "Dave"
    assert verdict(services, event) == DUPLICATE
    with pytest.raises(PositiveRejected) as again:
        positives(services).add(event, "Dave")
    assert again.value.reason == DUPLICATE  # the same face twice adds nothing
    positives(services).delete("Dave", added.id)
    assert look(services, OTHER_DAVE, 0)[0].name is None


def test_a_blurred_face_becomes_a_view_at_its_blur_not_a_clean_photo(services):
    """At privacy 9 the face scores sharpness ~26, far below an enrollment photo's 100: it is
    confirmed all the same (the rule can tell a 160 px face apart at that blur), and names Dave
    where faces are blurred like it, but not where they are sharp."""
    event, name = seen(services, OTHER_DAVE, 9)
    assert name is None  # unknown before
    added = positives(services).add(event, "Dave")
    assert look(services, OTHER_DAVE, 9)[0].name == "Dave"
    assert look(services, OTHER_DAVE, 0)[0].name is None  # not compared with sharp faces
    positives(services).delete("Dave", added.id)


def test_a_face_too_small_for_its_blur_is_refused_with_the_reason(services):
    match, face = look(services, OTHER_DAVE, 25, 0.4)  # ~62 px at privacy 25: 100 px needed
    assert match.unrecognisable and face.face_px is not None and face.face_px < 100
    event, _ = seen(services, OTHER_DAVE, 25, 0.4)
    assert verdict(services, event) == UNRECOGNISABLE
    with pytest.raises(PositiveRejected) as refused:
        positives(services).add(event, "Dave")
    assert refused.value.reason == UNRECOGNISABLE
    message = refused.value.message
    assert f"{face.face_px} px wide" in message and "100 px needed" in message
    assert positives(services).list("Dave") == []
    unrecognisable = services.stores.events.add(
        CameraEvent("unrecognisable", "porch", None, time.time(), None, 25)
    )
    with pytest.raises(FaceNotKept) as not_kept:
        positives(services).add(unrecognisable.id, "Dave")
    assert "too small for its camera's blur" in not_kept.value.message


def test_only_kept_events_with_a_face_can_be_confirmed(services):
    left = services.stores.events.add(CameraEvent("left", "porch", "Dave", time.time()))
    assert verdict(services, left.id) == FaceNotKept.code
    with pytest.raises(FaceNotKept):
        positives(services).add(left.id, "Dave")
    with pytest.raises(EventNotFound):
        positives(services).add(10**9, "Dave")
