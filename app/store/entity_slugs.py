"""The slug of each resident and watched camera in Home Assistant entity ids and MQTT topics.

Derived from the name (lower case ASCII, accents dropped, `_` for anything else), a slug is
stored the first time it is needed and kept while its entity exists, so it stays the same across
restarts; a name with nothing left in ASCII (Мария, 李雷) gets one from a hash of the name, and a
slug already taken by another name of the same kind (`Ann-Marie` and `Ann Marie`, `Porch` and
`porch`) gets the first free suffix `_2`, `_3`, ...
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata

from app.store.db import Database


def base_slug(name: str) -> str:
    """A name as Home Assistant's object ids have it: lower-case ASCII, `_` for anything else."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return slug or "x" + hashlib.sha256(name.encode()).hexdigest()[:8]


class EntitySlugs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def of(self, kind: str, name: str) -> str:
        """The stored slug of `name`, given one first if it has none. A stored slug is only
        read, without a write lock: it is looked up inside another connection's write (a camera
        event's transaction, app/cameras/feed.py), once `Bus.prepare` has assigned it."""
        with self._db.connect() as conn:
            found = _stored(conn, kind, name)
            if found is not None:
                return found
            conn.execute("BEGIN IMMEDIATE")  # two processes never hand out the same slug
            return _stored(conn, kind, name) or _assign(conn, kind, name)

    def release(self, kind: str, name: str) -> None:
        """The entity is gone: its slug may go to another name."""
        with self._db.connect() as conn:
            conn.execute("DELETE FROM entity_slugs WHERE kind = ? AND name = ?", (kind, name))


def _stored(conn: sqlite3.Connection, kind: str, name: str) -> str | None:
    row = conn.execute(
        "SELECT slug FROM entity_slugs WHERE kind = ? AND name = ?", (kind, name)
    ).fetchone()
    return row[0] if row else None


def _assign(conn: sqlite3.Connection, kind: str, name: str) -> str:
    base = base_slug(name)
    taken = {
        slug for (slug,) in conn.execute("SELECT slug FROM entity_slugs WHERE kind = ?", (kind,))
    }
    slug = next(
        candidate
        for n in range(1, len(taken) + 2)
        if (candidate := base if n == 1 else f"{base}_{n}") not in taken
    )
    conn.execute("INSERT INTO entity_slugs (kind, name, slug) VALUES (?, ?, ?)", (kind, name, slug))
    return slug
