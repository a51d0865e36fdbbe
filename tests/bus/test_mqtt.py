"""MQTT publishing through the outbox to a real Mosquitto broker, read by a real paho subscriber."""

from __future__ import annotations

import json

import pytest

from app.bus import Bus, build_bus
from app.bus.destination import BusMisconfigured
from app.bus.events import ResultEvent
from app.bus.mqtt import BrokerAddress
from app.config import Settings
from app.services import Stores
from tests.bus.broker import Subscriber
from tests.bus.wait import until

CAMERA_VALUE = {
    "description": "Face Recognition Results",
    "requestor_id": "a1",
    "requestor_type": "NSSD",
    "request_id": "r1",
    "analysis_id": "an1",
    "Type": "cam_link",
    "file_name": "porch",
    "residents": [
        {"name": "Alice", "confidence": 93, "last_seen_s": 1.0},
        {"name": "Bob", "confidence": 80, "last_seen_s": 2.5},
    ],
}


def make_bus(tmp_path, url: str) -> Bus:
    settings = Settings(
        state_dir=tmp_path / "state",
        mqtt_url=url,
        mqtt_topic_prefix="home/faces",
        cameras={"porch": "rtsp://10.0.0.5/stream"},
        bus_retry_max_s=1,
    )
    stores = Stores.open(settings)
    return build_bus(settings, stores.outbox, stores.slugs)


@pytest.fixture
def started(tmp_path, broker):
    bus = make_bus(tmp_path, broker.url)
    bus.start()
    yield bus
    bus.stop()


def test_sightings_state_and_result_topics(started, broker):
    sub = Subscriber(broker.port, ["home/faces/#"])
    try:
        started.publish(ResultEvent(CAMERA_VALUE))
        state = sub.wait("home/faces/porch/last_resident")
        result = sub.wait("home/faces/results")
        until(lambda: len([m for m in sub.messages if "tracked" in m.topic]) == 2, "2 sightings")
    finally:
        sub.close()
    faces = [
        json.loads(m.payload) for m in sub.messages if m.topic.endswith("tracked_object_update")
    ]
    assert [(f["type"], f["name"], f["score"], f["camera"]) for f in faces] == [
        ("face", "Alice", 0.93, "porch"),
        ("face", "Bob", 0.8, "porch"),
    ]
    assert {f["request_id"] for f in faces} == {"r1"}
    assert state.payload == "Bob"  # seen last
    assert json.loads(result.payload) == CAMERA_VALUE
    until(lambda: started.outbox.count("mqtt") == 0, "outbox drained")


def test_discovery_and_availability_are_retained(started, broker):
    until(lambda: started.wait_ready(0.1), "connected")
    late = Subscriber(broker.port, ["homeassistant/#", "home/faces/available"])  # after publish
    try:
        porch = late.wait("homeassistant/sensor/home_faces/porch_last_resident/config")
        files = late.wait("homeassistant/sensor/home_faces/files_last_resident/config")
        online = late.wait("home/faces/available")
    finally:
        late.close()
    assert porch.retain and files.retain and online.retain
    assert online.payload == "online"
    config = json.loads(porch.payload)
    assert config["state_topic"] == "home/faces/porch/last_resident"
    assert config["availability_topic"] == "home/faces/available"
    assert config["unique_id"] == "home_faces_porch_last_resident"


def test_offline_after_a_clean_stop(tmp_path, broker):
    bus = make_bus(tmp_path, broker.url)
    bus.start()
    until(lambda: bus.wait_ready(0.1), "connected")
    bus.stop()
    sub = Subscriber(broker.port, ["home/faces/available"])
    try:
        assert sub.wait("home/faces/available").payload == "offline"
    finally:
        sub.close()


def test_wrong_password_keeps_messages_in_the_outbox(tmp_path, broker):
    bus = make_bus(tmp_path, f"mqtt://pafr:wrong@127.0.0.1:{broker.port}")
    bus.start()
    try:
        bus.publish(ResultEvent(CAMERA_VALUE))
        assert not bus.wait_ready(1.0)
        assert bus.outbox.count("mqtt") == 4
    finally:
        bus.stop()


def test_broker_urls():
    assert BrokerAddress.parse("mqtt://u:p%40ss@h") == BrokerAddress("h", 1883, False, "u", "p@ss")
    assert BrokerAddress.parse("mqtts://h:9999") == BrokerAddress("h", 9999, True)
    assert BrokerAddress.parse("mqtts://h").port == 8883
    for bad in ("http://h", "mqtt://", "mqtt://h:port"):
        with pytest.raises(BusMisconfigured):
            BrokerAddress.parse(bad)
