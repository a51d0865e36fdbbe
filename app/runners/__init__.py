"""Where analyses run, chosen once by the composition root (app/services.py) from the settings.

Every runner has the same seam (`Runner`, app/analyses.py): `run(job, timeout_s, given_up)`
runs the job with a progress callback that stops it past `timeout_s` or once `given_up()`
(a client gone, a shutdown). Three implementations: the bounded thread pool of this process
(pool.py), the caller's thread (inline.py) and, with QUEUE_URL, the queue's worker processes
(app/queue/front.py: the queue's side of its own protocol lives with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.analyses import Runner
from app.config import Settings
from app.runners.inline import InlineRunner
from app.runners.pool import AnalysisPool


@dataclass(frozen=True)
class Runners:
    pool: AnalysisPool  # model work of this process: single-image queries, analyses without a queue
    http: Runner  # analyses asked over HTTP
    bus: Runner  # analyses asked on the DHT, one at a time


def build_runners(settings: Settings) -> Runners:
    pool = AnalysisPool(settings.workers, settings.analysis_queue)
    if not settings.queue_url:
        return Runners(pool, pool, InlineRunner())
    from app.queue.front import QueueRunner  # Redis and Celery load only with a queue

    http = QueueRunner(settings.queue_url, settings.workers + settings.analysis_queue)
    return Runners(pool, http, QueueRunner(settings.queue_url, slots=1))
