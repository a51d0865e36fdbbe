"""Faces labelled by feedback on camera events, as embeddings only (never pixels), per gallery,
resident and chip profile (`model_id`): "not this resident" (table `negatives`,
app/residents/negatives.py) and "this is this resident" (table `positives`,
app/residents/positives.py). They belong to the resident's identity (`resident_id`, given out by
app/residents/changes.py), not to its name: read through the identity's current name, and
deleted with the identity however the resident goes (a new person under the same name starts
with none). `sync(gallery)` brings the identities up to date with the directory before every
read. Both kinds also expire after their retention period."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.pipeline.matching import SeenFaces
from app.store.db import Database
from app.store.events import FaceEmbedding
from app.store.retention import Retention

TABLES = ("negatives", "positives")
# a label's resident, by identity: its current name is the resident's
_OF_RESIDENT = "JOIN resident_state s ON s.gallery = l.gallery AND s.resident_id = l.resident_id"


_Faces = list[tuple[np.ndarray, float]]  # (vector, relative blur); `list` is a method below


@dataclass(frozen=True)
class LabelledFace:
    id: int
    name: str
    event_id: int | None  # the camera event it was taken from
    created: float  # seconds since the epoch


class FaceLabels:
    """One table of TABLES; with `retention_days`, rows older than that are deleted."""

    def __init__(
        self,
        db: Database,
        table: str,
        retention_days: int | None = None,
        clock: Callable[[], float] = time.time,
        sync: Callable[[str], None] | None = None,
    ) -> None:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self._db, self._table, self._clock = db, table, clock
        self.sync = sync
        self._retention = (
            Retention(db, table, retention_days, clock, column="created")
            if retention_days is not None
            else None
        )

    def add(
        self,
        gallery: str,
        name: str,
        face: FaceEmbedding,
        event_id: int | None,
        relative_blur: float | None = None,
    ) -> LabelledFace:
        """Store a face; a positive also keeps the relative blur it was seen at, and its size."""
        created = self._clock()
        columns = {
            "gallery": gallery,
            "name": name,
            "model_id": face.model_id,
            "vector": face.blob(),
            "event_id": event_id,
            "created": created,
        }
        if relative_blur is not None:
            columns |= {"relative_blur": relative_blur, "face_px": face.face_px}
        with self._db.connect() as conn:
            cursor = conn.execute(
                f"INSERT INTO {self._table} ({', '.join(columns)}, resident_id) VALUES"
                f" ({', '.join('?' * len(columns))}, (SELECT resident_id FROM resident_state"
                " WHERE gallery = ? AND name = ?))",
                (*columns.values(), gallery, name),
            )
        return LabelledFace(int(cursor.lastrowid or 0), name, event_id, created)

    def list(self, gallery: str, name: str) -> list[LabelledFace]:
        self._before_read(gallery)
        with self._db.connect() as conn:
            rows = conn.execute(
                f"SELECT l.id, s.name, l.event_id, l.created FROM {self._table} l"
                f" {_OF_RESIDENT} WHERE l.gallery = ? AND s.name = ? ORDER BY l.id",
                (gallery, name),
            ).fetchall()
        return [LabelledFace(*row) for row in rows]

    def delete(self, gallery: str, name: str, face_id: int) -> bool:
        with self._db.connect() as conn:
            cursor = conn.execute(
                f"DELETE FROM {self._table} WHERE gallery = ? AND id = ? AND resident_id ="
                " (SELECT resident_id FROM resident_state WHERE gallery = ? AND name = ?)",
                (gallery, face_id, gallery, name),
            )
        return cursor.rowcount > 0

    def erase(self, gallery: str, name: str) -> int:
        """Delete every face of a resident (the resident is deleted); returns how many."""
        with self._db.connect() as conn:
            cursor = conn.execute(
                f"DELETE FROM {self._table} WHERE gallery = ? AND name = ?", (gallery, name)
            )
        return cursor.rowcount

    def rename(self, gallery: str, old: str, new: str) -> None:
        with self._db.connect() as conn:
            conn.execute(
                f"UPDATE {self._table} SET name = ? WHERE gallery = ? AND name = ?",
                (new, gallery, old),
            )

    def vectors(self, gallery: str, model_id: str) -> dict[str, np.ndarray]:
        """Every face of a gallery's profile, by resident: (k, d) float32 rows."""
        return {
            name: np.stack([v for v, _ in faces])
            for name, faces in self._faces(gallery, model_id, "0").items()
        }

    def seen(self, gallery: str, model_id: str) -> dict[str, SeenFaces]:
        """Every positive of a gallery's profile, by resident, with the relative blur it was seen
        at (0 for one confirmed before that was kept: those passed the sharpness rule)."""
        return {
            name: SeenFaces(np.stack([v for v, _ in faces]), np.array([r for _, r in faces]))
            for name, faces in self._faces(
                gallery, model_id, "coalesce(l.relative_blur, 0)"
            ).items()
        }

    def _faces(self, gallery: str, model_id: str, blur: str) -> dict[str, _Faces]:
        """Every face of a gallery's profile, by resident, in the order they were labelled, with
        the SQL expression `blur` of each."""
        self._before_read(gallery)
        with self._db.connect() as conn:
            rows = conn.execute(
                f"SELECT s.name, l.vector, {blur} FROM {self._table} l {_OF_RESIDENT}"
                " WHERE l.gallery = ? AND l.model_id = ? ORDER BY l.id",
                (gallery, model_id),
            ).fetchall()
        out: dict[str, _Faces] = {}
        for name, blob, relative in rows:
            out.setdefault(name, []).append((np.frombuffer(blob, dtype=np.float32), relative))
        return out

    def _before_read(self, gallery: str) -> None:
        if self.sync is not None:
            self.sync(gallery)
        self.purge_if_due()

    def purge_if_due(self) -> None:
        if self._retention is not None:
            self._retention.purge_if_due()

    def purge(self) -> int:
        """Delete the faces older than the retention period (none without one)."""
        return self._retention.purge() if self._retention is not None else 0
