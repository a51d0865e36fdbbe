"""A message the bus can never accept is set aside with its reason; the sender goes on (issue 18,
item 4). A real Mosquitto; the bad message is written straight into the outbox, as someone with
write access to it (or to the queue's Redis) could."""

from __future__ import annotations

import sqlite3
import time

import requests

from app.bus import STALLED_AFTER_S, build_bus
from app.bus.events import ResultEvent
from app.config import Settings
from app.store.db import Database
from app.store.entity_slugs import EntitySlugs
from app.store.outbox import Message, Outbox
from tests.bus.broker import Subscriber
from tests.bus.test_mqtt import CAMERA_VALUE, make_bus
from tests.bus.wait import until
from tests.e2e.server import start_server, stop_server

HUGE_TOPIC = "home/faces/" + "x" * 100_000


def test_an_unsendable_message_is_dead_lettered_and_the_sender_goes_on(tmp_path, broker):
    sub = Subscriber(broker.port, ["home/faces/#"])
    for run in range(2):  # and again after a restart
        bus = make_bus(tmp_path, broker.url)
        bus.outbox.add([("mqtt", Message(HUGE_TOPIC, f"poison {run}"))])
        bus.start()
        try:
            bus.publish(ResultEvent({**CAMERA_VALUE, "request_id": f"after-{run}"}))
            sub.wait_for(f"result {run}", lambda m, run=run: f'"after-{run}"' in m.payload)
            until(lambda bus=bus: bus.outbox.count("mqtt") == 0, "outbox drained")
        finally:
            bus.stop()
        letters = bus.outbox.dead_letters("mqtt")
        assert [letter.message.payload for letter in letters] == [
            f"poison {r}" for r in range(run + 1)
        ]
        assert all(letter.reason for letter in letters)
        assert bus.health()["mqtt"]["dead_letters"] == run + 1
    sub.close()


def test_health_names_a_stalled_destination(tmp_path, broker):
    now = [1000.0]
    settings = Settings(state_dir=tmp_path / "state", mqtt_url=broker.url, bus_retry_max_s=1)
    db = Database(tmp_path / "outbox.sqlite3")
    bus = build_bus(settings, Outbox(db, 100, lambda: now[0]), EntitySlugs(db))
    broker.stop()  # nothing can be delivered
    bus.start()
    try:
        bus.publish(ResultEvent(CAMERA_VALUE))
        assert bus.health()["mqtt"]["stalled"] is False  # it has only just been stored
        now[0] += STALLED_AFTER_S + 1
        health = bus.health()["mqtt"]
        assert health["stalled"] is True and health["pending"] > 0
    finally:
        bus.stop()


def test_the_served_health_counts_what_was_set_aside(tmp_path, broker):
    server = start_server(tmp_path / "served", MQTT_URL=broker.url)
    try:
        with sqlite3.connect(server.state_dir / "state.sqlite3") as db:  # written from outside
            db.execute(
                "INSERT INTO outbox (destination, topic, payload, created) VALUES (?, ?, ?, ?)",
                ("mqtt", HUGE_TOPIC, "poison", time.time()),
            )

        def mqtt() -> dict:
            return requests.get(f"{server.url}/health", timeout=10).json()["bus"]["mqtt"]

        until(lambda: mqtt()["dead_letters"] == 1, "the poison is set aside")
        assert mqtt()["stalled"] is False
    finally:
        stop_server(server)
