"""Cameras added through the API (`POST /cameras`), persisted across restarts.

The URL is stored as given, credentials included, because the watcher needs them; it is never
returned by the API or logged (app/cameras/registry.py shows only a redacted form).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from app.store.db import Database


@dataclass(frozen=True)
class StoredCamera:
    name: str
    url: str
    privacy_parameter: int
    watch: bool
    analysis_fps: float


class CameraStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self) -> list[StoredCamera]:
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT name, url, privacy_parameter, watch, analysis_fps FROM cameras"
                " ORDER BY name"
            ).fetchall()
        return [StoredCamera(n, u, p, bool(w), f) for n, u, p, w, f in rows]

    def add(self, camera: StoredCamera) -> bool:
        """Insert a new camera; False when the name is taken."""
        try:
            with self._db.connect() as conn:
                conn.execute(
                    "INSERT INTO cameras (name, url, privacy_parameter, watch, analysis_fps,"
                    " created) VALUES (?, ?, ?, ?, ?, ?)",
                    (*_columns(camera), time.time()),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def update(self, camera: StoredCamera) -> None:
        with self._db.connect() as conn:
            conn.execute(
                "UPDATE cameras SET url = ?, privacy_parameter = ?, watch = ?, analysis_fps = ?"
                " WHERE name = ?",
                (*_columns(camera)[1:], camera.name),
            )

    def remove(self, name: str) -> bool:
        with self._db.connect() as conn:
            return conn.execute("DELETE FROM cameras WHERE name = ?", (name,)).rowcount > 0


def _columns(c: StoredCamera) -> tuple[str, str, int, int, float]:
    return (c.name, c.url, c.privacy_parameter, int(c.watch), c.analysis_fps)
