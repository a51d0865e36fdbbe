"""Feedback on camera events, default gallery only (the cameras' gallery). "That was not me"
(app/residents/negatives.py): POST /events/<id>/wrong marks a recognition wrong;
GET /residents/<name>/negatives lists that resident's negatives and
DELETE /residents/<name>/negatives/<id> removes one. "This is X" (app/residents/positives.py):
POST /events/<id>/is/<name> adds the event's face as a positive of X if it passes the quality
rules; GET and DELETE /residents/<name>/positives[/<id>] likewise.
Answers carry ids, names and times: never embeddings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from app.api.audit import audited
from app.api.runtime import runtime
from app.residents.negatives import Feedback
from app.residents.positives import Positives
from app.store.audit import AuditTrail
from app.store.face_labels import LabelledFace

bp = Blueprint("feedback", __name__)


def feedback() -> Feedback:
    services = runtime().services
    stores = services.stores
    return Feedback(stores.events, stores.negatives, services.settings.residents_dir)


def positives() -> Positives:
    services = runtime().services
    gallery = services.recognition.gallery(services.settings.residents_dir)
    return Positives(
        services.stores.events,
        services.stores.positives,
        gallery,
        services.recognition.quality_gate,
    )


def _resident(name: str) -> str:
    """The resident's name as stored (ResidentNotFound if there is none of that name)."""
    services = runtime().services
    return services.residents.of(services.settings.residents_dir).get(name).name


@bp.post("/events/<int:event_id>/wrong")
@audited
def mark_wrong(trail: AuditTrail, event_id: int) -> Response:
    response = jsonify(view(feedback().wrong(event_id)))
    response.status_code = 201
    return response


@bp.get("/residents/<name>/negatives")
@audited
def list_negatives(trail: AuditTrail, name: str) -> Response:
    name = _resident(name)
    return jsonify({"name": name, "negatives": [view(n) for n in feedback().list(name)]})


@bp.delete("/residents/<name>/negatives/<int:negative_id>")
@audited
def delete_negative(trail: AuditTrail, name: str, negative_id: int) -> Response:
    name = _resident(name)
    feedback().delete(name, negative_id)
    return jsonify({"name": name, "deleted": negative_id})


@bp.post("/events/<int:event_id>/is/<name>")
@audited
def this_is(trail: AuditTrail, event_id: int, name: str) -> Response:
    response = jsonify(view(positives().add(event_id, _resident(name))))
    response.status_code = 201
    return response


@bp.get("/residents/<name>/positives")
@audited
def list_positives(trail: AuditTrail, name: str) -> Response:
    name = _resident(name)
    return jsonify({"name": name, "positives": [view(p) for p in positives().list(name)]})


@bp.delete("/residents/<name>/positives/<int:positive_id>")
@audited
def delete_positive(trail: AuditTrail, name: str, positive_id: int) -> Response:
    name = _resident(name)
    positives().delete(name, positive_id)
    return jsonify({"name": name, "deleted": positive_id})


def view(n: LabelledFace) -> dict[str, Any]:
    return {"id": n.id, "name": n.name, "event_id": n.event_id, "created": n.created}
