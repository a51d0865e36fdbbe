"""What a watched camera's event keeps for its review (docs/ui.md, Review): the track's best
match — its nearest resident, the distance and the accept distance, numbers only, stored with the
event — and, with UI_SNAPSHOTS, the blurred face as the analysis saw it, held in memory only
(`FaceCrops`) for the Review page: never written anywhere, never sent to another process."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np

from app.domain import Box, Nearest
from app.pipeline.privacy import BlurredFrame
from app.pipeline.quality import normalise
from app.pipeline.tracking import Track

KEPT = 50  # face crops held, the newest events' (the Review page lists 50 events)
CROP_MARGIN = 0.25  # of the box's size, on each side: the face with a little of its context


def best_match(track: Track) -> Nearest | None:
    """The track's observation that came nearest to being named: the smallest distance relative
    to the accept distance it was judged against."""
    seen = [
        Nearest(m.nearest, m.distance, m.threshold)
        for o in track.embedded
        if (m := o.match) is not None and m.nearest is not None and math.isfinite(m.distance)
    ]
    return min(seen, key=lambda n: n.distance / n.threshold, default=None)


def face_crop(frame: BlurredFrame, box: Box) -> np.ndarray:
    """A copy of the face's box (and a margin) of an already blurred frame."""
    height, width = frame.pixels.shape[:2]
    dx, dy = int(box.w * CROP_MARGIN), int(box.h * CROP_MARGIN)
    top, left = max(box.y - dy, 0), max(box.x - dx, 0)
    bottom, right = min(box.y + box.h + dy, height), min(box.x + box.w + dx, width)
    return frame.pixels[top:bottom, left:right].copy()


class FaceCrops:
    """The blurred face crops of the newest KEPT events, by event id, in memory only."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._crops: OrderedDict[int, tuple[str, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, event_id: int, camera: str, pixels: np.ndarray) -> None:
        with self._lock:
            self._crops[event_id] = (camera, pixels)
            while len(self._crops) > self._kept:
                self._crops.popitem(last=False)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._crops

    def jpeg(self, event_id: int, side: int) -> bytes | None:
        """The crop as a JPEG at most `side` pixels wide and high; None if not held."""
        found = self._crops.get(event_id)
        return None if found is None else normalise(found[1], side)

    def forget(self, camera: str) -> None:
        """Drop a camera's crops (its watcher stopped, as its snapshot goes)."""
        with self._lock:
            for event_id in [i for i, (c, _) in self._crops.items() if c == camera]:
                del self._crops[event_id]
