"""Per-appearance evidence: one verdict from all the observations of one appearance of a face
(several photos of one person walking by, a track of a video or camera) instead of one vote each.

Each observation is compared with every resident as a single face is (`GalleryIndex.fused`, the
resident's nearest row); a fusion (`FUSIONS`) turns the observations' distances to one resident
into one score, and the nearest resident by score is named when the score is below the accept
distance of the rule's `appearance-<fusion>` curve: where a *stranger's appearance* comes that close
to one enrolled photo with chance `stranger_rate / N` (bench/calibrate.py fits it on LFW
appearances of the development folds). So the chance that a stranger's appearance is named is
the per-face rate, per appearance. The look-alike guard (`AcceptRule.runner_up`) applies to the
scores as it applies to single faces.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.domain import Match
from app.pipeline.matching import AcceptRule, GalleryIndex, relative_blur

# observations x residents distances -> one score per resident
FUSIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda d: d.mean(axis=0),
    "min": lambda d: d.min(axis=0),
}


def curve_mode(fusion: str) -> str:
    """The rule's curve for appearances scored by `fusion`."""
    return f"appearance-{fusion}"


def resident_distances(
    index: GalleryIndex, probes: np.ndarray, relative: list[float], metric: str
) -> tuple[list[str], np.ndarray]:
    """The residents, and each observation's fused distance to each resident's nearest row:
    (observations, residents)."""
    residents = index.residents
    rows = np.stack([index.fused(p, r, metric) for p, r in zip(probes, relative, strict=True)])
    names = np.asarray(index.names)
    return residents, np.stack([rows[:, names == r].min(axis=1) for r in residents], axis=1)


def judge_appearance(
    index: GalleryIndex,
    probes: np.ndarray,
    face_px: list[float],
    kernel: int,
    metric: str,
    rule: AcceptRule,
    fusion: str,
) -> Match:
    """The verdict for one appearance (`probes`: one embedding per observation, `face_px`: their
    widths). Unrecognisable when most observations are; the others are fused."""
    relative = [relative_blur(kernel, w) for w in face_px]
    usable = [i for i, w in enumerate(face_px) if rule.recognisable(relative[i], w)]
    if 2 * len(usable) < len(face_px) or not usable:
        threshold = rule.threshold(rule.max_blur, 1)
        return Match(None, np.inf, threshold, 0, unrecognisable=True)
    mean_relative = float(np.mean([relative[i] for i in usable]))
    if not index.names:
        return rule.judge(np.inf, None, mean_relative, max(face_px), 1)
    residents, d = resident_distances(index, probes[usable], [relative[i] for i in usable], metric)
    scores = FUSIONS[fusion](d)
    best = int(np.argmin(scores))
    rival = float(np.delete(scores, best).min()) if len(scores) > 1 else np.inf
    return rule.judge(
        float(scores[best]),
        residents[best],
        mean_relative,
        max(face_px[i] for i in usable),
        len(index.names),
        rival,
        curve_mode(fusion),
    )
