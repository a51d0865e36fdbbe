"""Temporal aggregation: faces tracked across analysed frames, identities confirmed by votes.

Rules (documented in docs/recognition.md):
- A detection joins the track whose last box overlaps it most (IoU >= 0.3) if that track was seen
  within the last `max_gap` analysed frames; otherwise it starts a new track.
- Each embedded observation of a track votes for the resident it matched (or for nobody). A track
  is confirmed as resident R when R has at least `confirm_frames` votes and more votes than all
  other residents together. One-frame flukes therefore never become sightings (unless
  `confirm_frames` is 1, as for a single image).
- Every observation of a confirmed track counts as a sighting of R (first/last frame, frames).
- An unconfirmed track with at least `confirm_frames` observations is one unknown face, unless the
  CNN verifier found no face in it; shorter unconfirmed tracks are treated as detector noise. It is
  an unrecognisable face instead when most of its embedded observations were unrecognisable (too
  small for their blur to be told apart: app/pipeline/matching.py).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from app.domain import Box, Match, ResidentSighting

MIN_IOU = 0.3


def unknown_after(confirm_frames: int) -> int:
    """Matches naming nobody before a track is an unknown face: more than a resident needs, so
    that a face only slow to be recognised is not reported as a stranger."""
    return 2 * confirm_frames + 1


@dataclass(frozen=True)
class Observation:
    frame: int
    box: Box
    match: Match | None  # None: not embedded in this frame (identity carried by the track)
    embedding: np.ndarray | None = None  # the face's embedding when embedded in this frame
    sharpness: float | None = None  # the face's sharpness (app/pipeline/sharpness.py), likewise


@dataclass
class Track:
    id: int
    observations: list[Observation] = field(default_factory=list)
    last_ordinal: int = -1
    is_face: bool | None = None  # the verifier's verdict, asked only about unknown candidates
    verified_thoroughly: bool = False  # ... by all its signals (app/pipeline/detect.py)

    @property
    def box(self) -> Box:
        return self.observations[-1].box

    def votes(self) -> Counter[str]:
        return Counter(o.match.name for o in self.observations if o.match and o.match.name)

    @property
    def embedded(self) -> list[Observation]:
        return [o for o in self.observations if o.match is not None]

    def matched(self) -> list[tuple[Observation, Match]]:
        """The embedded observations, each with its match."""
        return [(o, o.match) for o in self.observations if o.match is not None]

    def identity(self, confirm_frames: int) -> str | None:
        votes = self.votes()
        if not votes:
            return None
        name, top = votes.most_common(1)[0]
        rest = sum(votes.values()) - top
        return name if top >= confirm_frames and top > rest else None

    def unrecognisable(self) -> bool:
        """Most embedded observations were too small for their blur to be told apart."""
        matches = [m for _, m in self.matched()]
        return bool(matches) and 2 * sum(m.unrecognisable for m in matches) > len(matches)

    def decided(self, confirm_frames: int) -> bool:
        """True when one more embedding is unlikely to change the verdict: the latest
        `confirm_frames` matches name one resident, or the latest `unknown_after` name nobody."""
        names = [m.name for _, m in self.matched()]
        named, nobody = names[-confirm_frames:], names[-unknown_after(confirm_frames) :]
        if len(named) == confirm_frames and named[0] is not None and len(set(named)) == 1:
            return True
        return len(nobody) == unknown_after(confirm_frames) and not any(nobody)


class Tracker:
    def __init__(self, max_gap: int = 3) -> None:
        self.max_gap = max_gap
        self.tracks: list[Track] = []
        self._next_id = 0

    def assign(self, ordinal: int, boxes: list[Box]) -> list[Track]:
        """Return the track of each box (greedy by IoU, each track used at most once)."""
        live = [t for t in self.tracks if ordinal - t.last_ordinal <= self.max_gap]
        pairs = sorted(
            ((b.iou(t.box), i, j) for i, b in enumerate(boxes) for j, t in enumerate(live)),
            reverse=True,
        )
        chosen: dict[int, Track] = {}
        used: set[int] = set()
        for iou, i, j in pairs:
            if iou < MIN_IOU:
                break
            if i not in chosen and j not in used:
                chosen[i] = live[j]
                used.add(j)
        result = []
        for i in range(len(boxes)):
            track = chosen.get(i)
            if track is None:
                track = Track(self._next_id)
                self._next_id += 1
                self.tracks.append(track)
            track.last_ordinal = ordinal
            result.append(track)
        return result

    def forget_ended(self, ordinal: int) -> list[Track]:
        """Drop and return the tracks that can no longer be continued at `ordinal` (a watched
        camera's tracker would otherwise grow for ever)."""
        ended = [t for t in self.tracks if ordinal - t.last_ordinal > self.max_gap]
        if ended:
            self.tracks = [t for t in self.tracks if ordinal - t.last_ordinal <= self.max_gap]
        return ended


@dataclass(frozen=True)
class Summary:
    residents: tuple[ResidentSighting, ...]
    unknown_faces: int
    unrecognisable_faces: int
    labels: dict[int, str]


def summarize(tracks: list[Track], confirm_frames: int, fps: float, max_labels: int) -> Summary:
    """Turn tracks into resident sightings, an unknown-face count and SIFIS `Labels`."""
    frames_of: dict[str, set[int]] = {}
    confidences: dict[str, list[int]] = {}
    unknown = unrecognisable = 0
    for track in tracks:
        name = track.identity(confirm_frames)
        if name is None:
            if len(track.observations) >= confirm_frames and track.is_face is not False:
                if track.unrecognisable():
                    unrecognisable += 1
                else:
                    unknown += 1
            continue
        frames_of.setdefault(name, set()).update(o.frame for o in track.observations)
        confidences.setdefault(name, []).extend(
            m.confidence for _, m in track.matched() if m.name == name
        )
    sightings = []
    for name, frames in frames_of.items():
        first, last = min(frames), max(frames)
        sightings.append(
            ResidentSighting(
                name=name,
                first_frame=first,
                last_frame=last,
                first_seen_s=round(first / fps, 2) if fps else 0.0,
                last_seen_s=round(last / fps, 2) if fps else 0.0,
                frames=len(frames),
                confidence=int(statistics.median(confidences[name])),
            )
        )
    sightings.sort(key=lambda s: (s.first_frame, s.name))
    per_frame: dict[int, set[str]] = {}
    for name, frames in frames_of.items():
        for f in frames:
            per_frame.setdefault(f, set()).add(name)
    labels = {f: ", ".join(sorted(per_frame[f])) for f in sorted(per_frame)[:max_labels]}
    return Summary(tuple(sightings), unknown, unrecognisable, labels)
