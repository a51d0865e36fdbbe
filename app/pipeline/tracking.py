"""Temporal aggregation: faces tracked across analysed frames, identities confirmed by windows of
distinct observations, or by votes while a track has none.

Rules (documented in docs/recognition.md):
- A detection joins the track whose last box overlaps it most (IoU >= 0.3) if that track was seen
  within the last `max_gap` analysed frames; otherwise it starts a new track.
- Windows: an embedded, recognisable observation *counts* when its embedding is at least the
  rule's `distinct` distance (what separates all but 5 % of two LFW photos of one person, by
  relative blur) from every observation the track counted before, so that near-duplicate frames
  add no evidence. From the FIRST_WINDOW-th (5th) counted observation on, each one closes a
  window of the latest `window` (5) counted ones, judged as one appearance
  (`GalleryIndex.judge_appearance`: each resident's minimum distance over the window, against the
  curve of strangers' appearances of 5 distinct LFW photos: 1 in 20,000 per appearance). A track
  with a judged window is confirmed as R when its windows name R and no one else.
- Votes, while a track has no judged window (fewer than 5 counted observations): each embedded
  observation votes for the resident it matched (or for nobody). A track is confirmed as
  resident R when R has at least `confirm_frames` votes and more votes than all other residents
  together. One-frame flukes therefore never become sightings (unless `confirm_frames` is 1,
  as for a single image).
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
from app.pipeline.matching import AcceptRule, GalleryIndex, distances, relative_blur

MIN_IOU = 0.3
# counted observations before a track's first window is judged: a full window, as calibrated.
# Judging from the 2nd on named more LFW appearances held-out but lost a resident in the crowd
# video analysed at every frame (the counted observations' minimum missed the stricter
# appearance curve where near-duplicate frames had voted): bench/RESULTS.md
FIRST_WINDOW = 5


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
    distinct: list[Observation] = field(default_factory=list)  # observations counted, in order
    windows: list[Match] = field(default_factory=list)  # the verdict of each window judged

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
        """The resident this track is confirmed as: by its windows once one was judged, by its
        votes before."""
        if self.windows:
            return self.window_identity()
        return self.vote_identity(confirm_frames)

    def vote_identity(self, confirm_frames: int) -> str | None:
        votes = self.votes()
        if not votes:
            return None
        name, top = votes.most_common(1)[0]
        rest = sum(votes.values()) - top
        return name if top >= confirm_frames and top > rest else None

    def window_identity(self) -> str | None:
        """The one resident the judged windows name, if exactly one."""
        names = {m.name for m in self.windows if m.name}
        return names.pop() if len(names) == 1 else None

    def count(
        self,
        observation: Observation,
        index: GalleryIndex,
        rule: AcceptRule,
        kernel: int,
        metric: str,
    ) -> None:
        """Count an embedded observation when it is distinct from those counted before, and
        judge the window it closes (see the module docstring)."""
        match, vector = observation.match, observation.embedding
        if not rule.windows or match is None or vector is None or match.unrecognisable:
            return
        assert rule.distinct is not None  # rule.windows says so
        if self.distinct:
            counted = _vectors(self.distinct)
            nearest = float(distances(vector[None], counted, metric).min())
            if nearest < rule.distinct.at(relative_blur(kernel, observation.box.w)):
                return
        self.distinct.append(observation)
        if len(self.distinct) >= FIRST_WINDOW:
            window = self.distinct[-rule.window :]
            vectors = _vectors(window)
            widths = [float(o.box.w) for o in window]
            self.windows.append(index.judge_appearance(vectors, widths, kernel, metric, rule))

    def trim(self, keep: int) -> None:
        """Keep the latest `keep` observations, counted observations and window verdicts (a
        long-lived camera track)."""
        for items in (self.observations, self.distinct, self.windows):
            del items[:-keep]

    def confidences(self, name: str) -> list[int]:
        """The confidence of every match and window verdict naming `name`."""
        matches = [m for _, m in self.matched()] + self.windows
        return [m.confidence for m in matches if m.name == name]

    def face_of(self, name: str) -> Observation:
        """The latest observation whose match names `name`; when only windows named it, the
        latest counted one."""
        named = [o for o, m in self.matched() if m.name == name]
        return (named or self.distinct or self.observations)[-1]

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


def _vectors(counted: list[Observation]) -> np.ndarray:
    """The embeddings of counted observations (each was embedded: `Track.count`)."""
    return np.stack([o.embedding for o in counted if o.embedding is not None])


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
        confidences.setdefault(name, []).extend(track.confidences(name))
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
