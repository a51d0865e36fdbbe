"""The bus outbox: every message waits here, in order, until its bus has accepted it (docs/bus.md).

Messages are grouped by destination (one per publisher: `dht`, `mqtt`), so a bus that is down
never holds back another. Policy when full: a destination keeps at most `max_messages` pending
messages; adding more deletes the oldest pending ones of that destination, and says how many in
the log (a home cares most about its latest results). A message with a `coalesce_key` replaces a
pending message of the same destination and key: only the latest progress report is worth sending.
A `Companion` is a write stored in the same transaction as a batch, so that the two stand or fall
together (a DHT request is marked answered exactly when its answer is stored); `add_in` is the
converse, a batch stored in the transaction of a write it depends on (a camera event's messages
carry its id).

A message its bus can never accept (a topic too long for MQTT, say, written into the outbox by
whoever can write to it) is moved to the dead letters with the reason, so that it cannot hold up
the messages behind it; the latest `MAX_DEAD_LETTERS` per destination are kept.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.store.db import Database

log = logging.getLogger(__name__)

Companion = Callable[[sqlite3.Connection], None]
MAX_DEAD_LETTERS = 1000  # per destination
MAX_REASON = 500  # characters of a dead letter's reason


@dataclass(frozen=True)
class Message:
    """One message for one bus: a topic and its text payload."""

    topic: str
    payload: str
    retain: bool = False
    coalesce_key: str | None = None


@dataclass(frozen=True)
class Pending:
    id: int
    destination: str
    message: Message


@dataclass(frozen=True)
class DeadLetter:
    id: int
    message: Message
    reason: str
    failed: float


class Outbox:
    def __init__(
        self, db: Database, max_messages: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._db, self._max, self._clock = db, max_messages, clock

    def add(self, batch: Iterable[tuple[str, Message]], companion: Companion | None = None) -> int:
        """Store (destination, message) pairs, and `companion`'s write, in one transaction;
        returns how many old messages the size bound dropped."""
        with self._db.connect() as conn:
            dropped = self.add_in(conn, batch)
            if companion is not None:
                companion(conn)
        return dropped

    def add_in(self, conn: sqlite3.Connection, batch: Iterable[tuple[str, Message]]) -> int:
        """`add` inside the caller's transaction, for a write whose messages depend on what it
        wrote (a camera event and its bus messages: app/cameras/feed.py)."""
        now, dropped, destinations = self._clock(), 0, set()
        for destination, m in batch:
            destinations.add(destination)
            if m.coalesce_key is not None:
                conn.execute(
                    "DELETE FROM outbox WHERE destination = ? AND coalesce_key = ?",
                    (destination, m.coalesce_key),
                )
            conn.execute(
                "INSERT INTO outbox (destination, topic, payload, retain, coalesce_key,"
                " created) VALUES (?, ?, ?, ?, ?, ?)",
                (destination, m.topic, m.payload, int(m.retain), m.coalesce_key, now),
            )
        for destination in destinations:
            dropped += conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE destination = ?"
                " ORDER BY id DESC LIMIT -1 OFFSET ?)",
                (destination, self._max),
            ).rowcount
        if dropped:
            log.warning(
                "outbox full (%d per bus): dropped the %d oldest message(s)", self._max, dropped
            )
        return dropped

    def pending(self, destination: str, limit: int = 100) -> list[Pending]:
        """The oldest `limit` messages waiting for `destination`, oldest first."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, topic, payload, retain, coalesce_key FROM outbox"
                " WHERE destination = ? ORDER BY id LIMIT ?",
                (destination, limit),
            ).fetchall()
        return [
            Pending(id_, destination, Message(topic, payload, bool(retain), key))
            for id_, topic, payload, retain, key in rows
        ]

    def remove(self, message_id: int) -> None:
        """Forget a message its bus has accepted."""
        with self._db.connect() as conn:
            conn.execute("DELETE FROM outbox WHERE id = ?", (message_id,))

    def count(self, destination: str) -> int:
        with self._db.connect() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE destination = ?", (destination,)
            ).fetchone()[0]

    def oldest(self, destination: str) -> float | None:
        """How long (seconds) the oldest message waiting for `destination` has waited."""
        with self._db.connect() as conn:
            (created,) = conn.execute(
                "SELECT MIN(created) FROM outbox WHERE destination = ?", (destination,)
            ).fetchone()
        return None if created is None else max(0.0, self._clock() - created)

    def dead_letter(self, item: Pending, reason: str) -> None:
        """Move a message its bus can never accept out of the way, with the reason."""
        with self._db.connect() as conn:
            m = item.message
            conn.execute(
                "INSERT INTO dead_letters (destination, topic, payload, retain, reason, failed)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (item.destination, m.topic, m.payload, int(m.retain), reason[:MAX_REASON],
                 self._clock()),
            )  # fmt: skip
            conn.execute("DELETE FROM outbox WHERE id = ?", (item.id,))
            conn.execute(
                "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters"
                " WHERE destination = ? ORDER BY id DESC LIMIT -1 OFFSET ?)",
                (item.destination, MAX_DEAD_LETTERS),
            )
        log.error("%s: a message was set aside as undeliverable: %s", item.destination, reason)

    def dead_letters(self, destination: str) -> list[DeadLetter]:
        """The messages set aside for `destination`, oldest first."""
        with self._db.connect() as conn:
            rows = conn.execute(
                "SELECT id, topic, payload, retain, reason, failed FROM dead_letters"
                " WHERE destination = ? ORDER BY id",
                (destination,),
            ).fetchall()
        return [
            DeadLetter(id_, Message(topic, payload, bool(retain)), reason, failed)
            for id_, topic, payload, retain, reason, failed in rows
        ]

    def dead_letter_count(self, destination: str) -> int:
        with self._db.connect() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM dead_letters WHERE destination = ?", (destination,)
            ).fetchone()[0]
