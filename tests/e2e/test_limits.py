"""A second server with an API key, one analysis worker, no queue, a short wall-clock limit and a
short request read timeout; and the attacks on connections that these limits hold off."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from contextlib import ExitStack

import pytest
import requests

from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.server import start_server, stop_server

KEY = "s3cret-key-for-limits"
CHECK = "/check_directory/a.jpg/17/a1/NSSD/r1"
CAMERA = "/cam_face_recognition/porch/0/a1/NSSD/r2"
READ_TIMEOUT_S = 3
SLOW_CLIENTS = 150  # waitress's default connection_limit (100) fell to about 110


@pytest.fixture(scope="module")
def locked(tmp_path_factory, camera):
    running = start_server(
        tmp_path_factory.mktemp("locked"),
        API_KEY=KEY,
        ANALYSIS_WORKERS="1",
        ANALYSIS_QUEUE="0",
        REQUEST_TIMEOUT_S="3",
        HTTP_READ_TIMEOUT_S=str(READ_TIMEOUT_S),
        CAMERAS=json.dumps({"porch": f"{camera.url}/live.mjpg"}),
    )
    yield running
    stop_server(running)


def post(server, path: str, key: str | None = KEY, **kwargs) -> requests.Response:
    headers = {} if key is None else {"X-API-Key": key}
    return requests.post(f"{server.url}{path}", headers=headers, timeout=60, **kwargs)


def frames_done(server, request_id: str) -> int:
    progress = requests.get(
        f"{server.url}/analyses/{request_id}/progress", headers={"X-API-Key": KEY}, timeout=10
    )
    return progress.json()["done"]


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
    until(lambda: frames_done(locked, "r2") > 0, "the camera watch holds the only worker")
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


def connect(server, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def test_a_body_sent_without_the_key_is_refused_before_it_is_read(locked):
    """Headers announcing 3 MB (and 150 MB, over the body limit) but only 10 bytes of body: the
    401 comes at once, not after the body (nor a 413 for the size)."""
    for length in (3_000_000, 150_000_000):
        with connect(locked) as sock:
            sock.sendall(
                f"POST {CHECK} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: wrong\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {length}\r\n\r\n--b\r\nxxxx".encode()
            )
            reply = sock.makefile("rb").read()  # the server answers, then closes
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 401"), head
        assert json.loads(body)["error"]["code"] == "unauthorized"
    assert locked.leftovers() == []


def test_slow_clients_do_not_starve_health_or_requests(locked):
    with ExitStack() as stack:
        for _ in range(SLOW_CLIENTS):
            sock = stack.enter_context(connect(locked))
            sock.sendall(f"POST {CHECK} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A".encode())
        # connections are accepted in order: health is answered after every slow one is held
        assert requests.get(f"{locked.url}/health", timeout=5).status_code == 200
        welcome = requests.get(f"{locked.url}/welcome", headers={"X-API-Key": KEY}, timeout=5)
        assert welcome.status_code == 200


def test_a_client_trickling_its_request_is_disconnected(locked):
    """One byte every 0.3 s is never idle; the read timeout still closes it."""
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {'y' * 100}\r\n\r\n".encode()
    with connect(locked) as sock:
        started = time.monotonic()
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # reset by the server
                break
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable and sock.recv(1) == b"":
                break  # closed by the server
        else:
            pytest.fail("the whole trickled request was read")
        assert time.monotonic() - started < READ_TIMEOUT_S + 5
