"""Where the watched cameras are watched, behind one interface (`CameraHost`): in this process
(`LocalHost`, one Watcher each) or, with QUEUE_URL, on the queue workers (`Roster`,
app/cameras/sharing.py). Watching (app/cameras/watching.py) tells the host which cameras to
watch and hears their reports; it never asks which host it has."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from app.cameras.evidence import FaceCrops
from app.cameras.registry import Camera
from app.cameras.reports import Reporter
from app.cameras.watcher import STOPPED, CameraStatus, Watcher, WatchRules
from app.config import Settings
from app.pipeline.gallery import Gallery
from app.pipeline.live import NewestFrame
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.recognition import Recognition

WatcherFactory = Callable[[Camera, Reporter], Watcher]


class CameraHost(Protocol):
    def start(self, report: Reporter) -> None:
        """Begin: every report of the cameras watched from now on goes to `report`."""
        ...

    def apply(self, wanted: dict[str, Camera]) -> None:
        """Watch exactly these cameras (a changed camera is watched anew)."""
        ...

    def status(self, name: str) -> CameraStatus: ...

    def snapshot(self, name: str) -> BlurredFrame | None:
        """The latest frame analysed (UI_SNAPSHOTS), when it is in this process."""
        ...

    def stop(self) -> None: ...


class LocalHost:
    """Every watched camera watched by a thread of this process."""

    def __init__(self, new_watcher: WatcherFactory, crops: FaceCrops) -> None:
        self._new_watcher, self._crops = new_watcher, crops
        self._report: Reporter | None = None
        self._watchers: dict[str, tuple[Camera, Watcher]] = {}

    def start(self, report: Reporter) -> None:
        self._report = report

    def apply(self, wanted: dict[str, Camera]) -> None:
        assert self._report is not None, "apply before start"
        for name, (camera, watcher) in list(self._watchers.items()):
            if wanted.get(name) != camera:
                self._stop(name, watcher)
        for name, camera in wanted.items():
            if name not in self._watchers:
                watcher = self._new_watcher(camera, self._report)
                self._watchers[name] = (camera, watcher)
                watcher.start()

    def status(self, name: str) -> CameraStatus:
        entry = self._watchers.get(name)
        return entry[1].status if entry else CameraStatus(STOPPED)

    def snapshot(self, name: str) -> BlurredFrame | None:
        entry = self._watchers.get(name)
        return entry[1].latest if entry else None

    def stop(self) -> None:
        for name, (_, watcher) in list(self._watchers.items()):
            self._stop(name, watcher)

    def _stop(self, name: str, watcher: Watcher) -> None:
        del self._watchers[name]
        watcher.stop()
        self._crops.forget(name)  # a stopped camera's face crops go, as its snapshot does


def watcher_factory(settings: Settings, recognition: Recognition) -> WatcherFactory:
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
