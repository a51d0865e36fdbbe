"""Single-image queries, each blurring the image by `privacy_parameter` first:
POST /faces/detect/<p>, /faces/identify/<p> (against the gallery named by `path`),
/faces/identify/<p>/is/<name> ("this is X" on an identify answer's face: app/residents/positives.py)
and /faces/verify/<p> (two images: the same person or not)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, NotRequired

from flask import Blueprint, Response, jsonify
from pydantic import Field
from typing_extensions import TypedDict

from app.api.analysis import form_value, privacy_parameter
from app.api.audit import audited
from app.api.feedback import Positive, ResidentName, positives, resident, view
from app.api.inputs import (
    URL_ERRORS,
    Gallery,
    GalleryQuery,
    Image,
    ImageUrl,
    compute,
    gallery_dir,
    images,
)
from app.api.params import whole_number
from app.api.runtime import runtime
from app.api.spec import Body, Reply, Shape, operation, settings_shape
from app.config import Settings
from app.domain import Box, ModelInfo
from app.store.audit import AuditTrail
from app.store.events import FaceEmbedding

if TYPE_CHECKING:
    from app.pipeline.privacy import PrivacyLevel
    from app.recognition import Recognition

bp = Blueprint("faces", __name__)
ERRORS = (400, 413, 415, 422, 500, 503, 504, 507, *URL_ERRORS)
Confidence = Annotated[int, Field(ge=0, le=100)]


class FaceBox(TypedDict):
    x: int
    y: int
    w: int
    h: int


class DetectedFace(TypedDict):
    box: FaceBox
    landmarks: list[tuple[int, int]]
    verified: bool


class Detection(TypedDict):
    privacy_parameter: int
    detector: str
    faces: list[DetectedFace]


class IdentifiedFace(TypedDict):
    box: FaceBox
    name: str | None
    unrecognisable: bool
    confidence: Confidence
    distance: float | None
    threshold: Annotated[
        float,
        Field(
            description="Accept distance for this face: its blur relative to its size and the "
            "gallery's size"
        ),
    ]


class Identification(TypedDict):
    privacy_parameter: int
    faces: list[IdentifiedFace]
    unknown_faces: int
    unrecognisable_faces: int
    model: ModelInfo


class Models(TypedDict):
    detector: str
    recognizer: str


class Verification(TypedDict):
    privacy_parameter: int
    same_person: bool
    unrecognisable: bool
    distance: float | None
    threshold: float
    confidence: Confidence
    faces: list[int]
    model: Models


class ImageForm(TypedDict):
    file: NotRequired[Image]
    image_url: NotRequired[ImageUrl]


class IdentifyForm(ImageForm):
    path: NotRequired[Gallery]


class VerifyForm(TypedDict):
    file1: NotRequired[Image]
    image_url1: NotRequired[ImageUrl]
    file2: NotRequired[Image]
    image_url2: NotRequired[ImageUrl]


class ConfirmForm(ImageForm):
    face: NotRequired[
        Annotated[
            int,
            Field(
                ge=0,
                description="The face's position in the /faces/identify answer for the same image "
                "and privacy parameter (default gallery); 0 when absent",
            ),
        ]
    ]


def _path(settings: Settings) -> Shape:
    return settings_shape("FacesPath", {"privacy_parameter": privacy_parameter(settings)})


def _confirm_path(settings: Settings) -> Shape:
    return settings_shape(
        "FacesConfirmPath",
        {"privacy_parameter": privacy_parameter(settings), "name": ResidentName},
    )


def _start(trail: AuditTrail, privacy_parameter: str) -> tuple[Recognition, PrivacyLevel]:
    recognition = runtime().services.recognition
    privacy = recognition.privacy(privacy_parameter)
    trail.privacy_parameter = privacy.kernel
    return recognition, privacy


@bp.post("/faces/detect/<privacy_parameter>")
@operation(
    "Faces of one image: boxes, landmarks and the verifier's verdict",
    {200: Reply(Detection, "Faces")},
    errors=ERRORS,
    operation_id="detect_faces",
    path=_path,
    body=Body(ImageForm),
)
@audited
def detect(trail: AuditTrail, privacy_parameter: str) -> Response:
    recognition, privacy = _start(trail, privacy_parameter)
    with images("file", "image_url", 1) as (path,):
        faces = compute(lambda: recognition.detect_faces(path, privacy))
    return jsonify(
        {
            "privacy_parameter": privacy.kernel,
            "detector": recognition.analyzer.detector.name,
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
@operation(
    "Each face of one image: the best resident or unknown",
    {200: Reply(Identification, "Faces")},
    errors=(*ERRORS, 404),
    operation_id="identify_faces",
    path=_path,
    query=GalleryQuery,
    body=Body(IdentifyForm),
)
@audited
def identify(trail: AuditTrail, privacy_parameter: str) -> Response:
    recognition, privacy = _start(trail, privacy_parameter)
    directory = gallery_dir(recognition, trail)
    with images("file", "image_url", 1) as (path,):
        found = compute(
            lambda: recognition.identify_faces(path, privacy, recognition.gallery(directory))
        )
    return jsonify(
        {
            "privacy_parameter": privacy.kernel,
            "faces": [
                {
                    "box": box(f.face.box),
                    "name": f.match.name,
                    "unrecognisable": f.match.unrecognisable,
                    "confidence": f.match.confidence,
                    "distance": _number(f.match.distance),
                    "threshold": round(f.match.threshold, 4),
                }
                for f in found
            ],
            "unknown_faces": sum(
                1 for f in found if f.match.name is None and not f.match.unrecognisable
            ),
            "unrecognisable_faces": sum(1 for f in found if f.match.unrecognisable),
            "model": asdict(recognition.analyzer.model_info()),
        }
    )


@bp.post("/faces/identify/<privacy_parameter>/is/<name>")
@operation(
    "This is X: a face of the /faces/identify answer for the same image becomes a positive of "
    "the resident (default gallery), one of their views at the blur it was seen at, if the "
    "accept rule can name a face that size at that blur and it is not a near-duplicate; else "
    "422 positive_rejected says why",
    {201: Reply(Positive, "The positive stored")},
    errors=(*ERRORS, 404),
    operation_id="confirm_identified_face",
    path=_confirm_path,
    body=Body(ConfirmForm),
)
@audited
def confirm(trail: AuditTrail, privacy_parameter: str, name: str) -> Response:
    recognition, privacy = _start(trail, privacy_parameter)
    position = whole_number("face", form_value("face"))
    trail.residents = (resident(name),)
    trail.gallery = "default"
    directory = runtime().services.settings.residents_dir
    with images("file", "image_url", 1) as (path,):
        found, vector = compute(
            lambda: recognition.identified_face(
                path, privacy, recognition.gallery(directory), position
            )
        )
    face = FaceEmbedding(
        recognition.analyzer.profile(privacy).model_id, vector, min(found.w, found.h)
    )
    response = jsonify(view(positives().confirm(trail.residents[0], face, privacy.kernel)))
    response.status_code = 201
    return response


@bp.post("/faces/verify/<privacy_parameter>")
@operation(
    "Two images: the same person or not (largest face of each)",
    {200: Reply(Verification, "Verdict")},
    errors=ERRORS,
    operation_id="verify_faces",
    path=_path,
    body=Body(VerifyForm),
)
@audited
def verify(trail: AuditTrail, privacy_parameter: str) -> Response:
    recognition, privacy = _start(trail, privacy_parameter)
    with (
        images("file1", "image_url1", 1) as (first,),
        images("file2", "image_url2", 1) as (second,),
    ):
        result = compute(lambda: recognition.verify_faces(first, second, privacy))
    analyzer = recognition.analyzer
    return jsonify(
        {
            "privacy_parameter": privacy.kernel,
            "same_person": result.same,
            "unrecognisable": result.unrecognisable,
            "distance": _number(result.distance),
            "threshold": round(result.threshold, 4),
            "confidence": result.confidence,
            "faces": list(result.faces),
            "model": {"detector": analyzer.detector.name, "recognizer": analyzer.embedder.name},
        }
    )


def box(b: Box) -> FaceBox:
    return {"x": b.x, "y": b.y, "w": b.w, "h": b.h}


def _number(distance: float) -> float | None:
    """A distance for JSON: None when there was nothing to compare with (an empty gallery)."""
    return round(distance, 4) if math.isfinite(distance) else None
