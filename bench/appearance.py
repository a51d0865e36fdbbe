"""Per-appearance evidence, as measured by bench/lfw_appearances.py: one verdict from all the
observations of one appearance of a face (several photos of one person walking by) instead of one
vote each (what app/pipeline/tracking.py does).

- `judge_best`: the best observation, judged by the per-face rule with the stranger rate split
  over the n observations (union bound: no assumption on how alike they are).
- `judge_appearance` with a fusion of `FUSIONS`: each observation is compared with every resident
  as a single face is (the resident's nearest row); the fusion turns the observations' distances
  to one resident into one score, judged by the rule's `appearance-<fusion>` curve: where a
  *stranger's appearance* comes that close to one enrolled photo with chance
  `stranger_rate / N` (bench/calibrate.py fits it on LFW appearances of WALK distinct photos).
The look-alike guard (`AcceptRule.runner_up`) applies as it does to single faces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from app.domain import Match
from app.pipeline.matching import AcceptRule, GalleryIndex, relative_blur

# observations x residents distances -> one score per resident
FUSIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda d: d.mean(axis=0),
    "min": lambda d: d.min(axis=0),
}


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


def curve_mode(fusion: str) -> str:
    """The rule's curve for appearances scored by `fusion`."""
    return f"appearance-{fusion}"


def resident_distances(
    index: GalleryIndex, probes: np.ndarray, relative: list[float], metric: str
) -> tuple[list[str], np.ndarray]:
    """The residents, and each observation's fused distance to each resident's nearest enrolled
    row: (observations, residents). Faces a camera saw (`GalleryIndex.seen`) take no part: the
    appearance protocol enrolls clean photos only."""
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
    usable_relative = [relative[i] for i in usable]
    residents, d = resident_distances(index, probes[usable], usable_relative, metric)
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
