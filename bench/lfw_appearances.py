"""The appearance protocol of `bench.accuracy --lfw`: per-appearance evidence measured on LFW.

An appearance (one walk-by) is `WALK` photos of one identity, scaled to faces ~FACE_PX and blurred
with k (the sample's `walks`). Gallery: 20 residents, 1 clean photo each, drawn `DRAWS` times per
fold: half the fold's identities that have a walk and a photo to spare for enrollment (WALK + 1
photos), the rest from the sample's residents; the chosen ones with a walk walk by as residents,
every other identity of the fold with a walk walks by as a stranger.

Each appearance is judged by every method of METHODS:
- `face`: each photo alone, as a single image is (counted per face, for comparison);
- `votes`: what app/pipeline/tracking.py did before: every photo votes for the resident it
  matched; named when one resident has CONFIRM_FRAMES votes and more than all others together;
- `best`: `judge_best`, the best photo judged with the stranger rate split over the photos;
- each fusion of `FUSIONS`, judged by its own `appearance-<fusion>` curve
  (`GalleryIndex.judge_appearance`);
- `windows`: what app/pipeline/tracking.py does now: the photos are a track's observations, each
  counted only when distinct from those counted before; with WALK counted, the window is judged
  by the `min` curve, with fewer the votes decide (`Track.identity`);
- `windows|votes`: named when the windows or the votes name one resident and no one else.
The appearance curves and the `distinct` distances are fitted (`calibration`) on the walks of the
folds a rule is fitted on: every walk against the first photo of every other enrollable identity
of those folds; every two photos of each walk for `distinct`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from app.domain import Box
from app.pipeline.matching import FUSIONS, AcceptRule, GalleryIndex, curve_mode, relative_blur
from app.pipeline.tracking import Observation, Track
from bench.appearance import judge_best
from bench.lfw import WALK, Embedded, Photo
from bench.lfw_protocols import DRAWS, Bench, verdict
from bench.samples import Appearance, Samples, appearance_samples, distinct_samples

RESIDENTS = 20
KERNELS = (0, 17, 25)
FACE_PX = 110
CONFIRM_FRAMES = 2  # the service's default (Settings.confirm_frames)
METHODS = ("face", "votes", "best", *FUSIONS, "windows", "windows|votes")


def _enrollable_walkers(bench: Bench, folds: list[int]) -> list[str]:
    """Identities of these folds whose walk leaves their first photo to enroll."""
    lfw = bench.lfw
    return [n for n in bench.sample.walks if lfw.fold_of[n] in folds and len(lfw.photos[n]) > WALK]


def photos(bench: Bench) -> list[Photo]:
    """The photos the protocol embeds as a camera sees them (every walk)."""
    return [p for walk in bench.sample.walks.values() for p in walk]


def _walk(bench: Bench, name: str, kernel: int) -> list[Embedded]:
    """The faces found in `name`'s walk at this k."""
    faces = bench.faces(list(bench.sample.walks[name]), kernel, FACE_PX)
    return [e for p in bench.sample.walks[name] if (e := faces[p.key]).vector is not None]


def calibration(bench: Bench, folds: list[int]) -> tuple[dict[str, Samples], Samples]:
    """Per fusion, the scores of the folds' strangers' appearances, and the distances between
    the photos of each walk (see the module docstring)."""
    lfw, metric = bench.lfw, bench.analyzer.embedder.metric
    enrollable = {n for n in bench.sample.residents if lfw.fold_of[n] in folds}
    index, _ = bench.index(
        [lfw.photos[n][0] for n in sorted(enrollable | set(_enrollable_walkers(bench, folds)))]
    )
    walks: list[Appearance] = []
    for kernel in KERNELS:
        for name in bench.sample.walks:
            if lfw.fold_of[name] in folds and (faces := _walk(bench, name, kernel)):
                vectors = np.stack([e.found_vector for e in faces])
                walks.append((name, vectors, [relative_blur(kernel, e.face_px) for e in faces]))
    out = {}
    for fusion in FUSIONS:
        data = appearance_samples(index, walks, metric, fusion)
        out[fusion] = data.select(~data.same)  # a walk may hold its own enrolled photo
    return out, distinct_samples(walks, metric)


def household(
    bench: Bench, rule: AcceptRule, folds: list[int], kernel: int
) -> dict[str, Counter[str]]:
    """Per method, outcome counts of resident and stranger appearances (faces for `face`)."""
    lfw, sample = bench.lfw, bench.sample
    rng = np.random.default_rng(WALK)
    out: dict[str, Counter[str]] = {m: Counter() for m in METHODS}
    for fold in folds:
        walkers = _enrollable_walkers(bench, [fold])
        others = [n for n in sample.residents if lfw.fold_of[n] == fold and n not in walkers]
        for _ in range(DRAWS):
            chosen = list(rng.choice(walkers, len(walkers) // 2, replace=False))
            chosen += list(rng.choice(others, RESIDENTS - len(chosen), replace=False))
            index, _ = bench.index([lfw.photos[n][0] for n in chosen])
            for name in sample.walks:
                if lfw.fold_of[name] != fold or (name in chosen and name not in walkers):
                    continue
                role = "resident" if name in chosen else "stranger"
                faces = _walk(bench, name, kernel)
                for method, verdicts in _judge(bench, index, rule, faces, name, kernel).items():
                    out[method].update(f"{role}_{v}" for v in verdicts)
    return out


def _judge(
    bench: Bench,
    index: GalleryIndex,
    rule: AcceptRule,
    faces: list[Embedded],
    name: str,
    kernel: int,
) -> dict[str, list[str]]:
    """Each method's verdicts on one appearance of `name` (one per face for `face`)."""
    if not faces:
        return {m: ["no_face"] for m in METHODS}
    metric = bench.analyzer.embedder.metric
    vectors, widths = np.stack([e.found_vector for e in faces]), [e.face_px for e in faces]
    matches = index.match(vectors, widths, kernel, metric, rule)
    track = Track(0)
    for i, (m, e) in enumerate(zip(matches, faces, strict=True)):
        width = round(e.face_px)
        track.observations.append(Observation(i, Box(0, 0, width, width), m, e.vector))
        track.count(track.observations[-1], index, rule, kernel, metric)
    out = {
        "face": [verdict(m, name) for m in matches],
        "votes": [_track_verdict(track, track.vote_identity(CONFIRM_FRAMES), name)],
        "windows": [_track_verdict(track, track.identity(CONFIRM_FRAMES), name)],
    }
    either = {track.window_identity(), track.vote_identity(CONFIRM_FRAMES)} - {None}
    out["windows|votes"] = [_track_verdict(track, either.pop() if len(either) == 1 else None, name)]
    out["best"] = [verdict(judge_best(index, vectors, widths, kernel, metric, rule), name)]
    for fusion in (f for f in FUSIONS if curve_mode(f) in rule.curves):
        match = index.judge_appearance(vectors, widths, kernel, metric, rule, fusion)
        out[fusion] = [verdict(match, name)]
    return out


def _track_verdict(track: Track, named: str | None, name: str) -> str:
    """What a track naming `named` (None: nobody) says of a walk of `name`."""
    if named:
        return "right" if named == name else "named"
    return "unrecognisable" if track.unrecognisable() else "unknown"
