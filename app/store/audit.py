"""The audit log: one row per analysis request, kept for a retention period (docs/security.md).

A row says who asked (requestor and request IDs; for HTTP, the client's address and how it was
let in), what kind of media, which privacy parameter and gallery name, the camera event feedback
was about, the outcome (`ok` or an error code), the residents named and how long it took. It
never holds frames, crops, file names, paths, camera URLs or credentials. A shell starts an
`AuditTrail` per request, the use case fills in the facts as it learns them, and `finish` makes
the one record.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.store.db import Database
from app.store.retention import Retention

log = logging.getLogger(__name__)

MAX_TEXT = 128  # longest ID stored; longer ones are cut


@dataclass(frozen=True)
class AuditRecord:
    route: str
    requestor_id: str | None
    requestor_type: str | None
    request_id: str | None
    kind: str | None  # Video_file, Image_file or cam_link, once known
    privacy_parameter: int | None  # None when the request's value was invalid
    gallery: str | None  # "default" or a gallery's name, never a path
    outcome: str
    status: int
    residents: tuple[str, ...]
    duration_ms: int
    event_id: int | None = None  # the camera event of feedback ("this is X", "not me")
    client: str | None = None  # the HTTP client's address
    credential: str | None = None  # how it was let in: app/api/auth.py's `credential`


@dataclass
class AuditTrail:
    """The facts of one request, filled in as they become known."""

    route: str
    requestor_id: str | None = None
    requestor_type: str | None = None
    request_id: str | None = None
    kind: str | None = None
    privacy_parameter: int | None = None
    gallery: str | None = None
    residents: tuple[str, ...] = ()
    event_id: int | None = None
    client: str | None = None
    credential: str | None = None
    started: float = field(default_factory=time.monotonic)

    def finish(self, outcome: str, status: int) -> AuditRecord:
        """The record of the request: `outcome` is `ok` or an error code, `status` the HTTP
        status (0 for a bus request)."""
        return AuditRecord(
            route=self.route,
            requestor_id=self.requestor_id,
            requestor_type=self.requestor_type,
            request_id=self.request_id,
            kind=self.kind,
            privacy_parameter=self.privacy_parameter,
            gallery=self.gallery,
            outcome=outcome,
            status=status,
            residents=self.residents,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            event_id=self.event_id,
            client=self.client,
            credential=self.credential,
        )


class AuditLog:
    def __init__(
        self, db: Database, retention_days: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._db, self._clock = db, clock
        self._retention = Retention(db, "audit", retention_days, clock)

    def record(self, r: AuditRecord) -> None:
        """Append a row, and delete expired rows at most once per PURGE_INTERVAL_S. A row that
        cannot be written is logged: it never fails the request it describes."""
        try:
            self._append(r)
        except sqlite3.Error:
            log.exception("audit record could not be written")

    def _append(self, r: AuditRecord) -> None:
        now = self._clock()
        with self._db.connect() as conn:
            conn.execute(
                "INSERT INTO audit (time, route, requestor_id, requestor_type, request_id, kind,"
                " privacy_parameter, gallery, outcome, status, residents, duration_ms, event_id,"
                " client, credential) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    r.route,
                    _cut(r.requestor_id),
                    _cut(r.requestor_type),
                    _cut(r.request_id),
                    r.kind,
                    r.privacy_parameter,
                    _cut(r.gallery),
                    r.outcome,
                    r.status,
                    ",".join(r.residents),
                    r.duration_ms,
                    r.event_id,
                    _cut(r.client),
                    r.credential,
                ),
            )
        self._retention.purge_if_due()

    def purge(self) -> int:
        """Delete rows older than the retention period; returns how many went."""
        return self._retention.purge()


def _cut(text: str | None) -> str | None:
    return None if text is None else text[:MAX_TEXT]
