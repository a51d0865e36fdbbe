""" "That was not me" over the real SQLite stores: a recognition's embedding becomes a negative
of the resident it named; negatives are listed, deleted, renamed and erased per resident, never
shared across galleries or chip profiles; events without a face cannot be marked."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.api.params import event_filter
from app.domain import CameraEvent
from app.errors import EventNotFound, InvalidParameter, NegativeNotFound, NotARecognition
from app.residents.changes import ResidentLog
from app.residents.negatives import Feedback
from app.store.db import Database
from app.store.events import EventQuery, EventStore, FaceEmbedding
from app.store.face_labels import FaceLabels

NOW = time.time()  # events older than the retention period would be purged at once


def residents(db: Database, gallery: str, *names: str) -> None:
    """The gallery holds these residents, each with a photo of its own (labels belong to one)."""
    ResidentLog(db).reconcile(
        gallery, {n: n for n in names}, photos={n: frozenset({n}) for n in names}
    )


@pytest.fixture
def stores(tmp_path):
    db = Database(tmp_path / "state.sqlite3")
    residents(db, str(tmp_path.resolve()), "Alice")
    residents(db, "g", "Ann", "Ben")
    return EventStore(db, 30), FaceLabels(db, "negatives")


def test_a_recognition_marked_wrong_becomes_a_negative_of_the_named_resident(stores, tmp_path):
    events, negatives = stores
    vector = np.arange(4, dtype=np.float32)
    seen = events.add(
        CameraEvent("recognized", "porch", "Alice", NOW, 80, 9), FaceEmbedding("dlib@9", vector)
    )
    feedback = Feedback(events, negatives, tmp_path)
    negative = feedback.wrong(seen.id)
    assert (negative.name, negative.event_id) == ("Alice", seen.id)
    assert [n.id for n in feedback.list("Alice")] == [negative.id]
    by_name = negatives.vectors(str(tmp_path.resolve()), "dlib@9")
    assert list(by_name) == ["Alice"] and np.array_equal(by_name["Alice"], vector[None])
    assert negatives.vectors(str(tmp_path.resolve()), "dlib@0") == {}  # another chip profile
    assert negatives.vectors("/elsewhere", "dlib@9") == {}  # another gallery
    db = Database(tmp_path / "state.sqlite3")  # renamed (its photo now under another name)
    ResidentLog(db).reconcile(
        str(tmp_path.resolve()), {"Alicia": "x"}, photos={"Alicia": {"Alice"}}
    )
    assert feedback.list("Alice") == [] and len(feedback.list("Alicia")) == 1
    feedback.delete("Alicia", negative.id)
    assert feedback.list("Alicia") == []
    with pytest.raises(NegativeNotFound):
        feedback.delete("Alicia", negative.id)


def test_erase_removes_every_negative_of_a_resident_only(stores):
    _, negatives = stores
    face = FaceEmbedding("m", np.ones(3, np.float32))
    for name in ("Ann", "Ann", "Ben"):
        negatives.add("g", name, face, None)
    assert negatives.erase("g", "Ann") == 2
    assert [n.name for n in negatives.list("g", "Ben")] == ["Ben"]


def test_only_kept_recognitions_with_a_face_can_be_marked(stores, tmp_path):
    events, negatives = stores
    feedback = Feedback(events, negatives, tmp_path)
    unknown = events.add(CameraEvent("unknown", "porch", None, NOW, None, 9))
    no_face = events.add(CameraEvent("recognized", "porch", "Alice", NOW, 80, 9))
    for event in (unknown, no_face):
        with pytest.raises(NotARecognition):
            feedback.wrong(event.id)
    with pytest.raises(EventNotFound):
        feedback.wrong(999)


def test_recent_events_are_newest_first_and_filtered_by_type(stores):
    events, _ = stores
    for kind in ("recognized", "unknown", "recognized"):
        events.add(CameraEvent(kind, "porch", "Alice" if kind == "recognized" else None, NOW))
    assert [e.id for e in events.recent(EventQuery(limit=10))] == [3, 2, 1]
    assert [e.id for e in events.recent(EventQuery(type="recognized", limit=10))] == [3, 1]


@pytest.mark.parametrize("table", ["positives", "negatives"])
def test_labelled_faces_expire_after_their_retention_and_go_with_their_resident(tmp_path, table):
    clock = [NOW]
    db = Database(tmp_path / "state.sqlite3")
    residents(db, "g", "Ann")
    faces = FaceLabels(db, table, 2, clock=lambda: clock[0])
    other = FaceLabels(db, "positives" if table == "negatives" else "negatives", 30)
    face = FaceEmbedding("m", np.ones(3, np.float32))
    old = faces.add("g", "Ann", face, 1)
    clock[0] += 86400
    young = faces.add("g", "Ann", face, 2)
    other.add("g", "Ann", face, 1)
    clock[0] += 1.5 * 86400  # the first is 2.5 days old, the second 1.5
    assert faces.purge() == 1
    assert [p.id for p in faces.list("g", "Ann")] == [young.id] != [old.id]
    assert list(faces.vectors("g", "m")) == ["Ann"]
    assert other.purge() == 0  # the other table, its own retention
    faces.rename("g", "Ann", "Anna")
    assert faces.erase("g", "Anna") == 1 and other.list("g", "Ann") != []


def test_events_are_filtered_by_camera_resident_type_time_and_kept_face(stores):
    events, _ = stores
    face = FaceEmbedding("m", np.ones(3, np.float32))
    events.add(CameraEvent("recognized", "porch", "Alice", NOW - 7200, 80, 0), face)
    events.add(CameraEvent("unknown", "hall", None, NOW - 60, None, 0), face)
    events.add(CameraEvent("left", "hall", "Alice", NOW, None, None))

    def ids(**query) -> list[int]:
        return [e.id for e in events.recent(EventQuery(**query))]

    assert ids(camera="hall") == [3, 2]
    assert ids(resident="Alice", camera="hall") == [3]
    assert ids(after=NOW - 3600) == [3, 2]
    assert ids(with_face=True) == [2, 1]
    assert ids(type="unknown", after=NOW - 3600, with_face=True) == [2]
    (kept, kept_face) = events.face(2)
    assert kept.type == "unknown" and kept_face is not None


def test_the_events_page_filters_are_read_from_its_query_string():
    since = time.strftime("%Y-%m-%dT%H:%M", time.localtime(NOW))
    query = event_filter({"camera": "hall", "type": "unknown", "since": since, "resident": ""}, 50)
    assert (query.camera, query.resident, query.type, query.limit) == ("hall", None, "unknown", 50)
    assert NOW - 60 < query.after <= NOW
    for bad in ({"type": "party"}, {"since": "yesterday"}):
        with pytest.raises(InvalidParameter):
            event_filter(bad, 50)
