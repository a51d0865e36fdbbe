"""What the SIFIS-Home DHT gets: `RequestPostTopicUUID` frames (docs/bus.md). Pure."""

from __future__ import annotations

from app.bus.destination import compact_json
from app.bus.events import EntityEvent, Event, ResultEvent, WatchEvent
from app.sifis import EVENTS_TOPIC, FRAME_RESULTS_TOPIC, RESULTS_TOPIC, envelope, event_value
from app.store.outbox import Message


class DhtRenderer:
    def __init__(self, results_uuid: str) -> None:
        self._uuid = results_uuid

    def prepare(self, event: Event) -> None:
        pass  # the frames need nothing stored

    def render(self, event: Event) -> list[Message]:
        if isinstance(event, ResultEvent):
            return [Message(RESULTS_TOPIC, compact_json(envelope(event.value, self._uuid)))]
        if isinstance(event, WatchEvent):
            frame = envelope(event_value(event.event), self._uuid, EVENTS_TOPIC)
            return [Message(EVENTS_TOPIC, compact_json(frame))]
        if isinstance(event, EntityEvent):
            return []  # Home Assistant entities exist on MQTT only
        frame = envelope(event.value, self._uuid, FRAME_RESULTS_TOPIC)
        key = f"progress:{event.value['analysis_id']}"
        return [Message(FRAME_RESULTS_TOPIC, compact_json(frame), coalesce_key=key)]
