"""The residents change log: what changed in a resident directory, and when, for `sync` clients.

Each call `reconcile`s the directory's current residents (name -> fingerprint of images and
metadata) with the last state seen: a new or changed resident gets an `updated` row, a vanished
one a `deleted` row. So changes made by hand on disk are logged too, at the time they are first
noticed. A rename is a `deleted` old name and an `updated` new one. Times are seconds since the
epoch, strictly increasing within one database, so `changes(since=t)` is exact: a client passes
the `cursor` of its last answer and gets every name whose latest change is newer.

Each resident also gets an identity (`resident_id`), which faces labelled by feedback (tables of
app/store/face_labels.py) belong to. It lasts while the resident keeps at least one of its
photos, also across a rename (a vanished name whose photos reappear under a new one); a name
whose photos were all replaced is someone new. Labels of an identity that is gone are deleted in
the same transaction, however the resident went (API or by hand on disk).
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.residents.directory import Resident, ResidentDirectory
from app.store.db import Database
from app.store.face_labels import TABLES as LABEL_TABLES

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

    def sync(self, root: Path, since: float = 0.0) -> tuple[dict[str, Resident], ChangeSet]:
        """Reconcile the resident directory `root` as it is on disk now."""
        directory = ResidentDirectory(root)
        residents = directory.residents()
        changes = self.reconcile(
            str(directory.root),
            {name: r.fingerprint for name, r in residents.items()},
            since,
            {name: frozenset(i.sha256 for i in r.images) for name, r in residents.items()},
        )
        return residents, changes

    def reconcile(
        self,
        gallery: str,
        current: dict[str, str],
        since: float = 0.0,
        photos: Mapping[str, frozenset[str]] | None = None,
    ) -> ChangeSet:
        """Log the differences between `current` (name -> fingerprint) and the last state seen,
        carry or give out identities by `photos` (name -> its photos' hashes), drop the labels
        of identities gone, then answer the changes newer than `since`; one transaction."""
        photos = photos or {}
        with self._db.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes too
            state = conn.execute(
                "SELECT name, fingerprint, resident_id, images FROM resident_state"
                " WHERE gallery = ?",
                (gallery,),
            ).fetchall()
            seen = {name: fingerprint for name, fingerprint, _, _ in state}
            identities = _identities(
                {name: (rid, frozenset(images.split())) for name, _, rid, images in state},
                {name: photos.get(name, frozenset()) for name in current},
            )
            (latest,) = conn.execute("SELECT MAX(time) FROM resident_changes").fetchone()
            now = max(self._clock(), (latest or 0.0) + _MIN_STEP)
            updated = [(n, f) for n, f in current.items() if seen.get(n) != f]
            deleted = [n for n in seen if n not in current]
            kept = {name: rid for name, _, rid, _ in state}
            conn.executemany(
                "INSERT OR REPLACE INTO resident_state (gallery, name, fingerprint, resident_id,"
                " images) VALUES (?, ?, ?, ?, ?)",
                [
                    (gallery, n, f, identities[n], " ".join(sorted(photos.get(n, ()))))
                    for n, f in current.items()
                    if seen.get(n) != f or kept.get(n) != identities[n]
                ],
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
            _drop_orphan_labels(conn, gallery)
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


def _identities(
    seen: Mapping[str, tuple[str | None, frozenset[str]]], current: Mapping[str, frozenset[str]]
) -> dict[str, str]:
    """Each current name's identity: its own while it keeps a photo (or when either side has no
    photo on record: a folder of metadata, a state from before identities), else that of a
    vanished name it shares a photo with (a rename), else a new one."""
    vanished = {rid: images for name, (rid, images) in seen.items() if name not in current and rid}
    out = {}
    for name, images in current.items():
        rid, before = seen.get(name, (None, frozenset()))
        if rid is None and name in seen:
            rid = uuid.uuid4().hex  # a state from before identities: it is the same resident
        elif rid is not None and before and images and not before & images:
            rid = None  # every photo replaced: someone new under the same name
        if rid is None:
            rid = next((r for r, old in vanished.items() if old & images), None)
            vanished.pop(rid or "", None)
        out[name] = rid or uuid.uuid4().hex
    return out


def _drop_orphan_labels(conn: sqlite3.Connection, gallery: str) -> None:
    """Labels from before identities join their name's resident; labels of no current resident
    are deleted."""
    for table in LABEL_TABLES:
        conn.execute(
            f"UPDATE {table} SET resident_id = (SELECT resident_id FROM resident_state s"
            f" WHERE s.gallery = {table}.gallery AND s.name = {table}.name)"
            " WHERE gallery = ? AND resident_id IS NULL",
            (gallery,),
        )
        conn.execute(
            f"DELETE FROM {table} WHERE gallery = ? AND (resident_id IS NULL OR resident_id NOT IN"
            " (SELECT resident_id FROM resident_state WHERE gallery = ?))",
            (gallery, gallery),
        )
