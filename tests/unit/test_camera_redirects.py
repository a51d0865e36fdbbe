"""Camera URLs never lead FFmpeg to another host: HTTP and RTSP redirects are refused, on
loopback servers that redirect to a recording listener standing for a host outside the list."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress

import pytest

from app.errors import CameraUnavailable
from app.pipeline.cam_links import CameraPolicy, resolve_cam_link
from app.pipeline.camera_source import CameraSource
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.rtsp_relay import RtspRelay
from tests.media import limits

LIMITS = limits(open_timeout_ms=3000, read_timeout_ms=3000)
ALLOWED = CameraPolicy(hosts=frozenset({"127.0.0.1"}))


class Listener:
    """A loopback TCP server answering each connection's first message with `answer(request)`,
    and recording the first line of what it was sent."""

    def __init__(self, answer: Callable[[bytes], bytes]) -> None:
        self.answer = answer
        self.first_lines: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(65536)
                self.first_lines.append(request.split(b"\r\n")[0])
                with suppress(OSError):  # the service's first look hangs up on unread bytes
                    conn.sendall(self.answer(request))
                    conn.recv(1)  # until the client hangs up

    def close(self) -> None:
        self.sock.close()


def cseq(request: bytes) -> bytes:
    return next((line for line in request.split(b"\r\n") if line.lower().startswith(b"cseq")), b"")


@pytest.fixture
def outside() -> Iterator[Listener]:
    """The host a redirect points to: it must never be contacted."""
    listener = Listener(lambda request: b"")
    yield listener
    listener.close()


def redirecting(kind: str, to: str) -> Listener:
    if kind == "http":
        return Listener(
            lambda r: f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n".encode()
        )
    return Listener(
        lambda r: b"RTSP/1.0 302 Moved\r\n" + cseq(r) + f"\r\nLocation: {to}\r\n\r\n".encode()
    )


@pytest.mark.parametrize("kind", ["http", "rtsp"])
def test_a_redirect_to_another_host_is_refused_and_never_followed(kind, outside):
    camera = redirecting(kind, f"{kind}://localhost:{outside.port}/elsewhere")
    try:
        target = resolve_cam_link(f"{kind}://127.0.0.1:{camera.port}/cam", ALLOWED)
        with pytest.raises(CameraUnavailable, match="redirected"):
            CameraSource(target, PrivacyLevel(0), LIMITS, 5.0, 1.0)
    finally:
        camera.close()
    assert camera.first_lines and outside.first_lines == []


def test_the_relay_passes_rtsp_answers_and_interleaved_frames_unchanged():
    answer = b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 5\r\n\r\nhello$\x00\x00\x03abc"
    camera = Listener(lambda request: answer)
    relay = RtspRelay(f"rtsp://user:pw@127.0.0.1:{camera.port}/live?x=1", 3.0)
    assert relay.url.startswith("rtsp://user:pw@127.0.0.1:") and relay.url.endswith("/live?x=1")
    port = int(relay.url.split(":")[3].split("/")[0])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as ffmpeg:
            ffmpeg.sendall(b"OPTIONS rtsp://127.0.0.1/live RTSP/1.0\r\nCSeq: 1\r\n\r\n")
            received = b""
            while len(received) < len(answer):
                received += ffmpeg.recv(65536)
    finally:
        relay.close()
        camera.close()
    assert received == answer and not relay.refused
    assert camera.first_lines == [b"OPTIONS rtsp://127.0.0.1/live RTSP/1.0"]
