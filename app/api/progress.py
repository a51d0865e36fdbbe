"""GET /analyses/<request_id>/progress: how far the analysis of that SIFIS request ID is, for the
web UI's Analyse page to poll while its upload is analysed (app/progress_board.py): frames decoded
of frames expected and a state, `running`, `finished` or `unknown` (not started yet, or not seen
lately; answered 200 too, since a poller cannot tell the two apart). Numbers only."""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, Response, jsonify
from pydantic import Field
from typing_extensions import TypedDict

from app.api.runtime import runtime
from app.api.spec import Reply, operation

bp = Blueprint("progress", __name__)


class AnalysisProgress(TypedDict):
    request_id: str
    state: Literal["running", "finished", "unknown"]
    done: Annotated[int, Field(ge=0)]
    total: Annotated[int, Field(ge=0, description="0 when unknown")]


class ProgressPath(TypedDict):
    request_id: Annotated[
        str, Field(description="The SIFIS request ID the analysis was asked with")
    ]


@bp.get("/analyses/<request_id>/progress")
@operation(
    "How far an analysis is: frames decoded of frames expected (the web UI polls it while an "
    "upload is analysed); `unknown` before it starts or once forgotten (kept 5 min)",
    {200: Reply(AnalysisProgress, "Progress")},
    errors=(400, 500, 503),
    path=ProgressPath,
)
def analysis_progress(request_id: str) -> Response:
    found = runtime().services.analyses.progress.get(request_id)
    if found is None:
        return jsonify({"request_id": request_id, "state": "unknown", "done": 0, "total": 0})
    return jsonify(
        {
            "request_id": found.request_id,
            "state": "finished" if found.finished else "running",
            "done": found.done,
            "total": found.total,
        }
    )
