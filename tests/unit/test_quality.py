"""Enrollment normalisation and the sharpness measure (no models)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from app.domain import Box
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.quality import normalise, prepare, sharpness
from tests.conftest import FACES
from tests.media import limits


def test_normalise_downscales_and_reencodes_as_jpeg_without_metadata(tmp_path):
    image = Image.new("RGB", (2000, 1000), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    exif[0x8825] = {1: "N"}  # a GPS block
    path = tmp_path / "phone.jpg"
    image.save(path, "JPEG", exif=exif)
    jpeg, frame = prepare(path, limits(), max_side=500)
    assert frame.pixels.shape[:2] == (500, 250)  # orientation applied, then downscaled
    stored = Image.open(io.BytesIO(jpeg))
    assert stored.format == "JPEG" and not stored.getexif()


def test_small_images_keep_their_size():
    frame = cv2.imread(str(FACES / "img1.jpg"))
    decoded = cv2.imdecode(np.frombuffer(normalise(frame, 1024), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == frame.shape


def test_sharpness_drops_with_blur():
    frame = cv2.imread(str(FACES / "img1.jpg"))
    box = Box(100, 150, 250, 250)
    sharp = sharpness(PrivacyLevel(0).blur(frame.copy()), box)
    blurred = sharpness(PrivacyLevel(15).blur(frame.copy()), box)
    assert sharp > 100 > blurred
