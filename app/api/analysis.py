"""What both analysis routes share: parameters, gallery choice, running the job, reply and audit."""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, g, jsonify, request

from app.api import params
from app.api.runtime import runtime
from app.api.uploads import gallery_name
from app.domain import AnalysisResult
from app.services import DEFAULT_GALLERY_NAMES, Services
from app.sifis import RequestIds, envelope, result_value
from app.store.audit import AuditRecord

if TYPE_CHECKING:
    from app.pipeline.analyze import Progress
    from app.pipeline.privacy import PrivacyLevel

log = logging.getLogger(__name__)

# requests that get an audit row: the analyses, single-image queries and residents changes
AUDITED_BLUEPRINTS = frozenset({"check_directory", "cam_face_recognition", "faces", "residents"})
ROUTE_TAIL = "<privacy_parameter>/<requestor_id>/<requestor_type>/<request_id>"


def start_analysis(
    privacy_parameter: str, requestor_id: str, requestor_type: str, request_id: str
) -> tuple[Services, RequestIds, PrivacyLevel]:
    """Services (503 while loading), the SIFIS IDs and the privacy level, all validated."""
    services = runtime().services
    ids = params.request_ids(requestor_id, requestor_type, request_id)
    privacy = services.privacy(privacy_parameter)
    g.privacy = privacy.kernel
    return services, ids, privacy


def select_gallery(services: Services) -> Path:
    """The resident directory named by the request's `path` part (allowlist; 404 otherwise)."""
    name = gallery_name().strip()
    directory = services.resolve_gallery(name)
    g.gallery = "default" if name in DEFAULT_GALLERY_NAMES else name
    return directory


def form_value(name: str) -> str | None:
    """A small option given as a form field or in the query string."""
    return request.form.get(name, request.args.get(name))


def run(job: Callable[[Progress], AnalysisResult], ids: RequestIds, label: str) -> AnalysisResult:
    """Run the analysis on the pool; with PUBLISH_HTTP_RESULTS, its progress goes on the bus."""
    rt = runtime()
    g.analysis_id = uuid.uuid4().hex
    report = (
        rt.services.progress_reporter(ids, g.analysis_id, label)
        if rt.settings.publish_http_results
        else None
    )
    if report is None:
        return rt.pool.run(job, rt.settings.request_timeout_s)

    def reported(progress: Progress) -> AnalysisResult:
        def both(done: int, total: int) -> None:
            progress(done, total)  # first: it stops a timed-out analysis
            report(done, total)

        return job(both)

    return rt.pool.run(reported, rt.settings.request_timeout_s)


def reply(result: AnalysisResult, file_name: str, ids: RequestIds) -> Response:
    """The 200 answer: the SIFIS `RequestPostTopicUUID` envelope, as the bus expects it; with
    PUBLISH_HTTP_RESULTS it is also queued for the configured buses."""
    g.kind = result.media_type.value
    g.residents = tuple(r.name for r in result.residents)
    value = result_value(result, file_name=file_name, ids=ids, analysis_id=g.analysis_id)
    rt = runtime()
    if rt.settings.publish_http_results:
        rt.services.publish_result(value)
    return jsonify(envelope(value))


def register_audit(app: Flask) -> None:
    """One audit row per analysis request, whatever its outcome. Register before auth, so that
    refused requests are timed and recorded too."""

    @app.before_request
    def start_clock() -> None:
        g.started = time.monotonic()

    @app.after_request
    def audit(response: Response) -> Response:
        if request.blueprint not in AUDITED_BLUEPRINTS:
            return response
        args = request.view_args or {}
        outcome = g.get("error_code", "ok")
        duration_ms = int((time.monotonic() - g.started) * 1000)
        record = AuditRecord(
            route=request.blueprint,
            requestor_id=args.get("requestor_id"),
            requestor_type=args.get("requestor_type"),
            request_id=args.get("request_id"),
            kind=g.get("kind"),
            privacy_parameter=g.get("privacy"),
            gallery=g.get("gallery"),
            outcome=outcome,
            status=response.status_code,
            residents=g.get("residents", ()),
            duration_ms=duration_ms,
        )
        try:
            runtime().audit.record(record)
        except sqlite3.Error:
            log.exception("audit record could not be written")
        log.info("%s %d %s %d ms", request.blueprint, response.status_code, outcome, duration_ms)
        return response
