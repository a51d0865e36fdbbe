"""Single-image queries, each blurring the image by `privacy_parameter` first:
POST /faces/detect/<p>, /faces/identify/<p> (against the gallery named by `path`) and
/faces/verify/<p> (two images: the same person or not)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING

from flask import Blueprint, Response, jsonify

from app.api.inputs import compute, gallery_dir, images
from app.api.runtime import runtime
from app.domain import Box

if TYPE_CHECKING:
    from app.pipeline.privacy import PrivacyLevel
    from app.services import Services

bp = Blueprint("faces", __name__)


def _start(privacy_parameter: str) -> tuple[Services, PrivacyLevel]:
    services = runtime().services
    return services, services.privacy(privacy_parameter)


@bp.post("/faces/detect/<privacy_parameter>")
def detect(privacy_parameter: str) -> Response:
    services, privacy = _start(privacy_parameter)
    with images("file", "image_url", 1) as (path,):
        faces = compute(lambda: services.detect_faces(path, privacy))
    return jsonify(
        {
            "privacy_parameter": privacy.kernel,
            "detector": services.analyzer.detector.name,
            "faces": [
                {
                    "box": box(f.box),
                    "landmarks": [list(p) for p in f.landmarks],
                    "verified": f.verified,
                }
                for f in faces
            ],
        }
    )


@bp.post("/faces/identify/<privacy_parameter>")
def identify(privacy_parameter: str) -> Response:
    services, privacy = _start(privacy_parameter)
    directory = gallery_dir(services)
    with images("file", "image_url", 1) as (path,):
        found = compute(lambda: services.identify_faces(path, privacy, services.gallery(directory)))
    return jsonify(
        {
            "privacy_parameter": privacy.kernel,
            "faces": [
                {
                    "box": box(f.face.box),
                    "name": f.match.name,
                    "confidence": f.match.confidence,
                    "distance": _number(f.match.distance),
                }
                for f in found
            ],
            "unknown_faces": sum(1 for f in found if f.match.name is None),
            "model": asdict(services.analyzer.model_info(privacy)),
        }
    )


@bp.post("/faces/verify/<privacy_parameter>")
def verify(privacy_parameter: str) -> Response:
    services, privacy = _start(privacy_parameter)
    with (
        images("file1", "image_url1", 1) as (first,),
        images("file2", "image_url2", 1) as (second,),
    ):
        result = compute(lambda: services.verify_faces(first, second, privacy))
    analyzer = services.analyzer
    return jsonify(
        {
            "privacy_parameter": privacy.kernel,
            "same_person": result.same,
            "distance": _number(result.distance),
            "threshold": round(result.threshold, 4),
            "confidence": result.confidence,
            "faces": list(result.faces),
            "model": {"detector": analyzer.detector.name, "recognizer": analyzer.embedder.name},
        }
    )


def box(b: Box) -> dict[str, int]:
    return {"x": b.x, "y": b.y, "w": b.w, "h": b.h}


def _number(distance: float) -> float | None:
    """A distance for JSON: None when there was nothing to compare with (an empty gallery)."""
    return round(distance, 4) if math.isfinite(distance) else None
