"""Results on MQTT (paho-mqtt), for home-automation hubs.

Topics under the prefix `P` (MQTT_TOPIC_PREFIX):
- `P/available`: `online` / `offline`, retained; `offline` is also the last will.
- `P/tracked_object_update`: one message per resident seen in an analysis, in the convention of
  Frigate's: `{"type": "face", "name", "score", "camera", "timestamp"}` plus the request_id and
  analysis_id.
- `P/<source>/last_resident`: the last resident recognised by that source, retained (the state of
  Home Assistant's "last recognized resident" sensor). The source is the camera's name for camera
  analyses and `files` for videos and images; cameras analysed by URL or device index retain
  nothing, and a watched camera's state is cleared with its entities.
- `P/results`: the SIFIS `value` of every finished analysis (or its error), JSON.
Home Assistant discovery: on every connection, one retained sensor config per configured camera
and one for `files`, under MQTT_DISCOVERY_PREFIX.

Watched cameras (docs/cameras.md): every event on `P/events`; per resident a retained
`P/presence/<slug>` (`ON`/`OFF`) and `P/presence/<slug>/last_seen`, `<slug>` being its stored
slug (app/store/entity_slugs.py), as in its entity ids; the resident's presence binary_sensor
and device_tracker (`home`/`not_home`, for Home Assistant's person) share that state topic; per
watched camera `P/<camera>/unknown` and an `event` entity's `P/<camera>/event`. Their discovery
configs come and go with the residents and watched cameras (`EntityEvent`; an empty retained
config removes one).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import ssl
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.bus.events import EntityEvent, Event, ResultEvent, WatchEvent
from app.bus.publisher import BusMisconfigured, BusUnavailable, Undeliverable
from app.domain import EVENT_TYPES, CameraEvent, MediaType
from app.sifis import event_fields
from app.store.entity_slugs import EntitySlugs
from app.store.outbox import Message

log = logging.getLogger(__name__)

FILES_SOURCE = "files"
QOS = 1
KEEPALIVE_S = 30
_SCHEMES = {"mqtt": False, "tcp": False, "mqtts": True, "ssl": True}  # scheme -> TLS
UNIQUE_PREFIX = "pafr"  # Home Assistant unique_id and object_id (hence entity_id) prefix
UNKNOWN_ON_S = 60  # an unknown-person sensor turns off by itself this long after the last one
CAMERA_EVENT_TYPES = [t for t in EVENT_TYPES if t != "left"]  # `left` belongs to no camera


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """`mqtt://[user[:password]@]host[:port]`; `mqtts://` for TLS (port 8883 by default)."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in _SCHEMES or not parts.hostname or port == -1:
            raise BusMisconfigured(
                "MQTT_URL must look like mqtt://[user:password@]host[:port] or mqtts://..."
            )
        tls = _SCHEMES[parts.scheme]
        return cls(
            parts.hostname,
            port or (8883 if tls else 1883),
            tls,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )


def topic_level(text: str) -> str:
    """A name made safe as one topic level and as part of a Home Assistant unique_id."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "_"


class MqttPublisher:
    name = "mqtt"

    def __init__(
        self,
        address: BrokerAddress,
        prefix: str,
        discovery_prefix: str,
        sources: Sequence[str],
        retry_max_s: float,
        slugs: EntitySlugs,
        ca_file: Path | None = None,
        ack_timeout_s: float = 5.0,
    ) -> None:
        self._slugs = slugs
        self.prefix, self._discovery_prefix = prefix.rstrip("/"), discovery_prefix.rstrip("/")
        self._sources = tuple(dict.fromkeys([*sources, FILES_SOURCE]))
        self._ack_timeout_s = ack_timeout_s
        self._address = address
        self._ready = threading.Event()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{topic_level(prefix)}-{uuid.uuid4().hex[:8]}"
        )
        if address.username:
            client.username_pw_set(address.username, address.password)
        if address.tls:
            client.tls_set(ca_certs=str(ca_file) if ca_file else None, cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(self.availability_topic, "offline", qos=QOS, retain=True)
        client.reconnect_delay_set(1, max(1, int(retry_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client

    @property
    def availability_topic(self) -> str:
        return f"{self.prefix}/available"

    def state_topic(self, source: str) -> str:
        return f"{self.prefix}/{topic_level(source)}/last_resident"

    def presence_topic(self, resident: str) -> str:
        return f"{self.prefix}/presence/{self._slugs.of('resident', resident)}"

    def camera_topic(self, camera: str, what: str) -> str:
        return f"{self.prefix}/{topic_level(camera)}/{what}"

    def render(self, event: Event) -> list[Message]:
        if isinstance(event, WatchEvent):
            return self._watch_event(event.event)
        if isinstance(event, EntityEvent):
            return self._entities(event)
        if not isinstance(event, ResultEvent):
            return []  # progress goes to the DHT only
        value: dict[str, Any] = dict(event.value)  # the wire form: residents as plain dicts
        camera = value.get("file_name") if value.get("Type") == MediaType.CAMERA else FILES_SOURCE
        messages = [
            Message(
                f"{self.prefix}/tracked_object_update",
                _dumps(
                    {
                        "type": "face",
                        "name": sighting["name"],
                        "score": sighting["confidence"] / 100,
                        "camera": camera,
                        "timestamp": time.time(),
                        "request_id": value.get("request_id"),
                        "analysis_id": value.get("analysis_id"),
                    }
                ),
            )
            for sighting in value.get("residents") or ()
        ]
        if value.get("residents") and not _ad_hoc(str(camera)):
            last = max(value["residents"], key=lambda s: s["last_seen_s"])
            messages.append(Message(self.state_topic(str(camera)), last["name"], retain=True))
        messages.append(Message(f"{self.prefix}/results", _dumps(value)))
        return messages

    def start(self) -> None:
        self._client.connect_async(self._address.host, self._address.port, KEEPALIVE_S)
        self._client.loop_start()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def send(self, message: Message) -> None:
        if not self._ready.is_set():
            raise BusUnavailable("not connected to the MQTT broker")
        try:
            info = self._client.publish(message.topic, message.payload, QOS, message.retain)
        except (ValueError, TypeError) as exc:  # topic or payload MQTT cannot carry
            raise Undeliverable(f"MQTT refuses the message: {exc}") from exc
        try:
            info.wait_for_publish(self._ack_timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise BusUnavailable(f"MQTT publish failed: {exc}") from exc
        if not info.is_published():
            raise BusUnavailable("the MQTT broker did not acknowledge in time")

    def close(self) -> None:
        if self._ready.is_set():
            info = self._client.publish(self.availability_topic, "offline", QOS, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(self._ack_timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    def discovery(self) -> list[Message]:
        """Home Assistant sensor configs: a "last recognized resident" per source."""
        if not self._discovery_prefix:
            return []
        return [self._last_resident_config(source) for source in self._sources]

    def _last_resident_config(self, source: str, present: bool = True) -> Message:
        node = topic_level(self.prefix)
        return self._config(
            "sensor",
            f"{topic_level(source)}_last_resident",
            {
                "name": f"{source} last recognized resident",
                "unique_id": f"{node}_{topic_level(source)}_last_resident",
                "state_topic": self.state_topic(source),
                "icon": "mdi:face-recognition",
            },
            present,
        )

    def _config(
        self, component: str, object_id: str, config: dict[str, Any], present: bool
    ) -> Message:
        """A retained discovery config, or the empty one that removes the entity."""
        node = topic_level(self.prefix)
        device = {"identifiers": [node], "name": "Privacy-Aware Face Recognition"}
        payload = {**config, "availability_topic": self.availability_topic, "device": device}
        return Message(
            f"{self._discovery_prefix}/{component}/{node}/{object_id}/config",
            _dumps(payload) if present else "",
            retain=True,
        )

    def _watch_event(self, e: CameraEvent) -> list[Message]:
        messages = [Message(f"{self.prefix}/events", _dumps(event_fields(e)))]
        if e.resident is not None and e.type in ("recognized", "left"):
            on = e.type == "recognized"
            if on:  # last-seen first: whoever sees presence turn on finds where and when
                seen = {"camera": e.camera, "time": e.time, "at": _iso(e.time)}
                topic = f"{self.presence_topic(e.resident)}/last_seen"
                messages.append(Message(topic, _dumps(seen), retain=True))
            messages.append(Message(self.presence_topic(e.resident), "ON" if on else "OFF", True))
        if e.camera is not None and e.type in CAMERA_EVENT_TYPES:
            if e.type == "recognized" and e.resident is not None:
                messages.append(Message(self.state_topic(e.camera), e.resident, retain=True))
            if e.type == "unknown":
                messages.append(Message(self.camera_topic(e.camera, "unknown"), "ON"))
            fields = {"resident": e.resident, "confidence": e.confidence, "time": e.time}
            payload = _dumps({"event_type": e.type, **fields})
            messages.append(Message(self.camera_topic(e.camera, "event"), payload))
        return messages

    def _entities(self, e: EntityEvent) -> list[Message]:
        """Discovery configs for a resident's or a watched camera's entities (empty: removal),
        and the initial (or cleared) retained states."""
        if not self._discovery_prefix:
            return []
        messages = self._entity_messages(e, self._slugs.of(e.kind, e.name))
        if not e.present:
            self._slugs.release(e.kind, e.name)
        return messages

    def _entity_messages(self, e: EntityEvent, key: str) -> list[Message]:
        if e.kind == "resident":
            presence = self.presence_topic(e.name)
            return [
                self._config(
                    "binary_sensor",
                    f"presence_{key}",
                    {
                        "name": f"{e.name} presence",
                        "unique_id": f"{UNIQUE_PREFIX}_presence_{key}",
                        "object_id": f"{UNIQUE_PREFIX}_presence_{key}",
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
                        "unique_id": f"{UNIQUE_PREFIX}_last_seen_{key}",
                        "object_id": f"{UNIQUE_PREFIX}_last_seen_{key}",
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
                        "unique_id": f"{UNIQUE_PREFIX}_{key}",
                        "object_id": f"{UNIQUE_PREFIX}_{key}",
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
        return [
            self._config(
                "binary_sensor",
                f"unknown_{key}",
                {
                    "name": f"{e.name} unknown person",
                    "unique_id": f"{UNIQUE_PREFIX}_unknown_{key}",
                    "object_id": f"{UNIQUE_PREFIX}_unknown_{key}",
                    "state_topic": self.camera_topic(e.name, "unknown"),
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
                    "unique_id": f"{UNIQUE_PREFIX}_face_{key}",
                    "object_id": f"{UNIQUE_PREFIX}_face_{key}",
                    "state_topic": self.camera_topic(e.name, "event"),
                    "event_types": CAMERA_EVENT_TYPES,
                },
                e.present,
            ),
            *([] if e.name in self._sources else self._last_resident(e.name, e.present)),
            Message(self.camera_topic(e.name, "unknown"), "OFF" if e.present else "", retain=True),
        ]

    def _last_resident(self, camera: str, present: bool) -> list[Message]:
        """A watched camera's "last recognized resident" sensor; when it goes, its retained
        state goes too (an empty retained payload clears it)."""
        config = self._last_resident_config(camera, present)
        return [config] if present else [config, Message(self.state_topic(camera), "", True)]

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        log.info("connected to the MQTT broker %s:%d", self._address.host, self._address.port)
        client.publish(self.availability_topic, "online", QOS, retain=True)
        for m in self.discovery():
            client.publish(m.topic, m.payload, QOS, m.retain)
        self._ready.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._ready.clear()
        log.warning("disconnected from the MQTT broker: %s", reason)


def _ad_hoc(source: str) -> bool:
    """A camera analysed by URL or device index rather than by name (its label is
    `scheme://host:port` or the index): nothing is retained for it, or every URL would leave a
    retained topic behind for good."""
    return "://" in source or source.isdigit()


def _dumps(value: Mapping[str, object]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
