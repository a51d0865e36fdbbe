"""DHT publishing through the outbox, against the loopback DHT node (no models)."""

from __future__ import annotations

import json

import websocket

from app.bus import Bus, build_bus
from app.bus.events import ResultEvent
from app.config import Settings
from app.services import Stores
from app.sifis import FRAME_RESULTS_TOPIC, RESULTS_TOPIC, RequestIds
from tests.bus.dht_server import DhtServer
from tests.bus.wait import until
from tests.e2e.server import free_port


def make_bus(state_dir, dht_url: str) -> Bus:
    settings = Settings(state_dir=state_dir, dht_url=dht_url, bus_retry_max_s=0.5)
    stores = Stores.open(settings)
    return build_bus(settings, stores.outbox, stores.slugs)


def value(request_id: str) -> dict:
    return {
        "description": "Face Recognition Results",
        "requestor_id": "a1",
        "requestor_type": "NSSD",
        "request_id": request_id,
        "analysis_id": f"an-{request_id}",
        "Type": "Image_file",
        "file_name": "photo.jpg",
        "residents": [{"name": "Alice", "confidence": 90, "last_seen_s": 0.0}],
    }


def drained(bus: Bus) -> bool:
    return bus.outbox.count("dht") == 0


def test_results_arrive_on_the_results_topic_with_their_ids(dht, tmp_path):
    bus = make_bus(tmp_path, dht.url)
    bus.start()
    try:
        bus.publish(ResultEvent(value("r1")))
        post = dht.wait_post(lambda p: p["value"]["request_id"] == "r1")
        until(lambda: drained(bus), "outbox drained once the echo came back")
    finally:
        bus.stop()
    assert post["topic_name"] == RESULTS_TOPIC == "SIFIS:Privacy_Aware_Face_Recognition_Results"
    assert post["topic_uuid"] == "Face_Recognition_Results"
    assert post["value"] == value("r1")


def test_dht_down_during_the_analysis_then_up_delivers(tmp_path):
    node = DhtServer(free_port())  # not listening yet
    bus = make_bus(tmp_path, node.url)
    bus.start()
    try:
        bus.publish(ResultEvent(value("r2")))  # returns at once: the bus is down
        assert bus.outbox.count("dht") == 1
        node.start()
        node.wait_post(lambda p: p["value"]["request_id"] == "r2")
        until(lambda: drained(bus), "outbox drained")
        node.stop()  # down again: the client reconnects when it is back
        bus.publish(ResultEvent(value("r3")))
        node.start()
        node.wait_post(lambda p: p["value"]["request_id"] == "r3")
    finally:
        bus.stop()
        node.stop()


def test_messages_left_in_the_outbox_are_delivered_after_a_restart(tmp_path):
    node = DhtServer(free_port())
    first = make_bus(tmp_path, node.url)
    first.start()
    for rid in ("r4", "r5", "r6"):
        first.publish(ResultEvent(value(rid)))
    first.stop()
    node.start()
    second = make_bus(tmp_path, node.url)
    second.start()
    try:
        until(lambda: drained(second), "outbox drained after the restart")
    finally:
        second.stop()
        node.stop()
    assert [p["value"]["request_id"] for p in node.posts] == ["r4", "r5", "r6"]  # in order


def test_progress_is_throttled_and_only_the_latest_waits(tmp_path):
    now = [0.0]
    bus = make_bus(tmp_path, "ws://127.0.0.1:9/ws")  # never started
    report = bus.progress(RequestIds("a1", "NSSD", "r7"), "an7", "v.mp4", 5.0, lambda: now[0])
    assert report is not None
    for second in range(1, 21):
        now[0] = float(second)
        report(second * 10, 200)
    (pending,) = bus.outbox.pending("dht")
    frame = json.loads(pending.message.payload)["RequestPostTopicUUID"]
    assert frame["topic_name"] == FRAME_RESULTS_TOPIC
    assert frame["value"]["frames_done"] == 200
    assert frame["value"]["request_id"] == "r7"


def test_the_test_node_drops_a_client_on_a_malformed_frame(dht):
    ws = websocket.create_connection(dht.url, timeout=5)
    dht.wait_clients(1)
    ws.send("{not json")
    until(lambda: dht.client_count == 0, "client dropped")
    ws.close()


def test_the_test_node_echoes_posts_to_the_poster(dht):
    ws = websocket.create_connection(dht.url, timeout=5)
    post = {"topic_name": "T", "topic_uuid": "U", "value": {"x": 1}}
    ws.send(json.dumps({"RequestPostTopicUUID": post}))
    assert json.loads(ws.recv()) == {"Persistent": {**post, "deleted": False}}
    ws.close()
