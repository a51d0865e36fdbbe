"""Frozen value types shared by the pipeline, the services and the shells."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class MediaType(StrEnum):
    """The SIFIS `Type` field."""

    VIDEO = "Video_file"
    IMAGE = "Image_file"
    CAMERA = "cam_link"


@dataclass(frozen=True)
class Box:
    """A face rectangle in frame pixels, with the detector's confidence when it gives one
    (YuNet's score, 0-1; not part of the box's identity)."""

    x: int
    y: int
    w: int
    h: int
    score: float | None = field(default=None, compare=False)

    @property
    def area(self) -> int:
        return self.w * self.h

    def iou(self, other: Box) -> float:
        """Intersection over union, 0 when the boxes do not overlap."""
        ix = max(0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union else 0.0


@dataclass(frozen=True)
class Match:
    """The gallery's answer for one face: a resident name, or None when nobody is close enough,
    or when the face is too small for its blur to be told apart (`unrecognisable`)."""

    name: str | None
    distance: float
    threshold: float
    confidence: int
    unrecognisable: bool = False
    nearest: str | None = None  # the nearest resident, named or not (None: empty gallery)


@dataclass(frozen=True)
class Nearest:
    """A face's nearest resident, whether named or not, at `distance`, and the accept distance
    (`threshold`) it was judged against: what a reviewer weighs (docs/ui.md, Review)."""

    resident: str
    distance: float
    threshold: float

    @property
    def margin(self) -> float:
        """How far inside the accept distance (negative: outside, by that much)."""
        return self.threshold - self.distance


@dataclass(frozen=True)
class ModelInfo:
    detector: str
    recognizer: str
    threshold: float


@dataclass(frozen=True)
class ResidentSighting:
    """A confirmed resident across the analysed frames."""

    name: str
    first_frame: int
    last_frame: int
    first_seen_s: float
    last_seen_s: float
    frames: int
    confidence: int


@dataclass(frozen=True)
class AnalysisResult:
    """What one analysis found. Carries names, frame numbers, counts and times; never pixels."""

    media_type: MediaType
    privacy_parameter: int
    count_frames: int
    analysed_frames: int
    residents: tuple[ResidentSighting, ...]
    unknown_faces: int
    unrecognisable_faces: int = 0  # faces too small for their blur to be told apart
    labels: dict[int, str] = field(default_factory=dict)
    model: ModelInfo | None = None


# What a watched camera reports (docs/cameras.md); a new kind of event is one more name here.
EVENT_TYPES = ("recognized", "left", "unknown", "unrecognisable")


@dataclass(frozen=True)
class CameraEvent:
    """One event of the watched cameras: names, a camera name and a time; never pixels or URLs.

    `id` is 0 until the event store numbers it. `left` names the camera the resident was last
    seen on; `unknown` has no resident.
    """

    type: str
    camera: str | None
    resident: str | None
    time: float  # seconds since the epoch
    confidence: int | None = None
    privacy_parameter: int | None = None
    id: int = 0
