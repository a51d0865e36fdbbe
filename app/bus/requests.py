"""Analysis requests taken from the DHT (DHT_SUBSCRIBE), so the analytic works on the bus without
the `analytics_api` relay.

Requests are `Persistent` messages on `SIFIS:Privacy_Aware_Face_Recognition` (a file in MEDIA_DIR)
and `..._CAM` (a camera). The DHT re-delivers old messages, so each `request_id` is taken once
(persisted in SQLite); a message without a usable `request_id` cannot be de-duplicated nor
answered and is only logged. Every other request is answered on the results topic: with its result,
or with an error result when it is invalid. Requests wait in a bounded queue for one worker thread
(the DHT reader must never block); when it is full they are answered `busy`. A request interrupted
by a shutdown is forgotten, so that the DHT's re-delivery after the restart runs it again.

Like `api` and `cli`, this is a shell over `services`; `services` builds it only when asked.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from app.bus.events import error_value
from app.bus.media import media_file
from app.domain import AnalysisResult, MediaType
from app.errors import AnalysisTimeout, AppError, InvalidParameter, ServiceBusy
from app.sifis import RequestIds, result_value, valid_id
from app.store.audit import AuditLog, AuditRecord
from app.store.bus_requests import SeenRequests

if TYPE_CHECKING:
    from app.pipeline.analyze import Progress
    from app.services import Services

log = logging.getLogger(__name__)

FILE_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition"
CAM_TOPIC = "SIFIS:Privacy_Aware_Face_Recognition_CAM"
QUEUE_SIZE = 64
_ID_FIELDS = ("requestor_id", "requestor_type", "request_id")


class _Stopped(Exception):
    """The service is shutting down: drop the analysis without answering."""


class BusRequests:
    def __init__(self, services: Services, seen: SeenRequests, audit: AuditLog) -> None:
        self._services, self._seen, self._audit = services, seen, audit
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_SIZE)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="bus-requests", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if pending is not None:
                self._seen.forget(pending["value"]["request_id"])
        self._queue.put(None)
        self._thread.join(timeout)

    def receive(self, persistent: dict[str, Any]) -> None:
        """A Persistent message from the DHT reader thread: take it if it is a new request."""
        topic, value = persistent.get("topic_name"), persistent.get("value")
        if topic not in (FILE_TOPIC, CAM_TOPIC) or persistent.get("deleted"):
            return
        request_id = value.get("request_id") if isinstance(value, dict) else None
        if not isinstance(request_id, str) or not valid_id(request_id):
            log.warning("ignored a %s message without a usable request_id", topic)
            return
        try:
            if self._stopping.is_set() or not self._seen.first_time(request_id):
                return
        except sqlite3.Error:
            log.exception("request %s could not be recorded; ignored", request_id)
            return
        try:
            self._queue.put_nowait({"topic": topic, "value": value})
        except queue.Full:
            self._answer(topic, value, uuid.uuid4().hex, ServiceBusy("too many bus requests"))

    def _work(self) -> None:
        while (request := self._queue.get()) is not None:
            self._handle(request["topic"], request["value"])

    def _handle(self, topic: str, value: dict[str, Any]) -> None:
        started, analysis_id = time.monotonic(), uuid.uuid4().hex
        result: AnalysisResult | None = None
        outcome = "ok"
        try:
            result = self._analyse(topic, value, analysis_id)
        except _Stopped:
            self._seen.forget(value["request_id"])
            return
        except AppError as exc:
            outcome = exc.code
            self._answer(topic, value, analysis_id, exc)
        except Exception:
            log.exception("bus request %s failed", value["request_id"])
            outcome = "internal_error"
            self._answer(topic, value, analysis_id, AppError("internal error; see the log"))
        self._record(topic, value, result, outcome, started)

    def _analyse(self, topic: str, value: dict[str, Any], analysis_id: str) -> AnalysisResult:
        services, settings = self._services, self._services.settings
        ids = _request_ids(value)
        if None in (ids.requestor_id, ids.requestor_type):
            raise InvalidParameter("requestor_id and requestor_type must be 1-128 plain characters")
        privacy = services.privacy(str(value.get("privacy_parameter", "")))
        gallery = services.gallery(services.resolve_gallery(str(value.get("database_path") or "")))
        run: Callable[..., AnalysisResult]
        if topic == CAM_TOPIC:
            target = services.camera_target(str(value.get("cam_link") or ""))
            label = target.label
            run = partial(
                services.recognize_camera,
                target,
                privacy,
                gallery,
                settings.camera_seconds,
                settings.camera_stop_early,
            )
        else:
            path = media_file(settings.media_dir, value.get("file_name"))
            label = path.name
            run = partial(services.recognize_file, path, privacy, gallery)
        result = run(progress=self._progress(ids, analysis_id, label))
        services.publish_result(
            result_value(result, file_name=label, ids=ids, analysis_id=analysis_id)
        )
        return result

    def _progress(self, ids: RequestIds, analysis_id: str, label: str) -> Progress:
        """Stops the analysis at shutdown or past REQUEST_TIMEOUT_S; reports progress."""
        timeout_s = self._services.settings.request_timeout_s
        deadline = time.monotonic() + timeout_s
        report = self._services.progress_reporter(ids, analysis_id, label)

        def progress(done: int, total: int) -> None:
            if self._stopping.is_set():
                raise _Stopped
            if time.monotonic() > deadline:
                raise AnalysisTimeout(f"the analysis took longer than {timeout_s:g} s")
            if report is not None:
                report(done, total)

        return progress

    def _answer(self, topic: str, value: dict[str, Any], analysis_id: str, error: AppError) -> None:
        self._services.publish_result(
            error_value(
                _request_ids(value),
                analysis_id,
                MediaType.CAMERA.value if topic == CAM_TOPIC else None,
                _file_label(topic, value),
                error.code,
                error.message,
            )
        )

    def _record(
        self,
        topic: str,
        value: dict[str, Any],
        result: AnalysisResult | None,
        outcome: str,
        started: float,
    ) -> None:
        ids = _request_ids(value)
        try:
            self._audit.record(
                AuditRecord(
                    route="dht",
                    requestor_id=ids.requestor_id,
                    requestor_type=ids.requestor_type,
                    request_id=ids.request_id,
                    kind=result.media_type.value if result else None,
                    privacy_parameter=result.privacy_parameter if result else None,
                    gallery=None,
                    outcome=outcome,
                    status=0,  # no HTTP status: a bus request
                    residents=tuple(r.name for r in result.residents) if result else (),
                    duration_ms=int((time.monotonic() - started) * 1000),
                )
            )
        except sqlite3.Error:
            log.exception("audit record could not be written")
        log.info("%s %s", topic, outcome)


def _request_ids(value: dict[str, Any]) -> RequestIds:
    """The request's IDs, each None when it is not a plain ID (never echoed then)."""
    return RequestIds(
        *(v if isinstance(v := value.get(k), str) and valid_id(v) else None for k in _ID_FIELDS)
    )


def _file_label(topic: str, value: dict[str, Any]) -> str | None:
    """What an error result may say about the media: a file's base name, never a path or URL."""
    name = value.get("file_name")
    if topic == CAM_TOPIC or not isinstance(name, str):
        return None
    return PurePosixPath(name).name[:255] or None
