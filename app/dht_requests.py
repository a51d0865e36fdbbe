"""Analysis requests taken from the DHT (DHT_SUBSCRIBE), so the analytic works on the bus without
the `analytics_api` relay (docs/bus.md).

Requests are `Persistent` messages on `SIFIS:Privacy_Aware_Face_Recognition` (a file in MEDIA_DIR)
and `..._CAM` (a camera). The DHT re-delivers old messages, so each `request_id` is taken once
(persisted in SQLite); a message without a usable `request_id` cannot be de-duplicated nor
answered and is only logged. Every other request is answered on the results topic: with its result,
or with an error result when it is invalid. Requests wait in a bounded queue for one worker thread
(the DHT reader must never block); when it is full they are answered `busy`. A request interrupted
by a shutdown is forgotten, so that the DHT's re-delivery after the restart runs it again.

Like the HTTP routes, this is a thin shell over the analysis use case (app/analyses.py).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import uuid
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from app.analyses import (
    Analyses,
    AnalysisOrder,
    CameraMedia,
    Cancelled,
    FileMedia,
    Job,
    Media,
    watchdog,
)
from app.config import Settings
from app.domain import AnalysisResult, MediaType
from app.errors import AppError, InvalidParameter, ServiceBusy
from app.media_dir import media_file
from app.recognition import Recognition
from app.sifis import CAM_REQUEST_TOPIC, REQUEST_TOPIC, RequestIds, valid_id
from app.store.audit import AuditLog, AuditTrail
from app.store.bus_requests import SeenRequests

log = logging.getLogger(__name__)

QUEUE_SIZE = 64
_ID_FIELDS = ("requestor_id", "requestor_type", "request_id")


class DhtRequests:
    def __init__(
        self,
        analyses: Analyses,
        recognition: Recognition,
        seen: SeenRequests,
        audit: AuditLog,
        settings: Settings,
    ) -> None:
        self._analyses, self._recognition = analyses, recognition
        self._seen, self._audit, self._settings = seen, audit, settings
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_SIZE)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="dht-requests", daemon=True)

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
        if topic not in (REQUEST_TOPIC, CAM_REQUEST_TOPIC) or persistent.get("deleted"):
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
        ids = _request_ids(value)
        trail = AuditTrail("dht", *(getattr(ids, k) for k in _ID_FIELDS))
        if topic == CAM_REQUEST_TOPIC:
            trail.kind = MediaType.CAMERA.value
        order = AnalysisOrder(
            ids,
            str(value.get("privacy_parameter", "")),
            str(value.get("database_path") or ""),
            partial(self._media, topic, value),
            publish=True,
        )
        outcome = "ok"
        try:
            if None in (ids.requestor_id, ids.requestor_type):
                raise InvalidParameter(
                    "requestor_id and requestor_type must be 1-128 plain characters"
                )
            self._analyses.run(order, trail, self._run)
        except Cancelled:
            self._seen.forget(value["request_id"])
            return
        except AppError as exc:
            outcome = exc.code
            self._answer(topic, value, order.analysis_id, exc)
        except Exception:
            log.exception("bus request %s failed", value["request_id"])
            outcome = "internal_error"
            self._answer(topic, value, order.analysis_id, AppError("internal error; see the log"))
        self._audit.record(trail.finish(outcome, 0))  # no HTTP status: a bus request
        log.info("%s %s", topic, outcome)

    def _media(self, topic: str, value: dict[str, Any]) -> Media:
        s = self._settings
        if topic == CAM_REQUEST_TOPIC:
            target = self._recognition.camera_target(str(value.get("cam_link") or ""))
            return CameraMedia(target, s.camera_seconds, s.camera_stop_early)
        path = media_file(s.media_dir, value.get("file_name"))
        return FileMedia(path, path.name)

    def _run(self, job: Job) -> AnalysisResult:
        """Run on this worker thread; a shutdown or REQUEST_TIMEOUT_S stops the analysis."""
        return job(watchdog(self._settings.request_timeout_s, self._stopping))

    def _answer(self, topic: str, value: dict[str, Any], analysis_id: str, error: AppError) -> None:
        camera = topic == CAM_REQUEST_TOPIC
        self._analyses.answer_error(
            _request_ids(value),
            analysis_id,
            MediaType.CAMERA if camera else None,
            None if camera else _file_label(value),
            error,
        )


def _request_ids(value: dict[str, Any]) -> RequestIds:
    """The request's IDs, each None when it is not a plain ID (never echoed then)."""
    return RequestIds(
        *(v if isinstance(v := value.get(k), str) and valid_id(v) else None for k in _ID_FIELDS)
    )


def _file_label(value: dict[str, Any]) -> str | None:
    """What an error result may say about the media: a file's base name, never a path or URL."""
    name = value.get("file_name")
    if not isinstance(name, str):
        return None
    return PurePosixPath(name).name[:255] or None
