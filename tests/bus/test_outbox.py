"""The outbox and the request de-duplication store (SQLite, no network)."""

from __future__ import annotations

from app.store.bus_requests import SeenRequests
from app.store.db import Database
from app.store.outbox import Message, Outbox


def test_pending_in_order_per_destination_and_removed_once_accepted(tmp_path):
    outbox = Outbox(Database(tmp_path / "s.sqlite3"), max_messages=100)
    outbox.add([("dht", Message("t", "1")), ("mqtt", Message("m", "x", retain=True))])
    outbox.add([("dht", Message("t", "2"))])
    first, second = outbox.pending("dht")
    assert [first.message.payload, second.message.payload] == ["1", "2"]
    assert outbox.pending("mqtt")[0].message == Message("m", "x", retain=True)
    outbox.remove(first.id)
    assert [p.message.payload for p in outbox.pending("dht")] == ["2"]


def test_messages_survive_reopening_the_database(tmp_path):
    Outbox(Database(tmp_path / "s.sqlite3"), 100).add([("dht", Message("t", "kept"))])
    reopened = Outbox(Database(tmp_path / "s.sqlite3"), 100)
    assert [p.message.payload for p in reopened.pending("dht")] == ["kept"]


def test_full_outbox_drops_the_oldest_of_that_destination_only(tmp_path):
    outbox = Outbox(Database(tmp_path / "s.sqlite3"), max_messages=10)
    outbox.add([("mqtt", Message("m", "other"))])
    dropped = outbox.add([("dht", Message("t", str(i))) for i in range(13)])
    assert dropped == 3
    assert [p.message.payload for p in outbox.pending("dht")] == [str(i) for i in range(3, 13)]
    assert outbox.count("mqtt") == 1


def test_coalesce_key_keeps_only_the_latest_pending_message(tmp_path):
    outbox = Outbox(Database(tmp_path / "s.sqlite3"), 100)
    outbox.add([("dht", Message("p", "10%", coalesce_key="a1"))])
    outbox.add([("dht", Message("r", "other"))])
    outbox.add([("dht", Message("p", "20%", coalesce_key="a1"))])
    assert [p.message.payload for p in outbox.pending("dht")] == ["other", "20%"]


def test_request_ids_are_taken_once_and_can_be_forgotten(tmp_path):
    seen = SeenRequests(Database(tmp_path / "s.sqlite3"))
    assert seen.first_time("r1")
    assert not seen.first_time("r1")
    assert not SeenRequests(Database(tmp_path / "s.sqlite3")).first_time("r1")  # persisted
    seen.forget("r1")
    assert seen.first_time("r1")
