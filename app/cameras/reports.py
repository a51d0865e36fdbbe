"""What a camera's watcher reports, as values: one frozen union, handed to a `Reporter` (the
service's Watching, or on a queue worker the Relay to the front), and its one codec for the trip
through the queue (app/cameras/sharing.py). A face travels as numbers only: its embedding, size
and sharpness and the track's best match; a face crop (UI_SNAPSHOTS) never leaves its process."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from app.domain import Nearest
from app.pipeline.tracking import Observation


@dataclass(frozen=True)
class SeenFace:
    """What an event keeps of the face it is about (with its embedding's chip profile)."""

    embedding: np.ndarray
    face_px: int
    sharpness: float | None

    @classmethod
    def of(cls, seen: Observation) -> SeenFace | None:
        if seen.embedding is None:
            return None
        return cls(seen.embedding, min(seen.box.w, seen.box.h), seen.sharpness)


@dataclass(frozen=True)
class Recognized:
    camera: str
    privacy: int
    resident: str
    confidence: int
    face: SeenFace | None = None  # kept with the event, for "that was not me" and "this is X"
    best: Nearest | None = None  # the track's best match, for its review
    crop: np.ndarray | None = None  # with UI_SNAPSHOTS: the blurred face; in this process only


@dataclass(frozen=True)
class Unknown:
    camera: str
    privacy: int
    face: SeenFace | None = None  # the largest view of the stranger, for "this is X"
    best: Nearest | None = None
    crop: np.ndarray | None = None


@dataclass(frozen=True)
class Unrecognisable:
    """A face too small for its blur: neither a resident nor a stranger."""

    camera: str
    privacy: int


@dataclass(frozen=True)
class Seen:
    """A recognised resident is still in view (presence)."""

    camera: str
    resident: str


Report = Recognized | Unknown | Unrecognisable | Seen
Reporter = Callable[[Report], None]
_KINDS: dict[str, type[Report]] = {
    k.__name__: k for k in (Recognized, Unknown, Unrecognisable, Seen)
}


def encode(report: Report) -> str:
    """The report as JSON, without its face crop."""
    values: dict[str, Any] = {f.name: getattr(report, f.name) for f in fields(report)}
    values.pop("crop", None)
    if values.get("face") is not None:
        face: SeenFace = values["face"]
        vector = np.asarray(face.embedding, dtype=np.float32)
        values["face"] = {
            "embedding": base64.b64encode(vector.tobytes()).decode(),
            "face_px": face.face_px,
            "sharpness": face.sharpness,
        }
    if values.get("best") is not None:
        values["best"] = asdict(values["best"])
    return json.dumps({"kind": type(report).__name__, **values})


def decode(text: str | bytes) -> Report:
    values = json.loads(text)
    kind = _KINDS[values.pop("kind")]
    if values.get("face") is not None:
        face = values["face"]
        vector = np.frombuffer(base64.b64decode(face["embedding"]), np.float32)
        values["face"] = SeenFace(vector, face["face_px"], face["sharpness"])
    if values.get("best") is not None:
        values["best"] = Nearest(**values["best"])
    return kind(**values)
