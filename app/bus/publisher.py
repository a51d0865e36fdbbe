"""The one interface every bus implements, and the retry schedule they share."""

from __future__ import annotations

import random
from typing import Protocol

from app.bus.events import Event
from app.errors import AppError
from app.store.outbox import Message


class BusUnavailable(Exception):
    """The bus did not accept a message (not connected, no acknowledgement in time)."""


class Undeliverable(Exception):
    """This bus can never accept this message, whatever its state (it is dead-lettered)."""


class BusMisconfigured(AppError):
    """DHT_URL or MQTT_URL cannot be used (raised at start-up, never mid-request)."""

    code = "bus_misconfigured"


class Publisher(Protocol):
    name: str  # the outbox destination: stable across restarts

    def render(self, event: Event) -> list[Message]:
        """The messages this bus gets for `event` (possibly none)."""
        ...

    def start(self) -> None:
        """Connect in the background; never blocks on the network."""
        ...

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a connection; True when connected."""
        ...

    def send(self, message: Message) -> None:
        """Deliver one message; returns once the bus accepted it, raises BusUnavailable when it
        may be accepted later and Undeliverable when it never can be."""
        ...

    def close(self) -> None: ...


class Backoff:
    """Exponential delays from `first` to `maximum` seconds, each shortened by up to half at
    random so that many clients do not come back at the same instant."""

    def __init__(self, first: float, maximum: float) -> None:
        self._first, self._max, self._next = first, maximum, first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._max, self._next * 2)
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self._first
