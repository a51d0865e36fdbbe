"""A second server with an API key, one analysis worker, no queue and a short wall-clock limit."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.conftest import FACES
from tests.e2e.server import start_server, stop_server

KEY = "s3cret-key"
CHECK = "/check_directory/a.jpg/17/a1/NSSD/r1"
CAMERA = "/cam_face_recognition/porch/0/a1/NSSD/r2"


@pytest.fixture(scope="module")
def locked(tmp_path_factory, camera):
    running = start_server(
        tmp_path_factory.mktemp("locked"),
        API_KEY=KEY,
        ANALYSIS_WORKERS="1",
        ANALYSIS_QUEUE="0",
        REQUEST_TIMEOUT_S="3",
        CAMERAS=json.dumps({"porch": f"{camera.url}/live.mjpg"}),
    )
    yield running
    stop_server(running)


def post(server, path: str, key: str | None = KEY, **kwargs) -> requests.Response:
    headers = {} if key is None else {"X-API-Key": key}
    return requests.post(f"{server.url}{path}", headers=headers, timeout=60, **kwargs)


def test_health_needs_no_key_but_everything_else_does(locked):
    assert requests.get(f"{locked.url}/health", timeout=10).status_code == 200
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}):
        response = requests.get(f"{locked.url}/welcome", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    welcome = requests.get(f"{locked.url}/welcome", headers={"X-API-Key": KEY}, timeout=10)
    assert welcome.json() == {"name": "Privacy-Aware Face Recognition", "version": "0.1.0"}


@pytest.mark.parametrize("key", [None, "wrong"])
def test_an_upload_with_a_missing_or_wrong_key_is_refused_and_deleted(locked, key):
    with open(FACES / "img5.jpg", "rb") as photo:
        response = post(locked, CHECK, key=key, files={"file": photo})
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "unauthorized",
        "message": "missing or wrong X-API-Key header",
        "request_id": "r1",
    }
    assert locked.leftovers() == []


def test_a_full_pool_answers_503_with_retry_after(locked):
    first: dict[str, requests.Response] = {}
    watcher = threading.Thread(
        target=lambda: first.update(
            r=post(locked, CAMERA, data={"duration": "2", "stop_early": "0"})
        )
    )
    watcher.start()
    time.sleep(0.7)  # the camera watch now holds the only worker
    with open(FACES / "img5.jpg", "rb") as photo:
        busy = post(locked, CHECK, files={"file": photo})
    watcher.join()
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert busy.json()["error"]["code"] == "busy"
    assert first["r"].status_code == 200
    assert locked.leftovers() == []


def test_an_analysis_over_the_wall_clock_limit_is_a_504_and_the_worker_comes_back(locked):
    started = time.monotonic()
    response = post(locked, CAMERA, data={"duration": "30", "stop_early": "0"})
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "analysis_timeout"
    assert time.monotonic() - started < 10
    with open(FACES / "img5.jpg", "rb") as photo:
        assert post(locked, CHECK, files={"file": photo}).status_code == 200
