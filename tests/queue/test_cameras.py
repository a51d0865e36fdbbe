"""Watched cameras with QUEUE_URL: a real redis-server, `serve` and two real workers, a loopback
MJPEG camera showing Alice. The camera is watched by exactly one worker (its Redis lease); its
events reach the front's /events and MQTT once; `kill -9` of that worker hands the camera to the
other within 30 s, and the events go on without duplicates; a worker stopped cleanly releases
its camera on the way out."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
import requests

from app.queue.leases import holder
from tests.bus.broker import Subscriber
from tests.bus.wait import until
from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.queue.cluster import stop_worker

pytestmark = pytest.mark.queue

TAKEOVER_S = 30  # the bound
QUIET_S = 12  # long enough for a second watcher of the same camera to report Alice too


@pytest.fixture(scope="module")
def alice_cam() -> Iterator[MjpegCamera]:
    with MjpegCamera(FACES / "img5.jpg", fps=10) as cam:
        yield cam


def events(cluster, **query: str) -> list[dict]:
    response = requests.get(f"{cluster.front.url}/events", params=query, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def health_workers(cluster) -> dict[str, int]:
    live = requests.get(f"{cluster.front.url}/health", timeout=10).json()["workers"]
    return {w["name"]: w["cameras"] for w in live}


def status(cluster) -> dict:
    return requests.get(f"{cluster.front.url}/cameras/hall", timeout=10).json()["status"]


def recognized(cluster, since: int = 0) -> list[dict]:
    return events(cluster, camera="hall", type="recognized", since=str(since))


def test_a_watched_camera_is_held_by_one_worker_and_taken_over_when_it_dies(cluster, alice_cam):
    r = cluster.redis.client()
    sub = Subscriber(cluster.broker.port, ["home/faces/events"])
    try:
        body = {"name": "hall", "url": f"{alice_cam.url}/live.mjpg", "watch": True}
        response = requests.post(f"{cluster.front.url}/cameras", json=body, timeout=10)
        assert response.status_code == 201, response.text

        until(lambda: holder(r, "hall"), "a worker holding the camera", 30)
        first = holder(r, "hall")
        victim = int(first.split("@")[0].removeprefix("worker-"))
        assert victim in {w.pid for w in cluster.workers}
        until(lambda: recognized(cluster), "Alice recognized through a worker", 90)
        (event,) = recognized(cluster)
        assert event["resident"] == "Alice" and event["camera"] == "hall"
        until(lambda: health_workers(cluster).get(first) == 1, "/health counting the camera", 10)
        assert sorted(health_workers(cluster).values()) == [0, 1]  # exactly one worker holds it
        until(lambda: status(cluster)["fps_in"] > 0, "the worker's status on the front", 10)
        assert status(cluster)["state"] == "connected"

        time.sleep(QUIET_S)  # Alice stays in view: one track, so one event, from one watcher
        assert recognized(cluster) == [event]
        assert holder(r, "hall") == first
        mine = [m for m in sub.messages if json.loads(m.payload)["id"] == event["id"]]
        assert len(mine) == 1  # published once, by the front

        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        until(lambda: holder(r, "hall") not in (None, first), "the other worker taking over", 40)
        taken_after = time.monotonic() - killed_at
        assert taken_after <= TAKEOVER_S, taken_after
        second = holder(r, "hall")
        until(lambda: recognized(cluster, event["id"]), "events resuming", 90)
        time.sleep(QUIET_S)
        # The new holder's watcher starts afresh, as after a reconnect: Alice's one new track is
        # reported once; a second watcher, or the dead one, would have added more.
        (again,) = recognized(cluster, event["id"])
        assert again["resident"] == "Alice"
        assert holder(r, "hall") == second
        assert health_workers(cluster) == {second: 1}
        assert status(cluster)["state"] == "connected"

        newcomer = cluster.add_worker()  # two live workers again; the camera stays where it is
        stopping = next(w for w in cluster.workers if second.startswith(f"worker-{w.pid}@"))
        stop_worker(stopping)  # SIGTERM: a clean stop releases the lease on the way out
        cluster.workers.remove(stopping)
        assert holder(r, "hall") in (None, f"worker-{newcomer.pid}@{second.split('@')[1]}")
        until(
            lambda: holder(r, "hall") == f"worker-{newcomer.pid}@{second.split('@')[1]}",
            "the newcomer taking the released camera",
            TAKEOVER_S,
        )
    finally:
        sub.close()
        requests.delete(f"{cluster.front.url}/cameras/hall", timeout=10)
    killed = next(w for w in cluster.workers if w.pid == victim)
    killed.wait(timeout=10)
    cluster.workers.remove(killed)
    until(lambda: holder(r, "hall") is None, "the lease released once the camera is removed", 20)
