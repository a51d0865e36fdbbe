"""A camera event and its bus messages are stored in one transaction: both or neither."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from app.bus import build_bus
from app.cameras.feed import EventFeed
from app.config import Settings
from app.domain import CameraEvent
from app.services import Stores
from app.store.events import EventQuery


@pytest.fixture
def stores(tmp_path) -> Stores:
    return Stores.open(Settings(state_dir=tmp_path / "state", _env_file=None))


def feed(stores: Stores, tmp_path) -> EventFeed:
    settings = Settings(
        state_dir=tmp_path / "state",
        mqtt_url="mqtt://127.0.0.1:1",  # never connected: the bus only stores here
        mqtt_topic_prefix="home/faces",
        _env_file=None,
    )
    return EventFeed(stores.events, build_bus(settings, stores.outbox, stores.slugs), 4)


def unknown() -> CameraEvent:
    return CameraEvent("unknown", "porch", None, time.time(), None, 9)


def test_the_stored_event_and_its_messages_carry_the_same_id(stores, tmp_path):
    stored = feed(stores, tmp_path).emit(unknown())
    (message,) = [
        p.message for p in stores.outbox.pending("mqtt") if p.message.topic.endswith("/events")
    ]
    assert json.loads(message.payload)["id"] == stored.id > 0


def test_an_event_whose_messages_cannot_be_stored_is_not_kept(stores, tmp_path):
    events = feed(stores, tmp_path)
    kept = events.emit(unknown())
    with stores.db.connect() as conn:
        conn.execute("DROP TABLE outbox")  # the outbox refuses every write
    with pytest.raises(sqlite3.OperationalError):
        events.emit(unknown())
    assert [e.id for e in stores.events.recent(EventQuery())] == [kept.id]


def test_a_resident_never_announced_is_published_without_waiting_on_a_lock(stores, tmp_path):
    """Rendering runs inside the event's transaction: the resident's slug, which the presence
    topic needs, is stored before it (`Bus.prepare`), not inside (SQLite would wait 30 s on
    its own write lock, then lose the event)."""
    event = CameraEvent("recognized", "porch", "Zoë", time.time(), 90, 9)
    stored = feed(stores, tmp_path).emit(event)
    topics = {p.message.topic for p in stores.outbox.pending("mqtt")}
    assert f"home/faces/presence/{stores.slugs.of('resident', 'Zoë')}" in topics
    assert stored.id > 0
