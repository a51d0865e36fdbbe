"""Synthetic scenes made from face photos: head crops moving over a plain textured background.

Rendered frame by frame, so that a video file (bench/synth_video.py) and a live camera
(app/demo_camera.py) show the same scene. Deterministic: the background comes from a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.pipeline.detect import HAAR_FRONTAL

WIDTH, HEIGHT = 640, 360


@dataclass(frozen=True)
class Appearance:
    """`photo` shown from frame `start` (inclusive) to `end` (exclusive), `size` px tall,
    moving linearly from `xy0` to `xy1` (top-left corner); kept whole inside the frame, or with
    `walks_through`, cut at its edges (entering and leaving). The photo is cut `margin` face
    widths around its face (`head_crop`)."""

    photo: Path
    start: int
    end: int
    size: int
    xy0: tuple[int, int]
    xy1: tuple[int, int]
    walks_through: bool = False
    margin: float = 0.6


def head_crop(photo: Path, margin: float = 0.6) -> np.ndarray:
    """The photo cropped around its largest Haar face, `margin` face widths on each side (0.6:
    head and shoulders)."""
    img = cv2.imread(str(photo))
    if img is None:
        raise ValueError(f"{photo}: not an image OpenCV can read")
    cascade = cv2.CascadeClassifier(HAAR_FRONTAL)
    faces = cascade.detectMultiScale(
        cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 1.1, 5, minSize=(40, 40)
    )
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    m = int(margin * w)
    y0, y1 = max(0, y - m), min(img.shape[0], y + h + m)
    x0, x1 = max(0, x - m), min(img.shape[1], x + w + m)
    return img[y0:y1, x0:x1]


class Scene:
    """The appearances (later ones in front) drawn onto a textured grey background of `size`
    (width, height); `frame(i)` is frame `i` as BGR pixels."""

    def __init__(self, appearances: list[Appearance], size: tuple[int, int] = (WIDTH, HEIGHT)):
        self.appearances, self.size = appearances, size
        width, height = size
        rng = np.random.default_rng(7)
        background = rng.integers(90, 140, (height, width, 3), dtype=np.uint8)
        self._background = cv2.GaussianBlur(background, (9, 9), 0)
        self._crops = {(a.photo, a.margin): head_crop(a.photo, a.margin) for a in appearances}

    def frame(self, i: int) -> np.ndarray:
        width, height = self.size
        frame = self._background.copy()
        for a in self.appearances:
            if not a.start <= i < a.end:
                continue
            t = (i - a.start) / max(1, a.end - a.start - 1)
            x = int(a.xy0[0] + t * (a.xy1[0] - a.xy0[0]))
            y = int(a.xy0[1] + t * (a.xy1[1] - a.xy0[1]))
            crop = self._crops[a.photo, a.margin]
            w = int(crop.shape[1] * a.size / crop.shape[0])
            tile = cv2.resize(crop, (w, a.size), interpolation=cv2.INTER_AREA)
            if not a.walks_through:
                x, y = min(max(0, x), width - w), min(max(0, y), height - a.size)
            _paste(frame, tile, x, y)
        return frame


def _paste(frame: np.ndarray, tile: np.ndarray, x: int, y: int) -> None:
    """`tile` drawn with its top-left corner at (x, y), cut at the frame's edges."""
    height, width = frame.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + tile.shape[1]), min(height, y + tile.shape[0])
    if x0 < x1 and y0 < y1:
        frame[y0:y1, x0:x1] = tile[y0 - y : y1 - y, x0 - x : x1 - x]


SAMPLE_SECONDS = 6


def sample_scene(faces: Path, fps: float = 10.0) -> list[Appearance]:
    """README's "try it" scene (6 s): Alice (img4) in the first 2.5 s, Bob (img16) in the last
    2.5 s, a stranger (img29) throughout; none of these photos is in `database/`."""
    s, end = int(fps), SAMPLE_SECONDS * int(fps)
    return [
        Appearance(faces / "img4.jpg", 0, 25 * s // 10, 200, (20, 40), (60, 60)),
        Appearance(faces / "img16.jpg", 35 * s // 10, end, 200, (220, 100), (180, 120)),
        Appearance(faces / "img29.jpg", 0, end, 200, (420, 40), (400, 80)),
    ]
