"""Results on MQTT (paho-mqtt), for home-automation hubs.

Topics under the prefix `P` (MQTT_TOPIC_PREFIX):
- `P/available`: `online` / `offline`, retained; `offline` is also the last will.
- `P/tracked_object_update`: one message per resident seen in an analysis, in the convention of
  Frigate's: `{"type": "face", "name", "score", "camera", "timestamp"}` plus the request_id and
  analysis_id.
- `P/<source>/last_resident`: the last resident recognised by that source, retained (the state of
  Home Assistant's "last recognized resident" sensor). The source is the camera's name for camera
  analyses and `files` for videos and images.
- `P/results`: the SIFIS `value` of every finished analysis (or its error), JSON.
Home Assistant discovery: on every connection, one retained sensor config per configured camera
and one for `files`, under MQTT_DISCOVERY_PREFIX.
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.bus.events import Event, ResultEvent
from app.bus.publisher import BusMisconfigured, BusUnavailable
from app.domain import MediaType
from app.store.outbox import Message

log = logging.getLogger(__name__)

FILES_SOURCE = "files"
QOS = 1
KEEPALIVE_S = 30
_SCHEMES = {"mqtt": False, "tcp": False, "mqtts": True, "ssl": True}  # scheme -> TLS


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
        ca_file: Path | None = None,
        ack_timeout_s: float = 5.0,
    ) -> None:
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

    def render(self, event: Event) -> list[Message]:
        if not isinstance(event, ResultEvent):
            return []  # progress goes to the DHT only
        value = event.value
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
        if value.get("residents"):
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
        info = self._client.publish(message.topic, message.payload, QOS, message.retain)
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
        node = topic_level(self.prefix)
        device = {"identifiers": [node], "name": "Privacy-Aware Face Recognition"}
        return [
            Message(
                f"{self._discovery_prefix}/sensor/{node}/{topic_level(source)}_last_resident/config",
                _dumps(
                    {
                        "name": f"{source} last recognized resident",
                        "unique_id": f"{node}_{topic_level(source)}_last_resident",
                        "state_topic": self.state_topic(source),
                        "availability_topic": self.availability_topic,
                        "icon": "mdi:face-recognition",
                        "device": device,
                    }
                ),
                retain=True,
            )
            for source in self._sources
        ]

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


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))
