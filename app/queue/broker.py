"""The Celery app and the Redis keys that the front and the workers share.

Celery carries each analysis to exactly one worker process (`acks_late`, prefetch 1, the solo
pool: one task at a time). Everything else goes through plain Redis keys, each with a TTL so a
crash leaves nothing behind for long: the upload, which attempt is current, the running worker's
heartbeat, its progress and its reply.
"""

from __future__ import annotations

import redis
from celery import Celery

TASK = "pafr.analyse"
LEASE_S = 3.0  # a running analysis's heartbeat lives this long without being refreshed
CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 10.0  # more than any blocking read (front.POLL_S)


def celery_app(url: str) -> Celery:
    app = Celery("pafr", broker=url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # replies go through keys.reply
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=CONNECT_TIMEOUT_S,
        broker_transport_options={"socket_connect_timeout": CONNECT_TIMEOUT_S, "max_retries": 0},
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
    """`pafr:<kind>:<parts>`. Per analysis id: UPLOAD; ATTEMPT, the attempt the front waits for
    (a worker skips any other: stale, or given up); CLAIM (+ attempt), taken by the one worker
    that runs it; RUNNING, the heartbeat; PROGRESS; REPLY. Per worker name: WORKER. Per watched
    camera: LEASE, the worker holding it, and CAMERA_STATUS. Single keys: ROSTER, the watched
    cameras the front publishes, and EVENTS, the workers' camera events for the front."""
    return ":".join(("pafr", kind, *map(str, parts)))


UPLOAD, ATTEMPT, CLAIM, RUNNING, PROGRESS, REPLY, WORKER = (
    "upload",
    "attempt",
    "claim",
    "running",
    "progress",
    "reply",
    "worker",
)
LEASE, CAMERA_STATUS, ROSTER, EVENTS = "lease", "camera-status", "roster", "events"
