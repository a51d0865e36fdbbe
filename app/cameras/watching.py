"""The watched cameras as a whole: one Watcher per camera with `watch`, started and stopped with
the service and whenever the registry changes; presence across cameras (`left` after
PRESENCE_TIMEOUT_S); the Home Assistant entities of residents and watched cameras kept in step
with the gallery and the registry (docs/cameras.md). With QUEUE_URL the watchers run on the queue
workers instead (app/cameras/sharing.py) and their events come back here through the Roster."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.bus import Bus
from app.bus.events import EntityEvent, EntityKind
from app.cameras.evidence import Evidence, FaceCrops
from app.cameras.feed import EventFeed
from app.cameras.presence import Presence
from app.cameras.registry import Camera, CameraRegistry
from app.cameras.sharing import Roster
from app.cameras.watcher import STOPPED, CameraStatus, Reporter, Watcher, WatchRules
from app.config import Settings
from app.domain import CameraEvent, Nearest
from app.pipeline.gallery import Gallery
from app.pipeline.live import NewestFrame
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.quality import normalise
from app.pipeline.tracking import Observation
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
        roster: Roster | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """With a `roster` (QUEUE_URL), the queue workers watch the cameras, not this process."""
        self.registry, self.feed = registry, feed
        self.crops = FaceCrops()  # with UI_SNAPSHOTS: each new event's blurred face, in memory
        self.presence = Presence(settings.presence_timeout_s, clock)
        self._settings, self._recognition = settings, recognition
        self._bus, self._announced, self._clock = bus, announced, clock
        self._roster = roster
        self._new_watcher = watcher_factory(settings, recognition)
        self._wanted: list[str] = []
        self._watchers: dict[str, tuple[Camera, Watcher]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="presence", daemon=True)
        self._started = False
        registry.on_change(self.apply)

    def start(self) -> None:
        """Announce every resident and watched camera, start their watchers and the ticker."""
        self._started = True
        self._announce(RESIDENT, self._residents(), announce_all=True)
        self.apply(announce_all=True)
        if self._roster is not None:
            self._roster.start(self)
        self._ticker.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._started = False
            watchers, self._watchers = self._watchers, {}
        for name, (_, watcher) in watchers.items():
            self._stop_watcher(name, watcher)
        if self._roster is not None:
            self._roster.stop()
        self.feed.close()

    def apply(self, announce_all: bool = False) -> None:
        """Start, restart or stop watchers to match the registry's cameras with `watch`."""
        with self._lock:
            if not self._started:
                return
            wanted = {c.name: c for c in self.registry.all() if c.watch}
            self._wanted = sorted(wanted)
            if self._roster is not None:
                self._roster.publish(wanted)  # the queue workers watch them
            else:
                self._watch_here(wanted)
            self._announce(CAMERA, set(wanted), announce_all)

    def _watch_here(self, wanted: dict[str, Camera]) -> None:
        for name, (camera, watcher) in list(self._watchers.items()):
            if wanted.get(name) != camera:
                self._stop_watcher(name, watcher)
                del self._watchers[name]
        for name, camera in wanted.items():
            if name not in self._watchers:
                watcher = self._new_watcher(camera, self)
                self._watchers[name] = (camera, watcher)
                watcher.start()

    def _stop_watcher(self, name: str, watcher: Watcher) -> None:
        watcher.stop()
        self.crops.forget(name)

    def status(self, name: str) -> CameraStatus:
        if self._roster is not None:
            return self._roster.status(name) if name in self._wanted else CameraStatus(STOPPED)
        entry = self._watchers.get(name)
        return entry[1].status if entry else CameraStatus(STOPPED)

    def has_snapshot(self, name: str) -> bool:
        return self._latest(name) is not None

    def snapshot(self, name: str, side: int) -> bytes | None:
        """The latest frame a watcher analysed (already blurred at the camera's privacy level) as
        a JPEG at most `side` pixels wide and high; None when UI_SNAPSHOTS is off or none yet."""
        frame = self._latest(name)
        return None if frame is None else normalise(frame.pixels, side)

    def _latest(self, name: str) -> BlurredFrame | None:
        entry = self._watchers.get(name)
        return entry[1].latest if entry else None

    def statuses(self) -> list[CameraStatus]:
        if self._roster is not None:
            return [self._roster.status(name) for name in self._wanted]
        return [watcher.status for _, watcher in list(self._watchers.values())]

    # Reporter, called by the watchers' threads (or, with QUEUE_URL, by the Roster's relay)

    def recognized(
        self,
        camera: str,
        privacy: int,
        resident: str,
        confidence: int,
        seen: Observation | None = None,
        evidence: Evidence | None = None,
    ) -> None:
        self.presence.seen(resident, camera)
        event = CameraEvent("recognized", camera, resident, self._clock(), confidence, privacy)
        self._emit_face(event, privacy, seen, evidence)

    def unknown(
        self,
        camera: str,
        privacy: int,
        seen: Observation | None = None,
        evidence: Evidence | None = None,
    ) -> None:
        event = CameraEvent("unknown", camera, None, self._clock(), None, privacy)
        self._emit_face(event, privacy, seen, evidence)

    def _emit_face(
        self,
        event: CameraEvent,
        privacy: int,
        seen: Observation | None,
        evidence: Evidence | None,
    ) -> None:
        best = evidence.best if evidence else None
        stored = self.feed.emit(event, self._face(privacy, seen, best))
        if evidence is not None and evidence.crop is not None and event.camera is not None:
            self.crops.keep(stored.id, event.camera, evidence.crop)

    def unrecognisable(self, camera: str, privacy: int) -> None:
        self._emit("unrecognisable", camera, None, None, privacy)

    def seen(self, camera: str, resident: str) -> None:
        self.presence.seen(resident, camera)

    def _face(
        self, privacy: int, seen: Observation | None, best: Nearest | None
    ) -> FaceEmbedding | None:
        """What an event keeps of the face it is about: embedding, chip profile, size, sharpness,
        and the track's best match."""
        if seen is None or seen.embedding is None:
            return None
        profile = self._recognition.analyzer.profile(PrivacyLevel(privacy))
        face_px = min(seen.box.w, seen.box.h)
        return FaceEmbedding(profile.model_id, seen.embedding, face_px, seen.sharpness, best)

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


def watcher_factory(
    settings: Settings, recognition: Recognition
) -> Callable[[Camera, Reporter], Watcher]:
    """How a camera's Watcher is made, here or on a queue worker (app/cameras/sharing.py)."""
    rules = WatchRules(
        settings.motion_threshold,
        settings.motion_hold_s,
        settings.watch_idle_detect_s,
        settings.confirm_frames,
    )

    def gallery() -> Gallery:
        """The default gallery (refreshed: residents enrolled meanwhile are in it)."""
        return recognition.gallery(settings.residents_dir)

    def new_watcher(camera: Camera, reporter: Reporter) -> Watcher:
        privacy = PrivacyLevel(camera.privacy_parameter)

        def open_frames(abandon: threading.Event) -> NewestFrame:
            return NewestFrame(
                camera.target, privacy, recognition.limits, camera.analysis_fps, abandon
            )

        return Watcher(
            camera.name,
            camera.privacy_parameter,
            open_frames,
            recognition.analyzer,
            gallery,
            rules,
            reporter,
            keep_latest=settings.ui_snapshots,
        )

    return new_watcher
