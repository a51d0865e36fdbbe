"""Landmark alignment: dlib's 5-point shape predictor, then a rotated, scaled face chip.

Alignment is what keeps recognition alive under blur (docs/recognition.md): the chip puts eyes
and nose at fixed positions, so the embedding compares faces rather than poses and crops.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.domain import Box
from app.pipeline.privacy import BlurredFrame, require_blurred


@dataclass(frozen=True)
class AlignedFace:
    box: Box
    landmarks: tuple[tuple[int, int], ...]
    chip: np.ndarray  # RGB, size x size


class LandmarkAligner:
    def __init__(self, predictor_path: str, chip_size: int) -> None:
        import dlib

        self._dlib = dlib
        self._predictor = dlib.shape_predictor(predictor_path)
        self.chip_size = chip_size

    def align(self, frame: BlurredFrame, boxes: list[Box], padding: float) -> list[AlignedFace]:
        if not boxes:
            return []
        rgb = cv2.cvtColor(require_blurred(frame).pixels, cv2.COLOR_BGR2RGB)
        dlib = self._dlib
        shapes = dlib.full_object_detections()
        for b in boxes:
            shapes.append(self._predictor(rgb, dlib.rectangle(b.x, b.y, b.x + b.w, b.y + b.h)))
        chips = dlib.get_face_chips(rgb, shapes, size=self.chip_size, padding=padding)
        return [
            AlignedFace(
                box=b,
                landmarks=tuple((p.x, p.y) for p in shape.parts()),
                chip=np.asarray(chip),
            )
            for b, shape, chip in zip(boxes, shapes, chips, strict=True)
        ]
