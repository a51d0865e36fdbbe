"""The gallery embedding cache: float32 vectors as raw bytes (no pickle), keyed by
(gallery, model id, file content hash)."""

from __future__ import annotations

import numpy as np

from app.pipeline.gallery import Enrollment
from app.store.db import Database


class SqliteEmbeddingCache:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, gallery: str, model_id: str) -> dict[str, Enrollment]:
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT sha256, dim, vector, reason FROM embeddings"
                " WHERE gallery = ? AND model_id = ?",
                (gallery, model_id),
            ).fetchall()
        return {
            sha: Enrollment(
                np.frombuffer(blob, dtype=np.float32, count=dim).copy() if blob else None,
                reason,
            )
            for sha, dim, blob, reason in rows
        }

    def save(self, gallery: str, model_id: str, sha256: str, enrollment: Enrollment) -> None:
        vector = enrollment.vector
        blob = None if vector is None else np.asarray(vector, dtype=np.float32).tobytes()
        dim = 0 if vector is None else int(vector.size)
        with self._db.connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO embeddings (gallery, model_id, sha256, dim, vector, reason)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (gallery, model_id, sha256, dim, blob, enrollment.reason),
            )

    def prune(self, gallery: str, model_id: str, keep: set[str]) -> int:
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT sha256 FROM embeddings WHERE gallery = ? AND model_id = ?",
                (gallery, model_id),
            ).fetchall()
            gone = [(gallery, model_id, sha) for (sha,) in rows if sha not in keep]
            conn.executemany(
                "DELETE FROM embeddings WHERE gallery = ? AND model_id = ? AND sha256 = ?", gone
            )
        return len(gone)
