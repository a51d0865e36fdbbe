"""Camera events (docs/cameras.md), kept for EVENT_RETENTION_DAYS.

Rows hold the event type, a camera name, a resident name, a time, a confidence and the privacy
parameter: never frames, crops or URLs. A recognition or an unknown face also keeps its face's
embedding (with the chip profile it was made with, the face's size and sharpness, and the track's
best match: its nearest resident, distance and accept distance), so that it can be marked wrong
(app/residents/negatives.py) or confirmed as a resident (app/residents/positives.py) later; it
goes with the event when retention deletes it. Ids increase (AUTOINCREMENT), so a client's
`cursor` is the id of the last event it got and `since=cursor` returns exactly the newer ones.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.domain import CameraEvent, Nearest
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
    after: float | None = None  # only events at or after this time (seconds since the epoch)
    with_face: bool = False  # only events that kept a face's embedding

    def where(self) -> tuple[str, list[object]]:
        """The SQL condition selecting these events, and its arguments."""
        where: list[str] = ["id > ?"]
        args: list[object] = [self.since]
        for column, value in (
            ("camera", self.camera),
            ("resident", self.resident),
            ("type", self.type),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if self.after is not None:
            where.append("time >= ?")
            args.append(self.after)
        if self.with_face:
            where.append("embedding IS NOT NULL")
        return " AND ".join(where), args


@dataclass(frozen=True)
class EventPage:
    events: tuple[CameraEvent, ...]  # oldest first
    cursor: int  # the next query's `since`


@dataclass(frozen=True)
class FaceEmbedding:
    """One face's embedding and the chip profile (`model_id`) it was made with; for a face seen
    by a camera also its size and sharpness (app/pipeline/quality.py), to judge whether it may
    become a resident's positive."""

    model_id: str
    vector: np.ndarray
    face_px: int | None = None  # the face box's shorter side, in pixels
    sharpness: float | None = None
    nearest: Nearest | None = None  # a camera track's best match (app/cameras/evidence.py)

    def blob(self) -> bytes:
        return np.asarray(self.vector, dtype=np.float32).tobytes()


class EventStore:
    def __init__(
        self, db: Database, retention_days: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = db
        self._retention = Retention(db, "events", retention_days, clock)

    def add(
        self,
        event: CameraEvent,
        face: FaceEmbedding | None = None,
        companion: Callable[[sqlite3.Connection, CameraEvent], None] | None = None,
    ) -> CameraEvent:
        """Store an event (with its face's embedding, if it kept one), and `companion`'s write
        of the stored event, in one transaction; returns it with its id. Expired events go at
        most once per hour."""
        with self._db.connect() as conn:
            cursor = conn.execute(
                "INSERT INTO events (time, type, camera, resident, confidence, privacy_parameter,"
                " model_id, embedding, face_px, sharpness, nearest, nearest_distance,"
                " nearest_threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.time,
                    event.type,
                    event.camera,
                    event.resident,
                    event.confidence,
                    event.privacy_parameter,
                    face.model_id if face else None,
                    face.blob() if face else None,
                    face.face_px if face else None,
                    face.sharpness if face else None,
                    *_nearest_columns(face.nearest if face else None),
                ),
            )
            stored = replace(event, id=int(cursor.lastrowid or 0))
            if companion is not None:
                companion(conn, stored)
        self._retention.purge_if_due()
        return stored

    def recent(self, q: EventQuery) -> list[CameraEvent]:
        """The newest `q.limit` events that match `q`, newest first."""
        where, args = q.where()
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, type, camera, resident, time, confidence, privacy_parameter"
                f" FROM events WHERE {where} ORDER BY id DESC LIMIT ?",
                (*args, min(q.limit, MAX_PAGE)),
            ).fetchall()
        return [_event(row) for row in rows]

    def face(self, event_id: int) -> tuple[CameraEvent, FaceEmbedding | None] | None:
        """An event and its face's embedding (None when it kept none); None if not kept."""
        with self._db.connect() as conn:
            row = conn.execute(
                f"SELECT {_WITH_FACE} FROM events WHERE id = ?", (event_id,)
            ).fetchone()
        return None if row is None else _with_face(row)

    def recent_faces(self, q: EventQuery) -> list[tuple[CameraEvent, FaceEmbedding | None]]:
        """The newest `q.limit` events that match `q` with their faces, newest first."""
        where, args = q.where()
        with self._db.connect() as conn:
            rows = conn.execute(
                f"SELECT {_WITH_FACE} FROM events WHERE {where} ORDER BY id DESC LIMIT ?",
                (*args, min(q.limit, MAX_PAGE)),
            ).fetchall()
        return [_with_face(row) for row in rows]

    def purge(self) -> int:
        """Delete events older than the retention period; returns how many went."""
        return self._retention.purge()

    def query(self, q: EventQuery) -> EventPage:
        where, args = q.where()
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, type, camera, resident, time, confidence, privacy_parameter"
                f" FROM events WHERE {where} ORDER BY id LIMIT ?",
                (*args, min(q.limit, MAX_PAGE)),
            ).fetchall()
        events = tuple(_event(row) for row in rows)
        return EventPage(events, events[-1].id if events else q.since)


_WITH_FACE = (
    "id, type, camera, resident, time, confidence, privacy_parameter, model_id, embedding,"
    " face_px, sharpness, nearest, nearest_distance, nearest_threshold"
)


def _with_face(row: tuple) -> tuple[CameraEvent, FaceEmbedding | None]:
    """An event and its face from the columns of _WITH_FACE."""
    *columns, model_id, blob, face_px, sharp, nearest, distance, threshold = row
    if not blob:
        return _event(tuple(columns)), None
    best = Nearest(nearest, distance, threshold) if nearest is not None else None
    vector = np.frombuffer(blob, np.float32).copy()
    return _event(tuple(columns)), FaceEmbedding(model_id, vector, face_px, sharp, best)


def _nearest_columns(best: Nearest | None) -> tuple[str | None, float | None, float | None]:
    return (best.resident, best.distance, best.threshold) if best else (None, None, None)


def _event(row: tuple) -> CameraEvent:
    """A CameraEvent from the columns id, type, camera, resident, time, confidence, privacy."""
    id_, type_, camera, resident, t, confidence, privacy = row
    return CameraEvent(type_, camera, resident, t, confidence, privacy, id_)
