"""Where camera events go: the event store (SQLite), the buses (through the outbox) and every
live subscriber (`GET /events/stream`). `emit` never blocks on a subscriber: one that does not
keep up (QUEUE events behind) is ended, and reconnects from its last event id."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading

from app.bus import Bus
from app.bus.events import WatchEvent
from app.domain import CameraEvent
from app.errors import ServiceBusy
from app.store.events import EventStore, FaceEmbedding

log = logging.getLogger(__name__)
QUEUE = 256


class StreamEnded(Exception):
    """The feed closed (shutdown), or this subscriber fell too far behind."""


class Subscription:
    def __init__(self, feed: EventFeed) -> None:
        self._feed = feed
        self._queue: queue.Queue[CameraEvent | None] = queue.Queue(QUEUE)
        self._ended = threading.Event()

    @property
    def waiting(self) -> int:
        """Events queued for this subscriber, not yet taken."""
        return self._queue.qsize()

    def put(self, event: CameraEvent) -> bool:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            return False
        return True

    def end(self) -> None:
        """No more events: `get` hands out those queued, then raises StreamEnded."""
        self._ended.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # wakes a waiting `get`

    def get(self, timeout: float) -> CameraEvent | None:
        """The next event, None after `timeout` s without one; StreamEnded once ended."""
        if self._ended.is_set() and self._queue.empty():
            raise StreamEnded
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if event is None:
            raise StreamEnded
        return event

    def close(self) -> None:
        self._feed.unsubscribe(self)


class EventFeed:
    def __init__(self, store: EventStore, bus: Bus, max_subscribers: int) -> None:
        self.store, self._bus, self._max = store, bus, max_subscribers
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()

    def emit(self, event: CameraEvent, face: FaceEmbedding | None = None) -> CameraEvent:
        """Store (with its face's embedding, if any) and publish one event, in one transaction,
        and hand it out; returns it with its id."""
        self._bus.prepare(WatchEvent(event))
        stored = self.store.add(
            event, face, lambda conn, stored: self._bus.publish_in(conn, WatchEvent(stored))
        )
        self._bus.wake()
        log.info("event %s camera=%s resident=%s", stored.type, stored.camera, stored.resident)
        with self._lock:
            behind = [s for s in self._subscribers if not s.put(stored)]
            for s in behind:
                self._subscribers.remove(s)
                s.end()
        return stored

    def subscribe(self) -> Subscription:
        with self._lock:
            if len(self._subscribers) >= self._max:
                raise ServiceBusy(
                    f"{self._max} event streams are open already (EVENT_STREAM_CLIENTS)"
                )
            subscription = Subscription(self)
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    def close(self) -> None:
        """End every live stream (shutdown)."""
        with self._lock:
            ending, self._subscribers = self._subscribers, []
        for s in ending:
            s.end()
