"""Request IDs already taken from the bus: the DHT re-delivers old messages (on every resync and
reconnection), so each `request_id` is analysed once.

An ID is kept until `keep` newer ones have arrived, not for a fixed time: the DHT keeps a request
for as long as nobody replaces it, so an age limit would let old requests be analysed again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.store.db import Database

TRIM_EVERY = 1000  # new IDs between two trims


class SeenRequests:
    def __init__(
        self, db: Database, keep: int = 100_000, clock: Callable[[], float] = time.time
    ) -> None:
        self._db, self._keep, self._clock = db, keep, clock
        self._added = 0

    def first_time(self, request_id: str) -> bool:
        """Record `request_id`; False when it was already recorded."""
        with self._db.connect() as conn:
            new = conn.execute(
                "INSERT OR IGNORE INTO bus_requests (request_id, received) VALUES (?, ?)",
                (request_id, self._clock()),
            ).rowcount
            self._added += new
            if self._added >= TRIM_EVERY:
                self._added = 0
                conn.execute(
                    "DELETE FROM bus_requests WHERE request_id IN (SELECT request_id FROM"
                    " bus_requests ORDER BY received DESC LIMIT -1 OFFSET ?)",
                    (self._keep,),
                )
        return bool(new)

    def forget(self, request_id: str) -> None:
        """Let `request_id` be taken again (its analysis was interrupted by a shutdown)."""
        with self._db.connect() as conn:
            conn.execute("DELETE FROM bus_requests WHERE request_id = ?", (request_id,))
