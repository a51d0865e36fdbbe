"""`python -m app worker`: one Celery worker process (solo pool: one analysis at a time) that
loads the models once and runs the analyses `serve` sends (app/queue/front.py).

A task runs only if its attempt is still the one the front waits for and no other worker has
claimed it; while it runs, a heartbeat thread keeps `running` alive (the front re-sends the task
when it lapses) and the progress callback stops the analysis past its deadline or once the front
has given up. The reply is pushed before the heartbeat is removed. The worker's residents are
DATABASE_DIR / RESIDENTS_DIR, shared with the front (docs/scale.md). Beside the tasks, the worker
watches its share of the watched cameras in threads of its own.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import redis

from app.analyses import Cancelled, execute
from app.config import Settings
from app.errors import AnalysisTimeout, AppError
from app.pipeline.progress import Progress
from app.queue import codec, uploads
from app.queue.broker import (
    ATTEMPT,
    CLAIM,
    LEASE_S,
    PROGRESS,
    REPLY,
    RUNNING,
    TASK,
    celery_app,
    client,
    key,
)
from app.queue.registry import WorkerRecord, worker_name
from app.recognition import Recognition

log = logging.getLogger("app.worker")

CHECK_S = 0.5  # how often a running analysis asks whether the front still waits for it


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

    @app.task(name=TASK)
    def analyse(payload: dict[str, Any], attempt: int, ttl: int) -> None:
        if _take(r, payload["analysis_id"], attempt, ttl):
            _run(r, recognition, settings, payload, attempt, ttl)
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


def _take(r: redis.Redis, aid: str, attempt: int, ttl: int) -> bool:
    """Whether this worker runs this attempt: current, and not claimed by another worker."""
    current = r.get(key(ATTEMPT, aid))
    if current is None or int(current) != attempt:
        log.info("analysis %s attempt %d is stale; skipped", aid, attempt)
        return False
    return bool(r.set(key(CLAIM, aid, attempt), os.getpid(), nx=True, ex=ttl))


def _run(
    r: redis.Redis,
    recognition: Recognition,
    settings: Settings,
    payload: dict[str, Any],
    attempt: int,
    ttl: int,
) -> None:
    aid = payload["analysis_id"]
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(r, aid, stop), daemon=True)
    r.set(key(RUNNING, aid), os.getpid(), px=int(LEASE_S * 1000))
    beat.start()
    upload: Path | None = None
    try:
        if codec.is_file(payload):
            upload = uploads.fetch(r, aid, settings.upload_dir)
        task = codec.decode_task(payload, upload)
        progress = _progress(r, aid, attempt, time.monotonic() + ttl)
        reply = codec.encode_result(execute(recognition, task, progress))
    except Cancelled:
        log.info("analysis %s: the front gave up", aid)
        return
    except AppError as exc:
        reply = codec.encode_error(exc)
    except Exception:
        log.exception("analysis %s failed", aid)
        reply = codec.encode_error(AppError("internal error; see the worker's log"))
    finally:
        if upload is not None:
            upload.unlink(missing_ok=True)
        stop.set()
        beat.join()
    try:
        r.rpush(key(REPLY, aid), json.dumps(reply))
        r.expire(key(REPLY, aid), ttl)
    finally:
        r.delete(key(RUNNING, aid))


def _heartbeat(r: redis.Redis, aid: str, stop: threading.Event) -> None:
    while not stop.wait(LEASE_S / 3):
        try:
            r.set(key(RUNNING, aid), os.getpid(), px=int(LEASE_S * 1000))
        except redis.RedisError:
            log.warning("analysis %s: heartbeat lost", aid)


def _progress(r: redis.Redis, aid: str, attempt: int, deadline: float) -> Progress:
    """Records progress for the front; stops past `deadline` or once the front gave up."""
    checked = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal checked
        now = time.monotonic()
        if now > deadline:
            raise AnalysisTimeout("the analysis passed its deadline")
        if now - checked >= CHECK_S:
            checked = now
            current = r.get(key(ATTEMPT, aid))
            if current is None or int(current) != attempt:
                raise Cancelled
            r.set(key(PROGRESS, aid), json.dumps([done, total]), ex=int(deadline - now) + 1)

    return progress
