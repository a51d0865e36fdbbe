"""How sharp a face is: the variance of the Laplacian of the face, cut out and scaled to
`SHARPNESS_SIDE` x `SHARPNESS_SIDE` grey pixels so that the figure does not depend on the image's
resolution. Used by the enrollment quality gate (app/pipeline/quality.py) and kept with the faces
that cameras see, so that the same gate can judge them later."""

from __future__ import annotations

import cv2

from app.domain import Box
from app.pipeline.privacy import BlurredFrame

SHARPNESS_SIDE = 128


def sharpness(frame: BlurredFrame, box: Box) -> float:
    """Variance of the Laplacian of the face, scaled to SHARPNESS_SIDE pixels square."""
    crop = frame.pixels[max(0, box.y) : box.y + box.h, max(0, box.x) : box.x + box.w]
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    grey = cv2.resize(grey, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())
