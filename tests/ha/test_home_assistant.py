"""The discovery messages checked by a real Home Assistant (tests/ha/hass.py): the documented
entities exist, turn on when Alice walks past a loopback camera, off after PRESENCE_TIMEOUT_S,
and a removed camera's entities disappear."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
import requests

from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server
from tests.ha.hass import HomeAssistant

pytestmark = pytest.mark.homeassistant
PRESENCE_TIMEOUT_S = 4


@pytest.fixture(scope="module")
def hass(tmp_path_factory, broker) -> Iterator[HomeAssistant]:
    home = HomeAssistant(tmp_path_factory.mktemp("hass")).start()
    try:
        home.onboard()
        home.add_mqtt(broker.port)
        yield home
    finally:
        home.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, broker, hass) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("ha-server"),
        MQTT_URL=broker.url,
        CAMERA_HOSTS='["127.0.0.1"]',
        PRESENCE_TIMEOUT_S=str(PRESENCE_TIMEOUT_S),
    )
    yield running
    stop_server(running)


def state(hass: HomeAssistant, entity_id: str) -> str | None:
    found = hass.state(entity_id)
    return found["state"] if found else None


def test_home_assistant_shows_presence_from_a_watched_camera(hass, server, tmp_path):
    for resident in ("alice", "bob", "carol"):
        until(
            lambda r=resident: state(hass, f"binary_sensor.pafr_presence_{r}") == "off",
            f"{resident}'s presence entity, off",
            60,
        )
        until(
            lambda r=resident: hass.state(f"sensor.pafr_last_seen_{r}") is not None,
            f"{resident}'s last-seen entity",
            30,
        )
    alice = hass.state("binary_sensor.pafr_presence_alice")
    assert alice["attributes"]["device_class"] == "presence"

    alice_photo, empty_hall = FACES / "img5.jpg", tmp_path / "empty.jpg"
    # the same size: a camera keeps its resolution, and the decoder scales frames to the first's
    cv2.imwrite(str(empty_hall), np.full(cv2.imread(str(alice_photo)).shape, 90, np.uint8))
    with MjpegCamera(empty_hall, fps=15) as cam:
        body = {"name": "hall", "url": f"{cam.url}/live.mjpg", "watch": True}
        assert requests.post(f"{server.url}/cameras", json=body, timeout=10).status_code == 201
        until(lambda: state(hass, "binary_sensor.pafr_unknown_hall") == "off", "hall's sensor", 60)
        # an event is not retained: Alice walks up once Home Assistant listens for it
        until(lambda: hass.state("event.pafr_face_hall") is not None, "hall's event entity", 60)
        cam.show(alice_photo)
        until(lambda: state(hass, "binary_sensor.pafr_presence_alice") == "on", "Alice home", 60)
        # Home Assistant applies the state and the attributes topic separately: wait for both
        until(
            lambda: (
                (hass.state("sensor.pafr_last_seen_alice") or {})
                .get("attributes", {})
                .get("camera")
                == "hall"
            ),
            "Alice last seen on the hall camera",
            30,
        )
        seen = hass.state("sensor.pafr_last_seen_alice")
        assert seen["state"].startswith("20")  # an ISO timestamp
        until(
            lambda: (
                hass.state("event.pafr_face_hall")["attributes"].get("event_type") == "recognized"
            ),
            "the hall's face event",
            30,
        )
        assert hass.state("event.pafr_face_hall")["attributes"]["resident"] == "Alice"
        assert state(hass, "binary_sensor.pafr_presence_bob") == "off"
        assert requests.delete(f"{server.url}/cameras/hall", timeout=10).status_code == 200

    until(
        lambda: state(hass, "binary_sensor.pafr_presence_alice") == "off",
        "Alice gone after the timeout",
        PRESENCE_TIMEOUT_S + 30,
    )
    until(lambda: hass.state("event.pafr_face_hall") is None, "hall's entities removed", 30)
    until(
        lambda: hass.state("binary_sensor.pafr_unknown_hall") is None, "hall's sensor removed", 30
    )
