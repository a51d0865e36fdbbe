"""The widths of the faces a watched camera detects, as numbers only (never a picture): a bounded
histogram of 1 px bins, kept in memory by the camera's watcher (it starts again when the camera is
changed or the service restarts). Each face box of each frame the watcher looks for faces in
counts once. When it holds more than MAX_FACES faces every bin is halved, so it follows what the
camera has seen lately and never grows beyond MAX_PX bins."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

MAX_PX = 4096  # wider faces count as this wide
MAX_FACES = 10_000


class FaceWidths:
    """Used by one thread (its watcher's): `count` faces, of `median` width in pixels (the lower
    middle one of an even count; None before any face)."""

    def __init__(self) -> None:
        self._bins: Counter[int] = Counter()
        self.count = 0
        self.median: int | None = None

    def add(self, widths: Iterable[int]) -> None:
        before = self.count
        for width in widths:
            self._bins[min(max(width, 0), MAX_PX)] += 1
            self.count += 1
        if self.count == before:
            return
        if self.count > MAX_FACES:
            self._bins = Counter({w: n // 2 for w, n in self._bins.items() if n >= 2})
            self.count = sum(self._bins.values())
        seen = 0
        for width in sorted(self._bins):
            seen += self._bins[width]
            if 2 * seen >= self.count:
                self.median = width
                break
