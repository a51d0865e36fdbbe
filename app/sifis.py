"""SIFIS-Home message shapes (DESIGN §3): the `value` object and its envelope."""

from __future__ import annotations

import re
import socket
from dataclasses import asdict, dataclass
from typing import Any

from app.domain import AnalysisResult

RESULTS_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition_Results"
RESULTS_UUID = "Face_Recognition_Results"
_ID = re.compile(r"[A-Za-z0-9_.:@+-]{1,128}")


def valid_id(text: str) -> bool:
    """The rule for requestor and request IDs echoed in results: short and plain."""
    return bool(_ID.fullmatch(text))


@dataclass(frozen=True)
class RequestIds:
    requestor_id: str | None = None
    requestor_type: str | None = None
    request_id: str | None = None


def result_value(
    result: AnalysisResult, *, file_name: str, ids: RequestIds, analysis_id: str
) -> dict[str, Any]:
    """The SIFIS `value` object: names, frame numbers, counts and times; no paths, no pixels."""
    return {
        "description": "Face Recognition Results",
        **asdict(ids),
        "analyzer_id": socket.gethostname(),
        "analysis_id": analysis_id,
        "Type": result.media_type.value,
        "file_name": file_name,
        "Privacy_Parameter": result.privacy_parameter,
        "Labels": {str(k): v for k, v in result.labels.items()},
        "count_frames": result.count_frames,
        "analysed_frames": result.analysed_frames,
        "residents": [asdict(s) for s in result.residents],
        "unknown_faces": result.unknown_faces,
        "model": asdict(result.model) if result.model else None,
    }


def envelope(value: dict[str, Any], topic_uuid: str = RESULTS_UUID) -> dict[str, Any]:
    return {
        "RequestPostTopicUUID": {
            "topic_name": RESULTS_TOPIC,
            "topic_uuid": topic_uuid,
            "value": value,
        }
    }
