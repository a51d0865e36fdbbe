"""The OpenAPI description of the camera and event routes (app/api/cameras.py, events.py), added
to the base document of app/api/openapi.py with its helpers."""

from __future__ import annotations

from typing import Any

from app.api.openapi import _errors, _object, _ok, _param, _ref
from app.domain import EVENT_TYPES
from app.store.events import MAX_PAGE

_STATES = ["connected", "connecting", "error", "stopped"]


def with_cameras(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the camera and event routes and their schemas."""
    document["paths"].update(camera_paths())
    document["components"]["schemas"].update(camera_schemas())
    return document


def camera_paths() -> dict[str, Any]:
    name = _param("name", "The camera's name", {"type": "string"})
    common = [400, 401, 500, 503]
    return {
        "/cameras": {
            "get": {
                "operationId": "list_cameras",
                "summary": "Every camera (CAMERAS and those added here) with its watcher's status",
                "responses": {**_ok("Cameras", "CameraList"), **_errors(common)},
            },
            "post": {
                "operationId": "add_camera",
                "summary": "Add a camera (persisted); with `watch`, it is watched from now on",
                "requestBody": _json_body("CameraNew"),
                "responses": {**_ok("Added", "Camera", "201"), **_errors([*common, 403, 409])},
            },
        },
        "/cameras/{name}": {
            "get": {
                "operationId": "get_camera",
                "summary": "One camera and its watcher's status",
                "parameters": [name],
                "responses": {**_ok("Camera", "Camera"), **_errors([*common, 404])},
            },
            "patch": {
                "operationId": "update_camera",
                "summary": "Change a camera added through the API (its watcher restarts)",
                "parameters": [name],
                "requestBody": _json_body("CameraChange"),
                "responses": {**_ok("Changed", "Camera"), **_errors([*common, 403, 404, 409])},
            },
            "delete": {
                "operationId": "delete_camera",
                "summary": "Remove a camera added through the API (its watcher stops)",
                "parameters": [name],
                "responses": {**_ok("Removed", "Camera"), **_errors([*common, 404, 409])},
            },
        },
        "/events": {
            "get": {
                "operationId": "list_events",
                "summary": "Events of the watched cameras, oldest first, after a cursor",
                "parameters": [
                    _param(
                        "since",
                        "The `cursor` of the previous answer (an event id; default 0).",
                        {"type": "integer", "minimum": 0},
                        "query",
                    ),
                    _param("camera", "Only this camera's events", {"type": "string"}, "query"),
                    _param("resident", "Only this resident's events", {"type": "string"}, "query"),
                    _param(
                        "type", "Only events of this type", {"enum": list(EVENT_TYPES)}, "query"
                    ),
                    _param(
                        "limit",
                        f"Events per answer (default and most {MAX_PAGE})",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        "query",
                    ),
                ],
                "responses": {**_ok("Events", "EventPage"), **_errors(common)},
            }
        },
        "/events/stream": {
            "get": {
                "operationId": "event_stream",
                "summary": "Server-Sent Events: events after `since` (or `Last-Event-ID`), then "
                "each new one; `id` is the event id, `event` its type, `data` the Event as JSON",
                "parameters": [
                    _param(
                        "since",
                        "An event id (default 0)",
                        {"type": "integer", "minimum": 0},
                        "query",
                    )
                ],
                "responses": {
                    "200": {
                        "description": "An endless text/event-stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    **_errors(common),
                },
            }
        },
    }


def camera_schemas() -> dict[str, Any]:
    fields = {
        "url": {"type": "string", "description": "Device index or rtsp/rtsps/http/https URL"},
        "privacy_parameter": {"type": "integer", "minimum": 0},
        "watch": {"type": "boolean"},
        "analysis_fps": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
    }
    status = _object(
        ["state", "fps_in", "fps_analysed", "frames_dropped", "last_frame_at", "last_error"],
        {
            "state": {"enum": _STATES},
            "fps_in": {"type": "number"},
            "fps_analysed": {"type": "number"},
            "frames_dropped": {"type": "integer"},
            "last_frame_at": {"type": ["number", "null"]},
            "last_error": {"type": ["string", "null"]},
        },
    )
    camera = _object(
        ["name", "url", "privacy_parameter", "watch", "analysis_fps", "source", "status"],
        {
            "name": {"type": "string"},
            **fields,
            "url": {"type": "string", "description": "Without credentials, query or fragment"},
            "source": {"enum": ["config", "api"]},
            "status": _ref("CameraStatus"),
        },
    )
    event = _object(
        ["id", "type", "camera", "resident", "time", "confidence", "privacy_parameter"],
        {
            "id": {"type": "integer"},
            "type": {"enum": list(EVENT_TYPES)},
            "camera": {"type": ["string", "null"]},
            "resident": {"type": ["string", "null"]},
            "time": {"type": "number", "description": "Seconds since the epoch"},
            "confidence": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
            "privacy_parameter": {"type": ["integer", "null"]},
        },
    )
    return {
        "CameraStatus": status,
        "Camera": camera,
        "CameraList": _object(["cameras"], {"cameras": {"type": "array", "items": camera}}),
        "CameraNew": {
            **_object(["name", "url"], {"name": {"type": "string"}, **fields}),
            "additionalProperties": False,
        },
        "CameraChange": {**_object([], fields), "additionalProperties": False},
        "Event": event,
        "EventPage": _object(
            ["events", "cursor"],
            {"events": {"type": "array", "items": _ref("Event")}, "cursor": {"type": "integer"}},
        ),
        "CameraSummary": _object(
            ["watched", *_STATES[:3]],
            {s: {"type": "integer"} for s in ["watched", *_STATES[:3]]},
        ),
    }


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}
