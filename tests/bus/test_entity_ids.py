"""Home Assistant entity ids and MQTT topics are unique and stable per resident and camera, and
names are shown as written (issue 18, item 6): a real Mosquitto, read by a real subscriber."""

from __future__ import annotations

import json

from app.bus.events import EntityEvent
from tests.bus.broker import Subscriber
from tests.bus.test_mqtt import make_bus
from tests.bus.wait import until

RESIDENTS = ["Ann-Marie", "Ann Marie", "Мария", "Ἀλέξανδρος", "李雷"]
CAMERAS = ["Porch", "porch"]


def configs(sub: Subscriber) -> dict[str, dict]:
    """The latest non-empty discovery config on each topic."""
    latest: dict[str, str] = {}
    for m in sub.messages:
        if m.topic.startswith("homeassistant/") and m.topic.endswith("/config"):
            latest[m.topic] = m.payload
    return {topic: json.loads(payload) for topic, payload in latest.items() if payload}


def announce(bus, present: bool = True) -> None:
    for name in RESIDENTS:
        bus.publish(EntityEvent("resident", name, present))
    for name in CAMERAS:
        bus.publish(EntityEvent("camera", name, present))


def test_entities_of_look_alike_names_are_distinct_and_stable(tmp_path, broker):
    sub = Subscriber(broker.port, ["homeassistant/#", "home/faces/#"])
    bus = make_bus(tmp_path, broker.url)
    bus.start()
    # presence, last seen and a device tracker per resident; unknown and face per camera; a
    # last-resident sensor per source (the cameras, make_bus's configured `porch`, `files`)
    sources = {*CAMERAS, "porch", "files"}
    per_entity = 3 * len(RESIDENTS) + 2 * len(CAMERAS) + len(sources)
    try:
        announce(bus)
        until(lambda: len(configs(sub)) >= per_entity, "every entity's config")
        first = configs(sub)
        object_ids = [c["object_id"] for c in first.values() if "object_id" in c]
        assert len(object_ids) == len(set(object_ids)) == 3 * len(RESIDENTS) + 2 * len(CAMERAS)
        unique_ids = [c["unique_id"] for c in first.values()]
        assert len(unique_ids) == len(set(unique_ids))
        state_topics = [c["state_topic"] for c in first.values() if "presence" in c["unique_id"]]
        assert len(set(state_topics)) == len(RESIDENTS)
        trackers = [c for t, c in first.items() if "/device_tracker/" in t]
        assert len(trackers) == len(RESIDENTS)  # each on its resident's presence topic
        assert {c["state_topic"] for c in trackers} == set(state_topics)
        names = {c["name"] for c in first.values()}
        assert {f"{r} presence" for r in RESIDENTS} <= names  # shown as written
        bus.publish(EntityEvent("resident", "Ann Marie", present=False))
        until(lambda: len(configs(sub)) == len(first) - 3, "Ann Marie's entities removed")
        assert {c["name"] for c in configs(sub).values()} >= {"Ann-Marie presence"}
    finally:
        bus.stop()
    again = make_bus(tmp_path, broker.url)  # a restart: the same entities keep their ids
    again.start()
    try:
        sub.messages.clear()
        announce(again)
        until(lambda: len(configs(sub)) >= per_entity, "every entity's config, again")
        kept = {t: c for t, c in first.items() if "Ann Marie" not in c["name"]}
        assert {t: configs(sub)[t] for t in kept} == kept
    finally:
        again.stop()
        sub.close()
