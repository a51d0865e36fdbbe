"""Face detectors behind one small protocol. Heavy objects are built in the constructors."""

from __future__ import annotations

import hashlib
import threading
from importlib import resources
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from app.domain import Box
from app.errors import ModelUnavailable
from app.pipeline.privacy import BlurredFrame, require_blurred

_MAX_DETECT_SIDE = 960  # larger frames are downscaled for detection; boxes are mapped back

YUNET_FILE = "face_detection_yunet_2023mar.onnx"
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
# shipped inside opencv-contrib-python-headless < 5 (`cv2.data` is missing from OpenCV's stubs)
HAAR_FRONTAL = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]


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


def _to_box(
    x: float, y: float, w: float, h: float, scale: float, frame: BlurredFrame, score: float | None
) -> Box:
    x0, y0 = max(0, round(x / scale)), max(0, round(y / scale))
    x1, y1 = min(frame.width, round((x + w) / scale)), min(frame.height, round((y + h) / scale))
    return Box(x0, y0, x1 - x0, y1 - y0, score)


class HaarDetector:
    """OpenCV's frontal-face Haar cascade, shipped inside opencv-contrib-python-headless < 5."""

    name = "opencv"

    def __init__(self, min_face_px: int) -> None:
        self._cascade = cv2.CascadeClassifier(HAAR_FRONTAL)
        if self._cascade.empty():
            raise ModelUnavailable(
                f"Haar cascade not found at {HAAR_FRONTAL}: "
                "install opencv-contrib-python-headless<5"
            )
        self._min = min_face_px

    def detect(self, frame: BlurredFrame) -> list[Box]:
        grey, scale = _detection_image(frame)
        found = self._cascade.detectMultiScale(
            grey, scaleFactor=1.2, minNeighbors=5, minSize=(self._min, self._min)
        )
        return [_to_box(x, y, w, h, scale, frame, None) for (x, y, w, h) in found]


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
            _to_box(r.left(), r.top(), r.width(), r.height(), scale, frame, None)
            for r in self._detector(grey, 0)
        ]
        return [b for b in boxes if min(b.w, b.h) >= self._min]


def vendored_model(file_name: str, sha256: str) -> Path:
    """Path of a model file shipped in `app/pipeline/weights/`, after checking its SHA-256."""
    path = Path(str(resources.files("app.pipeline").joinpath(f"weights/{file_name}")))
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelUnavailable(f"model file {path} cannot be read: {exc.strerror}") from None
    if digest != sha256:
        raise ModelUnavailable(
            f"model file {path} is damaged or replaced: SHA-256 {digest}, expected {sha256}; "
            "reinstall the package"
        )
    return path


class YuNetDetector:
    """OpenCV's YuNet CNN (`cv2.FaceDetectorYN`), vendored with its hash.

    It finds blurred faces that Haar misses (LFW, faces ~110 px: 100 % at k = 0, 17 and 35 against
    Haar's 99.4 / 97.5 / 91.6 %) in about a third of the time. Its score threshold is low (0.5)
    because blur lowers the score of real faces; the verifier double-checks what matters.

    Boxes are reported in dlib's convention (square, eyebrows to lower lip), which the 5-point
    landmark predictor was trained on: YuNet's taller box (forehead to chin) mapped by the median
    relation of the two on clean LFW photos. Landmarks from the mapped box embed better under
    blur (LFW, 80 residents: TAR at FAR 0.1 % 52.5 % against 46.7 % at k = 17).
    """

    name = "yunet"
    SCORE_THRESHOLD = 0.5
    NMS_THRESHOLD = 0.3

    def __init__(self, min_face_px: int, model: Path | None = None) -> None:
        path = model or vendored_model(YUNET_FILE, YUNET_SHA256)
        self._net = cv2.FaceDetectorYN.create(
            str(path), "", (320, 320), self.SCORE_THRESHOLD, self.NMS_THRESHOLD, 5000
        )
        self._lock = threading.Lock()  # the net keeps its input size: one caller at a time
        self._min = min_face_px

    def detect(self, frame: BlurredFrame) -> list[Box]:
        pixels = require_blurred(frame).pixels
        scale = min(1.0, _MAX_DETECT_SIDE / max(frame.width, frame.height))
        if scale < 1.0:
            pixels = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        with self._lock:
            self._net.setInputSize((pixels.shape[1], pixels.shape[0]))
            _, found = self._net.detect(pixels)
        boxes = (
            []
            if found is None
            else [_dlib_style(row[:4], scale, frame, float(row[14])) for row in found]
        )
        return [b for b in boxes if min(b.w, b.h) >= self._min]


def _dlib_style(xywh: np.ndarray, scale: float, frame: BlurredFrame, score: float) -> Box:
    """A YuNet box as dlib's detectors would draw it (measured: 1.16 x wider, 0.87 x as tall,
    centred 3 % of the width left and 4.7 % of the height lower)."""
    x, y, w, h = (float(v) for v in xywh)
    cx, cy = x + w / 2 - 0.03 * w, y + h / 2 + 0.047 * h
    width, height = 1.16 * w, 0.87 * h
    return _to_box(cx - width / 2, cy - height / 2, width, height, scale, frame, score)


DETECTORS = {"yunet": YuNetDetector, "opencv": HaarDetector, "dlib": HogDetector}


def build_detector(name: str, min_face_px: int) -> Detector:
    try:
        return DETECTORS[name](min_face_px)
    except KeyError:
        raise ModelUnavailable(
            f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}"
        ) from None


class FaceVerifier:
    """Second opinion on a detection, looking at the box's neighbourhood only.

    Haar cascades fire on chins, collars and textures, YuNet at its low threshold on blurred
    clutter. Three signals, cheapest first:
    - YuNet's own score: at or above `CONFIDENT_SCORE` the box is a face. On 1,602 YuNet boxes
      (300 LFW photos at k = 0, 17, 25, 35 and the crowd scene at k = 0, 17, 25:
      `python -m bench.verifier --lfw DIR`), no LFW box that the other two signals reject scored
      0.9 or more; five crowd boxes did, all real faces they miss under blur (checked by eye);
    - dlib's HOG detector, ~10 ms, accepts most other real faces;
    - dlib's MMOD CNN, asked only `thorough`ly, rejects nearly all false detections and keeps
      real faces up to heavy blur, but costs ~0.3 s on a small CPU.
    It is asked about faces that would otherwise be counted as unknown (thoroughly), as
    unrecognisable (cheaply in videos and cameras: no name is at stake; on the corpus above the
    cheap signals need no MMOD call and accept none of the LFW boxes the full opinion rejects),
    and about enrollment photos (thoroughly).
    """

    CONFIDENT_SCORE = 0.9
    _FACE_SIDE = 120  # the crop is scaled so that the box is this many pixels wide

    def __init__(self, model_path: str) -> None:
        import dlib

        self._hog = dlib.get_frontal_face_detector()
        self._cnn = dlib.cnn_face_detection_model_v1(model_path)

    def is_face(self, frame: BlurredFrame, box: Box, thorough: bool = True) -> bool:
        """Whether the box holds a face; without `thorough`, a box that is neither confident
        nor found by HOG counts as no face."""
        if box.score is not None and box.score >= self.CONFIDENT_SCORE:
            return True
        rgb = self.neighbourhood(frame, box)
        return self.hog_finds(rgb) or (thorough and self.cnn_finds(rgb))

    def neighbourhood(self, frame: BlurredFrame, box: Box) -> np.ndarray:
        """The box with half its width around it, scaled so that the box is `_FACE_SIDE` wide,
        as RGB: what the two dlib detectors look at."""
        pixels = require_blurred(frame).pixels
        margin = box.w // 2
        x0, y0 = max(0, box.x - margin), max(0, box.y - margin)
        x1 = min(frame.width, box.x + box.w + margin)
        y1 = min(frame.height, box.y + box.h + margin)
        scale = self._FACE_SIDE / max(1, box.w)
        crop = cv2.resize(pixels[y0:y1, x0:x1], None, fx=scale, fy=scale)
        return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)

    def hog_finds(self, rgb: np.ndarray) -> bool:
        return len(self._hog(rgb, 0)) > 0

    def cnn_finds(self, rgb: np.ndarray) -> bool:
        return len(self._cnn(rgb, 0)) > 0
