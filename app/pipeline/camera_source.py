"""A live camera as a frame source: asked for a first answer before FFmpeg opens it (OpenCV opens
one capture at a time), never following a redirect, every frame grabbed and one decoded per
analysis interval, for a bounded time."""

from __future__ import annotations

import math
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import cv2

from app.domain import MediaType
from app.errors import CameraTimeout, CameraUnavailable, MediaTooLarge, UndecodableMedia
from app.pipeline.cam_links import CameraTarget
from app.pipeline.media import (
    DecodeBudget,
    FrameSource,
    MediaLimits,
    check_resolution,
    open_capture,
)
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.progress import Progress
from app.pipeline.rtsp_relay import RtspRelay


class CameraSource(FrameSource):
    """A live camera watched for at most `duration_s` seconds of wall-clock time.

    Every frame is grabbed (a live stream must be drained); one is decoded and analysed every
    1/`analysis_fps` seconds. The consumer may stop early by leaving the loop. Once the watch ends,
    `fps` is the measured frame rate, so sighting times are seconds since the watch began.
    """

    media_type = MediaType.CAMERA

    def __init__(
        self,
        target: CameraTarget,
        privacy: PrivacyLevel,
        limits: MediaLimits,
        analysis_fps: float,
        duration_s: float,
        progress: Progress | None = None,
        abandon: threading.Event | None = None,
    ) -> None:
        """`abandon`: set it to give up an open still in progress (a deleted camera's)."""
        self.privacy, self.limits, self.analysis_fps = privacy, limits, analysis_fps
        self.duration_s = duration_s
        self.count_frames = 0
        self.expected_frames = 0
        self._budget = DecodeBudget(limits, progress)
        self._cap, self._relay = _open_camera(target, limits, abandon)
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width * height > limits.max_frame_pixels:  # as the stream announces it: refused
            self._release()  # before a frame is decoded for us (an 8K one cost 1.4 GB)
            check_resolution(width, height, limits)
        self._frame_pixels = max(width * height, 0)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if math.isfinite(fps) and 0 < fps <= 240 else 25.0

    def _release(self) -> None:
        self._cap.release()
        if self._relay is not None:
            self._relay.close()

    def __iter__(self) -> Iterator[tuple[int, BlurredFrame]]:
        cap, limits = self._cap, self.limits
        interval = 1.0 / self.analysis_fps if self.analysis_fps > 0 else 0.0
        start = time.monotonic()
        next_analysed = start
        try:
            while time.monotonic() - start < self.duration_s:
                if not cap.grab():
                    raise CameraTimeout(
                        f"the camera stopped sending after {self.count_frames} frame(s)"
                        if self.count_frames
                        else "the camera sent no frame"
                    )
                if self.count_frames >= limits.max_video_frames:
                    raise MediaTooLarge("the camera sent more frames than the configured limit")
                index = self.count_frames
                self.count_frames += 1
                self._budget.spend(self, self._frame_pixels)
                if time.monotonic() < next_analysed:
                    continue
                ok, frame = cap.retrieve()
                if not ok:
                    continue
                check_resolution(frame.shape[1], frame.shape[0], limits)
                self._frame_pixels = frame.shape[0] * frame.shape[1]
                next_analysed += interval
                yield index, self.privacy.blur(frame)
        finally:
            self._release()
            elapsed = time.monotonic() - start
            if self.count_frames > 1 and elapsed > 0:
                self.fps = self.count_frames / elapsed


def _open_camera(
    target: CameraTarget, limits: MediaLimits, abandon: threading.Event | None = None
) -> tuple[cv2.VideoCapture, RtspRelay | None]:
    """Open a device through the OS's capture backend, a URL through FFmpeg (the options of
    media.py), never following a redirect: `max_redirects` 0 for HTTP, a relay refusing
    `3xx` answers for RTSP (rtsp_relay.py). 502 when refused or redirected, 504 when it never
    answers within `open_timeout_ms`. A relay is returned to be closed after the watch.

    OpenCV opens one FFmpeg capture at a time in the whole process (a mutex inside its FFmpeg
    backend), so a camera that accepts connections and never answers would hold up every other
    camera and every upload for its whole open timeout. So a URL is first asked for an answer
    here, outside that mutex (`await_answer`), and given to FFmpeg only once it has given one.
    Setting `abandon` gives that wait up at once (a deleted camera's)."""
    if target.device is not None:
        cap = cv2.VideoCapture(target.device)
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(f"camera device {target.device} cannot be opened")
        return cap, None
    assert target.url is not None
    started = time.monotonic()
    await_answer(target, limits.open_timeout_ms / 1000, abandon or threading.Event())
    url, relay = target.url, None
    if urlsplit(target.url).scheme.lower() in ("rtsp", "rtsps"):
        relay = RtspRelay(target.url, limits.open_timeout_ms / 1000)
        url = relay.url
    try:
        return open_capture(url, limits), relay
    except UndecodableMedia as exc:
        if relay is not None:
            relay.close()
        if (time.monotonic() - started) * 1000 >= limits.open_timeout_ms * 0.9:
            raise CameraTimeout(
                f"camera {target.label} did not answer within {limits.open_timeout_ms} ms"
            ) from exc
        raise CameraUnavailable(
            f"camera {target.label} cannot be opened (unreachable, refused, redirected or not a "
            "video stream)"
        ) from exc


_ANSWER_POLL_S = 0.2  # how soon an abandoned wait for a camera's answer notices


def await_answer(target: CameraTarget, timeout_s: float, abandon: threading.Event) -> None:
    """Wait until the camera answers a first request (an RTSP `OPTIONS`, an HTTP `GET` of its
    path, without credentials: any status line will do), at most `timeout_s`, or until `abandon`
    is set; then hang up. 504 when it stays silent, 502 when it refuses or hangs up."""
    assert target.url is not None
    parts = urlsplit(target.url)
    scheme = parts.scheme.lower()
    tls = scheme in ("rtsps", "https")
    port = parts.port or {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}[scheme]
    host = parts.hostname or ""
    path = parts.path or "/"
    if scheme.startswith("rtsp"):
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        request = f"OPTIONS {scheme}://{netloc}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n"
    else:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    deadline = time.monotonic() + timeout_s
    silent = CameraTimeout(f"camera {target.label} did not answer within {timeout_s * 1000:.0f} ms")
    try:
        sock = socket.create_connection((host, port), timeout_s)
    except TimeoutError as exc:
        raise silent from exc
    except (OSError, UnicodeError) as exc:
        raise CameraUnavailable(f"camera {target.label} cannot be reached") from exc
    try:
        if tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # as FFmpeg
            sock = context.wrap_socket(sock, server_hostname=host)
        sock.sendall(request.encode("ascii", "replace"))
        while not abandon.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise silent
            sock.settimeout(min(_ANSWER_POLL_S, remaining))
            try:
                if sock.recv(1):
                    return
            except TimeoutError:
                continue
            raise CameraUnavailable(f"camera {target.label} hung up without an answer")
        raise CameraUnavailable(f"camera {target.label} was given up while opening")
    except TimeoutError as exc:
        raise silent from exc
    except OSError as exc:
        raise CameraUnavailable(f"camera {target.label} cannot be reached") from exc
    finally:
        sock.close()
