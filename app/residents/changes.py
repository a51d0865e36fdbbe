"""The residents change log: what changed in a resident directory, and when, for `sync` clients.

Each call `reconcile`s the directory's current residents (name -> fingerprint of images and
metadata) with the last state seen: a new or changed resident gets an `updated` row, a vanished
one a `deleted` row. So changes made by hand on disk are logged too, at the time they are first
noticed. A rename is a `deleted` old name and an `updated` new one. Times are seconds since the
epoch, strictly increasing within one database, so `changes(since=t)` is exact: a client passes
the `cursor` of its last answer and gets every name whose latest change is newer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.store.db import Database

UPDATED, DELETED = "updated", "deleted"
_MIN_STEP = 1e-6


@dataclass(frozen=True)
class Change:
    name: str
    kind: Literal["updated", "deleted"]
    time: float


@dataclass(frozen=True)
class ChangeSet:
    changes: tuple[Change, ...]  # the latest change of each name, newer than `since`, by time
    cursor: float  # the newest change time logged: the next call's `since`
    updated: dict[str, float]  # every current resident -> time of its latest change


class ResidentLog:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db, self._clock = db, clock

    def reconcile(self, gallery: str, current: dict[str, str], since: float = 0.0) -> ChangeSet:
        """Log the differences between `current` (name -> fingerprint) and the last state seen,
        then answer the changes newer than `since`, all in one transaction."""
        with self._db.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes too
            seen = dict(
                conn.execute(
                    "SELECT name, fingerprint FROM resident_state WHERE gallery = ?", (gallery,)
                ).fetchall()
            )
            (latest,) = conn.execute("SELECT MAX(time) FROM resident_changes").fetchone()
            now = max(self._clock(), (latest or 0.0) + _MIN_STEP)
            updated = [(n, f) for n, f in current.items() if seen.get(n) != f]
            deleted = [n for n in seen if n not in current]
            conn.executemany(
                "INSERT OR REPLACE INTO resident_state (gallery, name, fingerprint)"
                " VALUES (?, ?, ?)",
                [(gallery, n, f) for n, f in updated],
            )
            conn.executemany(
                "DELETE FROM resident_state WHERE gallery = ? AND name = ?",
                [(gallery, n) for n in deleted],
            )
            conn.executemany(
                "INSERT INTO resident_changes (gallery, name, kind, time) VALUES (?, ?, ?, ?)",
                [(gallery, n, UPDATED, now) for n, _ in updated]
                + [(gallery, n, DELETED, now) for n in deleted],
            )
            rows = conn.execute(
                "SELECT name, kind, time FROM resident_changes WHERE id IN"
                " (SELECT MAX(id) FROM resident_changes WHERE gallery = ? GROUP BY name)"
                " ORDER BY time, name",
                (gallery,),
            ).fetchall()
        latest_of = [Change(name, kind, t) for name, kind, t in rows]
        return ChangeSet(
            changes=tuple(c for c in latest_of if c.time > since),
            cursor=max((c.time for c in latest_of), default=since),
            updated={c.name: c.time for c in latest_of if c.kind == UPDATED},
        )
