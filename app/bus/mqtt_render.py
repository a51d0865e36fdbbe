"""What MQTT gets for each event, for home-automation hubs. Pure: messages only (docs/bus.md).

Topics under the prefix `P` (MQTT_TOPIC_PREFIX, app/bus/mqtt_topics.py):
- `P/tracked_object_update`: one message per resident seen in an analysis, in the convention of
  Frigate's: `{"type": "face", "name", "score", "camera", "timestamp"}` plus the request_id and
  analysis_id.
- `P/<source>/last_resident`: the last resident recognised by that source, retained (the state of
  Home Assistant's "last recognized resident" sensor). The source is the camera's name for camera
  analyses and `files` for videos and images; cameras analysed by URL or device index retain
  nothing, and a watched camera's state is cleared with its entities.
- `P/results`: the SIFIS `value` of every finished analysis (or its error), JSON.

Watched cameras (docs/cameras.md): every event on `P/events`; per resident a retained
`P/presence/<slug>` (`ON`/`OFF`) and `P/presence/<slug>/last_seen`, `<slug>` being its stored
slug (app/store/entity_slugs.py), as in its entity ids; per watched camera `P/<camera>/unknown`
and an `event` entity's `P/<camera>/event`. Home Assistant's entities for them:
app/bus/ha_discovery.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.bus.destination import compact_json
from app.bus.events import EntityEvent, Event, ResultEvent, WatchEvent
from app.bus.ha_discovery import HaDiscovery
from app.bus.mqtt_topics import CAMERA_EVENT_TYPES, FILES_SOURCE, MqttTopics
from app.domain import CameraEvent, MediaType
from app.sifis import event_fields
from app.store.outbox import Message


class MqttRenderer:
    def __init__(
        self,
        topics: MqttTopics,
        discovery: HaDiscovery | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.topics, self.discovery, self._clock = topics, discovery, clock

    def greeting(self) -> list[Message]:
        """What every new connection sends after `online`: the discovery configs."""
        return self.discovery.configs() if self.discovery else []

    def prepare(self, event: Event) -> None:
        if isinstance(event, WatchEvent) and event.event.resident is not None:
            self.topics.presence(event.event.resident)  # assigns the resident's slug

    def render(self, event: Event) -> list[Message]:
        if isinstance(event, WatchEvent):
            return self._watch_event(event.event)
        if isinstance(event, EntityEvent):
            return self.discovery.entities(event) if self.discovery else []
        if not isinstance(event, ResultEvent):
            return []  # progress goes to the DHT only
        return self._result(dict(event.value))  # the wire form: residents as plain dicts

    def _result(self, value: dict[str, Any]) -> list[Message]:
        prefix = self.topics.prefix
        camera = value.get("file_name") if value.get("Type") == MediaType.CAMERA else FILES_SOURCE
        messages = [
            Message(
                f"{prefix}/tracked_object_update",
                compact_json(
                    {
                        "type": "face",
                        "name": sighting["name"],
                        "score": sighting["confidence"] / 100,
                        "camera": camera,
                        "timestamp": self._clock(),
                        "request_id": value.get("request_id"),
                        "analysis_id": value.get("analysis_id"),
                    }
                ),
            )
            for sighting in value.get("residents") or ()
        ]
        if value.get("residents") and not _ad_hoc(str(camera)):
            last = max(value["residents"], key=lambda s: s["last_seen_s"])
            state = self.topics.last_resident(str(camera))
            messages.append(Message(state, last["name"], retain=True))
        messages.append(Message(f"{prefix}/results", compact_json(value)))
        return messages

    def _watch_event(self, e: CameraEvent) -> list[Message]:
        topics = self.topics
        messages = [Message(f"{topics.prefix}/events", compact_json(event_fields(e)))]
        if e.resident is not None and e.type in ("recognized", "left"):
            on = e.type == "recognized"
            presence = topics.presence(e.resident)
            if on:  # last-seen first: whoever sees presence turn on finds where and when
                seen = {"camera": e.camera, "time": e.time, "at": _iso(e.time)}
                messages.append(Message(f"{presence}/last_seen", compact_json(seen), retain=True))
            messages.append(Message(presence, "ON" if on else "OFF", True))
        if e.camera is not None and e.type in CAMERA_EVENT_TYPES:
            if e.type == "recognized" and e.resident is not None:
                messages.append(Message(topics.last_resident(e.camera), e.resident, retain=True))
            if e.type == "unknown":
                messages.append(Message(topics.camera(e.camera, "unknown"), "ON"))
            fields = {"resident": e.resident, "confidence": e.confidence, "time": e.time}
            payload = compact_json({"event_type": e.type, **fields})
            messages.append(Message(topics.camera(e.camera, "event"), payload))
        return messages


def _ad_hoc(source: str) -> bool:
    """A camera analysed by URL or device index rather than by name (its label is
    `scheme://host:port` or the index): nothing is retained for it, or every URL would leave a
    retained topic behind for good."""
    return "://" in source or source.isdigit()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
