"""Who is home: a resident is present from the moment a watched camera sees them until no camera
has seen them for `timeout_s` (PRESENCE_TIMEOUT_S); then they have `left`. Pure bookkeeping with
an injectable clock; thread-safe, since every watcher reports here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LastSeen:
    resident: str
    camera: str
    time: float  # epoch seconds


class Presence:
    def __init__(self, timeout_s: float, clock: Callable[[], float] = time.time) -> None:
        self.timeout_s, self._clock = timeout_s, clock
        self._seen: dict[str, LastSeen] = {}
        self._lock = threading.Lock()

    def seen(self, resident: str, camera: str) -> bool:
        """Record a sighting now; True when the resident was not present before."""
        with self._lock:
            arrived = resident not in self._seen
            self._seen[resident] = LastSeen(resident, camera, self._clock())
            return arrived

    def expire(self) -> list[LastSeen]:
        """The residents not seen for the timeout, now no longer present (oldest first)."""
        cutoff = self._clock() - self.timeout_s
        with self._lock:
            gone = sorted((s for s in self._seen.values() if s.time <= cutoff), key=_time)
            for s in gone:
                del self._seen[s.resident]
        return gone

    def present(self) -> list[LastSeen]:
        with self._lock:
            return sorted(self._seen.values(), key=_time)

    def forget(self, resident: str) -> None:
        """A resident deleted from the gallery is no longer tracked (and never `left`)."""
        with self._lock:
            self._seen.pop(resident, None)


def _time(s: LastSeen) -> float:
    return s.time
