"""Cheap motion gating for watched cameras: faces are looked for only when something changes.

The blurred frame (never the raw one) is shrunk to WIDTH pixels wide in grey and compared with a
running background; when at least `threshold` of its pixels differ by more than PIXEL_DELTA grey
levels, the frame has motion. Shrinking first makes this ~0.2 ms per frame and insensitive to
sensor noise; the background adapts, so a light switched on is motion only for a moment.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.pipeline.privacy import BlurredFrame, require_blurred

WIDTH = 160
PIXEL_DELTA = 18  # grey levels
ADAPT = 0.25  # weight of the newest frame in the background


class MotionGate:
    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._background: np.ndarray | None = None

    def moved(self, frame: BlurredFrame) -> bool:
        """True when `frame` differs from the recent ones (always for the first frame, and for
        every frame when the threshold is 0)."""
        pixels = require_blurred(frame).pixels
        height = max(1, round(pixels.shape[0] * WIDTH / pixels.shape[1]))
        small = cv2.resize(pixels, (WIDTH, height), interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey.astype(np.float32)
            return True
        changed = cv2.absdiff(grey, cv2.convertScaleAbs(self._background)) > PIXEL_DELTA
        cv2.accumulateWeighted(grey, self._background, ADAPT)
        return self.threshold == 0 or bool(
            np.count_nonzero(changed) >= self.threshold * changed.size
        )
