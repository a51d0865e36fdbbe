"""`serve` with QUEUE_URL and two `python -m app worker`: the SIFIS routes answer as without a
queue; a worker killed mid-analysis costs a re-run, not an answer (and the result is published
once), and the next worker started in its folder discards its upload; Redis down means 503
`busy` at once, and the service recovers when Redis is back."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from app.queue.broker import PROGRESS, celery_app
from bench.synth_video import Appearance, write_video
from tests.bus.broker import Subscriber
from tests.bus.wait import until
from tests.conftest import FACES

pytestmark = pytest.mark.queue

ALICE, BOB, STRANGER = FACES / "img5.jpg", FACES / "img16.jpg", FACES / "img29.jpg"
EXPECTED = {ALICE: ["Alice"], STRANGER: []}


def check(cluster, photo, request_id: str, timeout: float = 120) -> requests.Response:
    with open(photo, "rb") as f:
        return requests.post(
            f"{cluster.front.url}/check_directory/{photo.name}/17/tester/NSSD/{request_id}",
            files={"file": f},
            timeout=timeout,
        )


def residents(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["name"] for r in response.json()["RequestPostTopicUUID"]["value"]["residents"]]


def reports(cluster) -> list[dict]:
    """What the running analyses last reported (their Celery PROGRESS states): done, total,
    worker."""
    backend = celery_app(cluster.redis.url).backend
    r = cluster.redis.client()
    found = []
    for name in r.scan_iter(backend.get_key_for_task("*")):
        meta = backend.decode_result(r.get(name))
        if meta["status"] == PROGRESS:
            found.append(meta["result"])
    return found


def done_by_others(cluster, pid: int) -> int:
    """Analyses finished by the live workers other than process `pid`."""
    return sum(w["tasks_done"] for w in workers(cluster) if f"-{pid}@" not in w["name"])


def workers(cluster) -> list[dict]:
    return requests.get(f"{cluster.front.url}/health", timeout=10).json()["workers"]


def test_concurrent_requests_are_answered_right_by_both_workers(cluster):
    photos = [ALICE, STRANGER] * 4
    with ThreadPoolExecutor(len(photos)) as pool:
        replies = list(pool.map(lambda p: check(cluster, p[1], f"c{p[0]}"), enumerate(photos)))
    for i, (photo, reply) in enumerate(zip(photos, replies, strict=True)):
        assert residents(reply) == EXPECTED[photo]
        assert reply.json()["RequestPostTopicUUID"]["value"]["request_id"] == f"c{i}"
        assert reply.json()["RequestPostTopicUUID"]["value"]["file_name"] == photo.name
    live = workers(cluster)
    assert len(live) == 2
    assert sum(w["tasks_done"] for w in live) >= len(photos)
    assert all(w["tasks_done"] > 0 for w in live), live  # prefetch 1: both took some
    assert cluster.front.leftovers() == []


def test_errors_keep_their_codes_through_the_queue(cluster, tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image at all" * 10)
    reply = check(cluster, junk, "e1")
    assert reply.status_code == 415  # as without a queue: the worker's error, same class
    assert reply.json()["error"]["code"] == "unsupported_media"


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """Bob walking through 30 s of video: long enough to kill its worker mid-analysis."""
    path = tmp_path_factory.mktemp("video") / "long.mp4"
    return write_video(path, [Appearance(BOB, 0, 750, 230, (60, 60), (300, 80))], frames=750)


def test_a_worker_killed_mid_analysis_costs_a_rerun_not_the_answer(cluster, long_video):
    sub = Subscriber(cluster.broker.port, ["home/faces/results"])
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(check, cluster, long_video, "killed1", 300)
            until(lambda: any(p["done"] > 0 for p in reports(cluster)), "mid-analysis", 120)
            (running,) = reports(cluster)
            victim = int(running["worker"].split("@")[0].removeprefix("worker-"))
            before = done_by_others(cluster, victim)
            os.kill(victim, signal.SIGKILL)
            reply = pending.result(timeout=300)
        assert residents(reply) == ["Bob"]
        until(lambda: done_by_others(cluster, victim) > before, "the other worker ran it again")
        # the front publishes through one ordered outbox: once a later request's result is out,
        # every publication of killed1 is out too
        assert residents(check(cluster, ALICE, "after-killed1")) == ["Alice"]
        sub.wait_for(
            "a later result", lambda m: json.loads(m.payload)["request_id"] == "after-killed1"
        )
        published = [m for m in sub.messages if json.loads(m.payload)["request_id"] == "killed1"]
        assert len(published) == 1
    finally:
        sub.close()
    killed = next(w for w in cluster.workers if w.pid == victim)
    killed.wait(timeout=10)
    assert killed.returncode == -signal.SIGKILL
    cluster.workers.remove(killed)
    uploads = cluster.folders[victim] / "state" / "uploads"
    (orphan,) = uploads.iterdir()  # the killed worker's copy of the video
    assert orphan.name.startswith(f"upload-{victim}@")
    cluster.add_worker(cluster.folders[victim])  # two again, for the next tests
    assert list(uploads.iterdir()) == []  # discarded at start: its owner is dead


def test_redis_down_is_503_busy_at_once_and_the_service_recovers(cluster):
    cluster.redis.stop()
    try:
        started = time.monotonic()
        reply = check(cluster, ALICE, "down1")
        assert reply.status_code == 503
        assert reply.json()["error"]["code"] == "busy"
        assert reply.headers["Retry-After"] == "5"
        assert time.monotonic() - started < 30  # refused, not left hanging
        assert requests.get(f"{cluster.front.url}/health", timeout=10).json()["workers"] == []
    finally:
        cluster.redis.start()
    until(lambda: len(workers(cluster)) == 2, "the workers came back by themselves", 60)
    assert residents(check(cluster, ALICE, "up1")) == ["Alice"]
