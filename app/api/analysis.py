"""What both analysis routes share: the thin HTTP shell over the analysis use case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from flask import Response, jsonify, request
from pydantic import Field
from typing_extensions import TypedDict

from app.analyses import AnalysisOrder, Media
from app.api import params
from app.api.connections import client_gone
from app.api.runtime import runtime
from app.api.spec import Reply, Shape, settings_shape
from app.api.uploads import gallery_name
from app.config import Settings
from app.sifis import ID_PATTERN, RESULTS_TOPIC, ResultValue, envelope
from app.store.audit import AuditTrail

ROUTE_TAIL = "<privacy_parameter>/<requestor_id>/<requestor_type>/<request_id>"
ANALYSIS_ERRORS = (400, 404, 413, 500, 503, 504)


class ResultTopic(TypedDict):
    topic_name: Literal[RESULTS_TOPIC]  # type: ignore[valid-type]  # pydantic reads the constant
    topic_uuid: str
    value: ResultValue


class Envelope(TypedDict):
    """The SIFIS result message, as the bus carries it (docs/bus.md)."""

    RequestPostTopicUUID: ResultTopic


RESULT = {200: Reply(Envelope, "SIFIS result message")}


def privacy_parameter(settings: Settings) -> Any:
    """The `privacy_parameter` URL part, as documented."""
    top = settings.max_privacy_parameter
    return Annotated[
        int,
        Field(
            ge=0,
            le=top,
            description="Gaussian blur kernel applied to every frame: 0 or 1 = no blur, "
            f"otherwise an odd integer from 3 to {top}.",
        ),
    ]


def _id(description: str) -> Any:
    return Annotated[str, Field(pattern=f"^{ID_PATTERN}$", description=description)]


def route_path(first: str, kind: Any, settings: Settings) -> Shape:
    """The URL variables of an analysis route: `first`, then ROUTE_TAIL's."""
    return settings_shape(
        "AnalysisPath",
        {
            first: kind,
            "privacy_parameter": privacy_parameter(settings),
            "requestor_id": _id("Who asks; echoed in the result."),
            "requestor_type": _id("Kind of requestor (e.g. NSSD); echoed."),
            "request_id": _id("The request's ID; echoed, and used in error bodies."),
        },
    )


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

    value = services.analyses.run(order, trail, services.runners.http, client_gone())
    return jsonify(envelope(value))
