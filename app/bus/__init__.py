"""The home's buses: the `Bus` fans every event out to the configured destinations (SIFIS-Home DHT
websocket, MQTT) through the durable outbox, drained by one sender per bus. Each destination is a
pure renderer (event -> messages) and a transport (app/bus/destination.py). This package only
sends; DHT-driven analysis requests are app/dht_requests.py. Nothing here imports the pipeline's
models, Flask or `services`.

`publish` only writes to the local SQLite outbox and wakes the senders, so it never waits for a
network and never raises: a result that cannot even be stored is logged and the analysis goes on.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import TypedDict

from app.bus.destination import Destination
from app.bus.dht import DhtClient
from app.bus.dht_render import DhtRenderer
from app.bus.events import Event, ProgressEvent
from app.bus.ha_discovery import HaDiscovery
from app.bus.mqtt import BrokerAddress, MqttClient
from app.bus.mqtt_render import MqttRenderer
from app.bus.mqtt_topics import MqttTopics
from app.bus.sender import Sender
from app.config import Settings
from app.sifis import RequestIds, progress_value
from app.store.entity_slugs import EntitySlugs
from app.store.outbox import Companion, Message, Outbox

log = logging.getLogger(__name__)

STALLED_AFTER_S = 60.0  # a destination whose oldest message has waited longer is `stalled`


class DestinationHealth(TypedDict):
    pending: int
    dead_letters: int
    oldest_s: float | None
    stalled: bool


class Bus:
    def __init__(
        self,
        destinations: Sequence[Destination],
        outbox: Outbox,
        retry_max_s: float,
        dht: DhtClient | None = None,
    ) -> None:
        self.destinations, self.outbox, self.dht = tuple(destinations), outbox, dht
        self._senders = [
            Sender(d.name, d.transport, outbox, retry_max_s) for d in self.destinations
        ]
        self._started = False

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every bus to connect; True when all are."""
        return all(d.transport.wait_ready(timeout) for d in self.destinations)

    def publish(self, event: Event, companion: Companion | None = None) -> None:
        """Store `event` for every bus (with `companion`'s write, in the same transaction)."""
        if not self.destinations:
            return
        try:
            self.outbox.add(self._messages(event), companion)
        except Exception:  # whatever goes wrong here must not fail the analysis
            log.exception("a bus message could not be stored; it is lost")
            return
        self.wake()

    def prepare(self, event: Event) -> None:
        """Before `publish_in`, outside the transaction: store what rendering `event` looks up."""
        for d in self.destinations:
            d.renderer.prepare(event)

    def publish_in(self, conn: sqlite3.Connection, event: Event) -> None:
        """Store `event`'s messages in the caller's transaction, so that they stand or fall with
        its write (`prepare` it first); call `wake` once it is committed."""
        if self.destinations:
            self.outbox.add_in(conn, self._messages(event))

    def wake(self) -> None:
        """Messages are waiting: the senders look now rather than at their next idle check."""
        for sender in self._senders:
            sender.wake()

    def _messages(self, event: Event) -> list[tuple[str, Message]]:
        return [(d.name, m) for d in self.destinations for m in d.renderer.render(event)]

    def progress(
        self,
        ids: RequestIds,
        analysis_id: str,
        file_name: str,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> Callable[[int, int], None] | None:
        """A progress callback publishing at most one report per `interval_s` and none before
        the first interval has passed (short analyses send none); None when nothing would be."""
        if not self.destinations or interval_s <= 0:
            return None
        last = clock()

        def report(done: int, total: int) -> None:
            nonlocal last
            now = clock()
            if now - last >= interval_s:
                last = now
                self.publish(
                    ProgressEvent(progress_value(ids, analysis_id, file_name, done, total))
                )

        return report

    def health(self) -> dict[str, DestinationHealth]:
        """Per bus: messages waiting and dead-lettered, how long the oldest has waited, and
        whether delivery is stalled (its sender stopped, or the oldest waited over
        STALLED_AFTER_S: the bus is unreachable or refuses what it is sent)."""
        health = {}
        for d, sender in zip(self.destinations, self._senders, strict=True):
            waited = self.outbox.oldest(d.name)
            health[d.name] = DestinationHealth(
                pending=self.outbox.count(d.name),
                dead_letters=self.outbox.dead_letter_count(d.name),
                oldest_s=None if waited is None else round(waited, 1),
                stalled=(self._started and not sender.alive)
                or (waited is not None and waited > STALLED_AFTER_S),
            )
        return health

    def start(self) -> None:
        """Connect every bus and start draining the outbox (what earlier runs left too)."""
        for d in self.destinations:
            d.transport.start()
        for sender in self._senders:
            sender.start()
        self._started = True

    def stop(self) -> None:
        """Stop the senders, then disconnect; unsent messages stay in the outbox for next time."""
        if not self._started:
            return
        for sender in self._senders:
            sender.stop()
        for d in self.destinations:
            d.transport.close()
        self._started = False


def build_bus(settings: Settings, outbox: Outbox, slugs: EntitySlugs) -> Bus:
    """The buses DHT_URL and MQTT_URL ask for (none, one or both); nothing connects yet."""
    destinations: list[Destination] = []
    dht = None
    if settings.dht_url:
        dht = DhtClient(settings.dht_url, settings.bus_retry_max_s)
        destinations.append(Destination("dht", DhtRenderer(settings.dht_results_uuid), dht))
    if settings.mqtt_url and settings.mqtt_url.get_secret_value():
        destinations.append(_mqtt(settings, settings.mqtt_url.get_secret_value(), slugs))
    return Bus(destinations, outbox, settings.bus_retry_max_s, dht)


def _mqtt(settings: Settings, url: str, slugs: EntitySlugs) -> Destination:
    topics = MqttTopics(settings.mqtt_topic_prefix, slugs)
    discovery = (
        HaDiscovery(topics, settings.mqtt_discovery_prefix, sorted(settings.cameras))
        if settings.mqtt_discovery_prefix.rstrip("/")
        else None
    )
    renderer = MqttRenderer(topics, discovery)
    client = MqttClient(
        BrokerAddress.parse(url),
        settings.mqtt_topic_prefix,
        topics.availability,
        renderer.greeting,
        settings.bus_retry_max_s,
        settings.mqtt_ca_file,
    )
    return Destination("mqtt", renderer, client)
