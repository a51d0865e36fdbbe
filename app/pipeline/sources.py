"""Frame sources: uploaded images and videos, and live cameras, decoded and blurred at the door.

Security (docs/security.md): container type is sniffed from the first bytes and only known image and
video signatures are accepted (an HLS playlist or any text file is refused before FFmpeg sees it);
videos are opened with OpenCV's FFmpeg backend named explicitly, with open/read timeouts, FFmpeg
reading the stored file through Python (it opens no file by name); resolution, duration and
frame count are capped. Decoding has a budget: progressive JPEGs of many scans are refused before
decoding (jpeg.py), frames x pixels are capped per request, and the request's deadline is checked
after every decoded frame. Camera links are a device index, a configured name or an
rtsp/rtsps/http/https URL, asked for a first answer before FFmpeg opens them (OpenCV opens one
capture at a time); FFmpeg may then use only network protocols and live demuxers (no
playlists), never follows a redirect, and a watch lasts a bounded time.
"""

from __future__ import annotations

import io
import math
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

import cv2
import numpy as np
from PIL import Image

from app.domain import MediaType
from app.errors import (
    CameraHostForbidden,
    CameraNotFound,
    CameraTimeout,
    CameraUnavailable,
    InvalidCamLink,
    MediaTooLarge,
    UndecodableMedia,
    UnsupportedMedia,
)
from app.pipeline import jpeg
from app.pipeline.numerals import plain_decimal
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.rtsp_relay import RtspRelay

if TYPE_CHECKING:
    from app.pipeline.analyze import Progress


_IMAGE_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),  # PNG
    (0, b"BM"),  # BMP
)
_VIDEO_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # MP4, MOV, 3GP, M4V
    (4, b"moov"),  # old QuickTime
    (4, b"mdat"),
    (4, b"wide"),
    (4, b"free"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska, WebM
    (0, b"FLV"),
    (0, b"OggS"),
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"GIF87a"),
    (0, b"GIF89a"),
)


@dataclass(frozen=True)
class MediaLimits:
    max_frame_pixels: int = 3840 * 2160
    max_video_seconds: float = 900.0
    max_video_frames: int = 54_000
    max_decoded_pixels: int = 50_000_000_000  # frames x pixels decoded for one request
    open_timeout_ms: int = 10_000
    read_timeout_ms: int = 10_000


def sniff_media_type(head: bytes) -> MediaType:
    """Classify a file by its first bytes; refuse anything that is not a known container."""

    def has(sig: tuple[int, bytes]) -> bool:
        offset, magic = sig
        return head[offset : offset + len(magic)] == magic

    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaType.IMAGE
    if any(has(s) for s in _IMAGE_SIGNATURES):
        return MediaType.IMAGE
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return MediaType.VIDEO
    if any(has(s) for s in _VIDEO_SIGNATURES):
        return MediaType.VIDEO
    if len(head) >= 189 and head[0] == 0x47 and head[188] == 0x47:  # MPEG transport stream
        return MediaType.VIDEO
    if not head:
        raise UndecodableMedia("the file is empty")
    raise UnsupportedMedia(
        "not a supported image (JPEG, PNG, BMP, WebP) or video (MP4/MOV, AVI, MKV/WebM, MPEG, "
        "FLV, Ogg, GIF) file"
    )


class FrameSource:
    """Iterate `(frame_index, BlurredFrame)` over the frames chosen for analysis.

    `count_frames` is the number of frames decoded so far (all of them once iteration ends);
    `expected_frames` is the container's own estimate, for progress display.
    """

    media_type: MediaType
    fps: float
    expected_frames: int
    count_frames: int

    def __iter__(self) -> Iterator[tuple[int, BlurredFrame]]:  # pragma: no cover - interface
        raise NotImplementedError


class DecodeBudget:
    """What decoding one stream may spend: frames x pixels up to `max_decoded_pixels`, and a
    `progress` call after every decoded frame (grabbed or analysed), which raises once the
    request's deadline has passed, so no decode loop outlives its request by more than a frame."""

    def __init__(self, limits: MediaLimits, progress: Progress | None) -> None:
        self.limits, self.progress = limits, progress
        self.pixels = 0

    def check_expected(self, frames: int, width: int, height: int) -> None:
        """Refuse up front a stream whose announced size is already over the budget."""
        if frames * width * height > self.limits.max_decoded_pixels:
            raise MediaTooLarge(
                f"{frames} frames of {width}x{height} are over the decoding budget of "
                f"{self.limits.max_decoded_pixels} pixels"
            )

    def spend(self, source: FrameSource, frame_pixels: int) -> None:
        self.pixels += frame_pixels
        if self.pixels > self.limits.max_decoded_pixels:
            raise MediaTooLarge(
                f"decoding stopped at {self.limits.max_decoded_pixels} pixels (frames x pixels), "
                "the budget of one request"
            )
        if self.progress is not None:
            self.progress(source.count_frames, source.expected_frames)


class ImageSource(FrameSource):
    media_type = MediaType.IMAGE

    def __init__(self, path: Path, privacy: PrivacyLevel, limits: MediaLimits) -> None:
        self.path, self.privacy, self.limits = path, privacy, limits
        self.fps = 0.0
        self.expected_frames = 1
        self.count_frames = 0

    def __iter__(self) -> Iterator[tuple[int, BlurredFrame]]:
        frame = decode_image(self.path, self.limits)
        self.count_frames = 1
        yield 0, self.privacy.blur(frame)


def decode_image(path: Path, limits: MediaLimits) -> np.ndarray:
    """Decode an image file to BGR, checking its header's size before decoding any pixels."""
    return decode_image_bytes(path.read_bytes(), limits)


def decode_image_bytes(data: bytes, limits: MediaLimits) -> np.ndarray:
    """Decode an image's bytes to BGR, checking its header's size before decoding any pixels."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge("image resolution is absurdly large") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UndecodableMedia("the image header cannot be read") from exc
    _check_resolution(width, height, limits)
    if data.startswith(b"\xff\xd8"):
        jpeg.check_scans(data)
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise UndecodableMedia("the image data cannot be decoded (corrupt or truncated)")
    return frame


class VideoFileSource(FrameSource):
    """A video file read through FFmpeg, sampled at `analysis_fps` (0 = every frame).

    Frames that are not analysed are only `grab()`bed, never converted to pixels for us.
    """

    media_type = MediaType.VIDEO

    def __init__(
        self,
        path: Path,
        privacy: PrivacyLevel,
        limits: MediaLimits,
        analysis_fps: float,
        progress: Progress | None = None,
    ) -> None:
        self.privacy, self.limits, self.analysis_fps = privacy, limits, analysis_fps
        self.count_frames = 0
        self._budget = DecodeBudget(limits, progress)
        self._file = open(path, "rb")  # noqa: SIM115 - closed with the capture
        try:
            self._cap = _open_capture(self._file, limits)
        except BaseException:
            self._file.close()
            raise
        try:
            width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            _check_resolution(width, height, limits)
            self._frame_pixels = width * height
            fps = self._cap.get(cv2.CAP_PROP_FPS)
            self.fps = fps if math.isfinite(fps) and 0 < fps <= 240 else 25.0
            frames = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
            self.expected_frames = int(frames) if math.isfinite(frames) and frames > 0 else 0
            if self.expected_frames / self.fps > limits.max_video_seconds:
                raise MediaTooLarge(
                    f"video lasts {self.expected_frames / self.fps:.0f} s, "
                    f"over the limit of {limits.max_video_seconds:.0f} s"
                )
            self._budget.check_expected(self.expected_frames, width, height)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        self._cap.release()
        self._file.close()

    def __iter__(self) -> Iterator[tuple[int, BlurredFrame]]:
        cap, limits = self._cap, self.limits
        step = self.fps / self.analysis_fps if 0 < self.analysis_fps < self.fps else 1.0
        next_analysed = 0.0
        index = 0
        try:
            while True:
                analyse = index >= next_analysed - 1e-6
                if analyse:
                    ok, frame = cap.read()
                else:
                    ok, frame = cap.grab(), None
                if not ok:
                    break
                if index >= limits.max_video_frames or index / self.fps > limits.max_video_seconds:
                    raise MediaTooLarge("video is longer than the configured limits")
                self.count_frames = index + 1
                self._budget.spend(self, self._frame_pixels)
                if frame is not None:
                    _check_resolution(frame.shape[1], frame.shape[0], limits)
                    next_analysed += step
                    yield index, self.privacy.blur(frame)
                index += 1
        finally:
            self._release()
        if self.count_frames == 0:
            raise UndecodableMedia("the video holds no decodable frame")


def open_media(
    path: Path,
    privacy: PrivacyLevel,
    limits: MediaLimits,
    analysis_fps: float,
    progress: Progress | None = None,
) -> FrameSource:
    """Open an uploaded file as an image or a video source, after sniffing its type. `progress`
    is called after every decoded video frame and may raise to stop decoding."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if sniff_media_type(head) is MediaType.IMAGE:
        return ImageSource(path, privacy, limits)
    return VideoFileSource(path, privacy, limits, analysis_fps, progress)


def _check_resolution(width: int, height: int, limits: MediaLimits) -> None:
    if width <= 0 or height <= 0:
        raise UndecodableMedia("the media reports no frame size")
    if width * height > limits.max_frame_pixels:
        raise MediaTooLarge(
            f"frame size {width}x{height} is over the limit of {limits.max_frame_pixels} pixels"
        )


def _open_capture(target: str | BinaryIO, limits: MediaLimits) -> cv2.VideoCapture:
    """Open a URL, or a file already open (read through Python, so FFmpeg opens no protocol for
    it), with FFmpeg under the process's one set of options (`_FFMPEG_OPTIONS`)."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        limits.open_timeout_ms,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        limits.read_timeout_ms,
    ]
    # a file object is read through OpenCV's stream API (IStreamReader), which the stubs narrow
    cap = cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)  # type: ignore[arg-type]
    if not cap.isOpened():
        cap.release()
        raise UndecodableMedia("the video cannot be opened (corrupt, truncated or unsupported)")
    return cap


# --- cameras --------------------------------------------------------------------------------

_CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https")
# FFmpeg reads its options from one process-wide variable when a capture opens. They used to be
# set per open under a lock, which made every open (and every upload) wait for a camera that
# never answers. So they are set once, the same for every open, and as narrow as what all opens
# together need: the protocols of the camera schemes (never `file`: uploads are read through
# Python), the demuxers of live formats and of the accepted upload containers (never a playlist
# such as HLS, DASH or concat, which would make FFmpeg fetch further URLs nobody checked), no
# HTTP redirect, and RTSP interleaved on TCP through the relay (rtsp_relay.py).
_FFMPEG_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_PROTOCOLS = "rtsp,rtsps,rtp,srtp,udp,tcp,tls,http,https"
_FORMATS = (
    "mpjpeg,mjpeg,jpeg_pipe,rtsp,sdp,rtp,mpegts,flv,h264,hevc,mov,mp4,m4a,3gp,3g2,mj2,matroska,"
    "webm,avi,ogg,mpeg,gif"
)
_FFMPEG_OPTIONS = (
    f"protocol_whitelist;{_PROTOCOLS}|format_whitelist;{_FORMATS}|max_redirects;0"
    "|rtsp_transport;tcp"
)
os.environ[_FFMPEG_OPTIONS_ENV] = _FFMPEG_OPTIONS
_MAX_DEVICE_INDEX = 63


@dataclass(frozen=True)
class CameraPolicy:
    """Which cameras a request may name: configured names and, for ad-hoc URLs, allowed hosts."""

    names: Mapping[str, str] = field(default_factory=dict)  # name -> device index or URL
    hosts: frozenset[str] = frozenset()  # empty: any host


@dataclass(frozen=True)
class CameraTarget:
    """A validated camera: a local device index or a network URL, and a label safe to publish
    (a name, an index or `scheme://host:port`; never credentials or a URL path)."""

    device: int | None
    url: str | None
    label: str


def resolve_cam_link(link: str, policy: CameraPolicy) -> CameraTarget:
    """Turn a request's `cam_link` into a CameraTarget, or refuse it with a typed error."""
    if link in policy.names:
        return _camera_target(policy.names[link], label=link, hosts=frozenset())
    if plain_decimal(link) is not None or "://" in link or ":" in link:
        return _camera_target(link, label=None, hosts=policy.hosts)
    raise CameraNotFound(f"no camera is configured under the name {link[:40]!r}")


def _camera_target(link: str, label: str | None, hosts: frozenset[str]) -> CameraTarget:
    index = plain_decimal(link)
    if index is not None:
        if index > _MAX_DEVICE_INDEX:
            raise CameraNotFound(f"device index {index} is out of range")
        return CameraTarget(index, None, label or str(index))
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError as exc:
        raise InvalidCamLink("the camera link is not a valid URL") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _CAMERA_SCHEMES:
        raise InvalidCamLink(
            "a camera link must be a device index, a configured camera name or an "
            f"{', '.join(_CAMERA_SCHEMES)} URL"
        )
    if not host or any(c.isspace() or ord(c) < 32 for c in link):
        raise InvalidCamLink("the camera URL has no host or contains control characters")
    if hosts and host not in hosts:
        raise CameraHostForbidden(f"camera host {host!r} is not in the configured allowlist")
    return CameraTarget(None, link, label or f"{scheme}://{host}" + (f":{port}" if port else ""))


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
            _check_resolution(width, height, limits)
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
                _check_resolution(frame.shape[1], frame.shape[0], limits)
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
    """Open a device through the OS's capture backend, a URL through FFmpeg (see
    `_FFMPEG_OPTIONS`), never following a redirect: `max_redirects` 0 for HTTP, a relay refusing
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
        return _open_capture(url, limits), relay
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
