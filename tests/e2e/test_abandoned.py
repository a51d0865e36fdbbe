"""A request whose client has gone gives its analysis slot back at once (issue 18, item 10): the
real server with one worker and no queue, a loopback camera watched for a minute by a client that
leaves."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server

WATCH_S = 60  # the analysis the client walks away from
FREED_WITHIN_S = 15


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("abandoned"),
        ANALYSIS_WORKERS="1",
        ANALYSIS_QUEUE="0",
        CAMERA_HOSTS='["127.0.0.1"]',
        CAMERA_MAX_SECONDS=str(WATCH_S),
    )
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def camera() -> Iterator[MjpegCamera]:
    with MjpegCamera(FACES / "img3.jpg") as cam:
        yield cam


def watch_path(camera: MjpegCamera, request_id: str) -> str:
    link = f"{camera.url}/live.mjpg"
    return f"/cam_face_recognition/{link}/0/me/NSSD/{request_id}?duration={WATCH_S}"


def image_status(server: Server) -> int:
    with open(FACES / "img5.jpg", "rb") as photo:
        return requests.post(
            f"{server.url}/check_directory/a.jpg/0/me/NSSD/probe",
            files={"file": ("a.jpg", photo, "image/jpeg")},
            timeout=30,
        ).status_code


def watching_client(server: Server, camera: MjpegCamera) -> socket.socket:
    """A client whose watch holds the only worker. Its request is sent again (on a new
    connection, at most twice) if it was answered at once rather than taking the worker: in 1
    of 3 runs here the very first request after start-up was refused 503 `busy` although
    nothing else ran (not explained yet; noted in the closing note of issue 16's round)."""
    path = watch_path(camera, "walks-away")
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    for _ in range(3):
        client = socket.create_connection(("127.0.0.1", server.port))
        client.sendall(request.encode())
        client.settimeout(2)
        try:
            client.recv(1)  # an answer this early is a refusal: the watch runs for a minute
        except TimeoutError:
            return client
        client.close()
    raise AssertionError("the watch was refused three times")


def test_a_gone_clients_analysis_frees_its_slot(server, camera):
    client = watching_client(server, camera)
    until(lambda: image_status(server) == 503, "the only worker is taken by the watch")
    client.close()  # the client gives up
    until(lambda: image_status(server) == 200, "its slot is free again", FREED_WITHIN_S)
