"""Camera events (docs/cameras.md), kept for EVENT_RETENTION_DAYS.

Rows hold the event type, a camera name, a resident name, a time, a confidence and the privacy
parameter: never frames, crops or URLs. A recognition also keeps its face's embedding (and the chip
profile it was made with), so that it can be marked wrong later (app/residents/negatives.py); it
goes with the event when retention deletes it. Ids increase (AUTOINCREMENT), so a client's
`cursor` is the id of the last event it got and `since=cursor` returns exactly the newer ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.domain import CameraEvent
from app.store.db import Database
from app.store.retention import Retention

MAX_PAGE = 500


@dataclass(frozen=True)
class EventQuery:
    since: int = 0  # the cursor of a previous answer; 0 = from the oldest kept
    camera: str | None = None
    resident: str | None = None
    type: str | None = None
    limit: int = MAX_PAGE


@dataclass(frozen=True)
class EventPage:
    events: tuple[CameraEvent, ...]  # oldest first
    cursor: int  # the next query's `since`


@dataclass(frozen=True)
class FaceEmbedding:
    """One face's embedding and the chip profile (`model_id`) it was made with."""

    model_id: str
    vector: np.ndarray

    def blob(self) -> bytes:
        return np.asarray(self.vector, dtype=np.float32).tobytes()


class EventStore:
    def __init__(
        self, db: Database, retention_days: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._retention = Retention(db, "events", retention_days, clock)

    def add(self, event: CameraEvent, face: FaceEmbedding | None = None) -> CameraEvent:
        """Store an event (with its face's embedding, for a recognition); returns it with its id.
        Expired events go at most once per hour."""
        with self._db.connect() as conn:
            cursor = conn.execute(
                "INSERT INTO events (time, type, camera, resident, confidence, privacy_parameter,"
                " model_id, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.time,
                    event.type,
                    event.camera,
                    event.resident,
                    event.confidence,
                    event.privacy_parameter,
                    face.model_id if face else None,
                    face.blob() if face else None,
                ),
            )
            stored = replace(event, id=int(cursor.lastrowid or 0))
        self._retention.purge_if_due()
        return stored

    def recent(self, limit: int, type_: str | None = None) -> list[CameraEvent]:
        """The newest events (of one type), newest first."""
        where, args = ("WHERE type = ?", (type_,)) if type_ else ("", ())
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, type, camera, resident, time, confidence, privacy_parameter"
                f" FROM events {where} ORDER BY id DESC LIMIT ?",
                (*args, min(limit, MAX_PAGE)),
            ).fetchall()
        return [_event(row) for row in rows]

    def face(self, event_id: int) -> tuple[CameraEvent, FaceEmbedding | None] | None:
        """An event and its face's embedding (None when it kept none); None if not kept."""
        with self._db.connect() as conn:
            row = conn.execute(
                "SELECT id, type, camera, resident, time, confidence, privacy_parameter, model_id,"
                " embedding FROM events WHERE id = ?",
                (event_id,),
            ).fetchone()
        if row is None:
            return None
        *columns, model_id, blob = row
        event = _event(tuple(columns))
        face = FaceEmbedding(model_id, np.frombuffer(blob, np.float32).copy()) if blob else None
        return event, face

    def purge(self) -> int:
        """Delete events older than the retention period; returns how many went."""
        return self._retention.purge()

    def query(self, q: EventQuery) -> EventPage:
        where, args = ["id > ?"], [q.since]
        for column, value in (("camera", q.camera), ("resident", q.resident), ("type", q.type)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, type, camera, resident, time, confidence, privacy_parameter"
                f" FROM events WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
                (*args, min(q.limit, MAX_PAGE)),
            ).fetchall()
        events = tuple(_event(row) for row in rows)
        return EventPage(events, events[-1].id if events else q.since)


def _event(row: tuple) -> CameraEvent:
    """A CameraEvent from the columns id, type, camera, resident, time, confidence, privacy."""
    id_, type_, camera, resident, t, confidence, privacy = row
    return CameraEvent(type_, camera, resident, t, confidence, privacy, id_)
