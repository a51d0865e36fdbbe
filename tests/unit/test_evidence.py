"""What a camera event keeps for its review (app/cameras/evidence.py): the track's best match,
stored with the event as numbers and a name; the blurred face crop, held in memory for the newest
events only and dropped with its camera's watcher."""

from __future__ import annotations

import time

import numpy as np

from app.cameras.evidence import FaceCrops, best_match, face_crop
from app.domain import Box, CameraEvent, Match, Nearest
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.tracking import Observation, Track
from app.store.db import Database
from app.store.events import EventQuery, EventStore, FaceEmbedding


def observed(*matches: Match | None) -> Track:
    track = Track(0)
    track.observations = [Observation(i, Box(0, 0, 80, 80), m) for i, m in enumerate(matches)]
    return track


def test_the_best_match_is_the_observation_nearest_its_accept_distance():
    track = observed(
        Match(None, 0.50, 0.40, 0, nearest="Ann"),  # 1.25 times the accept distance
        None,  # not embedded in that frame
        Match(None, 0.45, 0.30, 0, nearest="Ben"),  # 1.5 times: nearer in distance, farther off
        Match(None, float("inf"), 0.40, 0),  # an empty gallery: nobody was near
    )
    best = best_match(track)
    assert best == Nearest("Ann", 0.50, 0.40)
    assert round(best.margin, 3) == -0.1  # outside the accept distance by 0.1
    assert best_match(observed(None, Match(None, float("inf"), 0.4, 0))) is None


def test_the_crop_is_the_faces_box_and_a_margin_of_the_blurred_frame_clipped_to_it():
    pixels = np.arange(100 * 200 * 3, dtype=np.uint32).reshape(100, 200, 3).astype(np.uint8)
    frame = PrivacyLevel(0).blur(pixels)
    crop = face_crop(frame, Box(30, 20, 40, 40))  # 10 px around it
    assert np.array_equal(crop, pixels[10:70, 20:80])
    assert crop.base is None  # a copy: the frame itself is not held
    corner = face_crop(frame, Box(5, 70, 40, 40))  # clipped at the left and at the bottom
    assert np.array_equal(corner, pixels[60:100, 0:55])


def test_crops_are_held_for_the_newest_events_and_go_with_their_camera():
    crops = FaceCrops(kept=2)
    face = np.full((40, 40, 3), 128, np.uint8)
    for event_id, camera in ((1, "hall"), (2, "porch"), (3, "hall")):
        crops.keep(event_id, camera, face)
    assert [i in crops for i in (1, 2, 3)] == [False, True, True]
    jpeg = crops.jpeg(3, 160)
    assert jpeg is not None and jpeg.startswith(b"\xff\xd8\xff")
    crops.forget("hall")
    assert (2 in crops, 3 in crops, crops.jpeg(3, 160)) == (True, False, None)


def test_an_events_best_match_is_stored_with_its_face(tmp_path):
    events = EventStore(Database(tmp_path / "state.sqlite3"), 30)
    vector = np.ones(3, np.float32)
    best = Nearest("Alice", 0.031, 0.045)
    now = time.time()
    events.add(CameraEvent("unknown", "hall", None, now, None, 9), FaceEmbedding("m", vector, 96))
    events.add(
        CameraEvent("recognized", "hall", "Alice", now, 80, 9),
        FaceEmbedding("m", vector, 120, 40.0, best),
    )
    events.add(CameraEvent("left", "hall", "Alice", now))
    found = events.recent_faces(EventQuery(with_face=True))
    assert [(e.id, f.face_px, f.nearest) for e, f in found] == [(2, 120, best), (1, 96, None)]
    kept = events.face(2)
    assert kept is not None and kept[1] is not None and kept[1].nearest == best
