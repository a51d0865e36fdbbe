"""Watched cameras shared across queue workers (QUEUE_URL, docs/scale.md).

The front publishes the watched cameras (`Roster`) and relays the workers' camera events into its
own Watching, which stores and publishes them as without a queue. Each worker runs a `Holder`:
every HEARTBEAT_S it renews the leases of the cameras it watches (stopping any lost), gives up
those beyond its fair share (a worker joined) and claims unheld cameras up to that share, so each
watched camera is watched by exactly one worker.
An event's face crop (app/cameras/evidence.py) stays on the worker: only numbers are relayed.
A worker's events reach Redis only while it holds the camera's lease (Leases.push_if_held).

LEASE_TTL_S = 15: three heartbeats may be missed (a busy worker, a short Redis hiccup) before a
camera changes hands; a killed worker's cameras are claimed within LEASE_TTL_S + HEARTBEAT_S = 20 s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import threading
import time
from dataclasses import asdict

import redis

from app.cameras import reports
from app.cameras.hosting import WatcherFactory
from app.cameras.registry import Camera
from app.cameras.reports import Report, Reporter, Seen
from app.cameras.watcher import CONNECTING, STOPPED, CameraStatus, Watcher
from app.pipeline.privacy import BlurredFrame
from app.queue.broker import CAMERA_STATUS, EVENTS, ROSTER, key
from app.queue.leases import Leases
from app.queue.registry import live_workers

log = logging.getLogger(__name__)

LEASE_TTL_S = 15.0
HEARTBEAT_S = 5.0
ROSTER_TTL_S = 30.0  # a front gone this long: its cameras are no longer watched
MAX_PENDING = 10_000  # events kept for a front that is not relaying them (oldest dropped)
SEEN_EVERY_S = 1.0  # presence needs a sighting per second at most, not one per frame
RELAY_WAIT_S = 1.0
STATUS_S = 1.0  # how fresh a held camera's status is on the front (GET /cameras/<name>)
UNHELD = CameraStatus(CONNECTING, last_error="waiting for a queue worker to hold this camera")


class Roster:
    """The front's side, a CameraHost (app/cameras/hosting.py): publishes the watched cameras
    and relays the workers' reports."""

    def __init__(self, r: redis.Redis) -> None:
        self._r = r
        self._cameras: dict[str, Camera] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def apply(self, wanted: dict[str, Camera]) -> None:
        """The queue workers watch these cameras."""
        self._cameras = dict(wanted)
        try:
            self._write()
        except redis.RedisError as exc:  # written again at the next relay round
            log.warning("camera roster not published: %s", exc)

    def start(self, report: Reporter) -> None:
        self._thread = threading.Thread(
            target=self._relay, args=(report,), name="camera-relay", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """The workers stop watching: the roster is withdrawn."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(RELAY_WAIT_S + 5)
        with contextlib.suppress(redis.RedisError):  # else it expires after ROSTER_TTL_S
            self._r.delete(key(ROSTER))

    def status(self, name: str) -> CameraStatus:
        if name not in self._cameras:
            return CameraStatus(STOPPED)
        try:
            value = self._r.get(key(CAMERA_STATUS, name))
        except redis.RedisError:
            value = None
        return CameraStatus(**json.loads(value)) if value else UNHELD

    def snapshot(self, name: str) -> BlurredFrame | None:
        return None  # the frames stay on the worker that watches the camera

    def _write(self) -> None:
        roster = {name: asdict(c) for name, c in self._cameras.items()}
        self._r.set(key(ROSTER), json.dumps(roster), px=int(ROSTER_TTL_S * 1000))

    def _relay(self, report: Reporter) -> None:
        written = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - written >= HEARTBEAT_S:
                    self._write()
                    written = time.monotonic()
                got = self._r.blpop([key(EVENTS)], timeout=RELAY_WAIT_S)
                if got is not None:
                    report(reports.decode(got[1]))
            except redis.RedisError as exc:
                log.warning("camera events not relayed: %s", exc)
                self._stop.wait(RELAY_WAIT_S)
            except Exception:  # one bad message must not end the relay
                log.exception("camera event not relayed")


class Relay:
    """A worker's Reporter: each report becomes a message for the front, sent only while this
    worker holds the camera's lease (a face crop stays here: `reports.encode`)."""

    def __init__(self, leases: Leases) -> None:
        self._leases = leases
        self._seen: dict[tuple[str, str], float] = {}

    def __call__(self, report: Report) -> None:
        if isinstance(report, Seen):
            now, seen = time.monotonic(), (report.camera, report.resident)
            if now - self._seen.get(seen, -math.inf) < SEEN_EVERY_S:
                return
            self._seen[seen] = now
        kind = type(report).__name__
        try:
            if not self._leases.push_if_held(
                report.camera, key(EVENTS), reports.encode(report), MAX_PENDING
            ):
                log.warning("camera %s: lease lost; %s not reported", report.camera, kind)
        except redis.RedisError as exc:
            log.warning("camera %s: %s not reported: %s", report.camera, kind, exc)


class Holder:
    """A worker's side: holds its share of the watched cameras, one Watcher each."""

    def __init__(
        self,
        r: redis.Redis,
        owner: str,
        build: WatcherFactory,
    ) -> None:
        self._r, self._build = r, build
        self._leases = Leases(r, owner, LEASE_TTL_S)
        self._relay = Relay(self._leases)
        self._held: dict[str, tuple[Camera, Watcher]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-holder", daemon=True)

    def held(self) -> int:
        return len(self._held)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop every watcher and release its lease, so another worker takes it at once."""
        self._stop.set()
        self._thread.join(HEARTBEAT_S + 5)
        for name in list(self._held):
            self._drop(name)

    def _run(self) -> None:
        beat_at = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= beat_at:
                    beat_at = time.monotonic() + HEARTBEAT_S
                    self._cycle()
                self._report_status()
            except redis.RedisError as exc:  # the leases lapse; renewals tell at the next cycle
                log.warning("camera leases: %s", exc)
            self._stop.wait(STATUS_S)

    def _cycle(self) -> None:
        raw = self._r.get(key(ROSTER))
        roster = {n: Camera(**c) for n, c in json.loads(raw).items()} if raw else {}
        for name, (camera, _) in list(self._held.items()):
            if roster.get(name) != camera:
                self._drop(name)  # removed or changed: a changed camera is claimed again below
            elif not self._leases.renew(name):
                log.warning("camera %s: lease lost; watcher stopped", name)
                self._drop(name, release=False)
        share = math.ceil(len(roster) / max(1, len(live_workers(self._r))))
        for name in sorted(self._held)[: max(0, len(self._held) - share)]:
            self._drop(name)  # a worker has joined: it claims what this one gives up
        for name in sorted(set(roster) - set(self._held)):
            if len(self._held) >= share or self._stop.is_set():
                break
            if self._leases.claim(name):
                watcher = self._build(roster[name], self._relay)
                self._held[name] = (roster[name], watcher)
                watcher.start()
                log.info("camera %s: held by %s", name, self._leases.owner)

    def _report_status(self) -> None:
        for name, (_, watcher) in self._held.items():
            status = json.dumps(asdict(watcher.status))
            self._r.set(key(CAMERA_STATUS, name), status, px=int(LEASE_TTL_S * 1000))

    def _drop(self, name: str, release: bool = True) -> None:
        _, watcher = self._held.pop(name)
        watcher.stop()
        if release:
            with contextlib.suppress(redis.RedisError):  # else the lease expires by itself
                self._leases.release(name)
                self._r.delete(key(CAMERA_STATUS, name))
