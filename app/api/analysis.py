"""What both analysis routes share: the thin HTTP shell over the analysis use case."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, jsonify, request

from app.analyses import AnalysisOrder, Job, Media
from app.api import params
from app.api.runtime import runtime
from app.api.uploads import gallery_name
from app.domain import AnalysisResult
from app.sifis import envelope
from app.store.audit import AuditTrail

ROUTE_TAIL = "<privacy_parameter>/<requestor_id>/<requestor_type>/<request_id>"


def form_value(name: str) -> str | None:
    """A small option given as a form field or in the query string."""
    return request.form.get(name, request.args.get(name))


def analyse(
    trail: AuditTrail,
    media: Callable[[], Media],
    privacy_parameter: str,
    requestor_id: str,
    requestor_type: str,
    request_id: str,
) -> Response:
    """Run the analysis on the worker pool and answer the SIFIS `RequestPostTopicUUID` envelope,
    as the bus expects it. With PUBLISH_HTTP_RESULTS its progress and result go on the buses."""
    rt = runtime()
    services = rt.services  # 503 while the models load
    order = AnalysisOrder(
        params.request_ids(requestor_id, requestor_type, request_id),
        privacy_parameter,
        gallery_name(),
        media,
        publish=rt.settings.publish_http_results,
    )

    def on_pool(job: Job) -> AnalysisResult:  # or on the queue's workers, with QUEUE_URL
        return (rt.queue or rt.pool).run(job, rt.settings.request_timeout_s)

    return jsonify(envelope(services.analyses.run(order, trail, on_pool)))
