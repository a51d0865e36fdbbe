"""SIFIS-Home DHT client: one websocket, kept open by a reader thread that reconnects with backoff.

The DHT never acknowledges a post, but it sends every `Persistent` message to every client, the
poster included (docs/bus.md). A post therefore counts as accepted once its own echo has come back;
until then the outbox keeps it. The reader also hands every `Persistent` message to the listeners
(bus-driven requests), and keeps reading even with none, because the DHT disconnects a client that
falls more than 64 messages behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import websocket

from app.backoff import Backoff
from app.bus.destination import BusMisconfigured, BusUnavailable
from app.store.outbox import Message

log = logging.getLogger(__name__)

Listener = Callable[[dict[str, Any]], None]  # gets a Persistent message's content
CONNECT_TIMEOUT_S = 10.0
PING_AFTER_S = 30.0  # idle time after which the reader pings, to notice a dead peer
ECHOES_KEPT = 1024


def _echo_key(topic_name: object, topic_uuid: object, value: object) -> str:
    return json.dumps([topic_name, topic_uuid, value], sort_keys=True, separators=(",", ":"))


class DhtClient:
    def __init__(self, url: str, retry_max_s: float, ack_timeout_s: float = 5.0) -> None:
        if urlsplit(url).scheme not in ("ws", "wss"):
            raise BusMisconfigured("DHT_URL must be a websocket URL: ws://host:3000/ws")
        self.url = url
        self._retry_max_s, self._ack_timeout_s = retry_max_s, ack_timeout_s
        self._ws: websocket.WebSocket | None = None
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._echoes: deque[str] = deque(maxlen=ECHOES_KEPT)
        self._echo = threading.Condition()
        self._listeners: list[Listener] = []
        self._thread = threading.Thread(target=self._run, name="dht-reader", daemon=True)

    def add_listener(self, listener: Listener) -> None:
        """Call `listener` on the reader thread for every Persistent message (must not block)."""
        self._listeners.append(listener)

    def start(self) -> None:
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def send(self, message: Message) -> None:
        """Send one `RequestPostTopicUUID` frame (the message's payload) and wait for its echo."""
        frame = message.payload
        post = json.loads(frame)["RequestPostTopicUUID"]
        key = _echo_key(post["topic_name"], post["topic_uuid"], post["value"])
        ws = self._ws
        if ws is None:
            raise BusUnavailable(f"not connected to {self.url}")
        try:
            ws.send(frame)
        except (OSError, websocket.WebSocketException) as exc:
            raise BusUnavailable(f"send to {self.url} failed: {exc}") from exc
        with self._echo:
            echoed = self._echo.wait_for(
                lambda: key in self._echoes or self._ws is not ws, self._ack_timeout_s
            )
            if not echoed or key not in self._echoes:
                raise BusUnavailable(f"{self.url} did not echo the post")
            self._echoes.remove(key)

    def close(self) -> None:
        self._stopping.set()
        ws = self._ws
        if ws is not None:
            ws.abort()  # wakes the reader blocked in recv
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        backoff = Backoff(0.2, self._retry_max_s)
        while not self._stopping.is_set():
            try:
                ws = websocket.create_connection(self.url, timeout=CONNECT_TIMEOUT_S)
            except (OSError, websocket.WebSocketException) as exc:
                log.debug("DHT %s unreachable: %s", self.url, exc)
                self._stopping.wait(backoff.next())
                continue
            backoff.reset()
            log.info("connected to the DHT at %s", self.url)
            self._serve(ws)
            log.warning("disconnected from the DHT at %s", self.url)

    def _serve(self, ws: websocket.WebSocket) -> None:
        ws.settimeout(PING_AFTER_S)
        self._ws = ws
        self._connected.set()
        try:
            while not self._stopping.is_set():
                try:
                    text = ws.recv()
                except websocket.WebSocketTimeoutException:
                    ws.ping()
                    continue
                if isinstance(text, str) and text:
                    self._dispatch(text)
        except (OSError, websocket.WebSocketException):
            pass
        finally:
            self._connected.clear()
            with self._echo:
                self._ws = None
                self._echo.notify_all()
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.close(timeout=1)

    def _dispatch(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("DHT sent a frame that is not JSON; ignored")
            return
        persistent = message.get("Persistent") if isinstance(message, dict) else None
        if not isinstance(persistent, dict):
            return  # Volatile and Response messages are not for us
        key = _echo_key(
            persistent.get("topic_name"), persistent.get("topic_uuid"), persistent.get("value")
        )
        with self._echo:
            self._echoes.append(key)
            self._echo.notify_all()
        for listener in self._listeners:
            try:
                listener(persistent)
            except Exception:
                log.exception("a DHT listener failed")
