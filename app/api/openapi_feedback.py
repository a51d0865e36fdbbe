"""The OpenAPI description of the feedback routes ("that was not me", "this is X";
app/api/feedback.py) and of the analysis progress the UI polls (app/api/progress.py), added to the
base document of app/api/openapi.py with its helpers."""

from __future__ import annotations

from typing import Any

from app.api.openapi import _errors, _object, _ok, _param, _ref

_COMMON = [400, 401, 500, 503]


def with_feedback(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the feedback and progress routes and their schemas."""
    document["paths"].update(feedback_paths())
    document["paths"].update(progress_paths())
    document["components"]["schemas"].update(feedback_schemas())
    return document


def feedback_paths() -> dict[str, Any]:
    name = _param("name", "The resident's name (default gallery)", {"type": "string"})
    number = {"type": "integer", "minimum": 0}
    return {
        "/events/{event_id}/wrong": {
            "post": {
                "operationId": "mark_recognition_wrong",
                "summary": "That was not me: the recognition's face becomes a negative of the "
                "resident it named, and matching refuses faces closer to it than to the resident",
                "parameters": [_param("event_id", "A `recognized` event's id", number)],
                "responses": {
                    **_ok("The negative stored", "Negative", "201"),
                    **_errors([*_COMMON, 404, 409]),
                },
            }
        },
        "/residents/{name}/negatives": {
            "get": {
                "operationId": "list_negatives",
                "summary": "Faces marked as not this resident (ids and times, never embeddings)",
                "parameters": [name],
                "responses": {**_ok("Negatives", "NegativeList"), **_errors([*_COMMON, 404])},
            }
        },
        "/residents/{name}/negatives/{negative_id}": {
            "delete": {
                "operationId": "delete_negative",
                "summary": "Forget one negative: the resident may be named for such faces again",
                "parameters": [name, _param("negative_id", "The negative's id", number)],
                "responses": {
                    **_ok("Deleted", "NegativeDeleted"),
                    **_errors([*_COMMON, 404]),
                },
            }
        },
        "/events/{event_id}/is/{name}": {
            "post": {
                "operationId": "confirm_resident",
                "summary": "This is X: the event's face (a recognition or an unknown face) becomes "
                "a positive of the resident, if it passes the enrollment quality rules (face size, "
                "sharpness, not a near-duplicate); else 422 positive_rejected says why",
                "parameters": [
                    _param("event_id", "A `recognized` or `unknown` event's id", number),
                    name,
                ],
                "responses": {
                    **_ok("The positive stored", "Positive", "201"),
                    **_errors([*_COMMON, 404, 409, 422]),
                },
            }
        },
        "/residents/{name}/positives": {
            "get": {
                "operationId": "list_positives",
                "summary": "Faces confirmed as this resident (ids and times, never embeddings)",
                "parameters": [name],
                "responses": {**_ok("Positives", "PositiveList"), **_errors([*_COMMON, 404])},
            }
        },
        "/residents/{name}/positives/{positive_id}": {
            "delete": {
                "operationId": "delete_positive",
                "summary": "Forget one positive",
                "parameters": [name, _param("positive_id", "The positive's id", number)],
                "responses": {**_ok("Deleted", "PositiveDeleted"), **_errors([*_COMMON, 404])},
            }
        },
    }


def progress_paths() -> dict[str, Any]:
    request_id = _param(
        "request_id", "The SIFIS request ID the analysis was asked with", {"type": "string"}
    )
    return {
        "/analyses/{request_id}/progress": {
            "get": {
                "operationId": "analysis_progress",
                "summary": "How far an analysis is: frames decoded of frames expected (the web "
                "UI polls it while an upload is analysed); `unknown` before it starts or once "
                "forgotten (kept 5 min)",
                "parameters": [request_id],
                "responses": {**_ok("Progress", "AnalysisProgress"), **_errors(_COMMON)},
            }
        }
    }


def feedback_schemas() -> dict[str, Any]:
    return {
        "AnalysisProgress": _object(
            ["request_id", "state", "done", "total"],
            {
                "request_id": {"type": "string"},
                "state": {"enum": ["running", "finished", "unknown"]},
                "done": {"type": "integer", "minimum": 0},
                "total": {"type": "integer", "minimum": 0, "description": "0 when unknown"},
            },
        ),
        "Negative": _object(
            ["id", "name", "event_id", "created"],
            {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "event_id": {"type": ["integer", "null"]},
                "created": {"type": "number", "description": "Seconds since the epoch"},
            },
        ),
        "NegativeList": _object(
            ["name", "negatives"],
            {"name": {"type": "string"}, "negatives": {"type": "array", "items": _ref("Negative")}},
        ),
        "PositiveList": _object(
            ["name", "positives"],
            {"name": {"type": "string"}, "positives": {"type": "array", "items": _ref("Positive")}},
        ),
        "Positive": _ref("Negative"),  # the same shape
        "PositiveDeleted": _ref("NegativeDeleted"),
        "NegativeDeleted": _object(
            ["name", "deleted"], {"name": {"type": "string"}, "deleted": {"type": "integer"}}
        ),
    }
