"""Nothing with credentials reaches the server's log: an ad-hoc camera request whose URL carries a
user name and password, and a token in its query, is logged by waitress when its client leaves
before the answer ("Client disconnected while serving <path>"); the log shows the request with
those parts redacted."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import quote

from tests.e2e.server import Server

PASSWORD, TOKEN = "pa55-w0rd-x7", "t0ps3cret-t0ken"
DISCONNECTED = "Client disconnected while serving"
WAIT_S = 60


class HangingCamera:
    """A loopback listener that holds the service's connection until `release`."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connected, self._release = threading.Event(), threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        self.connected.set()
        self._release.wait(WAIT_S)
        conn.close()
        self._listener.close()

    def release(self) -> None:
        self._release.set()


def wait_for_log(server: Server, text: str) -> str:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        log = server.log.read_text(errors="replace")
        if text in log:
            return log
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never logged:\n{server.log.read_text()[-3000:]}")


def test_a_camera_url_left_by_its_client_is_logged_without_credentials(server):
    camera = HangingCamera()
    link = f"http://viewer:{PASSWORD}@127.0.0.1:{camera.port}/live.mjpg?token={TOKEN}"
    path = f"/cam_face_recognition/{quote(link, safe=':/@')}/0/a1/NSSD/r-log"
    client = socket.create_connection(("127.0.0.1", server.port))
    client.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    try:
        assert camera.connected.wait(WAIT_S), "the service never called the camera"
    finally:
        client.close()  # the client leaves while the service waits for the camera
        camera.release()
    log = wait_for_log(server, DISCONNECTED)
    line = next(line for line in log.splitlines() if DISCONNECTED in line)
    assert f"127.0.0.1:{camera.port}/live.mjpg" in line  # the request is still recognisable
    assert PASSWORD not in log and TOKEN not in log
