"""Home Assistant MQTT discovery: the retained configs that make entities appear (and the empty
ones that remove them), under MQTT_DISCOVERY_PREFIX. Pure: messages only (docs/home-assistant.md).

On every connection: one "last recognized resident" sensor per configured camera and one for
`files`. Per resident (as they come and go, `EntityEvent`): a presence binary_sensor, a
"last seen" timestamp sensor and a device_tracker (`home`/`not_home`, for Home Assistant's
person), all on the resident's presence topic. Per watched camera: an "unknown person"
binary_sensor, an `event` entity and its own "last recognized resident" sensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.bus.destination import compact_json
from app.bus.events import EntityEvent
from app.bus.mqtt_topics import CAMERA_EVENT_TYPES, FILES_SOURCE, MqttTopics, topic_level
from app.store.outbox import Message

UNIQUE_PREFIX = "pafr"  # Home Assistant unique_id and object_id (hence entity_id) prefix
UNKNOWN_ON_S = 60  # an unknown-person sensor turns off by itself this long after the last one


class HaDiscovery:
    def __init__(self, topics: MqttTopics, discovery_prefix: str, sources: Sequence[str]) -> None:
        self._topics, self._prefix = topics, discovery_prefix.rstrip("/")
        self._sources = tuple(dict.fromkeys([*sources, FILES_SOURCE]))

    def configs(self) -> list[Message]:
        """The configs sent on every connection: a "last recognized resident" per source."""
        return [self._last_resident_config(source) for source in self._sources]

    def entities(self, e: EntityEvent) -> list[Message]:
        """Configs for a resident's or a watched camera's entities (empty: removal), and the
        initial (or cleared) retained states."""
        slugs = self._topics.slugs
        key = slugs.of(e.kind, e.name)
        messages = self._resident(e, key) if e.kind == "resident" else self._camera(e, key)
        if not e.present:
            slugs.release(e.kind, e.name)
        return messages

    def _resident(self, e: EntityEvent, key: str) -> list[Message]:
        presence = self._topics.presence(e.name)
        return [
            self._config(
                "binary_sensor",
                f"presence_{key}",
                {
                    "name": f"{e.name} presence",
                    **_ids(f"presence_{key}"),
                    "state_topic": presence,
                    "payload_on": "ON",
                    "payload_off": "OFF",
                    "device_class": "presence",
                },
                e.present,
            ),
            self._config(
                "sensor",
                f"last_seen_{key}",
                {
                    "name": f"{e.name} last seen",
                    **_ids(f"last_seen_{key}"),
                    "state_topic": f"{presence}/last_seen",
                    "value_template": "{{ value_json.at }}",
                    "json_attributes_topic": f"{presence}/last_seen",
                    "device_class": "timestamp",
                },
                e.present,
            ),
            self._config(
                "device_tracker",
                f"tracker_{key}",
                {
                    "name": e.name,
                    **_ids(key),
                    "state_topic": presence,
                    "payload_home": "ON",
                    "payload_not_home": "OFF",
                    "json_attributes_topic": f"{presence}/last_seen",
                    # stationary, as a router is: a person is home while any such tracker
                    # says so, and otherwise follows their phone's GPS, if they have one
                    "source_type": "router",
                },
                e.present,
            ),
            Message(presence, "OFF" if e.present else "", retain=True),
            *([] if e.present else [Message(f"{presence}/last_seen", "", retain=True)]),
        ]

    def _camera(self, e: EntityEvent, key: str) -> list[Message]:
        unknown = self._topics.camera(e.name, "unknown")
        return [
            self._config(
                "binary_sensor",
                f"unknown_{key}",
                {
                    "name": f"{e.name} unknown person",
                    **_ids(f"unknown_{key}"),
                    "state_topic": unknown,
                    "payload_on": "ON",
                    "payload_off": "OFF",
                    "off_delay": UNKNOWN_ON_S,
                    "icon": "mdi:account-question",
                },
                e.present,
            ),
            self._config(
                "event",
                f"face_{key}",
                {
                    "name": f"{e.name} face",
                    **_ids(f"face_{key}"),
                    "state_topic": self._topics.camera(e.name, "event"),
                    "event_types": CAMERA_EVENT_TYPES,
                },
                e.present,
            ),
            *([] if e.name in self._sources else self._last_resident(e.name, e.present)),
            Message(unknown, "OFF" if e.present else "", retain=True),
        ]

    def _last_resident(self, camera: str, present: bool) -> list[Message]:
        """A watched camera's "last recognized resident" sensor; when it goes, its retained
        state goes too (an empty retained payload clears it)."""
        config = self._last_resident_config(camera, present)
        cleared = Message(self._topics.last_resident(camera), "", retain=True)
        return [config] if present else [config, cleared]

    def _last_resident_config(self, source: str, present: bool = True) -> Message:
        node = topic_level(self._topics.prefix)
        return self._config(
            "sensor",
            f"{topic_level(source)}_last_resident",
            {
                "name": f"{source} last recognized resident",
                "unique_id": f"{node}_{topic_level(source)}_last_resident",
                "state_topic": self._topics.last_resident(source),
                "icon": "mdi:face-recognition",
            },
            present,
        )

    def _config(
        self, component: str, object_id: str, config: dict[str, Any], present: bool
    ) -> Message:
        """A retained discovery config, or the empty one that removes the entity."""
        node = topic_level(self._topics.prefix)
        device = {"identifiers": [node], "name": "Privacy-Aware Face Recognition"}
        payload = {**config, "availability_topic": self._topics.availability, "device": device}
        return Message(
            f"{self._prefix}/{component}/{node}/{object_id}/config",
            compact_json(payload) if present else "",
            retain=True,
        )


def _ids(suffix: str) -> dict[str, str]:
    """unique_id and object_id (hence entity_id) of an entity of a resident or camera."""
    return {"unique_id": f"{UNIQUE_PREFIX}_{suffix}", "object_id": f"{UNIQUE_PREFIX}_{suffix}"}
