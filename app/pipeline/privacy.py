"""The privacy parameter and the blur: the only door through which frames enter the pipeline.

Every later stage (detect, align, embed) accepts a `BlurredFrame`, never a bare array, and a
`BlurredFrame` can only be made by `PrivacyLevel.blur`, which blurs *in place*: the decoder's buffer
is overwritten, so no unblurred copy of the frame survives the call.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.errors import InvalidPrivacyParameter
from app.pipeline.numerals import plain_decimal

_MINT = object()  # capability held only by this module: BlurredFrame's constructor checks it


@dataclass(frozen=True)
class PrivacyLevel:
    """A validated privacy parameter: the Gaussian kernel size, 0 or 1 meaning no blur.

    OpenCV's kernel rule applies: any other value must be an odd integer >= 3. Values are never
    silently changed: anything else is refused.
    """

    kernel: int

    @classmethod
    def parse(cls, raw: str | int, maximum: int) -> PrivacyLevel:
        value = plain_decimal(str(raw))
        if value is None:
            raise InvalidPrivacyParameter(
                "privacy_parameter must be a non-negative integer in ASCII digits without "
                f"leading zeros, got {str(raw)[:20]!r}"
            )
        if value > maximum:
            raise InvalidPrivacyParameter(
                f"privacy_parameter {value} is above the maximum {maximum}"
            )
        if value >= 2 and value % 2 == 0:
            raise InvalidPrivacyParameter(
                f"privacy_parameter {value} is even: use 0/1 for no blur or an odd kernel >= 3"
            )
        return cls(value)

    @property
    def blurs(self) -> bool:
        return self.kernel >= 3

    def blur(self, frame: np.ndarray) -> BlurredFrame:
        """Blur `frame` in place and wrap it. The caller must not keep using `frame` itself."""
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError("expected an 8-bit BGR frame")
        if self.blurs:
            cv2.GaussianBlur(frame, (self.kernel, self.kernel), 0, dst=frame)
        frame.flags.writeable = False
        return BlurredFrame(frame, self.kernel, _MINT)


class BlurredFrame:
    """A read-only BGR frame that has been through `PrivacyLevel.blur`."""

    __slots__ = ("kernel", "pixels")

    def __init__(self, pixels: np.ndarray, kernel: int, mint: object) -> None:
        if mint is not _MINT:
            raise TypeError("BlurredFrame is only made by PrivacyLevel.blur")
        self.pixels = pixels
        self.kernel = kernel

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def require_blurred(frame: object) -> BlurredFrame:
    """Guard for stage entry points: refuse anything that did not come through the blur."""
    if not isinstance(frame, BlurredFrame):
        raise TypeError(f"pipeline stages take a BlurredFrame, got {type(frame).__name__}")
    return frame
