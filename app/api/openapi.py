"""The OpenAPI 3.1 document of the service (kept true by tests/e2e/test_openapi.py)."""

from __future__ import annotations

from typing import Any

from app.api.errors import RETRY_AFTER_S, STATUS
from app.api.params import MAX_FILE_NAME
from app.config import Settings

TITLE = "Privacy-Aware Face Recognition"
_ID_PATTERN = "^[A-Za-z0-9_.:@+-]{1,128}$"


def document(settings: Settings, version: str) -> dict[str, Any]:
    analysis_errors = [400, 401, 404, 413, 500, 503, 504]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": version,
            "description": "SIFIS-Home compatible face recognition with a privacy blur applied "
            "to every frame before analysis. With API_KEY set, every route but /health needs "
            "header X-API-Key.",
        },
        "paths": {
            "/check_directory/{file_name}/{privacy_parameter}/{requestor_id}/{requestor_type}"
            "/{request_id}": {
                "post": {
                    "operationId": "check_directory",
                    "summary": "Recognise residents in an uploaded video or image",
                    "parameters": [_file_name(), *_tail(settings)],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {
                                            "type": "string",
                                            "contentMediaType": "application/octet-stream",
                                            "description": "One video or image; the type is "
                                            "read from the bytes, not the name.",
                                        },
                                        "path": _path_part(),
                                    },
                                }
                            }
                        },
                    },
                    "responses": _responses([*analysis_errors, 415, 422]),
                }
            },
            "/cam_face_recognition/{cam_link}/{privacy_parameter}/{requestor_id}/{requestor_type}"
            "/{request_id}": {
                "post": {
                    "operationId": "cam_face_recognition",
                    "summary": "Watch a camera for a bounded time and recognise residents",
                    "parameters": [_cam_link(), *_tail(settings), *_camera_options(settings)],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "multipart/form-data": {"schema": _camera_form(settings)},
                            "application/x-www-form-urlencoded": {"schema": _camera_form(settings)},
                        },
                    },
                    "responses": _responses([*analysis_errors, 403, 422, 502]),
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Readiness: 200 once models and the default gallery are loaded",
                    "security": [],
                    "responses": {
                        "200": _json("Ready", "Health"),
                        "503": {**_json("Still loading", "Health"), "headers": _retry_after()},
                    },
                }
            },
            "/welcome": {
                "get": {
                    "operationId": "welcome",
                    "summary": "Name and version",
                    "responses": {"200": _json("Name and version", "Welcome"), **_auth_error()},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **_auth_error(),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": _schemas(),
        },
        "security": [{"apiKey": []}],
    }


def _param(name: str, description: str, schema: dict[str, Any], where: str = "path") -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }


def _file_name() -> dict:
    return _param(
        "file_name",
        "The caller's name for the upload, echoed in the result; never used as a path "
        "(`/`, `\\`, `..` and control characters are refused).",
        {"type": "string", "minLength": 1, "maxLength": MAX_FILE_NAME},
    )


def _cam_link() -> dict:
    return _param(
        "cam_link",
        "A device index (`0`), a configured camera name, or an rtsp/rtsps/http/https URL "
        "(slashes allowed; `?` and `#` percent-encoded). Other schemes are refused.",
        {"type": "string"},
    )


def _tail(settings: Settings) -> list[dict]:
    maximum = settings.max_privacy_parameter
    ids = {"type": "string", "pattern": _ID_PATTERN}
    return [
        _param(
            "privacy_parameter",
            f"Gaussian blur kernel applied to every frame: 0 or 1 = no blur, otherwise an odd "
            f"integer from 3 to {maximum}.",
            {"type": "integer", "minimum": 0, "maximum": maximum},
        ),
        _param("requestor_id", "Who asks; echoed in the result.", ids),
        _param("requestor_type", "Kind of requestor (e.g. NSSD); echoed.", ids),
        _param("request_id", "The request's ID; echoed, and used in error bodies.", ids),
    ]


def _camera_options(settings: Settings) -> list[dict]:
    return [
        _param(name, schema["description"], schema, "query")
        for name, schema in _camera_form(settings)["properties"].items()
        if name != "path"
    ]


def _camera_form(settings: Settings) -> dict:
    return {
        "type": "object",
        "properties": {
            "path": _path_part(),
            "duration": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": settings.camera_max_seconds,
                "description": f"Seconds to watch (default {settings.camera_seconds:g}); form "
                "field or query parameter.",
            },
            "stop_early": {
                "type": "string",
                "enum": ["1", "0", "true", "false", "yes", "no", "on", "off"],
                "description": "Stop as soon as a resident is recognised (default "
                f"{'on' if settings.camera_stop_early else 'off'}).",
            },
        },
    }


def _path_part() -> dict:
    return {
        "type": "string",
        "description": "Resident directory: `database`, `/app/database` or empty for the default "
        "gallery, otherwise the name of a folder directly under GALLERIES_DIR. A form field or "
        "a file part holding the name.",
    }


def _responses(statuses: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"200": _json("SIFIS result message", "Envelope")}
    for status in sorted(statuses):
        codes = sorted(code for code, s in STATUS.items() if s == status)
        response = _json("Error: " + ", ".join(codes), "Error")
        if any(code in RETRY_AFTER_S for code in codes):
            response["headers"] = _retry_after()
        out[str(status)] = response
    return out


def _auth_error() -> dict[str, Any]:
    return {"401": _json("Missing or wrong X-API-Key", "Error")}


def _retry_after() -> dict[str, Any]:
    return {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def _json(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _schemas() -> dict[str, Any]:
    ids = {"type": "string"}
    sighting = {
        "type": "object",
        "required": ["name", "first_frame", "last_frame", "first_seen_s", "last_seen_s"],
        "properties": {
            "name": {"type": "string"},
            "first_frame": {"type": "integer"},
            "last_frame": {"type": "integer"},
            "first_seen_s": {"type": "number"},
            "last_seen_s": {"type": "number"},
            "frames": {"type": "integer"},
            "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
        },
    }
    value = {
        "type": "object",
        "required": [
            "description",
            "requestor_id",
            "requestor_type",
            "request_id",
            "analyzer_id",
            "analysis_id",
            "Type",
            "file_name",
            "Privacy_Parameter",
            "Labels",
            "count_frames",
            "analysed_frames",
            "residents",
            "unknown_faces",
            "model",
        ],
        "properties": {
            "description": {"const": "Face Recognition Results"},
            "requestor_id": ids,
            "requestor_type": ids,
            "request_id": ids,
            "analyzer_id": {"type": "string", "description": "Host name of this analyser"},
            "analysis_id": {"type": "string"},
            "Type": {"enum": ["Video_file", "Image_file", "cam_link"]},
            "file_name": {
                "type": "string",
                "description": "The URL's file_name; for cameras the configured name, the "
                "device index or scheme://host:port (never credentials or a URL path).",
            },
            "Privacy_Parameter": {"type": "integer"},
            "Labels": {
                "type": "object",
                "description": "Frame index -> resident name(s), at most 100 entries",
                "additionalProperties": {"type": "string"},
            },
            "count_frames": {"type": "integer"},
            "analysed_frames": {"type": "integer"},
            "residents": {"type": "array", "items": sighting},
            "unknown_faces": {"type": "integer"},
            "model": {
                "type": "object",
                "required": ["detector", "recognizer", "threshold"],
                "properties": {
                    "detector": {"type": "string"},
                    "recognizer": {"type": "string"},
                    "threshold": {"type": "number"},
                },
            },
        },
    }
    return {
        "Envelope": {
            "type": "object",
            "required": ["RequestPostTopicUUID"],
            "properties": {
                "RequestPostTopicUUID": {
                    "type": "object",
                    "required": ["topic_name", "topic_uuid", "value"],
                    "properties": {
                        "topic_name": {"const": "SIFIS:Privacy_Aware_Face_Recognition_Results"},
                        "topic_uuid": {"type": "string"},
                        "value": {"$ref": "#/components/schemas/Value"},
                    },
                }
            },
        },
        "Value": value,
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "request_id"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"enum": sorted(STATUS)},
                        "message": {"type": "string"},
                        "request_id": {"type": "string"},
                    },
                }
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {
                "status": {"enum": ["loading", "ready"]},
                "detector": {"type": "string"},
                "recognizer": {"type": "string"},
            },
        },
        "Welcome": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
    }
