"""A real Redis (Debian package `redis-server`) on a free loopback port, and real
`python -m app worker` processes; with tests/e2e/server.py's `serve`, a whole queue deployment.
Used by tests/queue and bench/scale.py."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.e2e.server import ROOT, free_port

START_TIMEOUT_S = 180


class RedisServer:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.port = folder, free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
        if binary is None:
            raise RuntimeError("`redis-server` not found: apt-get install -y redis-server")
        with open(self.folder / "redis.log", "ab") as log:
            self._process = subprocess.Popen(
                [
                    binary,
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
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


def start_worker(base: Path, queue_url: str, database_dir: Path, **env: str) -> subprocess.Popen:
    """Start `python -m app worker` (own STATE_DIR, the front's DATABASE_DIR); wait until it
    has registered in Redis."""
    base.mkdir(parents=True, exist_ok=True)
    environment = {
        **{k: v for k, v in os.environ.items() if k not in {"API_KEY", "CAMERAS", "HOST"}},
        "PYTHONPATH": str(ROOT),
        "QUEUE_URL": queue_url,
        "STATE_DIR": str(base / "state"),
        "DATABASE_DIR": str(database_dir),
        **env,
    }
    log = base / "worker.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "worker"],
            cwd=base,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    r = redis.Redis.from_url(queue_url)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if r.exists(f"pafr:worker:worker-{process.pid}@{socket.gethostname()}") and (
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
