"""Cameras that accept the connection and never answer must not hold anything else up: not the
other cameras' opens, not an upload; a deleted camera's open is given up at once (issue 18,
item 2). The real server, loopback cameras that hang (tests/e2e/silent.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.bus.wait import until
from tests.e2e.server import Server, start_server, stop_server
from tests.e2e.silent import SilentCamera
from tests.media import write_video

OPEN_TIMEOUT_MS = 30_000  # far longer than anything here may wait for a hanging camera
WAIT_S = 10.0


@pytest.fixture(scope="module")
def hanging() -> Iterator[list[SilentCamera]]:
    cameras = [SilentCamera() for _ in range(4)]
    yield cameras
    for camera in cameras:
        camera.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("opens"),
        CAMERA_HOSTS='["127.0.0.1"]',
        OPEN_TIMEOUT_MS=str(OPEN_TIMEOUT_MS),
    )
    yield running
    stop_server(running)


def add_camera(server: Server, name: str, url: str) -> None:
    body: dict[str, str | bool] = {"name": name, "url": url, "watch": True}
    response = requests.post(f"{server.url}/cameras", json=body, timeout=10)
    assert response.status_code == 201, response.text


def test_hanging_cameras_block_neither_each_other_nor_uploads(server, hanging, tmp_path):
    for number, camera in enumerate(hanging):
        add_camera(server, f"hang{number}", camera.url("rtsp" if number % 2 else "http"))
    until(
        lambda: all(camera.open_connections for camera in hanging),
        "every hanging camera is being opened at the same time",
        WAIT_S,
    )
    video = write_video(tmp_path / "clip.mp4", frames=50)  # 2 s
    with open(video, "rb") as fh:
        response = requests.post(
            f"{server.url}/check_directory/clip.mp4/0/me/NSSD/opens-1",
            files={"file": ("clip.mp4", fh, "video/mp4")},
            timeout=OPEN_TIMEOUT_MS / 1000,
        )
    assert response.status_code == 200, response.text
    assert [camera.connections for camera in hanging] == [1] * len(hanging)
    assert all(camera.open_connections for camera in hanging), "an open ended before the upload"


def test_a_deleted_cameras_open_is_abandoned(server, hanging):
    camera = SilentCamera()
    try:
        add_camera(server, "doomed", camera.url("rtsp"))
        until(lambda: camera.open_connections, "the camera is being opened", WAIT_S)
        response = requests.delete(f"{server.url}/cameras/doomed", timeout=10)
        assert response.status_code == 200, response.text
        until(lambda: not camera.open_connections, "its open is given up", WAIT_S)
        assert camera.connections == 1
    finally:
        camera.close()
