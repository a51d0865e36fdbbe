"""Per-appearance evidence measured by bench/lfw_appearances.py but not shipped: `judge_best`,
the best observation judged by the per-face rule with the stranger rate split over the n
observations (union bound: no assumption on how alike they are). The fusions of observations
judged by an appearance curve (`GalleryIndex.judge_appearance`, `FUSIONS`) live in
app/pipeline/matching.py; the service judges a track's windows by one of them
(app/pipeline/tracking.py).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.domain import Match
from app.pipeline.matching import AcceptRule, GalleryIndex


def judge_best(
    index: GalleryIndex,
    probes: np.ndarray,
    face_px: list[float],
    kernel: int,
    metric: str,
    rule: AcceptRule,
) -> Match:
    """The verdict for one appearance from its best observation: each of its n observations is
    judged by the per-face rule with the stranger rate split n ways (as if the gallery were n
    times larger), and the appearance is named R when some observation names R and none names
    anyone else. By the union bound a stranger's appearance is named with chance at most the
    per-face rate however alike its observations are (consecutive video frames are); unlike a
    curve fitted on appearances of distinct photos, nothing assumes they differ. Unrecognisable
    when most observations are."""
    matches = index.match(probes, face_px, kernel, metric, rule, tries=len(face_px))
    if 2 * sum(m.unrecognisable for m in matches) > len(matches):
        return next(m for m in matches if m.unrecognisable)
    judged = [m for m in matches if not m.unrecognisable]
    names = {m.name for m in judged if m.name}
    best = min(judged, key=lambda m: (m.name not in names, m.distance / m.threshold))
    return best if len(names) == 1 else replace(best, name=None, confidence=0)
