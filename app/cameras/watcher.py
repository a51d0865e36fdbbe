"""One watched camera: connect, read the newest frames, gate on motion, then detect -> align ->
embed -> match -> track, and report residents confirmed, unknown faces confirmed and every
sighting; on any failure reconnect with exponential backoff (at most RECONNECT_MAX_S apart).

Only blurred frames exist here (NewestFrame blurs at decode); with `keep_latest` (UI_SNAPSHOTS)
the last one looked at for faces is kept in memory for the web UI's snapshot, and dropped when
the watcher stops. Faces are looked for in an analysed frame when it moved, for `motion_hold_s`
after the last motion, and at least every `idle_detect_s` otherwise, so a still camera costs
little but someone sitting still stays seen.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.backoff import Backoff
from app.cameras.evidence import best_match, face_crop
from app.cameras.face_widths import FaceWidths
from app.cameras.failure_log import FailureLog
from app.cameras.reports import Recognized, Reporter, Seen, SeenFace, Unknown, Unrecognisable
from app.errors import AppError
from app.pipeline.analyze import Analyzer, Stream
from app.pipeline.gallery import Gallery
from app.pipeline.live import NewestFrame
from app.pipeline.motion import MotionGate
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from app.pipeline.tracking import Track, unknown_after

log = logging.getLogger(__name__)

RECONNECT_FIRST_S, RECONNECT_MAX_S = 1.0, 10.0
RATE_WINDOW_S = 2.0  # fps_in / fps_analysed are measured over this long
GALLERY_REFRESH_S = 10.0  # a resident enrolled meanwhile is recognised after at most this long
MAX_OBSERVATIONS = 60  # per live track (the votes of its latest observations)
CONNECTING, CONNECTED, ERROR, STOPPED = "connecting", "connected", "error", "stopped"


@dataclass(frozen=True)
class WatchRules:
    motion_threshold: float
    motion_hold_s: float
    idle_detect_s: float
    confirm_frames: int


@dataclass(frozen=True)
class CameraStatus:
    state: str
    fps_in: float = 0.0
    fps_analysed: float = 0.0
    frames_dropped: int = 0
    last_frame_at: float | None = None
    last_error: str | None = None
    faces_seen: int = 0  # face boxes detected lately (app/cameras/face_widths.py)
    median_face_px: int | None = None  # their median width


class Watcher:
    def __init__(
        self,
        name: str,
        privacy: int,
        open_frames: Callable[[threading.Event], NewestFrame],
        analyzer: Analyzer,
        gallery: Callable[[], Gallery],
        rules: WatchRules,
        reporter: Reporter,
        keep_latest: bool = False,
    ) -> None:
        self.name, self.privacy = name, privacy
        self._keep_latest = keep_latest
        self.latest: BlurredFrame | None = None  # the last frame analysed, with `keep_latest`
        self._open, self._analyzer, self._gallery = open_frames, analyzer, gallery
        self._rules, self._reporter = rules, reporter
        self._stop = threading.Event()
        self._failures = FailureLog(name)
        self._status = CameraStatus(STOPPED)
        self._widths = FaceWidths()
        self._thread = threading.Thread(target=self._run, name=f"watch-{name}", daemon=True)

    @property
    def status(self) -> CameraStatus:
        return self._status

    def start(self) -> None:
        self._status = CameraStatus(CONNECTING)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.latest = None
        self._status = self._with_faces(CameraStatus(STOPPED, last_error=self._status.last_error))

    def _with_faces(self, status: CameraStatus) -> CameraStatus:
        """`status` with the faces seen so far (they outlast reconnections)."""
        return replace(status, faces_seen=self._widths.count, median_face_px=self._widths.median)

    def _run(self) -> None:
        backoff = Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
        while not self._stop.is_set():
            self._status = self._with_faces(
                CameraStatus(CONNECTING, last_error=self._status.last_error)
            )
            try:
                frames = self._open(self._stop)  # a stop gives up an open in progress
            except AppError as exc:
                self._failed(exc)
            else:
                backoff.reset()
                self._failures.connected()
                try:
                    self._watch(frames)
                except AppError as exc:
                    self._failed(exc)
                except Exception as exc:  # a bug must not end the watch for good
                    log.exception("camera %s: watcher failed", self.name)
                    self._failed(AppError(f"internal error ({type(exc).__name__})"))
                finally:
                    frames.close()
            self._stop.wait(backoff.next())

    def _failed(self, exc: AppError) -> None:
        self._failures.failed(exc)
        s = self._status
        failed = CameraStatus(ERROR, 0.0, 0.0, s.frames_dropped, s.last_frame_at, exc.message)
        self._status = self._with_faces(failed)

    def _watch(self, frames: NewestFrame) -> None:
        rules, analyzer = self._rules, self._analyzer
        gallery, gallery_at = self._gallery(), time.monotonic()
        privacy = PrivacyLevel(self.privacy)  # checked when the camera was configured
        stream = analyzer.stream(gallery, privacy, frames.fps, rules.confirm_frames)
        stream.max_observations = MAX_OBSERVATIONS
        gate = MotionGate(rules.motion_threshold)
        reported: set[int] = set()
        hold_until = last_detect = 0.0
        window_at, window_in, window_analysed = time.monotonic(), frames.frames_in, 0
        fps_in = fps_analysed = 0.0
        while not self._stop.is_set():
            item = frames.next(timeout=0.5)
            now = time.monotonic()
            if item is not None:
                index, frame = item
                if gate.moved(frame):
                    hold_until = now + rules.motion_hold_s
                if now <= hold_until or now - last_detect >= rules.idle_detect_s:
                    last_detect = now
                    if now - gallery_at >= GALLERY_REFRESH_S:
                        stream.gallery, gallery_at = self._gallery(), now
                    boxes = analyzer.detector.detect(frame)
                    self._widths.add(b.w for b in boxes)
                    if self._keep_latest:
                        self.latest = frame
                    for track in analyzer.step(stream, index, frame, boxes):
                        self._report(track, stream, reported)
                    for track in stream.tracker.forget_ended(stream.analysed):
                        reported.discard(track.id)
                    window_analysed += 1
            if now - window_at >= RATE_WINDOW_S:
                fps_in = (frames.frames_in - window_in) / (now - window_at)
                fps_analysed = window_analysed / (now - window_at)
                window_at, window_in, window_analysed = now, frames.frames_in, 0
            self._status = self._with_faces(CameraStatus(
                CONNECTED, round(fps_in, 1), round(fps_analysed, 1), frames.dropped,
                frames.last_frame_at, None,
            ))  # fmt: skip

    def _report(self, track: Track, stream: Stream, reported: set[int]) -> None:
        report, name = self._reporter, track.identity(stream.confirm)
        if name is not None:
            if track.id not in reported:
                reported.add(track.id)
                confidence = int(statistics.median(track.confidences(name)))
                face, best, crop = (
                    SeenFace.of(track.face_of(name)),
                    best_match(track),
                    self._crop(track),
                )
                report(Recognized(self.name, self.privacy, name, confidence, face, best, crop))
            report(Seen(self.name, name))
        elif (
            track.id not in reported
            and track.is_face
            and not track.votes()
            and len(track.embedded) >= unknown_after(self._rules.confirm_frames)
        ):
            reported.add(track.id)
            if track.unrecognisable():  # too small for its blur: not a stranger, not anyone
                report(Unrecognisable(self.name, self.privacy))
            else:  # the largest view of the stranger is kept
                largest = max(track.embedded, key=lambda o: min(o.box.w, o.box.h))
                face, best, crop = SeenFace.of(largest), best_match(track), self._crop(track)
                report(Unknown(self.name, self.privacy, face, best, crop))

    def _crop(self, track: Track) -> np.ndarray | None:
        """With `keep_latest`, the track's face in the frame just analysed (where it was last
        seen), already blurred, for the review of its event."""
        frame = self.latest
        return face_crop(frame, track.box) if frame else None
