"""The OpenAPI 3.1 document of the service (kept true by tests/e2e/test_openapi.py)."""

from __future__ import annotations

from typing import Any

from app.api.errors import RETRY_AFTER_S, STATUS
from app.api.params import MAX_FILE_NAME
from app.config import Settings
from app.pipeline import quality

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
                    "responses": _responses([*analysis_errors, 415, 422, 507]),
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
            **_resident_paths(),
            **_face_paths(settings),
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
    return {"200": _json("SIFIS result message", "Envelope"), **_errors(statuses)}


def _errors(statuses: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
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
            "unrecognisable_faces",
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
            "unrecognisable_faces": {
                "type": "integer",
                "description": "Faces too small for the privacy level to be told apart: "
                "neither a resident nor a stranger (docs/recognition.md)",
            },
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
        **_resident_schemas(),
        **_face_schemas(),
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
                "cameras": {"$ref": "#/components/schemas/CameraSummary"},
                "workers": {
                    "type": "array",
                    "description": "Analysis worker processes: `serve` itself, or with "
                    "QUEUE_URL the live `python -m app worker` processes.",
                    "items": {
                        "type": "object",
                        "required": ["name", "host", "tasks_done", "cameras"],
                        "properties": {
                            "name": {"type": "string"},
                            "host": {"type": "string"},
                            "tasks_done": {"type": "integer", "minimum": 0},
                            "cameras": {"type": "integer", "minimum": 0},
                        },
                    },
                },
            },
        },
        "Welcome": {
            "type": "object",
            "required": ["name", "version"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
    }


# --- residents and single-image routes ------------------------------------------------------

_IMAGE_PART = {
    "type": "string",
    "contentMediaType": "application/octet-stream",
    "description": "A JPEG, PNG, BMP or WebP image.",
}
_IMAGE_URL = {
    "type": "string",
    "format": "uri",
    "description": "An http(s) image URL instead of an upload; only with IMAGE_URLS on, never "
    "to loopback, private, link-local or the DHT's addresses.",
}
_URL_ERRORS = [403, 413, 502, 504]  # image URLs: refused, too large, unreachable, too slow


def _name() -> dict:
    return _param("name", "A resident's name.", {"type": "string", "minLength": 1})


def _gallery_query() -> dict:
    return _param("path", _path_part()["description"], {"type": "string"}, "query")


def _multipart(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _ok(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {status: _json(description, schema)}


def _images_form(with_name: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "file": {**_IMAGE_PART, "description": "An image; repeat the part for several."},
        "image_url": {**_IMAGE_URL, "description": _IMAGE_URL["description"] + " Repeatable."},
        "path": _path_part(),
    }
    if not with_name:
        return _multipart(properties, [])
    return _multipart(
        {
            "name": {"type": "string", "description": "The new resident's name."},
            "metadata": {
                "type": "string",
                "description": "A JSON object as text, at most 4096 bytes.",
            },
            **properties,
        },
        ["name"],
    )


def _resident_paths() -> dict[str, Any]:
    gallery, name = _gallery_query(), _name()
    common = [400, 401, 404, 500, 503]
    enroll_errors = [*common, *_URL_ERRORS, 413, 415, 422, 504, 507]
    return {
        "/residents": {
            "get": {
                "operationId": "list_residents",
                "summary": "List the residents of a resident directory",
                "parameters": [gallery],
                "responses": {**_ok("Residents", "ResidentList"), **_errors(common)},
            },
            "post": {
                "operationId": "enroll_resident",
                "summary": "Enroll a new resident from images that pass the quality gate",
                "parameters": [gallery],
                "requestBody": _images_form(with_name=True),
                "responses": {
                    **_ok("Enrolled", "Enrollment", "201"),
                    **_errors([*enroll_errors, 409]),
                    "422": _json(
                        "enrollment_rejected (with `rejected`), undecodable_media, media_too_large",
                        "RejectedEnrollment",
                    ),
                },
            },
        },
        "/residents/{name}": {
            "get": {
                "operationId": "get_resident",
                "summary": "One resident",
                "parameters": [name, gallery],
                "responses": {**_ok("The resident", "Resident"), **_errors([*common, 409])},
            },
            "patch": {
                "operationId": "update_resident",
                "summary": "Rename a resident and/or replace its metadata",
                "parameters": [name, gallery],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": False,
                                "properties": {
                                    "name": {"type": "string"},
                                    "metadata": {"type": "object"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    **_ok("The resident after the change", "Resident"),
                    **_errors([*common, 409, 413]),
                },
            },
            "delete": {
                "operationId": "delete_resident",
                "summary": "Delete a resident: its images, metadata and cached embeddings",
                "parameters": [name, gallery],
                "responses": {
                    **_ok("What was removed", "Deletion"),
                    **_errors([*common, 409, 504]),
                },
            },
        },
        "/residents/{name}/images": {
            "post": {
                "operationId": "add_resident_images",
                "summary": "Add images (quality-gated) to a resident",
                "parameters": [name, gallery],
                "requestBody": _images_form(with_name=False),
                "responses": {
                    **_ok("Added", "Enrollment", "201"),
                    **_errors([*enroll_errors, 409]),
                    "422": _json(
                        "enrollment_rejected (with `rejected`), undecodable_media, media_too_large",
                        "RejectedEnrollment",
                    ),
                },
            },
        },
        "/residents/{name}/images/{image_id}": {
            "delete": {
                "operationId": "remove_resident_image",
                "summary": "Remove one image of a resident and its cached embeddings",
                "parameters": [
                    name,
                    _param(
                        "image_id", "An image ID from the resident's `images`.", {"type": "string"}
                    ),
                    gallery,
                ],
                "responses": {
                    **_ok("Removed", "ImageRemoval"),
                    **_errors([*common, 409, 504]),
                },
            },
        },
        "/resident-changes": {
            "get": {
                "operationId": "resident_changes",
                "summary": "Residents changed or deleted since a time (for mirroring clients)",
                "parameters": [
                    _param(
                        "since",
                        "Seconds since the epoch: the `cursor` of the previous answer (default 0).",
                        {"type": "number", "minimum": 0},
                        "query",
                    ),
                    gallery,
                ],
                "responses": {**_ok("Changes", "ResidentChanges"), **_errors(common)},
            },
        },
    }


def _face_paths(settings: Settings) -> dict[str, Any]:
    privacy = _tail(settings)[0]
    errors = _errors([400, 401, 413, 415, 422, 500, 503, 504, 507, *_URL_ERRORS])
    one_image = _multipart({"file": _IMAGE_PART, "image_url": _IMAGE_URL}, [])
    return {
        "/faces/detect/{privacy_parameter}": {
            "post": {
                "operationId": "detect_faces",
                "summary": "Faces of one image: boxes, landmarks and the verifier's verdict",
                "parameters": [privacy],
                "requestBody": one_image,
                "responses": {**_ok("Faces", "Detection"), **errors},
            }
        },
        "/faces/identify/{privacy_parameter}": {
            "post": {
                "operationId": "identify_faces",
                "summary": "Each face of one image: the best resident or unknown",
                "parameters": [privacy, _gallery_query()],
                "requestBody": _multipart(
                    {"file": _IMAGE_PART, "image_url": _IMAGE_URL, "path": _path_part()}, []
                ),
                "responses": {**_ok("Faces", "Identification"), **errors, **_errors([404])},
            }
        },
        "/faces/verify/{privacy_parameter}": {
            "post": {
                "operationId": "verify_faces",
                "summary": "Two images: the same person or not (largest face of each)",
                "parameters": [privacy],
                "requestBody": _multipart(
                    {
                        "file1": _IMAGE_PART,
                        "image_url1": _IMAGE_URL,
                        "file2": _IMAGE_PART,
                        "image_url2": _IMAGE_URL,
                    },
                    [],
                ),
                "responses": {**_ok("Verdict", "Verification"), **errors},
            }
        },
    }


def _object(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _resident_schemas() -> dict[str, Any]:
    resident = _object(
        ["name", "image_count", "images", "metadata", "updated"],
        {
            "name": {"type": "string"},
            "image_count": {"type": "integer", "minimum": 0},
            "images": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Image IDs (content hash prefixes), never file names",
            },
            "metadata": {"type": "object"},
            "updated": {"type": "number", "description": "Last change noticed, epoch seconds"},
        },
    )
    rejection = _object(
        ["index", "reason", "message"],
        {
            "index": {"type": "integer", "description": "`file` parts first, then `image_url`s"},
            "reason": {"enum": list(quality.REASONS)},
            "message": {"type": "string"},
        },
    )
    return {
        "Resident": resident,
        "ResidentList": _object(
            ["residents"], {"residents": {"type": "array", "items": _ref("Resident")}}
        ),
        "Rejection": rejection,
        "Enrollment": _object(
            ["resident", "accepted", "rejected"],
            {
                "resident": _ref("Resident"),
                "accepted": {
                    "type": "array",
                    "items": _object(
                        ["index", "image"],
                        {"index": {"type": "integer"}, "image": {"type": "string"}},
                    ),
                },
                "rejected": {"type": "array", "items": _ref("Rejection")},
            },
        ),
        "Deletion": _object(
            ["name", "removed"],
            {
                "name": {"type": "string"},
                "removed": _object(
                    ["images", "metadata", "embeddings"],
                    {
                        "images": {"type": "integer"},
                        "metadata": {"type": "boolean"},
                        "embeddings": {"type": "integer"},
                    },
                ),
            },
        ),
        "ImageRemoval": _object(
            ["name", "image", "removed"],
            {
                "name": {"type": "string"},
                "image": {"type": "string"},
                "removed": _object(["embeddings"], {"embeddings": {"type": "integer"}}),
            },
        ),
        "ResidentChanges": _object(
            ["since", "cursor", "changes"],
            {
                "since": {"type": "number"},
                "cursor": {"type": "number", "description": "Pass as `since` next time"},
                "changes": {
                    "type": "array",
                    "items": _object(
                        ["name", "change", "time"],
                        {
                            "name": {"type": "string"},
                            "change": {"enum": ["updated", "deleted"]},
                            "time": {"type": "number"},
                            "resident": _ref("Resident"),
                        },
                    ),
                },
            },
        ),
        "RejectedEnrollment": {
            "allOf": [
                _ref("Error"),
                _object(["rejected"], {"rejected": {"type": "array", "items": _ref("Rejection")}}),
            ]
        },
    }


def _face_schemas() -> dict[str, Any]:
    box = _object(["x", "y", "w", "h"], {k: {"type": "integer"} for k in ("x", "y", "w", "h")})
    point = {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
    model = _object(
        ["detector", "recognizer"],
        {
            "detector": {"type": "string"},
            "recognizer": {"type": "string"},
            "threshold": {"type": "number"},
        },
    )
    return {
        "Box": box,
        "Detection": _object(
            ["privacy_parameter", "detector", "faces"],
            {
                "privacy_parameter": {"type": "integer"},
                "detector": {"type": "string"},
                "faces": {
                    "type": "array",
                    "items": _object(
                        ["box", "landmarks", "verified"],
                        {
                            "box": _ref("Box"),
                            "landmarks": {"type": "array", "items": point},
                            "verified": {"type": "boolean"},
                        },
                    ),
                },
            },
        ),
        "Identification": _object(
            ["privacy_parameter", "faces", "unknown_faces", "unrecognisable_faces", "model"],
            {
                "privacy_parameter": {"type": "integer"},
                "faces": {
                    "type": "array",
                    "items": _object(
                        ["box", "name", "unrecognisable", "confidence", "distance", "threshold"],
                        {
                            "box": _ref("Box"),
                            "name": {"type": ["string", "null"]},
                            "unrecognisable": {"type": "boolean"},
                            "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
                            "distance": {"type": ["number", "null"]},
                            "threshold": {
                                "type": "number",
                                "description": "Accept distance for this face: its blur "
                                "relative to its size and the gallery's size",
                            },
                        },
                    ),
                },
                "unknown_faces": {"type": "integer"},
                "unrecognisable_faces": {"type": "integer"},
                "model": model,
            },
        ),
        "Verification": _object(
            [
                "privacy_parameter",
                "same_person",
                "unrecognisable",
                "distance",
                "threshold",
                "confidence",
                "faces",
            ],
            {
                "privacy_parameter": {"type": "integer"},
                "same_person": {"type": "boolean"},
                "unrecognisable": {"type": "boolean"},
                "distance": {"type": "number"},
                "threshold": {"type": "number"},
                "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
                "faces": {"type": "array", "items": {"type": "integer"}},
                "model": model,
            },
        ),
    }
