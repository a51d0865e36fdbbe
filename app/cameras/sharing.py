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

import base64
import contextlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np
import redis

from app.cameras.evidence import Evidence
from app.cameras.registry import Camera
from app.cameras.watcher import CONNECTING, CameraStatus, Reporter, Watcher
from app.domain import Box, Nearest
from app.pipeline.tracking import Observation
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
    """The front's side: publishes the watched cameras and relays the workers' events."""

    def __init__(self, r: redis.Redis) -> None:
        self._r = r
        self._cameras: dict[str, Camera] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self, cameras: dict[str, Camera]) -> None:
        self._cameras = dict(cameras)
        try:
            self._write()
        except redis.RedisError as exc:  # written again at the next relay round
            log.warning("camera roster not published: %s", exc)

    def start(self, reporter: Reporter) -> None:
        self._thread = threading.Thread(
            target=self._relay, args=(reporter,), name="camera-relay", daemon=True
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
        try:
            value = self._r.get(key(CAMERA_STATUS, name))
        except redis.RedisError:
            value = None
        return CameraStatus(**json.loads(value)) if value else UNHELD

    def _write(self) -> None:
        roster = {name: asdict(c) for name, c in self._cameras.items()}
        self._r.set(key(ROSTER), json.dumps(roster), px=int(ROSTER_TTL_S * 1000))

    def _relay(self, reporter: Reporter) -> None:
        written = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - written >= HEARTBEAT_S:
                    self._write()
                    written = time.monotonic()
                got = self._r.blpop([key(EVENTS)], timeout=RELAY_WAIT_S)
                if got is not None:
                    deliver(reporter, json.loads(got[1]))
            except redis.RedisError as exc:
                log.warning("camera events not relayed: %s", exc)
                self._stop.wait(RELAY_WAIT_S)
            except Exception:  # one bad message must not end the relay
                log.exception("camera event not relayed")


def deliver(reporter: Reporter, message: dict[str, Any]) -> None:
    """Call `reporter` as the worker's watcher called its own (see Relay)."""
    kind, camera = message["kind"], message["camera"]
    if kind == "seen":
        reporter.seen(camera, message["resident"])
    elif kind == "recognized":
        seen = _observation(message.get("face"))
        reporter.recognized(
            camera,
            message["privacy"],
            message["resident"],
            message["confidence"],
            seen,
            _evidence(message.get("best")),
        )
    elif kind == "unknown":
        seen = _observation(message.get("face"))
        reporter.unknown(camera, message["privacy"], seen, _evidence(message.get("best")))
    elif kind == "unrecognisable":
        reporter.unrecognisable(camera, message["privacy"])


def _face(seen: Observation | None) -> dict[str, Any] | None:
    """What the front keeps of an event's face (Watching._face): embedding, size, sharpness."""
    if seen is None or seen.embedding is None:
        return None
    vector = np.asarray(seen.embedding, dtype=np.float32)
    return {
        "embedding": base64.b64encode(vector.tobytes()).decode(),
        "w": seen.box.w,
        "h": seen.box.h,
        "sharpness": seen.sharpness,
    }


def _observation(face: dict[str, Any] | None) -> Observation | None:
    """The observation `_face` described: only what the front reads of it is filled in."""
    if face is None:
        return None
    vector = np.frombuffer(base64.b64decode(face["embedding"]), np.float32)
    box = Box(0, 0, face["w"], face["h"])
    return Observation(0, box, None, vector, face["sharpness"])


def _best(evidence: Evidence | None) -> dict[str, Any] | None:
    return asdict(evidence.best) if evidence and evidence.best else None


def _evidence(best: dict[str, Any] | None) -> Evidence | None:
    return Evidence(Nearest(**best)) if best else None


class Relay:
    """A worker's Reporter: each call becomes a message for the front, sent only while this
    worker holds the camera's lease."""

    def __init__(self, leases: Leases) -> None:
        self._leases = leases
        self._seen: dict[tuple[str, str], float] = {}

    def recognized(
        self,
        camera: str,
        privacy: int,
        resident: str,
        confidence: int,
        seen: Observation | None = None,
        evidence: Evidence | None = None,
    ) -> None:
        self._send(
            camera,
            kind="recognized",
            privacy=privacy,
            resident=resident,
            confidence=confidence,
            face=_face(seen),
            best=_best(evidence),
        )

    def unknown(
        self,
        camera: str,
        privacy: int,
        seen: Observation | None = None,
        evidence: Evidence | None = None,
    ) -> None:
        self._send(camera, kind="unknown", privacy=privacy, face=_face(seen), best=_best(evidence))

    def unrecognisable(self, camera: str, privacy: int) -> None:
        self._send(camera, kind="unrecognisable", privacy=privacy)

    def seen(self, camera: str, resident: str) -> None:
        now = time.monotonic()
        if now - self._seen.get((camera, resident), -math.inf) >= SEEN_EVERY_S:
            self._seen[(camera, resident)] = now
            self._send(camera, kind="seen", resident=resident)

    def _send(self, camera: str, **fields: Any) -> None:
        message = json.dumps({"camera": camera, **fields})
        try:
            if not self._leases.push_if_held(camera, key(EVENTS), message, MAX_PENDING):
                log.warning("camera %s: lease lost; %s not reported", camera, fields["kind"])
        except redis.RedisError as exc:
            log.warning("camera %s: %s not reported: %s", camera, fields["kind"], exc)


class Holder:
    """A worker's side: holds its share of the watched cameras, one Watcher each."""

    def __init__(
        self,
        r: redis.Redis,
        owner: str,
        build: Callable[[Camera, Reporter], Watcher],
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
