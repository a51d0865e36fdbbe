"""Always-on watching, end to end: the real server, loopback MJPEG cameras, the real Mosquitto.

`porch` (CAMERAS, watched) shows a stranger; `hall` (added through the API) shows Alice; `garage`
(added through the API) is a camera killed and restarted on the same port.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests

from tests.bus.broker import Subscriber
from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, free_port, start_server, stop_server

P, D = "face_recognition", "homeassistant"
PRESENCE_TIMEOUT_S = 4


@pytest.fixture(scope="module")
def alice_cam() -> Iterator[MjpegCamera]:
    with MjpegCamera(FACES / "img5.jpg", fps=15) as cam:
        yield cam


@pytest.fixture(scope="module")
def stranger_cam() -> Iterator[MjpegCamera]:
    with MjpegCamera(FACES / "img3.jpg", fps=15) as cam:  # person02: not in the gallery
        yield cam


@pytest.fixture(scope="module")
def subscriber(broker) -> Iterator[Subscriber]:
    sub = Subscriber(broker.port, [f"{P}/#", f"{D}/#"])
    yield sub
    sub.close()


@pytest.fixture(scope="module")
def watching(tmp_path_factory, broker, subscriber, stranger_cam) -> Iterator[Server]:
    porch = {"url": f"{stranger_cam.url}/live.mjpg", "privacy_parameter": 9, "watch": True}
    running = start_server(
        tmp_path_factory.mktemp("watch"),
        MQTT_URL=broker.url,
        CAMERAS=json.dumps({"porch": porch}),
        CAMERA_HOSTS='["127.0.0.1"]',
        PRESENCE_TIMEOUT_S=str(PRESENCE_TIMEOUT_S),
    )
    yield running
    stop_server(running)


def events(server: Server, **query: str) -> list[dict]:
    response = requests.get(f"{server.url}/events", params=query, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def camera(server: Server, name: str) -> dict:
    response = requests.get(f"{server.url}/cameras/{name}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def add(server: Server, name: str, url: str) -> dict:
    body: dict[str, str | int | bool] = {
        "name": name,
        "url": url,
        "privacy_parameter": 9,
        "watch": True,
        "analysis_fps": 5,
    }
    response = requests.post(f"{server.url}/cameras", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def retained(sub: Subscriber, topic: str, payload: str) -> None:
    sub.wait_for(f"{payload!r} on {topic}", lambda m: m.topic == topic and m.payload == payload)


def test_a_configured_camera_is_watched_and_reports_an_unknown_person(watching, subscriber):
    porch = camera(watching, "porch")
    assert porch["source"] == "config" and porch["watch"] is True
    until(lambda: events(watching, camera="porch", type="unknown"), "an unknown on porch", 60)
    (unknown, *_) = events(watching, camera="porch", type="unknown")
    assert unknown["resident"] is None and unknown["privacy_parameter"] == 9
    assert set(unknown) == {
        "id", "type", "camera", "resident", "time", "confidence", "privacy_parameter",
    }  # fmt: skip
    retained(subscriber, f"{P}/porch/unknown", "ON")
    config = subscriber.wait(f"{D}/binary_sensor/{P}/unknown_porch/config")
    assert json.loads(config.payload)["unique_id"] == "pafr_unknown_porch"
    health = requests.get(f"{watching.url}/health", timeout=10).json()
    assert health["cameras"]["watched"] >= 1 and health["cameras"]["connected"] >= 1


def test_a_resident_on_a_camera_added_at_run_time_is_recognized_then_leaves(
    watching, subscriber, alice_cam
):
    cursor = requests.get(f"{watching.url}/events", timeout=10).json()["cursor"]
    stream = requests.get(
        f"{watching.url}/events/stream", params={"since": cursor}, stream=True, timeout=60
    )
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    hall = add(watching, "hall", f"http://user:secret@{alice_cam.url[7:]}/live.mjpg?token=x")
    assert hall["url"] == f"{alice_cam.url}/live.mjpg"  # no credentials, no query
    assert "secret" not in json.dumps(requests.get(f"{watching.url}/cameras", timeout=10).json())

    received, deadline = {}, time.monotonic() + 60
    for line in stream.iter_lines(decode_unicode=True):  # a keepalive comes every 15 s
        if line.startswith("data: "):
            received = json.loads(line[6:])
        if received.get("type") == "recognized" or time.monotonic() > deadline:
            break
    stream.close()
    assert received["camera"] == "hall" and received["resident"] == "Alice"
    assert 50 <= received["confidence"] <= 100
    assert received["id"] > cursor

    (event,) = events(watching, since=str(cursor), resident="Alice", type="recognized")
    assert event == received
    retained(subscriber, f"{P}/presence/alice", "ON")
    published = subscriber.wait_for(
        "Alice's event", lambda m: m.topic == f"{P}/events" and '"Alice"' in m.payload
    )
    assert json.loads(published.payload) == event
    seen = json.loads(subscriber.wait(f"{P}/presence/alice/last_seen").payload)
    assert seen["camera"] == "hall"
    config = json.loads(subscriber.wait(f"{D}/binary_sensor/{P}/presence_alice/config").payload)
    assert config["device_class"] == "presence" and config["unique_id"] == "pafr_presence_alice"
    assert camera(watching, "hall")["status"]["state"] == "connected"

    response = requests.delete(f"{watching.url}/cameras/hall", timeout=10)
    assert response.status_code == 200 and response.json()["status"]["state"] == "stopped"
    assert requests.get(f"{watching.url}/cameras/hall", timeout=10).status_code == 404
    until(
        lambda: events(watching, since=str(event["id"]), type="left"),
        "Alice left",
        PRESENCE_TIMEOUT_S + 30,
    )
    (left,) = events(watching, since=str(event["id"]), type="left")
    assert left["resident"] == "Alice" and left["camera"] == "hall"
    assert left["time"] - event["time"] >= PRESENCE_TIMEOUT_S
    retained(subscriber, f"{P}/presence/alice", "OFF")
    retained(subscriber, f"{D}/event/{P}/face_hall/config", "")  # the camera's entities go


def test_a_camera_down_and_back_reconnects_and_events_resume(watching):
    port = free_port()
    cam = MjpegCamera(FACES / "img5.jpg", fps=15, port=port).__enter__()
    add(watching, "garage", f"http://127.0.0.1:{port}/live.mjpg")
    try:
        until(lambda: events(watching, camera="garage", type="recognized"), "Alice", 60)
        first = events(watching, camera="garage")[-1]["id"]
        cam.__exit__()
        until(
            lambda: camera(watching, "garage")["status"]["state"] in ("error", "connecting"),
            "the watcher noticing the camera is gone",
            30,
        )
        assert camera(watching, "garage")["status"]["last_error"]
        cam = MjpegCamera(FACES / "img5.jpg", fps=15, port=port).__enter__()
        until(
            lambda: camera(watching, "garage")["status"]["state"] == "connected",
            "connected again",
            30,
        )
        until(
            lambda: events(watching, camera="garage", since=str(first), type="recognized"),
            "events resuming",
            60,
        )
        until(lambda: camera(watching, "garage")["status"]["fps_in"] > 0, "frames counted", 10)
        assert camera(watching, "garage")["status"]["last_frame_at"] is not None
    finally:
        cam.__exit__()
        requests.delete(f"{watching.url}/cameras/garage", timeout=10)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "url": "file:///etc/passwd"}, 400, "invalid_cam_link"),
        ({"name": "x", "url": "http://10.1.2.3/cam"}, 403, "camera_host_forbidden"),
        ({"name": "../x", "url": "0"}, 400, "invalid_parameter"),
        ({"name": "x", "url": "0", "privacy_parameter": 4}, 400, "invalid_privacy_parameter"),
        ({"name": "x", "url": "0", "analysis_fps": 0}, 400, "invalid_parameter"),
        ({"name": "x", "url": "0", "colour": "red"}, 400, "invalid_parameter"),
        ({"name": "porch", "url": "0"}, 409, "camera_exists"),
    ],
)
def test_bad_cameras_are_refused(watching, body, status, code):
    response = requests.post(f"{watching.url}/cameras", json=body, timeout=10)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_configured_cameras_are_read_only(watching):
    response = requests.patch(f"{watching.url}/cameras/porch", json={"watch": False}, timeout=10)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "camera_read_only"


def test_events_query_is_validated(watching):
    for query in ({"type": "party"}, {"since": "-1"}, {"limit": "0"}):
        response = requests.get(f"{watching.url}/events", params=query, timeout=10)
        assert response.status_code == 400, query


def test_a_closed_event_stream_frees_its_slot_within_seconds(watching):
    """EVENT_STREAM_CLIENTS (4) streams opened and closed: the next one is admitted within a
    few seconds, long before the 15 s keepalive would have found the closed connections."""

    def open_stream() -> requests.Response:
        return requests.get(f"{watching.url}/events/stream", stream=True, timeout=10)

    streams = [open_stream() for _ in range(4)]
    assert all(s.status_code == 200 for s in streams)
    refused = open_stream()
    assert refused.status_code == 503
    refused.close()
    for s in streams:
        s.close()
    admitted: list[requests.Response] = []

    def slot_free() -> bool:
        response = open_stream()
        if response.status_code == 200:
            admitted.append(response)
            return True
        response.close()
        return False

    until(slot_free, "a stream admitted after the others closed", 5)
    admitted[0].close()
