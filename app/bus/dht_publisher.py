"""Results on the SIFIS-Home DHT: `RequestPostTopicUUID` frames (docs/bus.md)."""

from __future__ import annotations

import json
from typing import Any

from app.bus.dht import DhtClient
from app.bus.events import Event, ResultEvent
from app.sifis import FRAME_RESULTS_TOPIC, RESULTS_TOPIC, envelope
from app.store.outbox import Message


class DhtPublisher:
    name = "dht"

    def __init__(self, client: DhtClient, results_uuid: str) -> None:
        self.client, self._uuid = client, results_uuid

    def render(self, event: Event) -> list[Message]:
        if isinstance(event, ResultEvent):
            return [Message(RESULTS_TOPIC, _dumps(envelope(event.value, self._uuid)))]
        frame = envelope(event.value, self._uuid, FRAME_RESULTS_TOPIC)
        key = f"progress:{event.value['analysis_id']}"
        return [Message(FRAME_RESULTS_TOPIC, _dumps(frame), coalesce_key=key)]

    def start(self) -> None:
        self.client.start()

    def wait_ready(self, timeout: float) -> bool:
        return self.client.wait_connected(timeout)

    def send(self, message: Message) -> None:
        self.client.post(message.payload)

    def close(self) -> None:
        self.client.close()


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))
