"""The Celery app and the Redis keys that the front and the workers share.

Celery carries each analysis to one worker process (`acks_late`, prefetch 1, the solo pool: one
task at a time) and carries its progress and its reply back through the Redis result backend
(task states: PROGRESS while it runs, SUCCESS with the reply; ABORTED once the front withdrew
it). What Celery has no part in stays in plain Redis keys, each with a TTL: the uploads, the
live-worker records and the watched cameras' leases, statuses, roster and events.
"""

from __future__ import annotations

import redis
from celery import Celery

TASK = "pafr.analyse"
PROGRESS = "PROGRESS"  # the task state a running analysis reports: {done, total, worker}
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 10.0  # more than any blocking read (front.POLL_S)
RESULT_TTL_S = 3600  # a reply, progress or withdrawal left behind expires after this
# Redis gives an unacknowledged task to another worker only after this; a task is never older
# (it `expires` at its request's deadline, front.py), so a live worker's task is never run twice.
VISIBILITY_S = 3600


def celery_app(url: str) -> Celery:
    app = Celery("pafr", broker=url, backend=url)
    app.conf.update(
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        result_expires=RESULT_TTL_S,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=CONNECT_TIMEOUT_S,
        broker_transport_options={
            "socket_connect_timeout": CONNECT_TIMEOUT_S,
            "max_retries": 0,
            "visibility_timeout": VISIBILITY_S,
        },
        redis_socket_connect_timeout=CONNECT_TIMEOUT_S,
        redis_socket_timeout=SOCKET_TIMEOUT_S,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def text(value: bytes | str) -> str:
    """A Redis answer as text. The clients never decode, so it is bytes; the stubs allow str."""
    return value.decode() if isinstance(value, bytes) else value


def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=SOCKET_TIMEOUT_S
    )


def key(kind: str, *parts: object) -> str:
    """`pafr:<kind>:<parts>`. Per analysis id: UPLOAD. Per worker name: WORKER. Per watched
    camera: LEASE, the worker holding it, and CAMERA_STATUS. Single keys: ROSTER, the watched
    cameras the front publishes, and EVENTS, the workers' camera events for the front."""
    return ":".join(("pafr", kind, *map(str, parts)))


UPLOAD, WORKER = "upload", "worker"
LEASE, CAMERA_STATUS, ROSTER, EVENTS = "lease", "camera-status", "roster", "events"
