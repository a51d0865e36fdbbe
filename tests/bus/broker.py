"""A real Mosquitto broker on a free loopback port (Debian package `mosquitto`), with a password
file, and a real paho subscriber that records what it receives."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.e2e.server import LoopbackDaemon

USER, PASSWORD = "pafr", "s3cret:pw"  # a `:` to check the URL's percent-decoding


def tool(name: str, package: str = "mosquitto") -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise RuntimeError(f"`{name}` not found: apt-get install -y {package}")
    return found


class Mosquitto(LoopbackDaemon):
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(folder / "mosquitto.log")
        passwords = folder / "passwords"
        passwords.touch(mode=0o600)
        subprocess.run(
            [tool("mosquitto_passwd"), "-b", str(passwords), USER, PASSWORD],
            check=True,
            capture_output=True,
        )
        self._config = folder / "mosquitto.conf"
        self._config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {passwords}\npersistence false\n"
            f"user {getpass.getuser()}\n"  # as root, mosquitto would switch to a user that
        )  # cannot read the test's private folder

    @property
    def url(self) -> str:
        return f"mqtt://{USER}:{PASSWORD.replace(':', '%3A')}@127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [tool("mosquitto"), "-c", str(self._config)]


@dataclass(frozen=True)
class Received:
    topic: str
    payload: str
    retain: bool
    at: float = field(default_factory=time.time, compare=False)  # when it arrived (epoch s)


class Subscriber:
    """A paho client subscribed to `topics`, recording every message."""

    def __init__(self, port: int, topics: list[str]) -> None:
        self.messages: list[Received] = []
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.username_pw_set(USER, PASSWORD)
        client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        client.on_subscribe = lambda *_: self._subscribed.set()
        client.on_message = self._on_message
        client.connect("127.0.0.1", port)
        client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("the test subscriber could not subscribe")
        self._client = client

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(Received(msg.topic, msg.payload.decode(), bool(msg.retain)))
            self._changed.notify_all()

    def wait(self, topic: str, timeout: float = 30.0) -> Received:
        """The first message received on `topic`."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: any(m.topic == topic for m in self.messages), timeout
            ):
                raise AssertionError(f"nothing on {topic} in {timeout} s; got {self.messages}")
            return next(m for m in self.messages if m.topic == topic)

    def wait_for(
        self, what: str, match: Callable[[Received], bool], timeout: float = 30.0
    ) -> Received:
        """The first message received (or received next) that `match`es."""
        with self._changed:
            if not self._changed.wait_for(lambda: any(map(match, self.messages)), timeout):
                raise AssertionError(f"no message {what} in {timeout} s")
            return next(m for m in self.messages if match(m))

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
