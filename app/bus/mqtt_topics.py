"""The MQTT topic tree under the prefix `P` (MQTT_TOPIC_PREFIX), in one place (docs/bus.md)."""

from __future__ import annotations

import re

from app.domain import EVENT_TYPES
from app.store.entity_slugs import EntitySlugs

FILES_SOURCE = "files"  # the source of videos and images, beside the cameras' names
CAMERA_EVENT_TYPES = [t for t in EVENT_TYPES if t != "left"]  # `left` belongs to no camera


def topic_level(text: str) -> str:
    """A name made safe as one topic level and as part of a Home Assistant unique_id."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"


class MqttTopics:
    def __init__(self, prefix: str, slugs: EntitySlugs) -> None:
        self.prefix, self.slugs = prefix.rstrip("/"), slugs

    @property
    def availability(self) -> str:
        return f"{self.prefix}/available"

    def last_resident(self, source: str) -> str:
        return f"{self.prefix}/{topic_level(source)}/last_resident"

    def presence(self, resident: str) -> str:
        return f"{self.prefix}/presence/{self.slugs.of('resident', resident)}"

    def camera(self, camera: str, what: str) -> str:
        return f"{self.prefix}/{topic_level(camera)}/{what}"
