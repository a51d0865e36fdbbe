"""Analyses run on the caller's own thread: the DHT requests' worker, without a queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.analyses import Job, watchdog
from app.domain import AnalysisResult


class InlineRunner:
    def run(self, job: Job, timeout_s: float, given_up: Callable[[], bool]) -> AnalysisResult:
        return job(watchdog(timeout_s, given_up))

    def workers(self, cameras: int) -> list[dict[str, Any]]:
        return []  # no worker of its own: the caller's thread
