"""One background thread per bus, draining that bus's outbox in order."""

from __future__ import annotations

import logging
import sqlite3
import threading

from app.bus.publisher import Backoff, BusUnavailable, Publisher
from app.store.outbox import Outbox

log = logging.getLogger(__name__)

IDLE_S = 0.5  # longest wait before looking at the outbox (or the stop flag) again
BATCH = 100


class Sender:
    def __init__(self, publisher: Publisher, outbox: Outbox, retry_max_s: float) -> None:
        self._publisher, self._outbox = publisher, outbox
        self._backoff = Backoff(0.1, retry_max_s)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"outbox-{publisher.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """New messages are waiting."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._publisher.wait_ready(IDLE_S):
                continue
            self._wake.clear()
            try:
                batch = self._outbox.pending(self._publisher.name, BATCH)
                if not batch:
                    self._wake.wait(IDLE_S)
                    continue
                for item in batch:
                    if self._stopping.is_set():
                        return
                    self._publisher.send(item.message)
                    self._outbox.remove(item.id)
                    self._backoff.reset()
            except BusUnavailable as exc:
                log.info("%s: %s; retrying", self._publisher.name, exc)
                self._stopping.wait(self._backoff.next())
            except sqlite3.Error:
                log.exception("%s: outbox unreadable; retrying", self._publisher.name)
                self._stopping.wait(self._backoff.next())
