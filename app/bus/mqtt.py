"""The MQTT transport (paho-mqtt): connects, says `online` on `P/available` (retained; `offline`
is its last will and its goodbye), sends the greeting (Home Assistant's discovery configs) on
every connection, and carries messages with QoS 1. What the messages say: app/bus/mqtt_render.py.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.bus.destination import BusMisconfigured, BusUnavailable, Undeliverable
from app.bus.mqtt_topics import topic_level
from app.store.outbox import Message

log = logging.getLogger(__name__)

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


class MqttClient:
    def __init__(
        self,
        address: BrokerAddress,
        client_name: str,
        availability_topic: str,
        greeting: Callable[[], list[Message]],
        retry_max_s: float,
        ca_file: Path | None = None,
        ack_timeout_s: float = 5.0,
    ) -> None:
        self._address, self._availability = address, availability_topic
        self._greeting, self._ack_timeout_s = greeting, ack_timeout_s
        self._ready = threading.Event()
        client_id = f"{topic_level(client_name)}-{uuid.uuid4().hex[:8]}"
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if address.username:
            client.username_pw_set(address.username, address.password)
        if address.tls:
            client.tls_set(ca_certs=str(ca_file) if ca_file else None, cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(availability_topic, "offline", qos=QOS, retain=True)
        client.reconnect_delay_set(1, max(1, int(retry_max_s)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._client = client

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
            info = self._client.publish(self._availability, "offline", QOS, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(self._ack_timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        log.info("connected to the MQTT broker %s:%d", self._address.host, self._address.port)
        client.publish(self._availability, "online", QOS, retain=True)
        for m in self._greeting():
            client.publish(m.topic, m.payload, QOS, m.retain)
        self._ready.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._ready.clear()
        log.warning("disconnected from the MQTT broker: %s", reason)
