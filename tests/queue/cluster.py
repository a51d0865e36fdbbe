"""A real Redis (Debian package `redis-server`) on a free loopback port, and real
`python -m app worker` processes; with tests/e2e/server.py's `serve`, a whole queue deployment.
Used by tests/queue and bench/scale.py."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from app.queue.broker import WORKER, key
from tests.bus.broker import tool
from tests.e2e.server import LoopbackDaemon, child_env, spawn_app

START_TIMEOUT_S = 180


class RedisServer(LoopbackDaemon):
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(folder / "redis.log")
        self.folder = folder

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        return [
            tool("redis-server", "redis-server"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


def start_worker(base: Path, queue_url: str, database_dir: Path, **env: str) -> subprocess.Popen:
    """Start `python -m app worker` (own STATE_DIR, the front's DATABASE_DIR); wait until it
    has registered in Redis."""
    base.mkdir(parents=True, exist_ok=True)
    environment = child_env(
        QUEUE_URL=queue_url, STATE_DIR=str(base / "state"), DATABASE_DIR=str(database_dir), **env
    )
    log = base / "worker.log"
    process = spawn_app("worker", base, log, environment)
    r = redis.Redis.from_url(queue_url)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if r.exists(key(WORKER, f"worker-{process.pid}@{socket.gethostname()}")) and (
            b"ready." in log.read_bytes()  # Celery's: consuming the queue
        ):
            return process
        time.sleep(0.2)
    stop_worker(process)
    raise RuntimeError(f"worker not ready after {START_TIMEOUT_S} s:\n{log.read_text()}")


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
