"""Media decoding, shared by uploaded files and cameras: the container sniffed from its first bytes
(only known image and video signatures: an HLS playlist or any text file is refused before FFmpeg
sees it), images decoded after their header's size is checked, FFmpeg opened with timeouts under one
process-wide set of options, and a decoding budget per request (docs/security.md).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image

from app.domain import MediaType
from app.errors import MediaTooLarge, UndecodableMedia, UnsupportedMedia
from app.pipeline import jpeg
from app.pipeline.privacy import BlurredFrame
from app.pipeline.progress import Progress

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
    """What one request may decode; from the settings (app/services.py `media_limits`)."""

    max_frame_pixels: int
    max_video_seconds: float
    max_video_frames: int
    max_decoded_pixels: int  # frames x pixels decoded for one request
    open_timeout_ms: int
    read_timeout_ms: int


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
    check_resolution(width, height, limits)
    if data.startswith(b"\xff\xd8"):
        jpeg.check_scans(data)
    frame = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise UndecodableMedia("the image data cannot be decoded (corrupt or truncated)")
    return frame


def check_resolution(width: int, height: int, limits: MediaLimits) -> None:
    if width <= 0 or height <= 0:
        raise UndecodableMedia("the media reports no frame size")
    if width * height > limits.max_frame_pixels:
        raise MediaTooLarge(
            f"frame size {width}x{height} is over the limit of {limits.max_frame_pixels} pixels"
        )


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


def open_capture(target: str | BinaryIO, limits: MediaLimits) -> cv2.VideoCapture:
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
