"""Rows kept for a retention period: expired rows of one table deleted at most hourly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.store.db import Database

PURGE_INTERVAL_S = 3600.0


class Retention:
    def __init__(
        self,
        db: Database,
        table: str,
        days: int,
        clock: Callable[[], float] = time.time,
        column: str = "time",
    ) -> None:
        self._db, self._table, self._retention_s, self._clock = db, table, days * 86400.0, clock
        self._column = column  # the row's time, seconds since the epoch
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def purge_if_due(self) -> None:
        """Purge unless a purge ran within the last PURGE_INTERVAL_S."""
        now = self._clock()
        with self._lock:
            due = now >= self._next_purge
            if due:
                self._next_purge = now + PURGE_INTERVAL_S
        if due:
            self.purge()

    def purge(self) -> int:
        """Delete rows whose time is older than the retention period; returns how many."""
        cutoff = self._clock() - self._retention_s
        with self._db.connect() as conn:
            sql = f"DELETE FROM {self._table} WHERE {self._column} < ?"
            return conn.execute(sql, (cutoff,)).rowcount
