"""One audit row per request to the analysis, single-image and residents routes, whatever its
outcome (docs/security.md). An audited view receives the request's `AuditTrail` as an argument and
fills in what it learns (or hands the trail to the use case); the wrapper records it with the
outcome and the HTTP status. Requests refused before their view runs (a missing API key, a
cross-site request) are recorded from their URL alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, request

from app.api.auth import credential
from app.api.errors import Refused, error_code, error_response
from app.api.runtime import runtime
from app.store.audit import AuditTrail

__all__ = ["AuditTrail", "audited", "register"]  # an audited view is given its AuditTrail

log = logging.getLogger(__name__)

View = Callable[..., Any]
# every view of these blueprints is `audited`
AUDITED_BLUEPRINTS = frozenset(
    {"check_directory", "cam_face_recognition", "faces", "residents", "cameras", "feedback"}
)


def audited(view: View) -> View:
    @wraps(view)
    def run(**args: str) -> Response:
        trail = _trail(args)
        try:
            response = current_app.make_response(view(trail, **args))
            outcome = "ok"
        except Exception as exc:  # answered by the app's error handlers, as any other error
            response = current_app.make_response(current_app.handle_user_exception(exc))
            outcome = error_code(exc)
        _record(trail, outcome, response)
        return response

    return run


def register(app: Flask) -> None:
    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Response:
        """Raised only before the view (host, origin and key checks): audited routes get their
        row here."""
        response = error_response(exc.code, exc.message)
        if exc.retry_after_s is not None:
            response.headers["Retry-After"] = str(exc.retry_after_s)
        if request.blueprint in AUDITED_BLUEPRINTS:
            _record(_trail(request.view_args or {}), exc.code, response)
        return response


def _trail(args: dict[str, Any]) -> AuditTrail:
    """A trail with the IDs the URL gives (validated or not: they are cut to size when stored)
    and who sent the request."""
    return AuditTrail(
        request.blueprint or "",
        args.get("requestor_id"),
        args.get("requestor_type"),
        args.get("request_id"),
        client=request.remote_addr,
        credential=credential(),
    )


def _record(trail: AuditTrail, outcome: str, response: Response) -> None:
    record = trail.finish(outcome, response.status_code)
    runtime().audit.record(record)
    log.info("%s %d %s %d ms", record.route, record.status, outcome, record.duration_ms)
