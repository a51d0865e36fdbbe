"""The "1 clean + 2 confirmed" household of `bench.accuracy --lfw`: what a home gains when it
confirms faces its camera saw ("this is X": app/residents/positives.py).

20 residents per gallery, drawn `DRAWS` times per fold from the sample's `confirmable` identities
(4+ photos): photo 1 is enrolled clean, as the service enrolls it; photos 2 and 3, scaled and
blurred exactly like the probes (the camera's k, faces ~FACE_PX), are added as the service adds
confirmed faces (`GalleryIndex.with_faces`: views of their resident at the blur they were seen
at); photos 4 and 5 are the probes. Strangers: the fold's sampled single-photo identities, as in
the other households. The same draws are also judged with the clean photo alone
(`confirmed=False`), so that the gain is measured on the same faces.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from app.pipeline.matching import AcceptRule, SeenFaces, relative_blur
from bench.lfw import Embedded, Photo
from bench.lfw_protocols import DRAWS, Bench, outcome

RESIDENTS = 20
KERNELS = (0, 17, 25)
FACE_PX = 110


def photos(bench: Bench) -> list[Photo]:
    """The photos the protocol embeds as a camera sees them (confirmed faces and probes)."""
    return [p for n in bench.sample.confirmable for p in bench.lfw.photos[n][1:5]]


def household(
    bench: Bench, rule: AcceptRule, folds: list[int], kernel: int, confirmed: bool
) -> Counter[str]:
    """Outcome counts of resident and stranger faces (keys as in `Bench.household`)."""
    lfw, sample, metric = bench.lfw, bench.sample, bench.analyzer.embedder.metric
    rng = np.random.default_rng(RESIDENTS)  # the same draws with and without confirmed faces
    faces = {**bench.probes(kernel, FACE_PX), **bench.faces(photos(bench), kernel, FACE_PX)}
    out: Counter[str] = Counter()
    for fold in folds:
        pool = [n for n in sample.confirmable if lfw.fold_of[n] == fold]
        strangers = [n for n in sample.strangers if lfw.fold_of[n] == fold]
        for _ in range(DRAWS):
            chosen = list(rng.choice(pool, RESIDENTS, replace=False))
            index, _ = bench.index([lfw.photos[n][0] for n in chosen])
            if confirmed:
                index = index.with_faces(_confirmed_faces(bench, faces, chosen, kernel))
            probes = [(n, "resident", p) for n in chosen for p in lfw.photos[n][3:5]]
            probes += [(n, "stranger", p) for n in strangers for p in sample.probes[n]]
            for name, role, photo in probes:
                out[f"{role}_{outcome(index, faces[photo.key], name, kernel, metric, rule)}"] += 1
    return out


def _confirmed_faces(
    bench: Bench, faces: dict[str, Embedded], names: list[str], kernel: int
) -> dict[str, SeenFaces]:
    """Photos 2 and 3 of each resident as the camera saw them (those it found a face in), with
    the relative blur each was seen at."""
    out = {}
    for name in names:
        found = [faces[p.key] for p in bench.lfw.photos[name][1:3]]
        if seen := [e for e in found if e.vector is not None]:
            out[name] = SeenFaces(
                np.stack([e.found_vector for e in seen]),
                np.array([relative_blur(kernel, e.face_px) for e in seen]),
            )
    return out
