"""A live camera read on its own thread, keeping only the newest frame: the analysis never falls
behind the camera, it skips frames instead (and counts them).

The reader drains the stream (every frame is grabbed, as a live stream must be), decodes and blurs
one frame per 1/`analysis_fps` seconds through `CameraSource` (so the blur happens at decode, as
everywhere), and puts it in a one-frame slot. A frame still in the slot when the next one arrives
is replaced and counted as dropped.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import threading
import time

from app.errors import AppError, CameraTimeout
from app.pipeline.cam_links import CameraTarget
from app.pipeline.camera_source import CameraSource
from app.pipeline.media import MediaLimits
from app.pipeline.privacy import BlurredFrame, PrivacyLevel


class NewestFrame:
    def __init__(
        self,
        target: CameraTarget,
        privacy: PrivacyLevel,
        limits: MediaLimits,
        analysis_fps: float,
        abandon: threading.Event | None = None,
    ) -> None:
        """Open the camera (raises CameraUnavailable / CameraTimeout like any camera request;
        setting `abandon` gives the open up); a watch has no frame-count limit, it runs until
        closed."""
        endless = dataclasses.replace(limits, max_video_frames=sys.maxsize)
        self._source = CameraSource(
            target, privacy, endless, analysis_fps, math.inf, abandon=abandon
        )
        self._slot: tuple[int, BlurredFrame] | None = None
        self._changed = threading.Condition()
        self._closed = False
        self.error: AppError | None = None
        self.dropped = 0
        self.last_frame_at: float | None = None  # epoch seconds of the newest decoded frame
        self._thread = threading.Thread(target=self._read, name="camera-reader", daemon=True)
        self._thread.start()

    @property
    def frames_in(self) -> int:
        return self._source.count_frames

    @property
    def fps(self) -> float:
        return self._source.fps

    def next(self, timeout: float) -> tuple[int, BlurredFrame] | None:
        """The newest frame not taken yet, waiting up to `timeout` s (None if none came). Raises
        the reader's error once the camera failed."""
        with self._changed:
            self._changed.wait_for(lambda: self._slot is not None or self._done(), timeout)
            taken, self._slot = self._slot, None
            if taken is None and self.error is not None:
                raise self.error
            return taken

    def close(self, timeout: float = 1.0) -> None:
        """Stop reading; the reader lets the camera go at its next frame (or read timeout)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout)

    def _done(self) -> bool:
        return self.error is not None or self._closed

    def _read(self) -> None:
        frames = iter(self._source)
        try:
            for item in frames:
                with self._changed:
                    if self._closed:
                        break
                    self.dropped += self._slot is not None
                    self._slot = item
                    self.last_frame_at = time.time()
                    self._changed.notify_all()
        except AppError as exc:
            self.error = exc
        except Exception as exc:  # OpenCV raising on a broken stream is a camera failure too
            self.error = CameraTimeout(f"the camera stream broke: {type(exc).__name__}")
        finally:
            frames.close()  # type: ignore[attr-defined]
            with self._changed:
                if self.error is None and not self._closed:
                    self.error = CameraTimeout("the camera stream ended")
                self._changed.notify_all()
