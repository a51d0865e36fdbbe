"""The analysis use case, the same for every shell (HTTP routes, DHT requests): privacy level →
gallery → media → run within a deadline, reporting progress → SIFIS result → publish, with the
audit facts written into the request's `AuditTrail` as each step learns them.

The shells only translate: they validate what is theirs (HTTP IDs and uploads, DHT message
fields), choose how the job runs (`Runner`: the HTTP worker pool, the DHT worker thread) and turn
the value or the error into their reply.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.bus import Bus
from app.bus.events import ResultEvent
from app.domain import AnalysisResult, MediaType
from app.errors import AnalysisTimeout, AppError
from app.pipeline.cam_links import CameraTarget
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.progress import Progress
from app.progress_board import ProgressBoard
from app.recognition import Recognition, gallery_label
from app.sifis import RequestIds, ResultValue, error_value, result_value
from app.store.audit import AuditTrail
from app.store.outbox import Companion


class Cancelled(Exception):
    """The caller gave up on the analysis (a shutdown, an abandoned HTTP request)."""


def watchdog(timeout_s: float, given_up: Callable[[], bool]) -> Progress:
    """A progress callback, called after each frame, that stops the analysis once its caller
    has given up (Cancelled) or it has run for longer than `timeout_s` (AnalysisTimeout)."""
    deadline = time.monotonic() + timeout_s

    def progress(done: int, total: int) -> None:
        if given_up():
            raise Cancelled
        if time.monotonic() > deadline:
            raise AnalysisTimeout(f"the analysis took longer than {timeout_s:g} s")

    return progress


@dataclass(frozen=True)
class FileMedia:
    """A video or image file; `label` is the name the result shows (never a path)."""

    path: Path
    label: str


@dataclass(frozen=True)
class CameraMedia:
    target: CameraTarget
    duration_s: float
    stop_early: bool

    @property
    def label(self) -> str:
        return self.target.label


Media = FileMedia | CameraMedia


@dataclass(frozen=True)
class AnalysisOrder:
    """One request to analyse, as a shell received it. `privacy` and `gallery` are the raw
    request values; `media` is resolved only once they are valid."""

    ids: RequestIds
    privacy: str
    gallery: str
    media: Callable[[], Media]
    publish: bool  # put the progress and the result on the buses
    analysis_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    companion: Companion | None = None  # stored with the published result, in one transaction


@dataclass(frozen=True)
class AnalysisTask:
    """One analysis in validated plain values: what a queue carries to a worker process
    (app/queue). `privacy` is the kernel, `gallery` an allowlisted directory name."""

    analysis_id: str
    privacy: int
    gallery: str
    media: Media


def execute(recognition: Recognition, task: AnalysisTask, progress: Progress) -> AnalysisResult:
    """Run one analysis in this process: here, on the HTTP pool or DHT thread, or in a worker."""
    privacy = PrivacyLevel(task.privacy)
    gallery = recognition.gallery(recognition.resolve_gallery(task.gallery))
    media = task.media
    if isinstance(media, CameraMedia):
        return recognition.recognize_camera(
            media.target, privacy, gallery, media.duration_s, media.stop_early, progress
        )
    return recognition.recognize_file(media.path, privacy, gallery, progress)


def both(first: Progress | None, second: Progress | None) -> Progress:
    """One progress callback that calls the two that are given."""
    given = [p for p in (first, second) if p is not None]

    def report(done: int, total: int) -> None:
        for p in given:
            p(done, total)

    return given[0] if len(given) == 1 else report


@dataclass(frozen=True)
class Job:
    """One analysis for a Runner: `job(progress)` runs it here; a queue sends `task` to a worker
    instead and feeds what the worker reports to `watched(progress)`."""

    task: AnalysisTask
    recognition: Recognition
    report: Progress  # the UI's progress board, and the bus's messages when published

    def watched(self, progress: Progress) -> Progress:
        """`progress` first (it stops a cancelled or timed-out analysis), then the reports."""
        return both(progress, self.report)

    def __call__(self, progress: Progress) -> AnalysisResult:
        return execute(self.recognition, self.task, self.watched(progress))


class Runner(Protocol):
    """Where a job runs (implementations: app/runners)."""

    def run(self, job: Job, timeout_s: float, given_up: Callable[[], bool]) -> AnalysisResult:
        """Run `job` with a progress callback that stops it past `timeout_s` or once
        `given_up()`; its result, or its error (AppError, Cancelled)."""
        ...

    def workers(self, cameras: int) -> list[dict[str, Any]]:
        """Who runs jobs, for /health (`cameras`: those watched by this process)."""
        ...


class Analyses:
    def __init__(
        self, recognition: Recognition, bus: Bus, progress_interval_s: float, timeout_s: float
    ) -> None:
        self._recognition, self._bus = recognition, bus
        self._progress_interval_s, self._timeout_s = progress_interval_s, timeout_s
        self.progress = ProgressBoard()  # polled by the web UI while an upload is analysed

    def run(
        self,
        order: AnalysisOrder,
        trail: AuditTrail,
        runner: Runner,
        given_up: Callable[[], bool],
    ) -> ResultValue:
        """Analyse on `runner` within REQUEST_TIMEOUT_S, unless `given_up()`; return the SIFIS
        result value. Raises AppError (or Cancelled)."""
        recognition = self._recognition
        privacy = recognition.privacy(order.privacy)  # the one place a raw value is parsed
        trail.privacy_parameter = privacy.kernel
        recognition.resolve_gallery(order.gallery)  # refused here, before any media is read
        trail.gallery = gallery_label(order.gallery)
        media = order.media()
        published = (
            self._bus.progress(order.ids, order.analysis_id, media.label, self._progress_interval_s)
            if order.publish
            else None
        )
        request_id = order.ids.request_id  # progress is looked up by it (GET /progress)
        board = self.progress.reporter(request_id) if request_id is not None else None
        report = both(board, published)
        task = AnalysisTask(order.analysis_id, privacy.kernel, order.gallery, media)
        try:
            result = runner.run(Job(task, recognition, report), self._timeout_s, given_up)
        finally:
            if request_id is not None:
                self.progress.finish(request_id)
        trail.kind = result.media_type.value
        trail.residents = tuple(r.name for r in result.residents)
        value = result_value(
            result, file_name=media.label, ids=order.ids, analysis_id=order.analysis_id
        )
        if order.publish:
            self._bus.publish(ResultEvent(value), order.companion)
        return value

    def answer_error(
        self,
        ids: RequestIds,
        analysis_id: str,
        kind: MediaType | None,
        file_name: str | None,
        error: AppError,
        companion: Companion | None = None,
    ) -> None:
        """Publish the error answer to a request that came from a bus."""
        self._bus.publish(
            ResultEvent(error_value(ids, analysis_id, kind, file_name, error.code, error.message)),
            companion,
        )
