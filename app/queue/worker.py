"""`python -m app worker`: one Celery worker process (solo pool: one analysis at a time) that
loads the models once and runs the analyses `serve` sends (app/queue/front.py).

A task runs only if it is still PENDING: one the front has aborted, or one a worker has already
taken (Redis gives a dead worker's task to another after VISIBILITY_S), is skipped. Its progress
callback sets its PROGRESS state (naming this worker, whose registry record the front watches),
and stops the analysis past its deadline or once the front has aborted the task. The reply is
the task's result. The worker's residents are DATABASE_DIR / RESIDENTS_DIR, shared with the front
(docs/scale.md). Beside the tasks, the worker watches its share of the watched cameras in threads
of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import redis
from celery import Task, states
from celery.contrib.abortable import AbortableAsyncResult

from app.analyses import Cancelled, execute
from app.config import Settings
from app.errors import AnalysisTimeout, AppError
from app.pipeline.progress import Progress
from app.queue import codec, uploads
from app.queue.broker import PROGRESS, TASK, celery_app, client
from app.queue.registry import WorkerRecord, worker_name
from app.recognition import Recognition

log = logging.getLogger("app.worker")

CHECK_S = 0.5  # how often a running analysis reports, and asks whether the front still waits


class Cameras(Protocol):
    """The watched cameras this worker holds (app/cameras/sharing.py's Holder)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def held(self) -> int: ...


def run_worker(
    settings: Settings,
    recognition: Recognition,
    cameras: Callable[[redis.Redis, str], Cameras],
) -> int:
    """`cameras(redis, worker name)` makes what holds this worker's share of watched cameras."""
    assert settings.queue_url  # checked by the CLI
    r = client(settings.queue_url)
    held = cameras(r, worker_name())
    record = WorkerRecord(r, held.held)
    app = celery_app(settings.queue_url)
    uploads.discard_orphans(settings.upload_dir)

    @app.task(name=TASK, bind=True)
    def analyse(task: Task, payload: dict[str, Any], ttl: int) -> dict[str, Any] | None:
        result = AbortableAsyncResult(task.request.id, app=app)
        if result.state != states.PENDING:
            log.info("analysis %s: withdrawn or taken already; skipped", payload["analysis_id"])
            return None
        try:
            progress = _progress(result, record.name, time.monotonic() + ttl)
            return _run(r, recognition, settings, payload, progress)
        finally:
            record.task_done()

    gallery = recognition.gallery(settings.residents_dir)  # built once, before the first task
    record.start()
    held.start()
    log.info("worker %s: %d resident photo(s)", record.name, len(gallery.index.names))
    try:
        app.worker_main(
            [
                "worker",
                "--pool=solo",
                "--concurrency=1",
                f"--hostname={record.name}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        )
    finally:
        held.stop()  # releases the leases: another worker takes the cameras at once
        record.stop()
    return 0


def _run(
    r: redis.Redis,
    recognition: Recognition,
    settings: Settings,
    payload: dict[str, Any],
    progress: Progress,
) -> dict[str, Any] | None:
    aid = payload["analysis_id"]
    upload: Path | None = None
    try:
        if codec.is_file(payload):
            upload = uploads.fetch(r, aid, settings.upload_dir)
        task = codec.decode_task(payload, upload)
        return codec.encode_result(execute(recognition, task, progress))
    except Cancelled:
        log.info("analysis %s: the front gave up", aid)
        return None
    except AppError as exc:
        return codec.encode_error(exc)
    except Exception:
        log.exception("analysis %s failed", aid)
        return codec.encode_error(AppError("internal error; see the worker's log"))
    finally:
        if upload is not None:
            upload.unlink(missing_ok=True)


def _progress(result: AbortableAsyncResult, worker: str, deadline: float) -> Progress:
    """Reports the task's progress as its PROGRESS state, at once (the task is taken, by
    `worker`) and then at most every CHECK_S; stops the analysis past `deadline` (monotonic) or
    once the front has aborted the task."""
    reported = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal reported
        now = time.monotonic()
        if now > deadline:
            raise AnalysisTimeout("the analysis passed its deadline")
        if now - reported >= CHECK_S:
            reported = now
            if result.is_aborted():
                raise Cancelled
            report = {"done": done, "total": total, "worker": worker}
            result.backend.store_result(result.id, report, PROGRESS)

    progress(0, 0)
    return progress
