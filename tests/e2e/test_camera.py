"""POST /cam_face_recognition against a real MJPEG-over-HTTP camera served on loopback."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
import requests

from tests.e2e.test_check_directory import REQUEST_ID, REQUESTOR_ID, value_of


def cam_url(server, link: str, privacy: int = 9) -> str:
    return f"{server.url}/cam_face_recognition/{link}/{privacy}/{REQUESTOR_ID}/NSSD/{REQUEST_ID}"


@pytest.mark.parametrize("encode", [False, True], ids=["raw-url", "percent-encoded-url"])
def test_a_camera_url_showing_a_resident_reports_her(server, camera, encode):
    link = f"{camera.url}/live.mjpg"
    started = time.monotonic()
    response = requests.post(
        cam_url(server, quote(link, safe="") if encode else link),
        data={"path": "/app/database", "duration": "20"},
        timeout=60,
    )
    value = value_of(response)
    assert value["Type"] == "cam_link"
    assert value["file_name"] == camera.url  # scheme://host:port, never the URL's path
    assert value["Privacy_Parameter"] == 9
    assert [r["name"] for r in value["residents"]] == ["Alice"]
    assert value["analysed_frames"] >= 2
    assert time.monotonic() - started < 15  # stopped early once Alice was recognised


def test_a_named_camera_watched_for_the_whole_duration(server):
    started = time.monotonic()
    response = requests.post(
        cam_url(server, "porch"), params={"duration": "2", "stop_early": "0"}, timeout=60
    )
    value = value_of(response)
    assert time.monotonic() - started >= 2
    assert value["file_name"] == "porch"
    (alice,) = value["residents"]
    assert alice["name"] == "Alice"
    assert 0 <= alice["first_seen_s"] <= alice["last_seen_s"] <= 3
    assert value["count_frames"] >= value["analysed_frames"] >= 5


@pytest.mark.parametrize(
    "stream, message",
    [("silent.mjpg", "did not answer"), ("brief.mjpg", "stopped sending after 3 frame(s)")],
)
def test_a_camera_that_hangs_or_stops_sending_is_a_504(server, camera, stream, message):
    response = requests.post(
        cam_url(server, f"{camera.url}/{stream}"), data={"stop_early": "no"}, timeout=60
    )
    assert response.status_code == 504, response.text
    error = response.json()["error"]
    assert error["code"] == "camera_timeout" and message in error["message"]
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
