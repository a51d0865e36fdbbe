"""GET /analyses/<request_id>/progress: how far the analysis of that SIFIS request ID is, for the
web UI's Analyse page to poll while its upload is analysed (app/progress_board.py): frames decoded
of frames expected and a state, `running`, `finished` or `unknown` (not started yet, or not seen
lately; answered 200 too, since a poller cannot tell the two apart). Numbers only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.api.runtime import runtime

bp = Blueprint("progress", __name__)


@bp.get("/analyses/<request_id>/progress")
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
