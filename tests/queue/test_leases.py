"""Camera leases on a real redis-server: one holder at a time, only the holder renews, releases
or pushes, an expired lease is free for another worker, and the Relay's reports cross to
the front intact (app/cameras/sharing.py, app/cameras/reports.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
import redis

from app.cameras.reports import Recognized, Seen, SeenFace, Unknown, Unrecognisable, decode
from app.cameras.sharing import Relay
from app.domain import Nearest
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


def test_a_relayed_report_reaches_the_front_as_the_watcher_made_it(r):
    leases = Leases(r, "worker-a", 5.0)
    assert leases.claim("gate")
    relay = Relay(leases)
    face = SeenFace((np.arange(128) / 7).astype(np.float32), 96, 143.5)
    crop = np.zeros((8, 8, 3), np.uint8)
    best = Nearest("Alice", 0.03, 0.045)
    relay(Recognized("gate", 9, "Alice", 87, face, best, crop))
    relay(Unknown("gate", 9))
    relay(Seen("gate", "Alice"))
    relay(Seen("gate", "Alice"))  # within SEEN_EVERY_S: not sent again
    relay(Unrecognisable("gate", 17))
    relay(Unknown("elsewhere", 9))  # not held: refused
    front = []
    while (raw := r.lpop(key(EVENTS))) is not None:
        front.append(decode(raw))
    recognized, *rest = front
    # what the front keeps of the face (Watching._face): embedding, size and sharpness, and
    # the track's best match; the face crop stays on the worker
    assert isinstance(recognized, Recognized) and recognized.face is not None
    assert np.array_equal(recognized.face.embedding, face.embedding)
    assert (recognized.face.face_px, recognized.face.sharpness) == (96, 143.5)
    assert (recognized.best, recognized.crop) == (best, None)
    assert (recognized.camera, recognized.privacy, recognized.resident) == ("gate", 9, "Alice")
    assert rest == [Unknown("gate", 9), Seen("gate", "Alice"), Unrecognisable("gate", 17)]
