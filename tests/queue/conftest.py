"""A queue deployment on loopback: a real redis-server, `serve` with QUEUE_URL (publishing its
results to a real Mosquitto, so the tests can count them) and two real `python -m app worker`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import pytest

from tests.bus.broker import Mosquitto
from tests.e2e.server import Server, start_server, stop_server
from tests.queue.cluster import RedisServer, start_worker, stop_worker


@dataclass
class Cluster:
    redis: RedisServer
    broker: Mosquitto
    front: Server
    base: Path
    workers: list[Popen] = field(default_factory=list)
    folders: dict[int, Path] = field(default_factory=dict)  # by pid

    def add_worker(self, folder: Path | None = None) -> Popen:
        """A new worker, in a new folder or in `folder` (a killed worker's)."""
        folder = folder or self.base / f"worker{len(self.folders)}"
        worker = start_worker(folder, self.redis.url, self.front.database_dir)
        self.workers.append(worker)
        self.folders[worker.pid] = folder
        return worker


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("queue")
    redis_server = RedisServer(base / "redis").start()
    broker = Mosquitto(base / "mosquitto").start()
    front = start_server(
        base / "front",
        QUEUE_URL=redis_server.url,
        MQTT_URL=broker.url,
        MQTT_TOPIC_PREFIX="home/faces",
        PUBLISH_HTTP_RESULTS="true",
        ANALYSIS_QUEUE="8",
        CAMERA_HOSTS='["127.0.0.1"]',  # the loopback cameras of test_cameras.py
    )
    running = Cluster(redis_server, broker, front, base)
    try:
        running.add_worker()
        running.add_worker()
        yield running
    finally:
        for worker in running.workers:
            stop_worker(worker)
        stop_server(front)
        broker.stop()
        redis_server.stop()
