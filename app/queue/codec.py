"""Plain JSON values for what crosses the queue: the task, the result and a typed error."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.analyses import AnalysisTask, CameraMedia, FileMedia
from app.domain import AnalysisResult, MediaType, ModelInfo, ResidentSighting
from app.errors import AppError
from app.pipeline.cam_links import CameraTarget


def encode_task(task: AnalysisTask) -> dict[str, Any]:
    """A file's path is not sent: its bytes travel as the upload (app/queue/uploads.py)."""
    media = task.media
    encoded: dict[str, Any] = (
        {"label": media.label}
        if isinstance(media, FileMedia)
        else {
            "camera": asdict(media.target),
            "duration_s": media.duration_s,
            "stop_early": media.stop_early,
        }
    )
    return {
        "analysis_id": task.analysis_id,
        "privacy": task.privacy,
        "gallery": task.gallery,
        "media": encoded,
    }


def is_file(payload: dict[str, Any]) -> bool:
    return "camera" not in payload["media"]


def decode_task(payload: dict[str, Any], upload: Path | None) -> AnalysisTask:
    m = payload["media"]
    media = (
        FileMedia(upload, m["label"])
        if upload is not None
        else CameraMedia(CameraTarget(**m["camera"]), m["duration_s"], m["stop_early"])
    )
    return AnalysisTask(payload["analysis_id"], payload["privacy"], payload["gallery"], media)


def encode_result(result: AnalysisResult) -> dict[str, Any]:
    value = asdict(result)
    value["labels"] = [[k, v] for k, v in result.labels.items()]  # JSON keys are strings
    return {"result": value}


def encode_error(error: AppError) -> dict[str, Any]:
    return {"error": error.code, "message": error.message}


def decode_reply(reply: dict[str, Any]) -> AnalysisResult:
    """The worker's result, or its error raised as the same AppError class."""
    if "error" in reply:
        raise _error_class(reply["error"])(reply["message"])
    v = reply["result"]
    return AnalysisResult(
        media_type=MediaType(v["media_type"]),
        privacy_parameter=v["privacy_parameter"],
        count_frames=v["count_frames"],
        analysed_frames=v["analysed_frames"],
        residents=tuple(ResidentSighting(**r) for r in v["residents"]),
        unknown_faces=v["unknown_faces"],
        unrecognisable_faces=v["unrecognisable_faces"],
        labels={int(k): name for k, name in v["labels"]},
        model=ModelInfo(**v["model"]) if v["model"] else None,
    )


def _error_class(code: str) -> type[AppError]:
    found: type[AppError] = AppError
    stack = [AppError]
    while stack:
        cls = stack.pop()
        if cls.code == code:
            found = cls
        stack.extend(cls.__subclasses__())
    return found
