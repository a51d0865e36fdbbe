""" "That was not me" (app/residents/negatives.py): POST /events/<id>/wrong marks a camera
recognition wrong; GET /residents/<name>/negatives lists that resident's negatives and
DELETE /residents/<name>/negatives/<id> removes one. Default gallery only (the cameras' gallery).
Answers carry ids, names and times: never embeddings."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, Response, jsonify
from pydantic import Field
from typing_extensions import TypedDict

from app.api.audit import audited
from app.api.runtime import runtime
from app.api.spec import Reply, operation
from app.residents.negatives import Feedback
from app.store.audit import AuditTrail
from app.store.negatives import Negative as StoredNegative

bp = Blueprint("feedback", __name__)
COMMON = (400, 500, 503)
Id = Annotated[int, Field(ge=0)]
ResidentName = Annotated[str, Field(description="The resident's name (default gallery)")]


class Negative(TypedDict):
    id: int
    name: str
    event_id: int | None
    created: Annotated[float, Field(description="Seconds since the epoch")]


class NegativeList(TypedDict):
    name: str
    negatives: list[Negative]


class NegativeDeleted(TypedDict):
    name: str
    deleted: int


class EventPath(TypedDict):
    event_id: Annotated[Id, Field(description="A `recognized` event's id")]


class NegativesPath(TypedDict):
    name: ResidentName


class NegativePath(TypedDict):
    name: ResidentName
    negative_id: Annotated[Id, Field(description="The negative's id")]


def feedback() -> Feedback:
    services = runtime().services
    stores = services.stores
    return Feedback(stores.events, stores.negatives, services.settings.residents_dir)


def _resident(name: str) -> str:
    """The resident's name as stored (ResidentNotFound if there is none of that name)."""
    services = runtime().services
    return services.residents.of(services.settings.residents_dir).get(name).name


@bp.post("/events/<int:event_id>/wrong")
@operation(
    "That was not me: the recognition's face becomes a negative of the resident it named, and "
    "matching refuses faces closer to it than to the resident",
    {201: Reply(Negative, "The negative stored")},
    errors=(*COMMON, 404, 409),
    operation_id="mark_recognition_wrong",
    path=EventPath,
)
@audited
def mark_wrong(trail: AuditTrail, event_id: int) -> Response:
    response = jsonify(view(feedback().wrong(event_id)))
    response.status_code = 201
    return response


@bp.get("/residents/<name>/negatives")
@operation(
    "Faces marked as not this resident (ids and times, never embeddings)",
    {200: Reply(NegativeList, "Negatives")},
    errors=(*COMMON, 404),
    path=NegativesPath,
)
@audited
def list_negatives(trail: AuditTrail, name: str) -> Response:
    name = _resident(name)
    return jsonify({"name": name, "negatives": [view(n) for n in feedback().list(name)]})


@bp.delete("/residents/<name>/negatives/<int:negative_id>")
@operation(
    "Forget one negative: the resident may be named for such faces again",
    {200: Reply(NegativeDeleted, "Deleted")},
    errors=(*COMMON, 404),
    path=NegativePath,
)
@audited
def delete_negative(trail: AuditTrail, name: str, negative_id: int) -> Response:
    name = _resident(name)
    feedback().delete(name, negative_id)
    return jsonify({"name": name, "deleted": negative_id})


def view(n: StoredNegative) -> Negative:
    return {"id": n.id, "name": n.name, "event_id": n.event_id, "created": n.created}
