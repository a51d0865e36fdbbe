"""The Home Assistant entities announced on MQTT (names of residents and watched cameras), so
that the entities of a resident or camera that is gone are removed, even across restarts."""

from __future__ import annotations

from app.store.db import Database


class Announced:
    def __init__(self, db: Database) -> None:
        self._db = db

    def names(self, kind: str) -> set[str]:
        with self._db.connect() as conn:
            rows = conn.execute("SELECT name FROM announced WHERE kind = ?", (kind,)).fetchall()
        return {name for (name,) in rows}

    def replace(self, kind: str, names: set[str]) -> None:
        with self._db.connect() as conn:
            conn.execute("DELETE FROM announced WHERE kind = ?", (kind,))
            conn.executemany(
                "INSERT INTO announced (kind, name) VALUES (?, ?)", [(kind, n) for n in names]
            )
