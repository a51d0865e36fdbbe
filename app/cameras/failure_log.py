"""How a watched camera's failures are logged: a camera that is down fails at every reconnect
(every few seconds, for as long as it stays down), which would drown the log. The first failure
is logged at once; while it keeps failing, a reminder with the count comes after FIRST_REMINDER_S,
then at doubling intervals up to MAX_REMINDER_S; reconnecting logs how many attempts failed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.errors import AppError

log = logging.getLogger("app.cameras.watcher")

FIRST_REMINDER_S, MAX_REMINDER_S = 60.0, 3600.0


class FailureLog:
    def __init__(self, camera: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._camera, self._clock = camera, clock
        self._failures = 0
        self._next_at = self._interval = 0.0

    def failed(self, exc: AppError) -> None:
        self._failures += 1
        now = self._clock()
        if self._failures == 1:
            log.warning("camera %s: %s [%s]", self._camera, exc.message, exc.code)
            self._interval = FIRST_REMINDER_S
        elif now >= self._next_at:
            log.warning(
                "camera %s: still failing, %d attempts so far: %s [%s]",
                self._camera, self._failures, exc.message, exc.code,
            )  # fmt: skip
            self._interval = min(MAX_REMINDER_S, self._interval * 2)
        else:
            return
        self._next_at = now + self._interval

    def connected(self) -> None:
        if self._failures:
            log.info(
                "camera %s: connected after %d failed attempt(s)", self._camera, self._failures
            )
        self._failures = 0
