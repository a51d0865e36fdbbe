"""Live worker processes, for `/health`: each worker refreshes its own record, which expires
RECORD_TTL_S after the worker stops refreshing it (a killed worker drops out by itself)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

import redis

from app.queue.broker import WORKER, key, text

REFRESH_S = 2.0
RECORD_TTL_S = 3 * REFRESH_S


class WorkerRecord:
    """This process's record, refreshed by a daemon thread until `stop()`."""

    def __init__(self, r: redis.Redis, cameras: Callable[[], int]) -> None:
        """`cameras`: how many watched cameras this worker holds (app/cameras/sharing.py)."""
        self._r, self._cameras = r, cameras
        self.host = socket.gethostname()
        self.name = worker_name()
        self.tasks_done = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._refresh, name="worker-record", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def task_done(self) -> None:
        self.tasks_done += 1
        with contextlib.suppress(redis.RedisError):  # else the next refresh writes it
            self._r.hset(key(WORKER, self.name), "tasks_done", self.tasks_done)

    def stop(self) -> None:
        self._stop.set()

    def _refresh(self) -> None:
        while True:
            try:
                name = key(WORKER, self.name)
                self._r.hset(
                    name,
                    mapping={
                        "name": self.name,
                        "host": self.host,
                        "tasks_done": self.tasks_done,
                        "cameras": self._cameras(),
                    },
                )
                self._r.expire(name, int(RECORD_TTL_S))
            except redis.RedisError:
                pass  # Redis is down: the record comes back with it
            if self._stop.wait(REFRESH_S):
                return


def worker_name() -> str:
    return f"worker-{os.getpid()}@{socket.gethostname()}"


def is_live(r: redis.Redis, name: str) -> bool:
    return bool(r.exists(key(WORKER, name)))


def live_workers(r: redis.Redis) -> list[dict[str, Any]]:
    """One entry per live worker process, by name, with the number of cameras it watches."""
    found = []
    for name in r.scan_iter(key(WORKER, "*"), count=100):
        v = {text(k): text(x) for k, x in r.hgetall(name).items()}
        if v:
            found.append(
                {
                    "name": v["name"],
                    "host": v["host"],
                    "tasks_done": int(v["tasks_done"]),
                    "cameras": int(v.get("cameras", 0)),
                }
            )
    return sorted(found, key=lambda w: w["name"])
