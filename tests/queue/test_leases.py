"""Camera leases on a real redis-server: one holder at a time, only the holder renews, releases
or pushes, an expired lease is free for another worker, and the Relay's events cross to a
Reporter intact (the front's side, app/cameras/sharing.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import numpy as np
import pytest
import redis

from app.cameras.evidence import Evidence
from app.cameras.sharing import Relay, deliver
from app.domain import Box, Nearest
from app.pipeline.tracking import Observation
from app.queue.broker import EVENTS, key
from app.queue.leases import Leases, holder
from tests.queue.cluster import RedisServer

pytestmark = pytest.mark.queue


@pytest.fixture(scope="module")
def r(tmp_path_factory) -> Iterator[redis.Redis]:
    server = RedisServer(tmp_path_factory.mktemp("leases")).start()
    yield server.client()
    server.stop()


def test_one_holder_at_a_time_and_only_the_holder_renews_pushes_or_releases(r):
    a, b = Leases(r, "worker-a", 5.0), Leases(r, "worker-b", 5.0)
    assert a.claim("porch") and not b.claim("porch")
    assert holder(r, "porch") == "worker-a"
    assert a.renew("porch") and not b.renew("porch")
    assert a.push_if_held("porch", "q1", "from a", 10)
    assert not b.push_if_held("porch", "q1", "from b", 10)
    b.release("porch")  # not b's: nothing happens
    assert holder(r, "porch") == "worker-a"
    a.release("porch")
    assert holder(r, "porch") is None and b.claim("porch")
    assert r.lrange("q1", 0, -1) == [b"from a"]


def test_an_expired_lease_passes_to_another_and_the_old_holder_is_fenced_off(r):
    a, b = Leases(r, "worker-a", 0.3), Leases(r, "worker-b", 0.3)
    assert a.claim("hall")
    time.sleep(0.5)  # a froze (or died) past its TTL
    assert b.claim("hall")
    assert not a.renew("hall")
    assert not a.push_if_held("hall", "q2", "late", 10)
    assert r.llen("q2") == 0


def test_pending_events_are_trimmed_to_the_newest(r):
    a = Leases(r, "worker-a", 5.0)
    assert a.claim("yard")
    for i in range(5):
        a.push_if_held("yard", "q3", str(i), 3)
    assert r.lrange("q3", 0, -1) == [b"2", b"3", b"4"]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def recognized(self, camera, privacy, resident, confidence, seen=None, evidence=None) -> None:
        self.calls.append(("recognized", camera, privacy, resident, confidence, seen, evidence))

    def unknown(self, camera, privacy, seen=None, evidence=None) -> None:
        self.calls.append(("unknown", camera, privacy, seen, evidence))

    def unrecognisable(self, camera, privacy) -> None:
        self.calls.append(("unrecognisable", camera, privacy))

    def seen(self, camera, resident) -> None:
        self.calls.append(("seen", camera, resident))


def test_a_relayed_event_reaches_the_front_as_the_watcher_reported_it(r):
    leases = Leases(r, "worker-a", 5.0)
    assert leases.claim("gate")
    relay = Relay(leases)
    embedding = (np.arange(128) / 7).astype(np.float32)
    face = Observation(12, Box(40, 30, 96, 104), None, embedding, 143.5)
    crop = np.zeros((8, 8, 3), np.uint8)
    relay.recognized("gate", 9, "Alice", 87, face, Evidence(Nearest("Alice", 0.03, 0.045), crop))
    relay.unknown("gate", 9)
    relay.seen("gate", "Alice")
    relay.seen("gate", "Alice")  # within SEEN_EVERY_S: not sent again
    relay.unrecognisable("gate", 17)
    relay.unknown("elsewhere", 9)  # not held: refused
    front = Recorder()
    while (raw := r.lpop(key(EVENTS))) is not None:
        deliver(front, json.loads(raw))
    (kind, camera, privacy, resident, confidence, seen, evidence), *rest = front.calls
    assert (kind, camera, privacy, resident, confidence) == ("recognized", "gate", 9, "Alice", 87)
    # what the front keeps of the face (Watching._face): embedding, size and sharpness
    assert np.array_equal(seen.embedding, embedding)
    assert (seen.box.w, seen.box.h, seen.sharpness) == (96, 104, 143.5)
    # the track's best match is relayed; its face crop stays on the worker
    assert evidence == Evidence(Nearest("Alice", 0.03, 0.045))
    assert rest == [
        ("unknown", "gate", 9, None, None),
        ("seen", "gate", "Alice"),
        ("unrecognisable", "gate", 17),
    ]
