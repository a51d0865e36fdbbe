"""What each bus is sent for an event, rendered without a broker (app/bus/*_render.py,
app/bus/ha_discovery.py): the transports only carry these messages."""

from __future__ import annotations

import json

import pytest

from app.bus.dht_render import DhtRenderer
from app.bus.events import EntityEvent, ResultEvent, WatchEvent
from app.bus.ha_discovery import HaDiscovery
from app.bus.mqtt_render import MqttRenderer
from app.bus.mqtt_topics import MqttTopics
from app.domain import CameraEvent
from app.sifis import EVENTS_TOPIC, RESULTS_TOPIC
from app.store.db import Database
from app.store.entity_slugs import EntitySlugs
from tests.bus.test_mqtt import CAMERA_VALUE

RESULT = CAMERA_VALUE


@pytest.fixture
def slugs(tmp_path) -> EntitySlugs:
    return EntitySlugs(Database(tmp_path / "state.sqlite3"))


def mqtt(slugs: EntitySlugs, discovery_prefix: str = "homeassistant") -> MqttRenderer:
    topics = MqttTopics("home/faces/", slugs)
    discovery = HaDiscovery(topics, discovery_prefix, ["porch"]) if discovery_prefix else None
    return MqttRenderer(topics, discovery, clock=lambda: 1234.5)


def test_a_camera_result_gives_sightings_the_last_resident_and_the_value(slugs):
    messages = mqtt(slugs).render(ResultEvent(RESULT))
    assert [(m.topic, m.retain) for m in messages] == [
        ("home/faces/tracked_object_update", False),
        ("home/faces/tracked_object_update", False),
        ("home/faces/porch/last_resident", True),
        ("home/faces/results", False),
    ]
    first = json.loads(messages[0].payload)
    assert first == {
        "type": "face",
        "name": "Alice",
        "score": 0.93,
        "camera": "porch",
        "timestamp": 1234.5,
        "request_id": "r1",
        "analysis_id": "an1",
    }
    assert messages[2].payload == "Bob"  # seen last
    assert json.loads(messages[3].payload) == RESULT


def test_a_camera_given_by_url_retains_nothing(slugs):
    value = {**RESULT, "file_name": "rtsp://10.0.0.5:554"}
    messages = mqtt(slugs).render(ResultEvent(value))
    assert not any(m.retain for m in messages)


def test_a_recognition_says_where_before_it_says_home(slugs):
    event = CameraEvent("recognized", "porch", "Alice", 0.0, 90, 17, id=7)
    topics = [m.topic for m in mqtt(slugs).render(WatchEvent(event))]
    presence = f"home/faces/presence/{slugs.of('resident', 'Alice')}"
    assert topics == [
        "home/faces/events",
        f"{presence}/last_seen",
        presence,
        "home/faces/porch/last_resident",
        "home/faces/porch/event",
    ]


def test_a_resident_that_goes_takes_its_entities_and_states_with_it(slugs):
    renderer = mqtt(slugs)
    came = renderer.render(EntityEvent("resident", "Alice", present=True))
    slug = slugs.of("resident", "Alice")
    went = renderer.render(EntityEvent("resident", "Alice", present=False))
    assert [m.topic for m in went] == [m.topic for m in came] + [
        f"home/faces/presence/{slug}/last_seen"
    ]
    assert all(m.payload == "" and m.retain for m in went)  # empty + retained = removed
    tracker = json.loads(next(m.payload for m in came if "/device_tracker/" in m.topic))
    assert (tracker["payload_home"], tracker["state_topic"]) == (
        "ON",
        f"home/faces/presence/{slug}",
    )


def test_without_a_discovery_prefix_there_are_no_entities(slugs):
    renderer = mqtt(slugs, discovery_prefix="")
    assert renderer.greeting() == []
    assert renderer.render(EntityEvent("camera", "porch", present=True)) == []


def test_the_dht_gets_envelopes_and_no_entities():
    renderer = DhtRenderer("uuid-1")
    (result,) = renderer.render(ResultEvent(RESULT))
    frame = json.loads(result.payload)["RequestPostTopicUUID"]
    assert (result.topic, frame["topic_name"], frame["topic_uuid"]) == (
        RESULTS_TOPIC,
        RESULTS_TOPIC,
        "uuid-1",
    )
    assert frame["value"] == RESULT
    event = CameraEvent("unknown", "porch", None, 0.0, id=3)
    (watched,) = renderer.render(WatchEvent(event))
    assert watched.topic == EVENTS_TOPIC
    assert renderer.render(EntityEvent("resident", "Alice", present=True)) == []
