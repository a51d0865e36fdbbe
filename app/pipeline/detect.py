"""Face detectors behind one small protocol. Heavy objects are built in the constructors."""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from app.domain import Box
from app.errors import ModelUnavailable
from app.pipeline.privacy import BlurredFrame, require_blurred

_MAX_DETECT_SIDE = 960  # larger frames are downscaled for detection; boxes are mapped back


class Detector(Protocol):
    name: str

    def detect(self, frame: BlurredFrame) -> list[Box]: ...


def _detection_image(frame: BlurredFrame) -> tuple[np.ndarray, float]:
    """Grey image for detection, downscaled to at most `_MAX_DETECT_SIDE`, and its scale."""
    pixels = require_blurred(frame).pixels
    scale = min(1.0, _MAX_DETECT_SIDE / max(frame.width, frame.height))
    if scale < 1.0:
        pixels = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY), scale


def _to_box(x: float, y: float, w: float, h: float, scale: float, frame: BlurredFrame) -> Box:
    x0, y0 = max(0, round(x / scale)), max(0, round(y / scale))
    x1, y1 = min(frame.width, round((x + w) / scale)), min(frame.height, round((y + h) / scale))
    return Box(x0, y0, x1 - x0, y1 - y0)


class HaarDetector:
    """OpenCV's frontal-face Haar cascade, shipped inside opencv-contrib-python-headless < 5."""

    name = "opencv"

    def __init__(self, min_face_px: int) -> None:
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise ModelUnavailable(
                f"Haar cascade not found at {path}: install opencv-contrib-python-headless<5"
            )
        self._min = min_face_px

    def detect(self, frame: BlurredFrame) -> list[Box]:
        grey, scale = _detection_image(frame)
        found = self._cascade.detectMultiScale(
            grey, scaleFactor=1.2, minNeighbors=5, minSize=(self._min, self._min)
        )
        return [_to_box(x, y, w, h, scale, frame) for (x, y, w, h) in found]


class HogDetector:
    """dlib's HOG + linear SVM frontal face detector (no weight file needed)."""

    name = "dlib"

    def __init__(self, min_face_px: int) -> None:
        import dlib

        self._detector = dlib.get_frontal_face_detector()
        self._min = min_face_px

    def detect(self, frame: BlurredFrame) -> list[Box]:
        grey, scale = _detection_image(frame)
        boxes = [
            _to_box(r.left(), r.top(), r.width(), r.height(), scale, frame)
            for r in self._detector(grey, 0)
        ]
        return [b for b in boxes if min(b.w, b.h) >= self._min]


DETECTORS = {"opencv": HaarDetector, "dlib": HogDetector}


def build_detector(name: str, min_face_px: int) -> Detector:
    try:
        return DETECTORS[name](min_face_px)
    except KeyError:
        raise ModelUnavailable(
            f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}"
        ) from None


class FaceVerifier:
    """Second opinion on a detection, looking at the box's neighbourhood only.

    Haar cascades fire on chins, collars and textures. dlib's HOG detector accepts most real
    faces in ~10 ms; what it rejects goes to dlib's MMOD CNN, which rejects nearly all false
    detections and keeps real faces up to heavy blur, but costs ~0.3 s on a small CPU. It is asked
    only about faces that would otherwise be reported as unknown, and about enrollment photos.
    """

    _FACE_SIDE = 120  # the crop is scaled so that the box is this many pixels wide

    def __init__(self, model_path: str) -> None:
        import dlib

        self._hog = dlib.get_frontal_face_detector()
        self._cnn = dlib.cnn_face_detection_model_v1(model_path)

    def is_face(self, frame: BlurredFrame, box: Box) -> bool:
        pixels = require_blurred(frame).pixels
        margin = box.w // 2
        x0, y0 = max(0, box.x - margin), max(0, box.y - margin)
        x1 = min(frame.width, box.x + box.w + margin)
        y1 = min(frame.height, box.y + box.h + margin)
        scale = self._FACE_SIDE / max(1, box.w)
        crop = cv2.resize(pixels[y0:y1, x0:x1], None, fx=scale, fy=scale)
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        return len(self._hog(rgb, 0)) > 0 or len(self._cnn(rgb, 0)) > 0
