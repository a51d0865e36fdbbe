"""The buses through the real `python -m app serve` process (real models, loopback DHT node, real
Mosquitto): HTTP results published, DHT-driven requests, and the outbox across a restart."""

from __future__ import annotations

import json
import shutil
import sqlite3

from app.sifis import REQUEST_TOPIC as REQUEST_TOPIC
from app.sifis import RESULTS_TOPIC
from tests.bus.broker import Subscriber
from tests.bus.dht_server import DhtServer
from tests.conftest import FACES
from tests.e2e.server import free_port, start_server, stop_server

ALICE = FACES / "img5.jpg"  # person01 = Alice, not one of her gallery photos
PHOTO = [("file", ("photo.jpg", ALICE.read_bytes(), "image/jpeg"))]


def result_for(request_id: str):
    return lambda p: p["topic_name"] == RESULTS_TOPIC and p["value"]["request_id"] == request_id


def test_http_results_are_published_on_both_buses(tmp_path, dht, broker):
    sub = Subscriber(broker.port, ["face_recognition/#"])
    server = start_server(tmp_path / "svc", DHT_URL=dht.url, MQTT_URL=broker.url)
    try:
        reply = server.raw("POST", "/check_directory/photo.jpg/0/a1/NSSD/http-1", PHOTO)
        assert reply.status == 200, reply.body
        sent = reply.body["RequestPostTopicUUID"]
        post = dht.wait_post(result_for("http-1"))
        face = json.loads(sub.wait("face_recognition/tracked_object_update").payload)
        sub.wait("face_recognition/results")  # the last of the analysis's messages
    finally:
        stop_server(server)
        sub.close()
    assert post == {k: sent[k] for k in ("topic_name", "topic_uuid", "value")}
    assert [r["name"] for r in post["value"]["residents"]] == ["Alice"]
    assert (face["type"], face["name"], face["camera"]) == ("face", "Alice", "files")
    assert face["request_id"] == "http-1"
    late = Subscriber(broker.port, ["face_recognition/files/last_resident"])  # retained
    try:
        state = late.wait("face_recognition/files/last_resident")
    finally:
        late.close()
    assert (state.payload, state.retain) == ("Alice", True)


def test_bus_driven_requests_are_analysed_once_and_confined_to_media_dir(tmp_path, dht):
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(ALICE, media / "visit.jpg")
    shutil.copy(ALICE, tmp_path / "outside.jpg")  # would name Alice if it were ever read
    server = start_server(
        tmp_path / "svc", DHT_URL=dht.url, DHT_SUBSCRIBE="true", MEDIA_DIR=str(media)
    )
    request = {
        "requestor_id": "a1",
        "requestor_type": "NSSD",
        "request_id": "bus-1",
        "Type": "Video_file",
        "file_name": "visit.jpg",
        "database_path": "/app/database",
        "privacy_parameter": 17,
    }
    try:
        dht.wait_clients(1)
        dht.inject(REQUEST_TOPIC, "Face_Recognition", request)
        result = dht.wait_post(result_for("bus-1"))["value"]
        dht.inject(REQUEST_TOPIC, "Face_Recognition", request)  # re-delivered (a resync)
        for rid, name in (("bus-2", "../../etc/passwd"), ("bus-3", "../outside.jpg")):
            dht.inject(
                REQUEST_TOPIC, "Face_Recognition", {**request, "request_id": rid, "file_name": name}
            )
        errors = [dht.wait_post(result_for(rid))["value"] for rid in ("bus-2", "bus-3")]
    finally:
        stop_server(server)
    assert [r["name"] for r in result["residents"]] == ["Alice"]
    assert (result["Type"], result["file_name"], result["Privacy_Parameter"]) == (
        "Image_file",
        "visit.jpg",
        17,
    )
    for error in errors:
        assert error["error"]["code"] == "invalid_parameter"
        assert "residents" not in error and error["requestor_id"] == "a1"
    # The same request re-delivered was not analysed again: one result, one audit row.
    assert len([p for p in dht.posts if result_for("bus-1")(p)]) == 1
    with sqlite3.connect(server.state_dir / "state.sqlite3") as db:
        rows = db.execute("SELECT outcome FROM audit WHERE request_id = 'bus-1'").fetchall()
    assert rows == [("ok",)]


def test_results_left_in_the_outbox_are_delivered_after_a_restart(tmp_path):
    node = DhtServer(free_port())  # down while the service runs
    base = tmp_path / "svc"
    server = start_server(base, DHT_URL=node.url, BUS_RETRY_MAX_S="0.5")
    try:
        reply = server.raw("POST", "/check_directory/photo.jpg/0/a1/NSSD/restart-1", PHOTO)
    finally:
        stop_server(server)
    assert reply.status == 200  # the bus being down neither failed nor blocked the analysis
    with sqlite3.connect(server.state_dir / "state.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM outbox").fetchone() == (1,)
    node.start()
    server = start_server(base, DHT_URL=node.url)
    try:
        post = node.wait_post(result_for("restart-1"))
    finally:
        stop_server(server)
        node.stop()
    assert post["value"] == reply.body["RequestPostTopicUUID"]["value"]
