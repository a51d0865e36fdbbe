"""What the service tells the buses, independent of any bus's message format."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from app.sifis import RequestIds


@dataclass(frozen=True)
class ResultEvent:
    """A finished analysis (or a refused bus request): the SIFIS `value` object."""

    value: dict[str, Any]


@dataclass(frozen=True)
class ProgressEvent:
    """How far a running analysis has got (`..._Frame_Results` on the DHT)."""

    value: dict[str, Any]


Event = ResultEvent | ProgressEvent


def error_value(
    ids: RequestIds,
    analysis_id: str,
    kind: str | None,
    file_name: str | None,
    code: str,
    message: str,
) -> dict[str, Any]:
    """The result of a bus request that could not be analysed: its IDs and the error, so the
    requestor is answered rather than left waiting."""
    return {
        "description": "Face Recognition Results",
        "requestor_id": ids.requestor_id,
        "requestor_type": ids.requestor_type,
        "request_id": ids.request_id,
        "analyzer_id": socket.gethostname(),
        "analysis_id": analysis_id,
        "Type": kind,
        "file_name": file_name,
        "error": {"code": code, "message": message},
    }


def progress_value(
    ids: RequestIds, analysis_id: str, file_name: str, done: int, total: int
) -> dict[str, Any]:
    return {
        "description": "Face Recognition Progress",
        "requestor_id": ids.requestor_id,
        "requestor_type": ids.requestor_type,
        "request_id": ids.request_id,
        "analyzer_id": socket.gethostname(),
        "analysis_id": analysis_id,
        "file_name": file_name,
        "frames_done": done,
        "frames_total": total,
    }
