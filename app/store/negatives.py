"""Faces marked "not this resident" (feedback on a wrong recognition): embeddings only, never
pixels, per gallery, resident and chip profile (`model_id`). Erased with their resident."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from app.store.db import Database
from app.store.events import FaceEmbedding


@dataclass(frozen=True)
class Negative:
    id: int
    name: str
    event_id: int | None  # the recognition it was taken from
    created: float  # seconds since the epoch


class NegativeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, gallery: str, name: str, face: FaceEmbedding, event_id: int | None) -> Negative:
        created = time.time()
        with self._db.connect() as conn:
            cursor = conn.execute(
                "INSERT INTO negatives (gallery, name, model_id, vector, event_id, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (gallery, name, face.model_id, face.blob(), event_id, created),
            )
        return Negative(int(cursor.lastrowid or 0), name, event_id, created)

    def list(self, gallery: str, name: str) -> list[Negative]:
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, name, event_id, created FROM negatives"
                " WHERE gallery = ? AND name = ? ORDER BY id",
                (gallery, name),
            ).fetchall()
        return [Negative(*row) for row in rows]

    def delete(self, gallery: str, name: str, negative_id: int) -> bool:
        with self._db.connect() as conn:
            cursor = conn.execute(
                "DELETE FROM negatives WHERE gallery = ? AND name = ? AND id = ?",
                (gallery, name, negative_id),
            )
        return cursor.rowcount > 0

    def erase(self, gallery: str, name: str) -> int:
        """Delete every negative of a resident (the resident is deleted); returns how many."""
        with self._db.connect() as conn:
            cursor = conn.execute(
                "DELETE FROM negatives WHERE gallery = ? AND name = ?", (gallery, name)
            )
        return cursor.rowcount

    def rename(self, gallery: str, old: str, new: str) -> None:
        with self._db.connect() as conn:
            conn.execute(
                "UPDATE negatives SET name = ? WHERE gallery = ? AND name = ?", (new, gallery, old)
            )

    def vectors(self, gallery: str, model_id: str) -> dict[str, np.ndarray]:
        """Every negative of a gallery's profile, by resident: (k, d) float32 rows."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT name, vector FROM negatives WHERE gallery = ? AND model_id = ?",
                (gallery, model_id),
            ).fetchall()
        out: dict[str, list[np.ndarray]] = {}
        for name, blob in rows:
            out.setdefault(name, []).append(np.frombuffer(blob, dtype=np.float32))
        return {name: np.stack(rows) for name, rows in out.items()}
