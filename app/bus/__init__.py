"""The home's buses: the `Bus` fans every event out to the configured publishers (SIFIS-Home DHT
websocket, MQTT) through the durable outbox, drained by one sender per bus. This package only
sends; DHT-driven analysis requests are app/dht_requests.py. Nothing here imports the pipeline's
models, Flask or `services`.

`publish` only writes to the local SQLite outbox and wakes the senders, so it never waits for a
network and never raises: a result that cannot even be stored is logged and the analysis goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypedDict

from app.bus.dht import DhtClient
from app.bus.dht_publisher import DhtPublisher
from app.bus.events import Event, ProgressEvent
from app.bus.mqtt import BrokerAddress, MqttPublisher
from app.bus.publisher import Publisher
from app.bus.sender import Sender
from app.config import Settings
from app.sifis import RequestIds, progress_value
from app.store.entity_slugs import EntitySlugs
from app.store.outbox import Companion, Outbox

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
        publishers: Sequence[Publisher],
        outbox: Outbox,
        retry_max_s: float,
        dht: DhtClient | None = None,
    ) -> None:
        self.publishers, self.outbox, self.dht = tuple(publishers), outbox, dht
        self._senders = [Sender(p, outbox, retry_max_s) for p in self.publishers]
        self._started = False

    @property
    def configured(self) -> bool:
        return bool(self.publishers)

    def publish(self, event: Event, companion: Companion | None = None) -> None:
        """Store `event` for every bus (with `companion`'s write, in the same transaction)."""
        if not self.publishers:
            return
        try:
            batch = [(p.name, m) for p in self.publishers for m in p.render(event)]
            self.outbox.add(batch, companion)
        except Exception:  # whatever goes wrong here must not fail the analysis
            log.exception("a bus message could not be stored; it is lost")
            return
        for sender in self._senders:
            sender.wake()

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
        if not self.publishers or interval_s <= 0:
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
        for publisher, sender in zip(self.publishers, self._senders, strict=True):
            waited = self.outbox.oldest(publisher.name)
            health[publisher.name] = DestinationHealth(
                pending=self.outbox.count(publisher.name),
                dead_letters=self.outbox.dead_letter_count(publisher.name),
                oldest_s=None if waited is None else round(waited, 1),
                stalled=(self._started and not sender.alive)
                or (waited is not None and waited > STALLED_AFTER_S),
            )
        return health

    def start(self) -> None:
        """Connect every publisher and start draining the outbox (what earlier runs left too)."""
        for publisher in self.publishers:
            publisher.start()
        for sender in self._senders:
            sender.start()
        self._started = True

    def stop(self) -> None:
        """Stop the senders, then disconnect; unsent messages stay in the outbox for next time."""
        if not self._started:
            return
        for sender in self._senders:
            sender.stop()
        for publisher in self.publishers:
            publisher.close()
        self._started = False


def build_bus(settings: Settings, outbox: Outbox, slugs: EntitySlugs) -> Bus:
    """The publishers DHT_URL and MQTT_URL ask for (none, one or both); nothing connects yet."""
    publishers: list[Publisher] = []
    dht = None
    if settings.dht_url:
        dht = DhtClient(settings.dht_url, settings.bus_retry_max_s)
        publishers.append(DhtPublisher(dht, settings.dht_results_uuid))
    if settings.mqtt_url and settings.mqtt_url.get_secret_value():
        publishers.append(
            MqttPublisher(
                BrokerAddress.parse(settings.mqtt_url.get_secret_value()),
                settings.mqtt_topic_prefix,
                settings.mqtt_discovery_prefix,
                sorted(settings.cameras),
                settings.bus_retry_max_s,
                slugs,
                settings.mqtt_ca_file,
            )
        )
    return Bus(publishers, outbox, settings.bus_retry_max_s, dht)
