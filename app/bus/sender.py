"""One background thread per bus, draining that bus's outbox in order.

The thread never ends before `stop`: a message the bus can never accept (`Undeliverable`, or one
that fails `MAX_ATTEMPTS` times for an unforeseen reason) is dead-lettered with the reason rather
than retried for ever in front of the others, and any other failure is logged and retried after a
backoff.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from app.backoff import Backoff
from app.bus.destination import BusUnavailable, Transport, Undeliverable
from app.store.outbox import Outbox, Pending

log = logging.getLogger(__name__)

IDLE_S = 0.5  # longest wait before looking at the outbox (or the stop flag) again
BATCH = 100
MAX_ATTEMPTS = 3  # unforeseen failures of one message before it is dead-lettered


class Sender:
    def __init__(self, name: str, transport: Transport, outbox: Outbox, retry_max_s: float) -> None:
        self._name, self._transport, self._outbox = name, transport, outbox
        self._backoff = Backoff(0.1, retry_max_s)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._failures: dict[int, int] = {}  # message id -> unforeseen failures so far
        self._thread = threading.Thread(target=self._run, name=f"outbox-{name}", daemon=True)

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

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._drain()
            except BusUnavailable as exc:
                log.info("%s: %s; retrying", self._name, exc)
                self._stopping.wait(self._backoff.next())
            except sqlite3.Error:
                log.exception("%s: outbox unreadable; retrying", self._name)
                self._stopping.wait(self._backoff.next())
            except Exception:
                log.exception("%s: sending failed; retrying", self._name)
                self._stopping.wait(self._backoff.next())

    def _drain(self) -> None:
        """Send what is waiting, oldest first, or wait a little for something to send."""
        if not self._transport.wait_ready(IDLE_S):
            return
        self._wake.clear()
        batch = self._outbox.pending(self._name, BATCH)
        if not batch:
            self._wake.wait(IDLE_S)
            return
        for item in batch:
            if self._stopping.is_set():
                return
            self._deliver(item)

    def _deliver(self, item: Pending) -> None:
        try:
            self._transport.send(item.message)
        except BusUnavailable:
            raise
        except Undeliverable as exc:
            self._outbox.dead_letter(item, str(exc))
            return
        except Exception as exc:
            failures = self._failures.pop(item.id, 0) + 1
            if failures < MAX_ATTEMPTS:
                self._failures[item.id] = failures
                raise
            self._outbox.dead_letter(item, f"failed {failures} times: {type(exc).__name__}: {exc}")
            return
        self._failures.pop(item.id, None)
        self._outbox.remove(item.id)
        self._backoff.reset()
