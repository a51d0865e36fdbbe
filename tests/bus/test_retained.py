"""What the service leaves retained on MQTT goes when what it is about goes, and an ad-hoc camera
URL leaves nothing behind (issue 18, item 12). A real Mosquitto; a fresh subscriber is sent
every retained message at once."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.bus.events import EntityEvent, ResultEvent, WatchEvent
from app.domain import CameraEvent
from tests.bus.broker import PASSWORD, USER, Subscriber
from tests.bus.test_mqtt import CAMERA_VALUE, make_bus

P = "home/faces"
MARKER = "test/marker"


def retained(port: int) -> dict[str, str]:
    """Every retained message under P: a fresh client subscribes to P/# and then to a retained
    marker; the broker sends a subscription's retained messages as it takes the subscription,
    so by the marker's arrival all of P's have come."""
    found: dict[str, str] = {}
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.username_pw_set(USER, PASSWORD)

    def on_message(c: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == MARKER:
            done.set()
        elif msg.retain:
            found[msg.topic] = msg.payload.decode()

    def on_connect(c: mqtt.Client, *_: object) -> None:
        c.subscribe(f"{P}/#", 1)
        c.subscribe(MARKER, 1)

    client.on_connect = on_connect
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert done.wait(10), "no retained marker"
    finally:
        client.disconnect()
        client.loop_stop()
    return found


def publish_marker(port: int) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.username_pw_set(USER, PASSWORD)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(MARKER, "here", 1, retain=True).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_deletes_clear_what_they_retained_and_ad_hoc_urls_retain_nothing(tmp_path, broker):
    publish_marker(broker.port)
    sub = Subscriber(broker.port, [f"{P}/#"])
    bus = make_bus(tmp_path, broker.url)
    bus.start()
    try:
        ad_hoc = {**CAMERA_VALUE, "file_name": "rtsp://10.0.0.9:554", "request_id": "adhoc"}
        bus.publish(ResultEvent(ad_hoc))
        bus.publish(EntityEvent("camera", "hall", True))
        bus.publish(EntityEvent("resident", "Alice", True))
        bus.publish(WatchEvent(CameraEvent("recognized", "hall", "Alice", 1.0, 90, 0)))
        sub.wait_for("hall's event", lambda m: m.topic == f"{P}/hall/event")
        before = retained(broker.port)
        assert before[f"{P}/hall/last_resident"] == "Alice"
        assert not [t for t in before if "10_0_0_9" in t or "rtsp" in t], before
        bus.publish(EntityEvent("camera", "hall", False))
        bus.publish(EntityEvent("resident", "Alice", False))
        bus.publish(ResultEvent({**CAMERA_VALUE, "request_id": "last"}))
        sub.wait_for("the last result", lambda m: '"last"' in m.payload)
        after = retained(broker.port)
        assert not [t for t in after if "/hall/" in t or "alice" in t.lower()], after
    finally:
        bus.stop()
        sub.close()
