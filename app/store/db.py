"""SQLite connections and schema migrations (PRAGMA user_version counts applied steps)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.private_files import private_dir, private_file

# SQLite gives these the database file's mode when it creates them; older ones are tightened
JOURNALS = ("-wal", "-shm", "-journal")

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE embeddings (
        gallery  TEXT NOT NULL,
        model_id TEXT NOT NULL,
        sha256   TEXT NOT NULL,
        dim      INTEGER NOT NULL,
        vector   BLOB,
        reason   TEXT,
        created  REAL NOT NULL DEFAULT (strftime('%s', 'now')),
        PRIMARY KEY (gallery, model_id, sha256)
    )
    """,
    """
    CREATE TABLE audit (
        id                INTEGER PRIMARY KEY,
        time              REAL NOT NULL,
        route             TEXT NOT NULL,
        requestor_id      TEXT,
        requestor_type    TEXT,
        request_id        TEXT,
        kind              TEXT,
        privacy_parameter INTEGER,
        gallery           TEXT,
        outcome           TEXT NOT NULL,
        status            INTEGER NOT NULL,
        residents         TEXT NOT NULL,
        duration_ms       INTEGER NOT NULL
    )
    """,
    "CREATE INDEX audit_time ON audit (time)",
    # The bus outbox (app/store/outbox.py): AUTOINCREMENT keeps ids, the sending order, increasing
    # even after the newest rows were deleted.
    """
    CREATE TABLE outbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        destination  TEXT NOT NULL,
        topic        TEXT NOT NULL,
        payload      TEXT NOT NULL,
        retain       INTEGER NOT NULL DEFAULT 0,
        coalesce_key TEXT,
        created      REAL NOT NULL
    )
    """,
    "CREATE INDEX outbox_destination ON outbox (destination, id)",
    "CREATE TABLE bus_requests (request_id TEXT PRIMARY KEY, received REAL NOT NULL)",
    "CREATE INDEX bus_requests_received ON bus_requests (received)",
    # The residents change log (app/residents/changes.py): last state seen, and what changed when.
    """
    CREATE TABLE resident_state (
        gallery     TEXT NOT NULL,
        name        TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (gallery, name)
    )
    """,
    """
    CREATE TABLE resident_changes (
        id      INTEGER PRIMARY KEY,
        gallery TEXT NOT NULL,
        name    TEXT NOT NULL,
        kind    TEXT NOT NULL,
        time    REAL NOT NULL
    )
    """,
    "CREATE INDEX resident_changes_name ON resident_changes (gallery, name, id)",
    # DHT requests kept until answered (app/store/bus_requests.py); rows from before are answered.
    "ALTER TABLE bus_requests ADD COLUMN state TEXT NOT NULL DEFAULT 'answered'",
    "ALTER TABLE bus_requests ADD COLUMN topic TEXT",
    "ALTER TABLE bus_requests ADD COLUMN value TEXT",
    "ALTER TABLE bus_requests ADD COLUMN runs INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX bus_requests_state ON bus_requests (state, received)",
    # Cameras added through the API (app/store/cameras.py); CAMERAS from the settings are not here.
    """
    CREATE TABLE cameras (
        name              TEXT PRIMARY KEY,
        url               TEXT NOT NULL,
        privacy_parameter INTEGER NOT NULL,
        watch             INTEGER NOT NULL,
        analysis_fps      REAL NOT NULL,
        created           REAL NOT NULL
    )
    """,
    # Events of the watched cameras (app/store/events.py): never frames, crops or URLs.
    """
    CREATE TABLE events (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        time              REAL NOT NULL,
        type              TEXT NOT NULL,
        camera            TEXT,
        resident          TEXT,
        confidence        INTEGER,
        privacy_parameter INTEGER
    )
    """,
    "CREATE INDEX events_time ON events (time)",
    # Home Assistant entities announced on MQTT, so that vanished ones are removed (app/cameras/).
    "CREATE TABLE announced (kind TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (kind, name))",
    # A recognition's embedding, kept with its event for "that was not me" (never pixels).
    "ALTER TABLE events ADD COLUMN model_id TEXT",
    "ALTER TABLE events ADD COLUMN embedding BLOB",
    # Faces marked "not this resident" (app/store/face_labels.py).
    """
    CREATE TABLE negatives (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        gallery  TEXT NOT NULL,
        name     TEXT NOT NULL,
        model_id TEXT NOT NULL,
        vector   BLOB NOT NULL,
        event_id INTEGER,
        created  REAL NOT NULL
    )
    """,
    "CREATE INDEX negatives_name ON negatives (gallery, name)",
    # Faces confirmed as a resident ("this is X", app/store/face_labels.py), and the quality of
    # the face an event kept (app/residents/positives.py checks it before adding a positive).
    """
    CREATE TABLE positives (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        gallery  TEXT NOT NULL,
        name     TEXT NOT NULL,
        model_id TEXT NOT NULL,
        vector   BLOB NOT NULL,
        event_id INTEGER,
        created  REAL NOT NULL
    )
    """,
    "CREATE INDEX positives_name ON positives (gallery, name)",
    "ALTER TABLE events ADD COLUMN face_px INTEGER",
    "ALTER TABLE events ADD COLUMN sharpness REAL",
    # Messages a bus can never accept, set aside with the reason (app/store/outbox.py)
    """
    CREATE TABLE dead_letters (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        destination  TEXT NOT NULL,
        topic        TEXT NOT NULL,
        payload      TEXT NOT NULL,
        retain       INTEGER NOT NULL,
        reason       TEXT NOT NULL,
        failed       REAL NOT NULL
    )
    """,
    "CREATE INDEX dead_letters_destination ON dead_letters (destination, id)",
    # Residents' identities (app/residents/changes.py): labelled faces belong to one, not to a name
    "ALTER TABLE resident_state ADD COLUMN resident_id TEXT",
    "ALTER TABLE resident_state ADD COLUMN images TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE negatives ADD COLUMN resident_id TEXT",
    "ALTER TABLE positives ADD COLUMN resident_id TEXT",
    # Slugs of Home Assistant entities, unique per kind (app/store/entity_slugs.py)
    """
    CREATE TABLE entity_slugs (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        slug TEXT NOT NULL,
        PRIMARY KEY (kind, name),
        UNIQUE (kind, slug)
    )
    """,
    # Who an HTTP request came from (app/api/audit.py), and the event feedback is about.
    "ALTER TABLE audit ADD COLUMN event_id INTEGER",
    "ALTER TABLE audit ADD COLUMN client TEXT",
    "ALTER TABLE audit ADD COLUMN credential TEXT",
    # A confirmed face's relative blur (sigma / width) and width: it is one of its resident's views
    # at that blur (app/residents/positives.py); NULL for faces confirmed before, seen sharp.
    "ALTER TABLE positives ADD COLUMN relative_blur REAL",
    "ALTER TABLE positives ADD COLUMN face_px INTEGER",
    # A camera track's best match, for its review (app/cameras/evidence.py): numbers and a name.
    "ALTER TABLE events ADD COLUMN nearest TEXT",
    "ALTER TABLE events ADD COLUMN nearest_distance REAL",
    "ALTER TABLE events ADD COLUMN nearest_threshold REAL",
)


class Database:
    """A file-backed SQLite database; one short-lived connection per unit of work. It holds
    camera credentials: the file (and its journals) is 0600 and its folder 0700."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        private_file(path)
        for journal in JOURNALS:
            leftover = path.with_name(path.name + journal)
            if leftover.exists():
                private_file(leftover)
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for step, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                conn.execute(sql)
                conn.execute(f"PRAGMA user_version={step}")

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            with conn:
                yield conn
        finally:
            conn.close()
