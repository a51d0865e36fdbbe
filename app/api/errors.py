"""HTTP face of the error model: one table from error code to status, one JSON body shape.

Body: `{"error": {"code": ..., "message": ..., "request_id": ...}}`, never a traceback. The
`request_id` is the SIFIS request ID from the URL when it is valid, otherwise a fresh one; it is
also sent as header `X-Request-Id`.
"""

from __future__ import annotations

import errno
import logging
import uuid

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

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
    "unauthorized": 401,
    "camera_host_forbidden": 403,
    "image_urls_disabled": 403,
    "image_url_forbidden": 403,
    "not_found": 404,
    "gallery_not_found": 404,
    "camera_not_found": 404,
    "resident_not_found": 404,
    "image_not_found": 404,
    "method_not_allowed": 405,
    "resident_exists": 409,
    "upload_too_large": 413,
    "metadata_too_large": 413,
    "image_url_too_large": 413,
    "unsupported_media": 415,
    "undecodable_media": 422,
    "media_too_large": 422,
    "enrollment_rejected": 422,
    "no_face_found": 422,
    "internal_error": 500,
    "camera_unavailable": 502,
    "image_url_unavailable": 502,
    "busy": 503,
    "not_ready": 503,
    "model_unavailable": 503,
    "gallery_unreadable": 503,
    "camera_timeout": 504,
    "analysis_timeout": 504,
    "image_url_timeout": 504,
    "insufficient_storage": 507,
}
RETRY_AFTER_S: dict[str, int] = {"busy": 5, "not_ready": 10}
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "upload_too_large",
}


class MissingFile(AppError):
    code = "missing_file"


class TooManyFiles(AppError):
    code = "too_many_files"


class Unauthorized(AppError):
    code = "unauthorized"


def request_id() -> str:
    """The SIFIS request ID of this request when it is a valid one, else a generated ID."""
    if "request_id" not in g:
        given = (request.view_args or {}).get("request_id")
        g.request_id = given if given and valid_id(given) else uuid.uuid4().hex
    return g.request_id


def error_response(code: str, message: str) -> Response:
    g.error_code = code  # read by the audit hook
    response = jsonify({"error": {"code": code, "message": message, "request_id": request_id()}})
    response.status_code = STATUS.get(code, 500)
    if code in RETRY_AFTER_S:
        response.headers["Retry-After"] = str(RETRY_AFTER_S[code])
    return response


def register(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(exc: AppError) -> Response:
        return error_response(exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
        response = error_response(code, exc.description or exc.name)
        response.status_code = status
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
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
