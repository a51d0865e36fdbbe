"""Feedback on camera events, default gallery only (the cameras' gallery). "That was not me"
(app/residents/negatives.py): POST /events/<id>/wrong marks a recognition wrong;
GET /residents/<name>/negatives lists that resident's negatives and
DELETE /residents/<name>/negatives/<id> removes one. "This is X" (app/residents/positives.py):
POST /events/<id>/is/<name> adds the event's face as a positive of X if the accept rule lets it
be one (POST /faces/identify/<p>/is/<name>, app/api/faces.py, does so for an identify answer's
face); GET and DELETE /residents/<name>/positives[/<id>] likewise.
Answers carry ids, names and times: never embeddings."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint, Response, jsonify
from pydantic import Field
from typing_extensions import TypedDict

from app.api.audit import audited
from app.api.params import MAX_ID, whole_number
from app.api.runtime import runtime
from app.api.spec import Reply, operation
from app.residents.negatives import Feedback
from app.residents.positives import Positives
from app.store.audit import AuditTrail
from app.store.face_labels import LabelledFace

bp = Blueprint("feedback", __name__)
COMMON = (400, 500, 503)
Id = Annotated[int, Field(ge=0, le=MAX_ID)]
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


class Positive(Negative):
    """A face confirmed as the resident: a negative's fields."""


class PositiveList(TypedDict):
    name: str
    positives: list[Positive]


class ConfirmPath(TypedDict):
    event_id: Annotated[Id, Field(description="A `recognized` or `unknown` event's id")]
    name: ResidentName


class PositivePath(TypedDict):
    name: ResidentName
    positive_id: Annotated[Id, Field(description="The positive's id")]


def feedback() -> Feedback:
    return runtime().services.feedback()


def positives() -> Positives:
    return runtime().services.positives()


def resident(name: str) -> str:
    """The resident's name as stored (ResidentNotFound if there is none of that name)."""
    services = runtime().services
    return services.residents.of(services.settings.residents_dir).get(name).name


@bp.post("/events/<event_id>/wrong")
@operation(
    "That was not me: the recognition's face becomes a negative of the resident it named, and "
    "matching refuses faces closer to it than to the resident",
    {201: Reply(Negative, "The negative stored")},
    errors=(*COMMON, 404, 409),
    operation_id="mark_recognition_wrong",
    path=EventPath,
)
@audited
def mark_wrong(trail: AuditTrail, event_id: str) -> Response:
    trail.event_id = whole_number("event_id", event_id)
    negative = feedback().wrong(trail.event_id)
    trail.residents = (negative.name,)
    response = jsonify(view(negative))
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
    name = resident(name)
    return jsonify({"name": name, "negatives": [view(n) for n in feedback().list(name)]})


@bp.delete("/residents/<name>/negatives/<negative_id>")
@operation(
    "Forget one negative: the resident may be named for such faces again",
    {200: Reply(NegativeDeleted, "Deleted")},
    errors=(*COMMON, 404),
    path=NegativePath,
)
@audited
def delete_negative(trail: AuditTrail, name: str, negative_id: str) -> Response:
    number = whole_number("negative_id", negative_id)
    name = resident(name)
    trail.residents = (name,)
    feedback().delete(name, number)
    return jsonify({"name": name, "deleted": number})


@bp.post("/events/<event_id>/is/<name>")
@operation(
    "This is X: the event's face (a recognition or an unknown face) becomes a positive of the "
    "resident, one of their views at the blur it was seen at, if the accept rule can name a face "
    "that size at that blur and it is not a near-duplicate; else 422 positive_rejected says why",
    {201: Reply(Positive, "The positive stored")},
    errors=(*COMMON, 404, 409, 422),
    operation_id="confirm_resident",
    path=ConfirmPath,
)
@audited
def this_is(trail: AuditTrail, event_id: str, name: str) -> Response:
    trail.event_id = whole_number("event_id", event_id)
    trail.residents = (resident(name),)
    response = jsonify(view(positives().add(trail.event_id, trail.residents[0])))
    response.status_code = 201
    return response


@bp.get("/residents/<name>/positives")
@operation(
    "Faces confirmed as this resident (ids and times, never embeddings)",
    {200: Reply(PositiveList, "Positives")},
    errors=(*COMMON, 404),
    path=NegativesPath,
)
@audited
def list_positives(trail: AuditTrail, name: str) -> Response:
    name = resident(name)
    return jsonify({"name": name, "positives": [view(p) for p in positives().list(name)]})


@bp.delete("/residents/<name>/positives/<positive_id>")
@operation(
    "Forget one positive",
    {200: Reply(NegativeDeleted, "Deleted")},
    errors=(*COMMON, 404),
    path=PositivePath,
)
@audited
def delete_positive(trail: AuditTrail, name: str, positive_id: str) -> Response:
    number = whole_number("positive_id", positive_id)
    name = resident(name)
    trail.residents = (name,)
    positives().delete(name, number)
    return jsonify({"name": name, "deleted": number})


def view(n: LabelledFace) -> Negative:
    return {"id": n.id, "name": n.name, "event_id": n.event_id, "created": n.created}
