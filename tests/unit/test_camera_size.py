"""A camera whose stream announces frames over MAX_FRAME_PIXELS is refused from what its stream
says, before a single frame is decoded for analysis (issue 18, item 5): a real loopback MJPEG
server sending 8K frames."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from app.errors import MediaTooLarge
from app.pipeline.cam_links import CameraPolicy, resolve_cam_link
from app.pipeline.camera_source import CameraSource
from app.pipeline.live import NewestFrame
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.rtsp_relay import RtspRelay
from tests.e2e.mjpeg import MjpegCamera
from tests.media import limits

LIMITS = limits(open_timeout_ms=5000, read_timeout_ms=5000)  # 4K at most
ALLOWED = CameraPolicy(hosts=frozenset({"127.0.0.1"}))


@pytest.fixture(scope="module")
def camera_8k(tmp_path_factory) -> Iterator[MjpegCamera]:
    frame = np.zeros((4320, 7680, 3), np.uint8)
    frame[::64, :] = 255  # a little structure; the JPEG stays small
    path: Path = tmp_path_factory.mktemp("8k") / "8k.jpg"
    cv2.imwrite(str(path), frame)
    with MjpegCamera(path, fps=5) as cam:
        yield cam


def test_an_8k_stream_is_refused_before_any_frame_is_decoded(camera_8k, monkeypatch):
    retrieved = []
    original = cv2.VideoCapture.retrieve
    monkeypatch.setattr(
        cv2.VideoCapture, "retrieve", lambda cap, *a: retrieved.append(1) or original(cap, *a)
    )
    target = resolve_cam_link(f"{camera_8k.url}/live.mjpg", ALLOWED)
    with pytest.raises(MediaTooLarge, match="7680x4320"):
        list(CameraSource(target, PrivacyLevel(9), LIMITS, 5.0, 2.0))
    assert retrieved == []


def test_a_watched_8k_camera_is_refused_at_open(camera_8k):
    target = resolve_cam_link(f"{camera_8k.url}/live.mjpg", ALLOWED)
    with pytest.raises(MediaTooLarge):
        NewestFrame(target, PrivacyLevel(9), LIMITS, 5.0)


def test_the_rtsp_relay_refuses_to_buffer_a_huge_message():
    """A camera announcing a 999 MB RTSP body: the relay hangs up instead of buffering it."""
    server = socket.create_server(("127.0.0.1", 0))
    hung_up = threading.Event()

    def camera() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 999999999\r\n\r\n")
            try:
                while True:
                    conn.sendall(b"x" * 65536)
            except OSError:
                hung_up.set()

    threading.Thread(target=camera, daemon=True).start()
    relay = RtspRelay(f"rtsp://127.0.0.1:{server.getsockname()[1]}/s", 5.0)
    client = socket.create_connection(("127.0.0.1", urlsplit(relay.url).port or 0))
    try:
        client.sendall(b"OPTIONS rtsp://127.0.0.1/s RTSP/1.0\r\nCSeq: 1\r\n\r\n")
        assert hung_up.wait(10), "the relay kept reading the huge body"
    finally:
        client.close()
        relay.close()
        server.close()
