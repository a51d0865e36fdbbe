"""Why the front, not Celery, reruns the analysis of a worker that died (docs/scale.md).

With the Redis transport, `acks_late` keeps a task until its worker acknowledges it, and hands it
to another worker once its visibility timeout has passed since delivery: by the clock, whether
its worker died or is still running it (`reject_on_worker_lost` needs a live parent process to
reject the task; a `kill -9` of a solo worker, or a lost machine, leaves none). So the timeout
must outlast the longest analysis (REQUEST_TIMEOUT_S, 300 s by default), or a live worker's
analysis runs twice, and then Celery alone reruns a killed worker's analysis only after its
request's deadline. Shown on a real redis-server and two real Celery workers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from app.queue.broker import celery_app
from tests.bus.wait import until
from tests.e2e.server import child_env
from tests.queue.cluster import START_TIMEOUT_S, RedisServer
from tests.queue.nap import ENDED, NAP, STARTED

pytestmark = pytest.mark.queue

VISIBILITY_S = 4.0
CELERY_WORKER = (
    *(sys.executable, "-m", "celery", "-A", "tests.queue.nap", "worker", "--pool=solo"),
    *("--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"),
)


def start_napper(folder: Path, url: str) -> subprocess.Popen:
    folder.mkdir(parents=True)
    log = folder / "worker.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*CELERY_WORKER, f"--hostname=nap-{folder.name}@%h"],
            env=child_env(QUEUE_URL=url, NAP_VISIBILITY_S=str(VISIBILITY_S)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    until(lambda: b"ready." in log.read_bytes(), "a Celery worker ready", START_TIMEOUT_S)
    return process


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def pids(r: redis.Redis, name: str) -> list[int]:
    return [int(pid) for pid in r.lrange(name, 0, -1)]


def test_celery_hands_a_task_to_another_worker_by_the_clock_even_while_it_runs(
    redis_server, tmp_path
):
    workers = [start_napper(tmp_path / name, redis_server.url) for name in ("a", "b")]
    try:
        r = redis_server.client()
        sent = time.monotonic()
        celery_app(redis_server.url).send_task(NAP, args=[5 * VISIBILITY_S])
        until(lambda: len(pids(r, STARTED)) == 2, "the task delivered a second time", 60)
        again_after = time.monotonic() - sent
        first, second = pids(r, STARTED)
        assert first != second  # the other worker runs it too,
        assert pids(r, ENDED) == [] and all(w.poll() is None for w in workers)  # though none died
        assert again_after >= VISIBILITY_S  # and only once its visibility timeout has passed
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
