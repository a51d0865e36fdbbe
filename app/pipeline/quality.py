"""Enrollment quality gate: which photos may become a resident's images, and how they are stored.

A photo is accepted when it holds exactly one face (the detector's boxes confirmed by the verifier,
as `Analyzer.enroll` does), the face is at least `min_face_px` wide, sharp enough, and not a
near-duplicate of an image already enrolled (for anyone) or accepted earlier in the same request.
Every refusal carries a stable reason code.

Sharpness is the variance of the Laplacian of the face scaled to a fixed size
(app/pipeline/sharpness.py). Measured on the test faces: sharp photos score 194-1338; the same
photos blurred with a 15 px Gaussian kernel score 7-92, so the default minimum is 100.

The near-duplicate rule, at the blur the face was seen at, also decides whether a face a camera
saw may become a resident's positive ("this is X", app/residents/positives.py); the size and
sharpness rules do not: there the accept rule's own limits apply.

A near-duplicate is an image whose embedding lies within `duplicate_ratio` x the model's
verification threshold (no blur, one photo) of an enrolled one: for Dlib 0.08 x 0.057 = 0.0046 in
cosine distance (for a face seen blurred, of the threshold at its blur). The same photo
re-encoded at 80 % of its size lands at 0.0008; the closest two different photos of the test set
are 0.012 apart.

Accepted photos are normalised before they are stored: decoded (OpenCV applies the EXIF
orientation), downscaled to at most `max_side` pixels and re-encoded as JPEG, which also drops all
metadata (EXIF, GPS). The gate looks at exactly the bytes that will be stored, so the embeddings it
computes are the ones the gallery would compute, and can be put into the cache directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.errors import AppError
from app.pipeline.analyze import Analyzer
from app.pipeline.matching import GalleryIndex, distances
from app.pipeline.media import MediaLimits, decode_image
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.probe import require_image
from app.pipeline.sharpness import sharpness

JPEG_QUALITY = 92

# Reason codes, in the order the checks run.
UNREADABLE = "unreadable"
NO_FACE = "no_face"
SEVERAL_FACES = "several_faces"
FACE_TOO_SMALL = "face_too_small"
TOO_BLURRY = "too_blurry"
DUPLICATE = "duplicate"
REASONS = (UNREADABLE, NO_FACE, SEVERAL_FACES, FACE_TOO_SMALL, TOO_BLURRY, DUPLICATE)


@dataclass(frozen=True)
class QualityRules:
    min_face_px: int = 80
    min_sharpness: float = 100.0
    duplicate_ratio: float = 0.08
    max_side: int = 1024


@dataclass(frozen=True)
class Rejection:
    index: int  # position of the image in its request
    reason: str  # one of REASONS
    message: str


@dataclass(frozen=True)
class Accepted:
    index: int
    jpeg: bytes  # the normalised image to store
    vectors: dict[str, np.ndarray]  # model id -> embedding of its face, for the gallery cache


def normalise(frame: np.ndarray, max_side: int) -> bytes:
    """Downscale a decoded BGR image to at most `max_side` pixels and encode it as JPEG."""
    scale = max_side / max(frame.shape[:2])
    if scale < 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any 8-bit BGR image
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes()


def prepare(path: Path, limits: MediaLimits, max_side: int) -> tuple[bytes, BlurredFrame]:
    """The normalised JPEG of an uploaded image and its decoded frame (privacy 0: enrollment
    photos are not blurred, docs/recognition.md). Raises AppError for anything that is not a
    usable image."""
    require_image(path)
    jpeg = normalise(decode_image(path, limits), max_side)
    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert frame is not None, "normalise() made a JPEG that OpenCV cannot decode"
    return jpeg, PrivacyLevel(0).blur(frame)


class QualityGate:
    """Checks enrollment photos with the analyser's own detector, verifier and embedder."""

    def __init__(self, analyzer: Analyzer, rules: QualityRules) -> None:
        self.analyzer, self.rules = analyzer, rules

    def duplicate_distance(self, relative: float = 0.0) -> float:
        """Closer than this to a view blurred alike (sigma / width `relative`), a face is a
        near-duplicate: `duplicate_ratio` of the rule's pair distance at that blur."""
        rule = self.analyzer.rule
        return self.rules.duplicate_ratio * rule.threshold(min(relative, rule.max_blur), 1, "pair")

    def check(
        self, paths: Sequence[Path], limits: MediaLimits, enrolled: GalleryIndex
    ) -> list[Accepted | Rejection]:
        """One verdict per photo, in order. `enrolled` is the gallery's index for the embedder's
        first chip profile; photos accepted earlier in the list count as enrolled too."""
        verdicts: list[Accepted | Rejection] = []
        labels = [f"an enrolled image of {name}" for name in enrolled.names]
        vectors = [*enrolled.vectors]
        first = self.analyzer.embedder.profiles[0].model_id
        for index, path in enumerate(paths):
            try:
                jpeg, frame = prepare(path, limits, self.rules.max_side)
            except AppError as exc:
                verdicts.append(Rejection(index, UNREADABLE, exc.message))
                continue
            verdict = self._assess(index, jpeg, frame, labels, vectors)
            verdicts.append(verdict)
            if isinstance(verdict, Accepted):
                labels.append(f"the image at index {index} of this request")
                vectors.append(verdict.vectors[first])
        return verdicts

    def _assess(
        self,
        index: int,
        jpeg: bytes,
        frame: BlurredFrame,
        labels: list[str],
        vectors: list[np.ndarray],
    ) -> Accepted | Rejection:
        a = self.analyzer
        boxes = a.verified_boxes(frame)
        if not boxes:
            return Rejection(index, NO_FACE, "no face found")
        if len(boxes) > 1:
            return Rejection(index, SEVERAL_FACES, f"{len(boxes)} faces found; one is needed")
        box = boxes[0]
        refused = self.refusal(index, min(box.w, box.h), sharpness(frame, box))
        if refused is not None:
            return refused
        embedded = a.embed_views(frame, box)
        probe = embedded[a.embedder.profiles[0].model_id]
        refused = self.duplicate(index, probe, vectors, labels)
        return refused or Accepted(index, jpeg, embedded)

    def refusal(self, index: int, face_px: int, sharp: float) -> Rejection | None:
        """Why a face of this size and sharpness may not be enrolled (None: it may)."""
        rules = self.rules
        if face_px < rules.min_face_px:
            return Rejection(
                index,
                FACE_TOO_SMALL,
                f"the face is {face_px} px wide; at least {rules.min_face_px} px needed",
            )
        if sharp < rules.min_sharpness:
            return Rejection(
                index,
                TOO_BLURRY,
                f"the face is too blurred (sharpness {sharp:.0f}, at least "
                f"{rules.min_sharpness:g} needed)",
            )
        return None

    def duplicate(
        self,
        index: int,
        probe: np.ndarray,
        vectors: list[np.ndarray],
        labels: list[str],
        relative: float = 0.0,
    ) -> Rejection | None:
        """A DUPLICATE rejection when `probe` is a near-duplicate of one of `vectors` (whose
        descriptions are `labels`), all seen at relative blur `relative`."""
        if not vectors:
            return None
        dist = distances(probe[None, :], np.stack(vectors), self.analyzer.embedder.metric)[0]
        nearest = int(np.argmin(dist))
        if dist[nearest] >= self.duplicate_distance(relative):
            return None
        return Rejection(
            index,
            DUPLICATE,
            f"a near-duplicate of {labels[nearest]} (distance {dist[nearest]:.3f})",
        )
