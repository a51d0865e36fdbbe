"""A bounded pool of analysis workers with a waiting limit and a wall-clock limit per job.

Analyses are CPU-bound, so at most `workers` run at once (one per core by default) and at most
`queue` more wait; a request beyond that is refused at once with ServiceBusy (503 + Retry-After)
rather than piling up. A job gets a `progress` callback (app/analyses.py's `watchdog`), which the
analyser calls after each frame: it raises once the job's deadline has passed or its request has
given up, so an abandoned analysis stops at the next frame instead of running on. A request
gives up when its deadline has passed or its client has gone (`gone`, waitress's
`client_disconnected`, looked at every POLL_S while the request waits): a job still waiting
for a worker is dropped at once, a running one stops at its next frame, and either way its
slot is free again.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from app.analyses import watchdog
from app.errors import AnalysisTimeout, ClientGone, ServiceBusy
from app.pipeline.progress import Progress

T = TypeVar("T")
GRACE_S = 5.0  # how long a request waits past the deadline for its job to notice it
POLL_S = 0.25  # how often a waiting request looks whether its client is still there


class AnalysisPool:
    def __init__(self, workers: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="analysis")
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._done = 0  # jobs finished, for /health

    def workers(self, cameras: int) -> list[dict[str, Any]]:
        """This process as /health's one `workers` entry (without QUEUE_URL)."""
        return [
            {
                "name": "serve",
                "host": socket.gethostname(),
                "tasks_done": self._done,
                "cameras": cameras,
            }
        ]

    def run(
        self,
        job: Callable[[Progress], T],
        timeout_s: float,
        gone: Callable[[], bool] = lambda: False,
    ) -> T:
        """Run `job(progress)` on a worker and wait for its result (or its exception); stop it
        once `gone()` says the client left (ClientGone) or the deadline passed."""
        if not self._slots.acquire(blocking=False):
            raise ServiceBusy("all analysis workers are busy and the queue is full; retry later")
        abandoned = threading.Event()
        future: Future[T] = self._executor.submit(
            _start, job, watchdog(timeout_s, abandoned.is_set)
        )
        future.add_done_callback(self._finished)
        deadline = time.monotonic() + timeout_s + GRACE_S
        try:
            while True:
                try:
                    return future.result(timeout=min(POLL_S, deadline - time.monotonic()))
                except FutureTimeout:
                    if gone():
                        raise ClientGone("the client closed the connection") from None
                    if time.monotonic() >= deadline:
                        raise AnalysisTimeout(
                            f"the analysis took longer than {timeout_s:g} s"
                        ) from None
        except (ClientGone, AnalysisTimeout):
            abandoned.set()
            future.cancel()
            raise

    def _finished(self, _: Future) -> None:
        self._done += 1
        self._slots.release()


def _start(job: Callable[[Progress], T], progress: Progress) -> T:
    progress(0, 0)  # a job whose request gave up, or whose deadline passed, in the queue stops here
    return job(progress)
