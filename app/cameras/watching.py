"""The watched cameras as a whole: one Watcher per camera with `watch`, started and stopped with
the service and whenever the registry changes; presence across cameras (`left` after
PRESENCE_TIMEOUT_S); the Home Assistant entities of residents and watched cameras kept in step
with the gallery and the registry (docs/cameras.md). Where the watchers run is the CameraHost's
business (app/cameras/hosting.py): here, or with QUEUE_URL on the queue workers, whose reports
come back through the Roster (app/cameras/sharing.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.bus import Bus
from app.bus.events import EntityEvent, EntityKind
from app.cameras.evidence import FaceCrops
from app.cameras.feed import EventFeed
from app.cameras.hosting import CameraHost
from app.cameras.presence import Presence
from app.cameras.registry import CameraRegistry
from app.cameras.reports import Recognized, Report, Seen, SeenFace, Unrecognisable
from app.cameras.watcher import CameraStatus
from app.config import Settings
from app.domain import CameraEvent, Nearest
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.quality import normalise
from app.recognition import Recognition
from app.store.announced import Announced
from app.store.events import FaceEmbedding

TICK_S = 1.0  # how often presence timeouts are checked
ROSTER_S = 10.0  # how often the gallery's residents are compared with the announced entities
RESIDENT: EntityKind = "resident"
CAMERA: EntityKind = "camera"


class Watching:
    def __init__(
        self,
        settings: Settings,
        registry: CameraRegistry,
        recognition: Recognition,
        feed: EventFeed,
        bus: Bus,
        announced: Announced,
        host: CameraHost,
        crops: FaceCrops,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`host` watches the cameras (this process, or the queue workers); `crops` holds the
        blurred face of each new event with UI_SNAPSHOTS, in memory."""
        self.registry, self.feed, self.crops = registry, feed, crops
        self.presence = Presence(settings.presence_timeout_s, clock)
        self._settings, self._recognition = settings, recognition
        self._bus, self._announced, self._clock = bus, announced, clock
        self._host = host
        self._wanted: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="presence", daemon=True)
        self._started = False
        registry.on_change(self.apply)

    def start(self) -> None:
        """Announce every resident and watched camera, start their watchers and the ticker."""
        self._started = True
        self._announce(RESIDENT, self._residents(), announce_all=True)
        self._host.start(self.report)
        self.apply(announce_all=True)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._started = False
            self._host.stop()
        self.feed.close()

    def apply(self, announce_all: bool = False) -> None:
        """Watch the registry's cameras with `watch`, and only those."""
        with self._lock:
            if not self._started:
                return
            wanted = {c.name: c for c in self.registry.all() if c.watch}
            self._wanted = sorted(wanted)
            self._host.apply(wanted)
            self._announce(CAMERA, set(wanted), announce_all)

    def status(self, name: str) -> CameraStatus:
        return self._host.status(name)

    def statuses(self) -> list[CameraStatus]:
        return [self._host.status(name) for name in self._wanted]

    def has_snapshot(self, name: str) -> bool:
        return self._host.snapshot(name) is not None

    def snapshot(self, name: str, side: int) -> bytes | None:
        """The latest frame a watcher analysed (already blurred at the camera's privacy level) as
        a JPEG at most `side` pixels wide and high; None when UI_SNAPSHOTS is off or none yet."""
        frame = self._host.snapshot(name)
        return None if frame is None else normalise(frame.pixels, side)

    def report(self, report: Report) -> None:
        """What the watchers report (from their threads, or the Roster's relay)."""
        if isinstance(report, Seen):
            self.presence.seen(report.resident, report.camera)
        elif isinstance(report, Unrecognisable):
            self._emit("unrecognisable", report.camera, None, None, report.privacy)
        else:
            camera, now, privacy = report.camera, self._clock(), report.privacy
            if isinstance(report, Recognized):
                self.presence.seen(report.resident, camera)
                resident, confidence = report.resident, report.confidence
                event = CameraEvent("recognized", camera, resident, now, confidence, privacy)
            else:
                event = CameraEvent("unknown", camera, None, now, None, privacy)
            stored = self.feed.emit(event, self._face(report.privacy, report.face, report.best))
            if report.crop is not None:
                self.crops.keep(stored.id, report.camera, report.crop)

    def _face(
        self, privacy: int, face: SeenFace | None, best: Nearest | None
    ) -> FaceEmbedding | None:
        """What an event keeps of the face it is about: embedding, chip profile, size, sharpness,
        and the track's best match."""
        if face is None:
            return None
        profile = self._recognition.analyzer.profile(PrivacyLevel(privacy))
        return FaceEmbedding(profile.model_id, face.embedding, face.face_px, face.sharpness, best)

    def _emit(
        self,
        kind: str,
        camera: str | None,
        resident: str | None,
        confidence: int | None,
        privacy: int | None,
    ) -> None:
        self.feed.emit(CameraEvent(kind, camera, resident, self._clock(), confidence, privacy))

    def _residents(self) -> set[str]:
        return set(self._recognition.gallery(self._settings.residents_dir).index.residents)

    def _tick(self) -> None:
        next_roster = time.monotonic() + ROSTER_S
        while not self._stop.wait(TICK_S):
            for gone in self.presence.expire():
                self._emit("left", gone.camera, gone.resident, None, None)
            if time.monotonic() >= next_roster:
                next_roster = time.monotonic() + ROSTER_S
                self._announce(RESIDENT, self._residents())

    def _announce(self, kind: EntityKind, current: set[str], announce_all: bool = False) -> None:
        """Announce new entities (all of them with `announce_all`), remove vanished ones."""
        before = self._announced.names(kind)
        if current == before and not announce_all:
            return
        for name in sorted(before - current):
            if kind == RESIDENT:
                self.presence.forget(name)
            self._bus.publish(EntityEvent(kind, name, present=False))
        for name in sorted(current if announce_all else current - before):
            self._bus.publish(EntityEvent(kind, name, present=True))
        self._announced.replace(kind, current)
