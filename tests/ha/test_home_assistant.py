"""The discovery messages checked by a real Home Assistant (tests/ha/hass.py) configured with the
YAML of docs/home-assistant.md (tests/ha/guide.py): the documented entities exist, turn on (and
Alice's tracker `home`, and her person with it) when Alice walks past a loopback camera, off
after PRESENCE_TIMEOUT_S, and a removed camera's or resident's entities disappear; the guide's
automations and person are loaded, and one of them runs when Alice comes home."""

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
from tests.ha import guide
from tests.ha.hass import HomeAssistant

pytestmark = pytest.mark.homeassistant
PRESENCE_TIMEOUT_S = 4


@pytest.fixture(scope="module")
def hass(tmp_path_factory, broker) -> Iterator[HomeAssistant]:
    home = HomeAssistant(tmp_path_factory.mktemp("hass"))
    guide.install(home.folder)
    home.start()
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


def automation_of(hass: HomeAssistant, automation_id: str) -> dict | None:
    """The state of the automation with that `id` (its entity id comes from its alias)."""
    found = [a for a in hass.states() if a["attributes"].get("id") == automation_id]
    return found[0] if found else None


def tracker_reads(hass: HomeAssistant, entity_id: str) -> tuple[str, str] | None:
    """A tracker's state and the camera of its attributes (Home Assistant applies the state and
    the attributes topic separately)."""
    found = hass.state(entity_id)
    return (found["state"], found["attributes"].get("camera")) if found else None


def test_every_yaml_block_of_the_guide_is_loaded(hass):
    checked = hass.check_config()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    automations = guide.entries("automation")
    people = guide.entries("person")
    assert automations and people
    for automation in automations:
        until(
            lambda a=automation: (automation_of(hass, a["id"]) or {}).get("state") == "on",
            f"the guide's automation {automation['alias']}",
            30,
        )
    for person in people:
        [state] = [p for p in hass.states() if p["attributes"].get("id") == person["id"]]
        assert state["entity_id"].startswith("person.")
        assert state["attributes"]["device_trackers"] == person["device_trackers"]


def test_presence_from_a_watched_camera_and_a_person_following_it(hass, server, tmp_path):
    for resident in ("alice", "bob", "carol"):
        until(
            lambda r=resident: state(hass, f"binary_sensor.pafr_presence_{r}") == "off",
            f"{resident}'s presence entity, off",
            60,
        )
        until(
            lambda r=resident: state(hass, f"device_tracker.pafr_{r}") == "not_home",
            f"{resident}'s tracker, not home",
            30,
        )
        until(
            lambda r=resident: hass.state(f"sensor.pafr_last_seen_{r}") is not None,
            f"{resident}'s last-seen entity",
            30,
        )
    alice = hass.state("binary_sensor.pafr_presence_alice")
    assert alice["attributes"]["device_class"] == "presence"
    until(lambda: state(hass, "person.alice") == "not_home", "the guide's person, not home", 30)
    [welcome] = [a for a in guide.entries("automation") if "person.alice" in str(a["trigger"])]
    assert automation_of(hass, welcome["id"])["attributes"]["last_triggered"] is None

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
            lambda: tracker_reads(hass, "device_tracker.pafr_alice") == ("home", "hall"),
            "Alice's tracker home, last seen on the hall camera",
            30,
        )
        tracker = hass.state("device_tracker.pafr_alice")
        assert tracker["attributes"]["source_type"] == "router"
        assert tracker["attributes"]["at"].startswith("20")
        until(lambda: state(hass, "person.alice") == "home", "Alice's person home", 30)
        until(
            lambda: automation_of(hass, welcome["id"])["attributes"]["last_triggered"],
            "the guide's automation run as Alice came home",
            30,
        )
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
    until(lambda: state(hass, "device_tracker.pafr_alice") == "not_home", "Alice's tracker", 30)
    until(lambda: state(hass, "person.alice") == "not_home", "Alice's person gone out", 30)
    until(lambda: hass.state("event.pafr_face_hall") is None, "hall's entities removed", 30)
    until(
        lambda: hass.state("binary_sensor.pafr_unknown_hall") is None, "hall's sensor removed", 30
    )

    assert requests.delete(f"{server.url}/residents/Carol", timeout=30).status_code == 200
    until(lambda: hass.state("device_tracker.pafr_carol") is None, "Carol's tracker removed", 60)
    assert hass.state("binary_sensor.pafr_presence_carol") is None
    assert state(hass, "device_tracker.pafr_bob") == "not_home"
