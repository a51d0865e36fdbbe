"""What the accept rule is fitted on (bench/calibrate.py), collected from LFW by the protocols
(bench/lfw_protocols.py, bench/lfw_appearances.py): distances tagged with the probe's relative
blur, as equal-length numpy columns."""

from __future__ import annotations

from dataclasses import Field, dataclass
from typing import Any, ClassVar

import numpy as np

from app.pipeline.matching import FUSIONS, GalleryIndex, distances

Probe = tuple[str, np.ndarray, float, float]  # identity, vector, relative blur, face px
Appearance = tuple[str, np.ndarray, list[float]]  # identity, vectors, their relative blurs


class _Columns:
    """Equal-length numpy columns (the dataclass's fields) that concatenate row-wise."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]  # set by @dataclass on each subclass

    @classmethod
    def concat(cls, parts: list):
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )


@dataclass(frozen=True)
class Samples(_Columns):
    """Fused distances of probe faces to enrolled photos, with the probe's relative blur."""

    blur: np.ndarray  # (n,)
    distance: np.ndarray  # (n,)
    same: np.ndarray  # (n,) bool: same identity

    def select(self, mask: np.ndarray) -> Samples:
        return Samples(self.blur[mask], self.distance[mask], self.same[mask])


@dataclass(frozen=True)
class Rivals(_Columns):
    """Per resident face: its relative blur, and its fused distance to the nearest enrolled photo
    of its own and of anyone else."""

    blur: np.ndarray
    own: np.ndarray
    other: np.ndarray


def samples(index: GalleryIndex, owners: list[str], probes: list[Probe], metric: str) -> Samples:
    """Distances of each probe (identity, vector, relative blur, face px) to every row of
    `index`, whose rows belong to `owners`."""
    blur, dist, same = [], [], []
    names = np.array(owners)
    for identity, vector, relative, _ in probes:
        row = index.fused(vector, relative, metric)
        blur.append(np.full(len(row), relative))
        dist.append(row)
        same.append(names == identity)
    return Samples(np.concatenate(blur), np.concatenate(dist), np.concatenate(same))


def rivals(index: GalleryIndex, probes: list[Probe], metric: str) -> Rivals:
    """Own and nearest other distances of the probes whose identity `index` holds."""
    names = np.asarray(index.names)
    rows = []
    for identity, vector, relative, _ in probes:
        own = names == identity
        if own.any() and not own.all():
            d = index.fused(vector, relative, metric)
            rows.append((relative, d[own].min(), d[~own].min()))
    return Rivals(*(np.array(column, float) for column in zip(*rows, strict=True)))


def appearance_samples(
    index: GalleryIndex, appearances: list[Appearance], metric: str, fusion: str
) -> Samples:
    """Each appearance's `fusion` score against every resident of `index` (one row each),
    tagged with the appearance's mean relative blur."""
    blur, dist, same = [], [], []
    for identity, vectors, relative in appearances:
        residents, d, _ = index.resident_distances(vectors, relative, metric)
        dist.append(FUSIONS[fusion](d))
        blur.append(np.full(len(residents), np.mean(relative)))
        same.append(np.asarray(residents) == identity)
    return Samples(np.concatenate(blur), np.concatenate(dist), np.concatenate(same))


def distinct_samples(appearances: list[Appearance], metric: str) -> Samples:
    """The distance between every two photos of each appearance (one identity, blurred alike),
    tagged with their mean relative blur."""
    blur, dist = [], []
    for _, vectors, relative in appearances:
        d = distances(vectors, vectors, metric)
        upper = np.triu_indices(len(vectors), k=1)
        r = np.asarray(relative)
        blur.append((r[:, None] + r[None, :])[upper] / 2)
        dist.append(d[upper])
    blur_all, dist_all = np.concatenate(blur), np.concatenate(dist)
    return Samples(blur_all, dist_all, np.ones(len(dist_all), bool))
