"""Analysis requests taken from the DHT (DHT_SUBSCRIBE), so the analytic works on the bus without
the `analytics_api` relay (docs/bus.md).

Requests are `Persistent` messages on `SIFIS:Privacy_Aware_Face_Recognition` (a file in MEDIA_DIR)
and `..._CAM` (a camera). Each is answered on the results topic exactly once per `request_id`: with
its result, or with an error result when it is invalid. A message without a usable `request_id`
cannot be de-duplicated nor answered and is only logged.

Crash safety: a request is stored in SQLite (app/store/bus_requests.py) as soon as it arrives,
before any analysis, and is marked answered in the transaction that puts its answer in the
outbox, so the DHT's re-deliveries are ignored and a request survives a crash or a shutdown. One
worker thread takes the stored requests oldest first (the DHT reader never blocks); after a
restart it resumes the ones left unanswered. An analysis interrupted by a crash is run again once;
a request whose analysis was interrupted twice (it may be what crashes the process) is answered
`analysis_interrupted`. When QUEUE_SIZE requests already wait, a new one is answered `busy`.

Like the HTTP routes, this is a thin shell over the analysis use case (app/analyses.py).
"""

from __future__ import annotations

import logging
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
    Media,
    Runner,
)
from app.config import Settings
from app.domain import MediaType
from app.errors import AnalysisInterrupted, AppError, InvalidParameter, ServiceBusy
from app.media_dir import media_file
from app.recognition import Recognition
from app.sifis import CAM_REQUEST_TOPIC, REQUEST_TOPIC, RequestIds, valid_id
from app.store.audit import AuditLog, AuditTrail
from app.store.bus_requests import REFUSED, WAITING, BusRequest, SeenRequests

log = logging.getLogger(__name__)

QUEUE_SIZE = 64
RETRY_S = 5.0
RUNS = 2  # analyses of one request: the first, and one more after a crash


_ID_FIELDS = ("requestor_id", "requestor_type", "request_id")


class DhtRequests:
    def __init__(
        self,
        analyses: Analyses,
        recognition: Recognition,
        seen: SeenRequests,
        audit: AuditLog,
        settings: Settings,
        runner: Runner,  # this worker thread, or the queue's workers
    ) -> None:
        self._analyses, self._recognition, self._runner = analyses, recognition, runner
        self._seen, self._audit, self._settings = seen, audit, settings
        self._arrived = threading.Event()  # a request was stored, or the worker must stop
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="dht-requests", daemon=True)

    def start(self) -> None:
        """Answer `busy` what a crash left refused, then start the worker, which first takes what
        an earlier run left waiting. Called before the DHT listener is added."""
        for request in self._seen.unanswered():
            if request.refused:
                self._refuse(request)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker; an analysis it stops stays stored and is resumed at the next start."""
        self._stopping.set()
        self._arrived.set()
        self._thread.join(timeout)

    def receive(self, persistent: dict[str, Any]) -> None:
        """A Persistent message from the DHT reader thread: store it if it is a new request."""
        topic, value = persistent.get("topic_name"), persistent.get("value")
        if topic not in (REQUEST_TOPIC, CAM_REQUEST_TOPIC) or persistent.get("deleted"):
            return
        if not isinstance(value, dict):
            value = {}
        request_id = value.get("request_id")
        if not isinstance(request_id, str) or not valid_id(request_id):
            log.warning("ignored a %s message without a usable request_id", topic)
            return
        try:
            state = self._seen.take(request_id, topic, value, QUEUE_SIZE)
        except sqlite3.Error:
            log.exception("request %s could not be stored; ignored", request_id)
            return
        if state == REFUSED:
            self._refuse(BusRequest(request_id, topic, value, refused=True, runs=0))
        elif state == WAITING:
            self._arrived.set()

    def _work(self) -> None:
        tried: set[str] = set()  # taken by this process and still unanswered: an answer that
        while not self._stopping.is_set():  # could not be stored waits for the next start
            self._arrived.clear()
            try:
                waiting = [r for r in self._seen.unanswered() if not r.refused]
            except sqlite3.Error:
                log.exception("stored bus requests cannot be read; retrying")
                self._arrived.wait(RETRY_S)
                continue
            tried &= {r.request_id for r in waiting}
            pending = [r for r in waiting if r.request_id not in tried]
            if not pending:
                self._arrived.wait()
                continue
            tried.add(pending[0].request_id)
            self._handle(pending[0])

    def _refuse(self, request: BusRequest) -> None:
        error = ServiceBusy(f"more than {QUEUE_SIZE} bus requests are waiting")
        self._answer(request, uuid.uuid4().hex, error)

    def _handle(self, request: BusRequest) -> None:
        topic, value = request.topic, request.value
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
            companion=self._seen.answered(request.request_id),
        )
        outcome = "ok"
        try:
            if self._seen.started(request.request_id) > RUNS:
                raise AnalysisInterrupted(
                    f"the analysis was interrupted {RUNS} times (the service stopped); not retried"
                )
            if None in (ids.requestor_id, ids.requestor_type):
                raise InvalidParameter(
                    "requestor_id and requestor_type must be 1-128 plain characters"
                )
            self._analyses.run(order, trail, self._runner, self._stopping.is_set)
        except Cancelled:
            self._seen.stopped(request.request_id)
            return
        except AppError as exc:
            outcome = exc.code
            self._answer(request, order.analysis_id, exc)
        except Exception:
            log.exception("bus request %s failed", request.request_id)
            outcome = "internal_error"
            self._answer(request, order.analysis_id, AppError("internal error; see the log"))
        self._audit.record(trail.finish(outcome, 0))  # no HTTP status: a bus request
        log.info("%s %s", topic, outcome)

    def _media(self, topic: str, value: dict[str, Any]) -> Media:
        s = self._settings
        if topic == CAM_REQUEST_TOPIC:
            target = self._recognition.camera_target(str(value.get("cam_link") or ""))
            return CameraMedia(target, s.camera_seconds, s.camera_stop_early)
        path = media_file(s.media_dir, value.get("file_name"))
        return FileMedia(path, path.name)

    def _answer(self, request: BusRequest, analysis_id: str, error: AppError) -> None:
        camera = request.topic == CAM_REQUEST_TOPIC
        self._analyses.answer_error(
            _request_ids(request.value),
            analysis_id,
            MediaType.CAMERA if camera else None,
            None if camera else _file_label(request.value),
            error,
            self._seen.answered(request.request_id),
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
