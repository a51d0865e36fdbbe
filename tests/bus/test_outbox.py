"""The outbox and the request de-duplication store (SQLite, no network)."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from app.store import bus_requests
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


def test_a_request_is_stored_until_answered_and_taken_once(tmp_path):
    db = Database(tmp_path / "s.sqlite3")
    seen = SeenRequests(db)
    value = {"request_id": "r1", "file_name": "a.jpg"}
    assert seen.take("r1", "topic", value, max_waiting=5) == "waiting"
    assert seen.take("r1", "topic", value, max_waiting=5) is None  # a re-delivery
    again = SeenRequests(Database(tmp_path / "s.sqlite3"))  # after a restart
    assert again.take("r1", "topic", value, max_waiting=5) is None
    (stored,) = again.unanswered()
    assert (stored.request_id, stored.topic, stored.value, stored.runs) == ("r1", "topic", value, 0)
    assert again.started("r1") == 1 and again.started("r1") == 2
    again.stopped("r1")  # a shutdown, not a crash: that run does not count
    assert again.unanswered()[0].runs == 1


def test_an_answer_and_its_request_marked_answered_are_stored_together(tmp_path):
    db = Database(tmp_path / "s.sqlite3")
    seen, outbox = SeenRequests(db), Outbox(db, 100)
    seen.take("r1", "topic", {"request_id": "r1"}, max_waiting=5)
    seen.take("r2", "topic", {"request_id": "r2"}, max_waiting=5)

    def broken(conn):
        seen.answered("r2")(conn)
        raise sqlite3.OperationalError("disk I/O error")

    outbox.add([("dht", Message("t", "answer r1"))], seen.answered("r1"))
    with pytest.raises(sqlite3.OperationalError):
        outbox.add([("dht", Message("t", "answer r2"))], broken)
    assert [r.request_id for r in seen.unanswered()] == ["r2"]  # neither stored for r2
    assert [p.message.payload for p in outbox.pending("dht")] == ["answer r1"]
    assert seen.take("r1", "topic", {"request_id": "r1"}, max_waiting=5) is None


def test_requests_over_the_waiting_bound_are_refused_and_answered_ones_trimmed(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(bus_requests, "TRIM_EVERY", 1)
    seen = SeenRequests(Database(tmp_path / "s.sqlite3"), keep=1, clock=itertools.count().__next__)
    states = [seen.take(f"r{i}", "t", {}, max_waiting=2) for i in range(3)]
    assert states == ["waiting", "waiting", "refused"]
    assert [r.refused for r in seen.unanswered()] == [False, False, True]
    outbox = Outbox(Database(tmp_path / "s.sqlite3"), 100)
    for rid in ("r0", "r1", "r2"):
        outbox.add([("dht", Message("t", rid))], seen.answered(rid))
    seen.take("r3", "t", {}, max_waiting=2)  # trims answered IDs beyond `keep`, never waiting ones
    assert [r.request_id for r in seen.unanswered()] == ["r3"]
    assert seen.take("r2", "t", {}, max_waiting=2) is None  # the newest answered one is kept
    assert seen.take("r0", "t", {}, max_waiting=2) == "waiting"  # older ones were trimmed
