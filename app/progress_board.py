"""How far each analysis is, by its SIFIS request ID, for the web UI's Analyse page to poll
(GET /analyses/<request_id>/progress) while its upload is being analysed. Fed by the same
per-frame progress callback that keeps the deadline and reports SIFIS progress on the buses.

In memory and bounded: at most MAX_KEPT analyses (the least recently reported go first), each
forgotten KEEP_S after its last report. Two analyses that share a request ID share one entry.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.pipeline.progress import Progress

MAX_KEPT = 64
KEEP_S = 300.0


@dataclass(frozen=True)
class AnalysisProgress:
    request_id: str
    done: int  # frames decoded so far
    total: int  # frames expected (an estimate for some videos; 0 when unknown)
    finished: bool  # the analysis has ended (with a result or an error)


class ProgressBoard:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[AnalysisProgress, float]] = OrderedDict()

    def reporter(self, request_id: str) -> Progress:
        """The progress callback of one analysis; it starts at 0 of 0."""
        self._put(AnalysisProgress(request_id, 0, 0, finished=False))

        def report(done: int, total: int) -> None:
            self._put(AnalysisProgress(request_id, done, max(total, done), finished=False))

        return report

    def finish(self, request_id: str) -> None:
        with self._lock:
            found = self._entries.get(request_id)
        if found is not None:
            p = found[0]
            self._put(AnalysisProgress(request_id, p.done, max(p.total, p.done), finished=True))

    def get(self, request_id: str) -> AnalysisProgress | None:
        with self._lock:
            self._expire()
            found = self._entries.get(request_id)
        return found[0] if found else None

    def _put(self, progress: AnalysisProgress) -> None:
        with self._lock:
            self._entries[progress.request_id] = (progress, self._clock())
            self._entries.move_to_end(progress.request_id)
            self._expire()
            while len(self._entries) > MAX_KEPT:
                self._entries.popitem(last=False)

    def _expire(self) -> None:
        cutoff = self._clock() - KEEP_S
        while self._entries and next(iter(self._entries.values()))[1] < cutoff:
            self._entries.popitem(last=False)
