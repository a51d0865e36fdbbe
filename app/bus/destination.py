"""What a bus is made of: a pure `Renderer` that turns events into messages, and a `Transport`
that carries messages and knows nothing of events (the split of Frigate's communicators).

Rendering happens when an event is published, inside the outbox transaction; carrying happens
later, on the destination's sender thread (app/bus/sender.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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


class Renderer(Protocol):
    def prepare(self, event: Event) -> None:
        """Store what rendering `event` will look up (MQTT's entity slugs), outside any
        transaction: `render` may run inside one and must then only read."""
        ...

    def render(self, event: Event) -> list[Message]:
        """The messages this bus gets for `event` (possibly none). No network."""
        ...


class Transport(Protocol):
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


@dataclass(frozen=True)
class Destination:
    """One bus: `name` is its outbox destination, stable across restarts."""

    name: str
    renderer: Renderer
    transport: Transport


def compact_json(value: Mapping[str, object]) -> str:
    """A message payload: JSON without spaces."""
    return json.dumps(value, separators=(",", ":"))
