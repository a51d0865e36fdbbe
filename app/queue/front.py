"""What `serve` runs analyses through when QUEUE_URL is set: the same `run(job, timeout_s)` as the
in-process pool (app/runners/pool.py), with the work done by a worker process (app/queue/worker.py).

One request: put the upload in Redis, send the Celery task (`expires` at the deadline), then wait
for its result, relaying the PROGRESS states the worker reports to the job's watchdog (the
deadline and a cancelled request stop the wait, and abort the task, which its worker then
stops). The progress names the worker that took the task; once its registry record has expired
(registry.py: it died), the front aborts that task and sends the analysis again, as a new task,
which another worker runs (Celery would give the dead worker's message to another only after
VISIBILITY_S, past any deadline: tests/queue/test_celery_alone.py).
Only the front publishes, once, whatever ran how often. Redis unreachable = ServiceBusy.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis
from celery.contrib.abortable import AbortableAsyncResult
from celery.exceptions import TimeoutError as ResultTimeout
from kombu.exceptions import OperationalError

from app.analyses import FileMedia, Job, watchdog
from app.domain import AnalysisResult
from app.errors import AnalysisInterrupted, AppError, ServiceBusy
from app.pipeline.progress import Progress
from app.queue import codec, uploads
from app.queue.broker import PROGRESS, TASK, UPLOAD, celery_app, client, key
from app.queue.registry import is_live, live_workers

log = logging.getLogger(__name__)

POLL_S = 0.25
RUNS = 2  # runs of one analysis: the first, and one more after its worker died
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
        aid = job.task.analysis_id
        ttl = int(timeout_s + GRACE_S) + 1
        expires = datetime.fromtimestamp(time.time() + timeout_s, UTC)
        payload = codec.encode_task(job.task)
        try:
            if isinstance(job.task.media, FileMedia):
                uploads.put(self._redis, aid, job.task.media.path, ttl)
            for _ in range(RUNS):
                sent = self._celery.send_task(
                    TASK, args=[payload, ttl], expires=expires, retry=False
                )
                result, reply = AbortableAsyncResult(sent.id, app=self._celery), None
                try:
                    reply = self._wait(result, deadline, job.watched(deadline))
                finally:  # answered: the reply is read; else (the deadline passed, the request
                    _done(result, reply is not None)  # gave up, the worker died) stop the run
                if reply is not None:
                    return codec.decode_reply(reply)
                log.warning("the worker of analysis %s died; sending it again", aid)
            raise AnalysisInterrupted(f"the analysis's worker died {RUNS} times; not retried")
        finally:
            with contextlib.suppress(redis.RedisError):  # else the upload expires by itself
                self._redis.delete(key(UPLOAD, aid))

    def _wait(
        self, result: AbortableAsyncResult, deadline: Progress, progress: Progress
    ) -> dict[str, Any] | None:
        """The task's reply, or None once the worker that took it is no longer live."""
        report: dict[str, Any] = {}

        def on_state(meta: dict[str, Any]) -> None:
            if meta["status"] == PROGRESS:
                report.update(meta["result"])

        while True:
            try:
                reply = result.get(timeout=POLL_S, on_message=on_state, propagate=False)
            except ResultTimeout:
                pass
            else:
                if not isinstance(reply, dict):  # a failure Celery caught, or a revoked task
                    raise AppError(f"the analysis failed on its worker: {reply!r}")
                return reply
            if not report:  # waiting for a worker; both raise AnalysisTimeout past the deadline,
                deadline(0, 0)  # or Cancelled
            else:
                progress(report["done"], report["total"])
                if not is_live(self._redis, report["worker"]):
                    return None


def _done(result: AbortableAsyncResult, answered: bool) -> None:
    """Forget an answered task's result; abort any other: a worker skips it, or stops running
    it at its next report (should the worker be live after all)."""
    with contextlib.suppress(redis.RedisError):  # else the result expires, and the worker
        if answered:  # stops at its own deadline
            result.forget()
        else:
            result.backend.remove_pending_result(result)  # no longer listened for
            result.abort()
