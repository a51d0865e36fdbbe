"""Bus fixtures: a loopback DHT node and a real Mosquitto broker, each started per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bus.broker import Mosquitto
from tests.bus.dht_server import DhtServer
from tests.e2e.server import free_port


@pytest.fixture
def dht() -> Iterator[DhtServer]:
    server = DhtServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def broker(tmp_path) -> Iterator[Mosquitto]:
    running = Mosquitto(tmp_path / "mosquitto").start()
    yield running
    running.stop()
