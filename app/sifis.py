"""The SIFIS-Home message format, in one place: topic names, request IDs, the `value` objects of
results, errors and progress reports, and the `RequestPostTopicUUID` envelope (docs/bus.md).

The HTTP reply, the DHT posts and the MQTT `results` topic all carry these values unchanged.
"""

from __future__ import annotations

import re
import socket
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal, cast

from pydantic import Field
from typing_extensions import TypedDict

from app.domain import (
    EVENT_TYPES,
    AnalysisResult,
    CameraEvent,
    MediaType,
    ModelInfo,
    ResidentSighting,
)

REQUEST_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition"  # a file in MEDIA_DIR
CAM_REQUEST_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition_CAM"  # a camera
RESULTS_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition_Results"
FRAME_RESULTS_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition_Frame_Results"  # progress
EVENTS_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition_Events"  # watched cameras (docs/cameras.md)
RESULTS_UUID = "Face_Recognition_Results"
RESULTS_DESCRIPTION = "Face Recognition Results"
ID_PATTERN = r"[A-Za-z0-9_.:@+-]{1,128}"
_ID = re.compile(ID_PATTERN)


def valid_id(text: str) -> bool:
    """The rule for requestor and request IDs echoed in results: short and plain."""
    return bool(_ID.fullmatch(text))


@dataclass(frozen=True)
class RequestIds:
    requestor_id: str | None = None
    requestor_type: str | None = None
    request_id: str | None = None


class _Header(TypedDict):
    """The fields every value starts with: who asked, and which analysis answers."""

    description: str
    requestor_id: str | None
    requestor_type: str | None
    request_id: str | None
    analyzer_id: str
    analysis_id: str


class ResultValue(_Header):
    """A finished analysis: names, frame numbers, counts and times; no paths, no pixels."""

    Type: Literal["Video_file", "Image_file", "cam_link"]
    file_name: Annotated[
        str,
        Field(
            description="The URL's file_name; for cameras the configured name, the device index "
            "or scheme://host:port (never credentials or a URL path)."
        ),
    ]
    Privacy_Parameter: int
    Labels: Annotated[
        dict[str, str], Field(description="Frame index -> resident name(s), at most 100 entries")
    ]
    count_frames: int
    analysed_frames: int
    residents: list[ResidentSighting]
    unknown_faces: int
    unrecognisable_faces: Annotated[
        int,
        Field(
            description="Faces too small for the privacy level to be told apart: neither a "
            "resident nor a stranger (docs/recognition.md)"
        ),
    ]
    model: ModelInfo | None


class ErrorValue(_Header):
    """A request that could not be analysed, answered rather than left waiting."""

    Type: str | None
    file_name: str | None
    error: dict[str, str]


class ProgressValue(_Header):
    file_name: str
    frames_done: int
    frames_total: int


def _header(ids: RequestIds, analysis_id: str, description: str) -> _Header:
    return {
        "description": description,
        "requestor_id": ids.requestor_id,
        "requestor_type": ids.requestor_type,
        "request_id": ids.request_id,
        "analyzer_id": socket.gethostname(),
        "analysis_id": analysis_id,
    }


def result_value(
    result: AnalysisResult, *, file_name: str, ids: RequestIds, analysis_id: str
) -> ResultValue:
    return {
        **_header(ids, analysis_id, RESULTS_DESCRIPTION),
        "Type": result.media_type.value,
        "file_name": file_name,
        "Privacy_Parameter": result.privacy_parameter,
        "Labels": {str(k): v for k, v in result.labels.items()},
        "count_frames": result.count_frames,
        "analysed_frames": result.analysed_frames,
        # the dataclasses travel as their fields (pydantic gives both forms one schema)
        "residents": cast(list[ResidentSighting], [asdict(s) for s in result.residents]),
        "unknown_faces": result.unknown_faces,
        "unrecognisable_faces": result.unrecognisable_faces,
        "model": cast(ModelInfo, asdict(result.model)) if result.model else None,
    }


def error_value(
    ids: RequestIds,
    analysis_id: str,
    kind: MediaType | None,
    file_name: str | None,
    code: str,
    message: str,
) -> ErrorValue:
    return {
        **_header(ids, analysis_id, RESULTS_DESCRIPTION),
        "Type": kind.value if kind else None,
        "file_name": file_name,
        "error": {"code": code, "message": message},
    }


def progress_value(
    ids: RequestIds, analysis_id: str, file_name: str, done: int, total: int
) -> ProgressValue:
    return {
        **_header(ids, analysis_id, "Face Recognition Progress"),
        "file_name": file_name,
        "frames_done": done,
        "frames_total": total,
    }


class Event(TypedDict):
    """One event of the watched cameras, as `GET /events` shows it."""

    id: int
    type: Literal[EVENT_TYPES]  # type: ignore[valid-type]
    camera: str | None
    resident: str | None
    time: Annotated[float, Field(description="Seconds since the epoch")]
    confidence: Annotated[int, Field(ge=0, le=100)] | None
    privacy_parameter: int | None


class EventValue(Event):
    """An event with the analyzer's name, as the buses carry it."""

    description: str
    analyzer_id: str


def event_fields(event: CameraEvent) -> Event:
    """The event's public fields, in the documented order (HTTP, SSE, MQTT, DHT)."""
    return {
        "id": event.id,
        "type": event.type,
        "camera": event.camera,
        "resident": event.resident,
        "time": event.time,
        "confidence": event.confidence,
        "privacy_parameter": event.privacy_parameter,
    }


def event_value(event: CameraEvent) -> EventValue:
    return {
        "description": "Face Recognition Event",
        "analyzer_id": socket.gethostname(),
        **event_fields(event),
    }


def envelope(
    value: ResultValue | ErrorValue | ProgressValue | EventValue,
    topic_uuid: str = RESULTS_UUID,
    topic_name: str = RESULTS_TOPIC,
) -> dict[str, Any]:
    """The DHT's `RequestPostTopicUUID` frame (serde's externally tagged enum)."""
    return {
        "RequestPostTopicUUID": {
            "topic_name": topic_name,
            "topic_uuid": topic_uuid,
            "value": value,
        }
    }
