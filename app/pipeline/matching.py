"""Vectorised matching against the whole gallery, with thresholds per model and privacy level.

Thresholds come from `thresholds.json`, calibrated by `bench/accuracy.py --calibrate` on the test
pairs. Two tables per model: `gallery` (a clean enrollment photo against a blurred probe: what
`/check_directory` does) and `pair` (both images blurred alike: verification). Between calibrated
kernel sizes the threshold is interpolated linearly; beyond the last one it is held.

Confidence (0-100) says how far inside the accept threshold a distance lies:
`100 * (1 - distance / (2 * threshold))`, clipped. 100 = identical embeddings, 50 = exactly at the
threshold; a face is only ever named with confidence >= 50.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np

from app.domain import Match

Mode = Literal["gallery", "pair"]


def distances(probes: np.ndarray, gallery: np.ndarray, metric: str) -> np.ndarray:
    """(m, d) x (n, d) -> (m, n) distance matrix, euclidean or cosine."""
    if metric == "cosine":
        a = probes / np.maximum(np.linalg.norm(probes, axis=1, keepdims=True), 1e-12)
        b = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
        return 1.0 - a @ b.T
    sq = (
        np.sum(probes**2, axis=1)[:, None]
        + np.sum(gallery**2, axis=1)[None, :]
        - 2.0 * probes @ gallery.T
    )
    return np.sqrt(np.maximum(sq, 0.0))


def confidence(distance: float, threshold: float) -> int:
    return round(100 * min(1.0, max(0.0, 1.0 - distance / (2.0 * threshold))))


@dataclass(frozen=True)
class ThresholdTable:
    """model name -> mode -> ((kernel, threshold), ...) sorted by kernel."""

    points: dict[str, dict[str, tuple[tuple[int, float], ...]]]

    @classmethod
    def load(cls, text: str | None = None) -> ThresholdTable:
        if text is None:
            text = resources.files("app.pipeline").joinpath("thresholds.json").read_text()
        raw = json.loads(text)["models"]
        return cls(
            {
                model: {
                    mode: tuple(sorted((int(k), float(t)) for k, t in pts.items()))
                    for mode, pts in modes.items()
                }
                for model, modes in raw.items()
            }
        )

    def threshold(self, model: str, metric: str, kernel: int, mode: Mode = "gallery") -> float:
        pts = self.points.get(model, {}).get(mode)
        if not pts:
            return _deepface_default(model, metric)
        ks = [k for k, _ in pts]
        ts = [t for _, t in pts]
        return float(np.interp(kernel, ks, ts))


def _deepface_default(model: str, metric: str) -> float:
    from deepface.config.threshold import thresholds

    return float(thresholds.get(model, {}).get(metric, 0.4))


@dataclass(frozen=True)
class GalleryIndex:
    """All usable enrollment embeddings of one gallery, one row per image."""

    names: tuple[str, ...]  # resident name of each row
    vectors: np.ndarray  # (n, d) float32

    @property
    def residents(self) -> list[str]:
        return sorted(set(self.names))

    def match(self, probes: np.ndarray, metric: str, threshold: float) -> list[Match]:
        """Nearest resident of each probe row, named only when within `threshold`."""
        if len(probes) == 0:
            return []
        if len(self.names) == 0:
            return [Match(None, float("inf"), threshold, 0) for _ in range(len(probes))]
        dist = distances(probes, self.vectors, metric)
        best = np.argmin(dist, axis=1)
        out = []
        for row, col in enumerate(best):
            d = float(dist[row, col])
            name = self.names[col] if d <= threshold else None
            out.append(Match(name, d, threshold, confidence(d, threshold) if name else 0))
        return out
