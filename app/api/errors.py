"""HTTP face of the error model: one table from error code to status, one JSON body shape.

Body: `{"error": {"code": ..., "message": ..., "request_id": ...}}`, never a traceback. The
`request_id` is the SIFIS request ID from the URL when it is valid, otherwise a fresh one; it is
also sent as header `X-Request-Id`.
"""

from __future__ import annotations

import errno
import logging
import uuid
from typing import Literal

from flask import Flask, Response, current_app, g, jsonify, request
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict
from werkzeug.exceptions import HTTPException, NotFound

from app.api.params import valid_id
from app.errors import AppError

log = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    "bad_request": 400,
    "invalid_parameter": 400,
    "invalid_privacy_parameter": 400,
    "invalid_cam_link": 400,
    "missing_file": 400,
    "too_many_files": 400,
    "invalid_resident_name": 400,
    "invalid_metadata": 400,
    "host_not_allowed": 400,
    "unauthorized": 401,
    "camera_host_forbidden": 403,
    "csrf_failed": 403,
    "cross_site_request": 403,
    "image_urls_disabled": 403,
    "image_url_forbidden": 403,
    "not_found": 404,
    "gallery_not_found": 404,
    "camera_not_found": 404,
    "resident_not_found": 404,
    "positive_not_found": 404,
    "face_not_kept": 409,
    "positive_rejected": 422,
    "image_not_found": 404,
    "event_not_found": 404,
    "negative_not_found": 404,
    "snapshot_unavailable": 404,
    "not_a_recognition": 409,
    "method_not_allowed": 405,
    "resident_exists": 409,
    "camera_exists": 409,
    "camera_read_only": 409,
    "resident_is_link": 409,
    "upload_too_large": 413,
    "metadata_too_large": 413,
    "too_many_failures": 429,
    "image_url_too_large": 413,
    "unsupported_media": 415,
    "undecodable_media": 422,
    "media_too_large": 422,
    "enrollment_rejected": 422,
    "no_face_found": 422,
    "client_gone": 499,  # nobody reads it; the audit log records it
    "internal_error": 500,
    "camera_unavailable": 502,
    "image_url_unavailable": 502,
    "busy": 503,
    "analysis_interrupted": 503,
    "gallery_read_only": 503,
    "not_ready": 503,
    "model_unavailable": 503,
    "gallery_unreadable": 503,
    "camera_timeout": 504,
    "analysis_timeout": 504,
    "image_url_timeout": 504,
    "insufficient_storage": 507,
}
RETRY_AFTER_S: dict[str, int] = {"busy": 5, "not_ready": 10}
SENDS_RETRY_AFTER = frozenset({*RETRY_AFTER_S, "too_many_failures"})  # its own, per client
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "upload_too_large",
}


@with_config(ConfigDict(extra="forbid"))
class ErrorDetail(TypedDict):
    code: Literal[tuple(sorted(STATUS))]  # type: ignore[valid-type]
    message: str
    request_id: str


class Error(TypedDict):
    """The body of every error answer."""

    error: ErrorDetail


class MissingFile(AppError):
    code = "missing_file"


class TooManyFiles(AppError):
    code = "too_many_files"


class Refused(AppError):
    """A request refused before its view runs (who sent it, from where): audited from its URL
    alone (app/api/audit.py)."""

    retry_after_s: int | None = None  # sent as header Retry-After


class Unauthorized(Refused):
    code = "unauthorized"


class CsrfFailed(Unauthorized):
    """A state-changing request made with the UI's session cookie lacks its CSRF token."""

    code = "csrf_failed"


class TooManyFailures(Refused):
    """A client out of tries at the API key (app/api/throttle.py)."""

    code = "too_many_failures"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CrossSiteRequest(Refused):
    """A state-changing request a browser sent from another origin (app/api/same_origin.py)."""

    code = "cross_site_request"


class HostNotAllowed(Refused):
    """A `Host` the service does not answer to (app/api/allowed_hosts.py)."""

    code = "host_not_allowed"


def request_id() -> str:
    """The SIFIS request ID of this request when it is a valid one, else a generated ID."""
    if "request_id" not in g:
        given = (request.view_args or {}).get("request_id")
        g.request_id = given if given and valid_id(given) else uuid.uuid4().hex
    return g.request_id


def error_code(exc: Exception) -> str:
    """The stable code of any exception a view may raise."""
    if isinstance(exc, AppError):
        return exc.code
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    if _disk_full(exc):
        return "insufficient_storage"
    return "internal_error"


def _disk_full(exc: Exception) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def error_response(code: str, message: str) -> Response:
    body: Error = {"error": {"code": code, "message": message, "request_id": request_id()}}
    response = jsonify(body)
    response.status_code = STATUS.get(code, 500)
    if code in RETRY_AFTER_S:
        response.headers["Retry-After"] = str(RETRY_AFTER_S[code])
    return response


def _route_shapes() -> str | None:
    """For a path that matches no route: the routes that start like it (a segment missing or one
    too many), so that the caller sees the expected shape."""
    if request.url_rule is not None:
        return None
    first = request.path.strip("/").split("/")[0]
    shapes = sorted(
        f"{method} {rule.rule}"
        for rule in current_app.url_map.iter_rules()
        if rule.rule.strip("/").split("/")[0] == first
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    )
    if not shapes:
        return None
    return "no route matches this path; expected " + " or ".join(shapes)


def register(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(exc: AppError) -> Response:
        return error_response(exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        message = _route_shapes() if isinstance(exc, NotFound) else None
        response = error_response(error_code(exc), message or exc.description or exc.name)
        response.status_code = exc.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if _disk_full(exc):
            # free the space this request's uploads took first, so that its audit row fits
            discard = getattr(request, "discard_uploads", None)
            if discard is not None:
                discard()
            log.error("disk full while handling %s", request.endpoint)
            return error_response("insufficient_storage", "no space left to store the upload")
        log.exception("unexpected error in %s", request.endpoint)
        return error_response("internal_error", "internal error; see the server log")

    @app.after_request
    def tag(response: Response) -> Response:
        response.headers["X-Request-Id"] = request_id()
        return response
