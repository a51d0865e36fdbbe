"""Uploaded files as frame sources: an image, or a video read through FFmpeg (from the stored
file, through Python: FFmpeg opens no file by name) with its resolution, duration, frame count and
decoding budget capped, blurred at the door."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import cv2

from app.domain import MediaType
from app.errors import MediaTooLarge, UndecodableMedia
from app.pipeline.media import (
    DecodeBudget,
    FrameSource,
    MediaLimits,
    check_resolution,
    decode_image,
    open_capture,
    sniff_media_type,
)
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.progress import Progress


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
            self._cap = open_capture(self._file, limits)
        except BaseException:
            self._file.close()
            raise
        try:
            width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            check_resolution(width, height, limits)
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
                    check_resolution(frame.shape[1], frame.shape[0], limits)
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
