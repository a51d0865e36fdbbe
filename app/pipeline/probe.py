"""Single-image queries: detect, identify and verify, on frames that came through the blur."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.domain import Box, MediaType
from app.errors import NoFaceFound, UnsupportedMedia
from app.pipeline.analyze import Analyzer, FaceMatch
from app.pipeline.file_sources import ImageSource
from app.pipeline.gallery import Gallery
from app.pipeline.matching import confidence, distances, relative_blur
from app.pipeline.media import MediaLimits, sniff_media_type
from app.pipeline.privacy import BlurredFrame, PrivacyLevel


@dataclass(frozen=True)
class DetectedFace:
    box: Box
    landmarks: tuple[tuple[int, int], ...]  # dlib's 5 points, frame pixels
    verified: bool  # the verifier (dlib HOG, then MMOD CNN) confirms the detector's box


@dataclass(frozen=True)
class Verification:
    same: bool
    distance: float
    threshold: float
    confidence: int
    faces: tuple[int, int]  # faces found in each image; the largest of each is compared
    unrecognisable: bool  # a face is too small for the blur to tell: `same` is then false


def require_image(path: Path) -> None:
    """Refuse videos and unknown files: these routes take one still image."""
    with open(path, "rb") as fh:
        if sniff_media_type(fh.read(512)) is not MediaType.IMAGE:
            raise UnsupportedMedia("send one still image (JPEG, PNG, BMP or WebP), not a video")


def load(path: Path, privacy: PrivacyLevel, limits: MediaLimits) -> BlurredFrame:
    """Decode an uploaded image and blur it by the request's privacy level."""
    require_image(path)
    ((_, frame),) = ImageSource(path, privacy, limits)
    return frame


def detect(analyzer: Analyzer, frame: BlurredFrame, privacy: PrivacyLevel) -> list[DetectedFace]:
    faces = analyzer.faces(frame, analyzer.profile(privacy))
    return [
        DetectedFace(f.box, f.landmarks, analyzer.verifier.is_face(frame, f.box)) for f in faces
    ]


def identify(
    analyzer: Analyzer, frame: BlurredFrame, gallery: Gallery, privacy: PrivacyLevel
) -> list[FaceMatch]:
    """Every face with its best resident; a face nobody matches is kept only when the verifier
    confirms it is a face (as `/check_directory` counts unknown faces)."""
    return [
        m
        for m in analyzer.identify(frame, gallery, privacy)
        if m.match.name or analyzer.verifier.is_face(frame, m.face.box)
    ]


def identified_face(
    analyzer: Analyzer,
    frame: BlurredFrame,
    gallery: Gallery,
    privacy: PrivacyLevel,
    position: int,
) -> tuple[Box, np.ndarray]:
    """The face at `position` of `identify`'s answer for this frame, and its embedding."""
    found = identify(analyzer, frame, gallery, privacy)
    if not 0 <= position < len(found):
        raise NoFaceFound(f"the image has {len(found)} face(s); there is no face {position}")
    face = found[position].face
    return face.box, analyzer.embed([face])[0]


def verify(
    analyzer: Analyzer, first: BlurredFrame, second: BlurredFrame, privacy: PrivacyLevel
) -> Verification:
    """Same person or not: the largest confirmed face of each image, against the verification
    (`pair`) rule at the blur of the more blurred face, since both images are blurred alike."""
    profile = analyzer.profile(privacy)
    vectors, counts, widths = [], [], []
    for number, frame in enumerate((first, second), start=1):
        faces = analyzer.faces(frame, profile, verified=True)
        if not faces:
            raise NoFaceFound(f"no face found in image {number}")
        largest = max(faces, key=lambda f: f.box.area)
        vectors.append(analyzer.embed([largest])[0])
        counts.append(len(faces))
        widths.append(float(largest.box.w))
    distance = float(distances(vectors[0][None], vectors[1][None], analyzer.embedder.metric)[0, 0])
    rule, narrowest = analyzer.rule, min(widths)
    relative = relative_blur(privacy.kernel, narrowest)
    threshold = rule.threshold(min(relative, rule.max_blur), 1, "pair")
    unrecognisable = not rule.recognisable(relative, narrowest)
    same = distance <= threshold and not unrecognisable
    return Verification(
        same=same,
        distance=distance,
        threshold=threshold,
        confidence=confidence(distance, threshold) if same else 0,
        faces=(counts[0], counts[1]),
        unrecognisable=unrecognisable,
    )
