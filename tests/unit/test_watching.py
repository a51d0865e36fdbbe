"""Unit rules of always-on watching: the motion gate, the presence timeout, event retention."""

from __future__ import annotations

import numpy as np
import pytest

from app.cameras.presence import Presence
from app.domain import CameraEvent
from app.pipeline.motion import MotionGate
from app.pipeline.privacy import PrivacyLevel
from app.store.db import Database
from app.store.events import EventQuery, EventStore


def frame(value: int = 60, square: tuple[int, int] | None = None, size: int = 60):
    pixels = np.full((360, 640, 3), value, np.uint8)
    if square is not None:
        x, y = square
        pixels[y : y + size, x : x + size] = 230
    return PrivacyLevel(9).blur(pixels)


def test_motion_gate_opens_on_the_first_frame_and_on_change_only():
    gate = MotionGate(0.003)
    assert gate.moved(frame()) is True  # nothing to compare with yet
    assert [gate.moved(frame()) for _ in range(5)] == [False] * 5
    assert gate.moved(frame(square=(300, 150))) is True  # a person-sized change
    assert gate.moved(frame(square=(320, 150))) is True  # it moves on


def test_motion_gate_ignores_small_flicker_and_settles_on_a_new_still_scene():
    gate = MotionGate(0.003)
    gate.moved(frame())
    assert gate.moved(frame(value=66)) is False  # light noise below PIXEL_DELTA
    assert gate.moved(frame(square=(10, 10), size=4)) is False  # a few pixels: below threshold
    still = [gate.moved(frame(square=(300, 150))) for _ in range(12)]
    assert still[0] is True and still[-1] is False  # the background adapts


def test_a_zero_threshold_looks_at_every_frame():
    gate = MotionGate(0)
    assert all(gate.moved(frame()) for _ in range(3))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_presence_arrives_once_and_leaves_after_the_timeout_from_the_last_sighting():
    clock = Clock()
    presence = Presence(300, clock)
    assert presence.seen("Alice", "porch") is True
    clock.now += 200
    assert presence.seen("Alice", "hall") is False  # still home: no new arrival
    clock.now += 299
    assert presence.expire() == []  # 299 s since the last sighting
    clock.now += 1
    (gone,) = presence.expire()
    assert (gone.resident, gone.camera, gone.time) == ("Alice", "hall", 1200.0)
    assert presence.expire() == [] and presence.present() == []
    assert presence.seen("Alice", "porch") is True  # back home


def test_a_forgotten_resident_never_leaves():
    clock = Clock()
    presence = Presence(10, clock)
    presence.seen("Bob", "porch")
    presence.forget("Bob")
    clock.now += 60
    assert presence.expire() == []


@pytest.fixture
def store(tmp_path):
    clock = Clock()
    return EventStore(Database(tmp_path / "s.sqlite3"), retention_days=1, clock=clock), clock


def test_events_older_than_the_retention_are_deleted(store):
    events, clock = store
    kept = events.add(CameraEvent("unknown", "porch", None, clock.now - 3600, None, 9))
    events.add(CameraEvent("recognized", "porch", "Alice", clock.now - 2 * 86400, 80, 9))
    assert events.purge() == 1
    assert events.purge() == 0
    assert [e.id for e in events.query(EventQuery()).events] == [kept.id]


def test_storing_purges_at_most_hourly(store):
    events, clock = store
    events.add(CameraEvent("left", "hall", "Carl", clock.now, None, None))  # purges now
    events.add(CameraEvent("left", "hall", "Bob", clock.now - 2 * 86400, None, None))
    assert len(events.query(EventQuery()).events) == 2  # not yet: purged within the hour
    clock.now += 3601
    events.add(CameraEvent("left", "hall", "Carol", clock.now, None, None))
    assert [e.resident for e in events.query(EventQuery()).events] == ["Carl", "Carol"]


def test_event_queries_filter_and_page_by_cursor(store):
    events, clock = store
    for i, (kind, camera, who) in enumerate(
        [("recognized", "porch", "Alice"), ("unknown", "hall", None), ("left", "porch", "Alice")]
    ):
        events.add(CameraEvent(kind, camera, who, clock.now + i, None, 9))
    page = events.query(EventQuery(limit=2))
    assert [e.type for e in page.events] == ["recognized", "unknown"]
    rest = events.query(EventQuery(since=page.cursor))
    assert [e.type for e in rest.events] == ["left"] and rest.cursor == 3
    assert events.query(EventQuery(since=rest.cursor)).cursor == 3  # nothing new: same cursor
    assert len(events.query(EventQuery(camera="porch", resident="Alice")).events) == 2
    assert [e.camera for e in events.query(EventQuery(type="unknown")).events] == ["hall"]
