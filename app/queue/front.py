"""What `serve` runs analyses through when QUEUE_URL is set: the same `run(job, timeout_s)` as the
in-process pool (app/runners/pool.py), with the work done by a worker process (app/queue/worker.py).

One request: put the upload in Redis, mark attempt 1 current, send the Celery task, then wait for
the reply, relaying the worker's progress to the job's watchdog (the deadline and a cancelled
request stop the wait, and the worker, which sees the attempt withdrawn). A worker that dies
mid-analysis stops refreshing its heartbeat: the front then sends attempt 2, which another worker
runs; the dead worker's message, if Redis ever redelivers it, finds its attempt stale and is
skipped. Only the front publishes, once, whatever ran how often. Redis unreachable = ServiceBusy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from kombu.exceptions import OperationalError

from app.analyses import FileMedia, Job, watchdog
from app.domain import AnalysisResult
from app.errors import AnalysisInterrupted, ServiceBusy
from app.pipeline.progress import Progress
from app.queue import codec, uploads
from app.queue.broker import (
    ATTEMPT,
    PROGRESS,
    REPLY,
    RUNNING,
    TASK,
    UPLOAD,
    celery_app,
    client,
    key,
)
from app.queue.registry import live_workers

log = logging.getLogger(__name__)

POLL_S = 0.25
RUNS = 2  # attempts of one analysis: the first, and one more after its worker died
GRACE_S = 5.0


class QueueRunner:
    def __init__(self, url: str, slots: int) -> None:
        self._celery = celery_app(url)
        self._redis = client(url)
        self._slots = threading.BoundedSemaphore(slots)

    def run(self, job: Job, timeout_s: float, given_up: Callable[[], bool]) -> AnalysisResult:
        if not self._slots.acquire(blocking=False):
            raise ServiceBusy("all analysis workers are busy and the queue is full; retry later")
        try:
            return self._run(job, timeout_s, given_up)
        except (redis.RedisError, OperationalError) as exc:
            log.warning("analysis queue unreachable: %s", exc)
            raise ServiceBusy("the analysis queue is unreachable; retry later") from None
        finally:
            self._slots.release()

    def workers(self, cameras: int) -> list[dict[str, Any]]:
        """Live worker processes (each says how many cameras it watches); empty while Redis is
        unreachable."""
        try:
            return live_workers(self._redis)
        except redis.RedisError:
            return []

    def _run(self, job: Job, timeout_s: float, given_up: Callable[[], bool]) -> AnalysisResult:
        deadline = watchdog(timeout_s, given_up)
        aid, r = job.task.analysis_id, self._redis
        ttl = int(timeout_s + GRACE_S) + 1
        expires = datetime.fromtimestamp(time.time() + timeout_s, UTC)
        payload = codec.encode_task(job.task)
        done: list[str] = [key(ATTEMPT, aid), key(PROGRESS, aid), key(REPLY, aid)]
        try:
            if isinstance(job.task.media, FileMedia):
                done.append(key(UPLOAD, aid))
                uploads.put(r, aid, job.task.media.path, ttl)
            for attempt in range(1, RUNS + 1):
                r.set(key(ATTEMPT, aid), attempt, ex=ttl)
                self._celery.send_task(
                    TASK, args=[payload, attempt, ttl], expires=expires, retry=False
                )
                reply = self._wait(aid, deadline, job.watched(deadline))
                if reply is not None:
                    return codec.decode_reply(reply)
                log.warning("the worker of analysis %s died; sending it again", aid)
            raise AnalysisInterrupted(f"the analysis's worker died {RUNS} times; not retried")
        finally:
            with contextlib.suppress(redis.RedisError):  # else each key expires by itself
                r.delete(*done)

    def _wait(self, aid: str, deadline: Progress, progress: Progress) -> dict[str, Any] | None:
        """The worker's reply, or None once the worker that took the task has died."""
        r, seen_running = self._redis, False
        while True:
            got = r.blpop([key(REPLY, aid)], timeout=POLL_S)
            if got is not None:
                return json.loads(got[1])
            state = r.get(key(PROGRESS, aid))  # both raise AnalysisTimeout past the deadline,
            if state:  # or Cancelled
                progress(*json.loads(state))
            else:
                deadline(0, 0)
            if r.exists(key(RUNNING, aid)):
                seen_running = True
            elif seen_running:  # the reply is pushed before the heartbeat is removed
                last = r.lpop(key(REPLY, aid))
                return json.loads(last) if isinstance(last, bytes) else None
