"""A Celery app configured as app/queue/broker.py's, but with a short visibility timeout
(NAP_VISIBILITY_S) swept for every second, the quickest redelivery Redis's transport allows, and
one task standing in for a long analysis: it naps, noting in Redis when it starts and ends.
Run by tests/queue/test_celery_alone.py as `celery -A tests.queue.nap worker`."""

from __future__ import annotations

import os
import time

from app.queue.broker import celery_app, client

NAP, STARTED, ENDED = "nap", "nap:started", "nap:ended"
URL = os.environ.get("QUEUE_URL", "redis://127.0.0.1:6379/0")

app = celery_app(URL)
app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "visibility_timeout": float(os.environ.get("NAP_VISIBILITY_S", "4")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


@app.task(name=NAP)
def nap(seconds: float) -> None:
    r = client(URL)
    r.rpush(STARTED, os.getpid())
    time.sleep(seconds)  # the work
    r.rpush(ENDED, os.getpid())
