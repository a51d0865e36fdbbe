"""DHT requests, kept in SQLite from the moment they arrive until they are answered, so that
neither a re-delivery nor a crash makes a request run twice or go unanswered.

The DHT re-delivers old messages (on every resync and reconnection), so each `request_id` is taken
once. A request is stored `waiting`, with its message, before anything else happens; the result
or error answering it enters the outbox in the transaction that marks it `answered` (`answered`
is a `Companion` of `Outbox.add`), so after a crash it is either answered or still waiting, never
both. `runs` counts the analyses started, so that app/dht_requests.py can run a request again
after a crash, but not forever. A request refused because too many wait is `refused` until its
`busy` answer is stored.

An answered ID is kept until `keep` newer ones have arrived, not for a fixed time: the DHT keeps a
request for as long as nobody replaces it, so an age limit would let old requests run again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.store.db import Database
from app.store.outbox import Companion

TRIM_EVERY = 1000  # new IDs between two trims
WAITING, REFUSED, ANSWERED = "waiting", "refused", "answered"


@dataclass(frozen=True)
class BusRequest:
    """A request taken and not answered yet."""

    request_id: str
    topic: str
    value: dict[str, Any]
    refused: bool  # too many were waiting when it arrived: it is answered `busy`
    runs: int  # analyses of it started so far


class SeenRequests:
    def __init__(
        self, db: Database, keep: int = 100_000, clock: Callable[[], float] = time.time
    ) -> None:
        self._db, self._keep, self._clock = db, keep, clock
        self._added = 0

    def take(
        self, request_id: str, topic: str, value: dict[str, Any], max_waiting: int
    ) -> str | None:
        """Store a request that arrived: `waiting`, or `refused` when `max_waiting` requests
        already wait; None when `request_id` was taken before (a re-delivery)."""
        with self._db.connect() as conn:
            (waiting,) = conn.execute(
                "SELECT COUNT(*) FROM bus_requests WHERE state = ?", (WAITING,)
            ).fetchone()
            state = WAITING if waiting < max_waiting else REFUSED
            new = conn.execute(
                "INSERT OR IGNORE INTO bus_requests (request_id, received, state, topic, value)"
                " VALUES (?, ?, ?, ?, ?)",
                (request_id, self._clock(), state, topic, json.dumps(value)),
            ).rowcount
            self._added += new
            if self._added >= TRIM_EVERY:
                self._added = 0
                conn.execute(
                    "DELETE FROM bus_requests WHERE request_id IN (SELECT request_id FROM"
                    " bus_requests WHERE state = ? ORDER BY received DESC LIMIT -1 OFFSET ?)",
                    (ANSWERED, self._keep),
                )
        return state if new else None

    def unanswered(self) -> list[BusRequest]:
        """Every request taken and not answered yet, oldest first."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT request_id, topic, value, state, runs FROM bus_requests"
                " WHERE state != ? ORDER BY received, rowid",
                (ANSWERED,),
            ).fetchall()
        return [
            BusRequest(request_id, topic, json.loads(value), state == REFUSED, runs)
            for request_id, topic, value, state, runs in rows
        ]

    def started(self, request_id: str) -> int:
        """Count one more analysis of `request_id` started (stored before it runs); returns how
        many have been started, this one included."""
        with self._db.connect() as conn:
            (runs,) = conn.execute(
                "UPDATE bus_requests SET runs = runs + 1 WHERE request_id = ? RETURNING runs",
                (request_id,),
            ).fetchone()
        return runs

    def stopped(self, request_id: str) -> None:
        """An analysis stopped by a shutdown, not a crash: it does not count as a run."""
        with self._db.connect() as conn:
            conn.execute(
                "UPDATE bus_requests SET runs = runs - 1 WHERE request_id = ? AND runs > 0",
                (request_id,),
            )

    @staticmethod
    def answered(request_id: str) -> Companion:
        """The write marking `request_id` answered, for the transaction that stores its answer."""

        def mark(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE bus_requests SET state = ?, value = NULL WHERE request_id = ?",
                (ANSWERED, request_id),
            )

        return mark
