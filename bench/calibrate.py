"""Fit the open-set accept rule (app/pipeline/matching.py) on LFW development folds.

    python -m bench.calibrate --lfw ../shared/lfw      # writes app/pipeline/acceptance.json

Samples: every probe face (blurred, at every benchmark face size) against every enrolled photo of
another identity gives one stranger distance, tagged with the probe's relative blur; against its
own enrolled photos, one resident distance. Per relative-blur bin, the curve holds the distance
below which a stranger falls with chance 10^L, for L = -1, -1.5, ... -8: the empirical quantile
where at least `MIN_TAIL` samples lie below it; beyond, the steps per half decade keep shrinking
at the rate the last measured decades shrank (`tail`). Checked on the sharp faces, where the data
reach deepest: extrapolated from a tenth of the samples, the curve lies below (stricter than) what
all of them measure.

`runner_up` guards against look-alikes: a face is named only when the nearest other resident is
at least that many times as far as the nearest. It is the `RUNNER_UP_LOSS` quantile of that ratio
among the resident faces a 20-photo gallery names right on the fitted folds (every fitted fold's
residents enrolled together, so more rivals than a household has): the guard costs at most that
share of named residents there, and refuses faces that sit between two residents.

Appearance curves (`appearance-<fusion>`, `GalleryIndex.judge_appearance`): the same tail fit
on the fused scores of strangers' appearances (WALK photos of one identity) against enrolled
photos of other identities. A track's windows (app/pipeline/tracking.py) hold `window` = WALK
observations, each at least `distinct` from the others: per relative-blur bin, the
DISTINCT_QUANTILE quantile of the distances between two photos of one identity's walk (both
blurred alike), so that a window's observations differ as the photos of an LFW walk do, not as
consecutive video frames.

`max_blur` is the upper edge of the last calibrated blur bin in which a 20-photo gallery still
names at least `MIN_USEFUL_TAR` of resident faces: beyond it no threshold is both safe and
useful, and faces are "unrecognisable". `STRANGER_RATE` is a design choice
(docs/recognition.md), checked by `bench.accuracy --lfw --cv` on folds the fit did not see.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from app.pipeline.matching import (
    WINDOW_FUSION,
    AcceptRule,
    BlurCurve,
    TailCurve,
    curve_mode,
)
from bench import lfw_appearances
from bench.lfw import WALK
from bench.lfw_protocols import Bench
from bench.samples import Rivals, Samples

RULE_FILE = Path(__file__).resolve().parent.parent / "app" / "pipeline" / "acceptance.json"
BLUR_GRID = (0.0, 0.005, 0.01, 0.015, 0.0225, 0.034, 0.05, 0.075, 0.11)
LOG_RATES = tuple(-x / 2 for x in range(2, 17))  # -1.0, -1.5, ... -8.0
MIN_TAIL = 10  # samples needed below an empirical quantile
STRANGER_RATE = 5e-5  # designed chance that one stranger's face is named (1 in 20,000)
MIN_FACE_PX = 40  # the benchmark's smallest faces are ~50 px: narrower ones are not vouched for
MIN_USEFUL_TAR = 0.05
REFERENCE_GALLERY = 20  # photos a household gallery typically holds, for `max_blur`
RUNNER_UP_LOSS = 0.01  # share of named residents the look-alike guard may cost (fitted folds)
MIN_APPEARANCE_STRANGERS = 10_000  # stranger appearance scores needed per blur bin
DISTINCT_QUANTILE = 0.05  # share of two photos of one LFW identity closer than `distinct`
MIN_DISTINCT_PAIRS = 100  # same-identity photo pairs needed per blur bin


def fit_distinct(data: Samples) -> BlurCurve:
    """Per relative-blur bin with MIN_DISTINCT_PAIRS pairs, their DISTINCT_QUANTILE quantile."""
    blur, dist = [], []
    for centre, low, high in _bins():
        inside = data.distance[(data.blur > low) & (data.blur <= high)]
        if len(inside) >= MIN_DISTINCT_PAIRS:
            blur.append(centre)
            dist.append(round(float(np.quantile(inside, DISTINCT_QUANTILE)), 5))
    return BlurCurve(tuple(blur), tuple(dist))


def _bins() -> list[tuple[float, float, float]]:
    """(centre, low, high) per grid point: geometric midpoints between neighbours; the first
    bin holds the sharp faces."""
    grid = BLUR_GRID
    out = [(0.0, -1.0, grid[1] / 2)]
    for i in range(1, len(grid)):
        low = (grid[i - 1] * grid[i]) ** 0.5 if grid[i - 1] else grid[1] / 2
        high = (grid[i] * grid[i + 1]) ** 0.5 if i + 1 < len(grid) else np.inf
        out.append((grid[i], low, high))
    return out


def tail(distances: np.ndarray) -> tuple[float, ...]:
    """Distance at each of LOG_RATES: measured where MIN_TAIL samples reach; beyond, each
    half-decade step shrinks the distance by the last measured step times the ratio by which the
    last decade's steps shrank the decade before (clamped to [0.5, 1]). Never increasing."""
    ordered = np.sort(distances)
    measured = [
        float(np.quantile(ordered, 10**rate))
        for rate in LOG_RATES
        if 10**rate * len(ordered) >= MIN_TAIL
    ]
    steps = -np.diff(measured)  # how much each half decade deeper lowers the distance
    last, before = steps[-2:].sum(), steps[-4:-2].sum()
    ratio = float(np.clip(last / before, 0.5, 1.0)) ** 0.5 if before > 0 else 1.0
    out = list(measured)
    step = steps[-2:].mean()
    while len(out) < len(LOG_RATES):
        step *= ratio
        out.append(out[-1] - step)
    return tuple(round(max(0.0, d), 5) for d in np.minimum.accumulate(out))


def fit_curve(data: Samples, min_strangers: int = 20_000) -> TailCurve:
    blur, rows = [], []
    for centre, low, high in _bins():
        strangers = data.distance[(~data.same) & (data.blur > low) & (data.blur <= high)]
        if len(strangers) < min_strangers:
            continue
        blur.append(centre)
        rows.append(tail(strangers))
    return TailCurve(tuple(blur), LOG_RATES, tuple(rows))


def max_useful_blur(curve: TailCurve, data: Samples) -> float:
    """The upper edge of the last calibrated blur bin whose resident faces the rule still names
    at least MIN_USEFUL_TAR of: the bin's TAR is measured on faces up to that edge, so cutting
    at its centre would call half of a useful bin unrecognisable."""
    rule = AcceptRule({"gallery": curve}, STRANGER_RATE, np.inf, 0.0)
    useful = 0.0
    for centre, low, high in _bins():
        residents = data.distance[data.same & (data.blur > low) & (data.blur <= high)]
        if len(residents) < 30 or centre not in curve.blur:
            continue
        t = rule.threshold(centre, REFERENCE_GALLERY)
        if (residents <= t).mean() < MIN_USEFUL_TAR:
            break
        useful = centre if np.isinf(high) else round(float(high), 4)
    return useful


def fit_runner_up(curve: TailCurve, data: Rivals) -> float:
    """The `runner_up` ratio: see the module docstring."""
    rule = AcceptRule({"gallery": curve}, STRANGER_RATE, np.inf, 0.0)
    threshold = np.array([rule.threshold(b, REFERENCE_GALLERY) for b in data.blur])
    named = (data.own <= threshold) & (data.own < data.other)
    ratio = data.other[named] / np.maximum(data.own[named], 1e-9)
    return round(float(np.quantile(ratio, RUNNER_UP_LOSS)), 3)


def fit_rule(
    gallery: Samples,
    pair: Samples,
    rivals: Rivals,
    appearances: dict[str, Samples] | None = None,
    distinct: Samples | None = None,
) -> AcceptRule:
    """The rule fitted on these samples; `appearances`: fusion -> appearance scores;
    `distinct`: distances between photos of one identity's walk (for a track's windows)."""
    curve = fit_curve(gallery)
    curves = {"gallery": curve, "pair": fit_curve(pair)}
    for fusion, data in (appearances or {}).items():
        curves[curve_mode(fusion)] = fit_curve(data, MIN_APPEARANCE_STRANGERS)
    return AcceptRule(
        curves,
        STRANGER_RATE,
        max_useful_blur(curve, gallery),
        MIN_FACE_PX,
        runner_up=fit_runner_up(curve, rivals),
        window=WALK if distinct is not None else 0,
        distinct=fit_distinct(distinct) if distinct is not None else None,
    )


def write_rule(rule: AcceptRule, model: str, about: str) -> None:
    doc = {
        "about": about,
        "models": {
            model: {
                "curves": {
                    mode: {"blur": c.blur, "log_rates": c.log_rates, "distance": c.distance}
                    for mode, c in rule.curves.items()
                },
                "stranger_rate": rule.stranger_rate,
                "max_blur": rule.max_blur,
                "min_face_px": rule.min_face_px,
                "runner_up": rule.runner_up,
                **(
                    {
                        "window": rule.window,
                        "distinct": {
                            "blur": rule.distinct.blur,
                            "distance": rule.distinct.distance,
                        },
                    }
                    if rule.distinct
                    else {}
                ),
            }
        },
    }
    text = json.dumps(doc, indent=2)
    # one line per list of numbers, so that the file reads as a table
    text = re.sub(r"\[\s*([-0-9.e,\s]+?)\s*\]", lambda m: "[" + " ".join(m[1].split()) + "]", text)
    RULE_FILE.write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lfw", type=Path, required=True, help="LFW folder with pairs.txt")
    args = parser.parse_args()
    bench = Bench.open(args.lfw)
    appearances, distinct = lfw_appearances.calibration(bench, bench.folds)
    # the service judges windows by one fusion only (the others are measured, not shipped)
    shipped = {WINDOW_FUSION: appearances[WINDOW_FUSION]}
    rule = fit_rule(*bench.calibration_samples(bench.folds), shipped, distinct)
    write_rule(
        rule,
        bench.analyzer.embedder.name,
        f"Open-set accept rule fitted by `python -m bench.calibrate --lfw DIR` on LFW folds "
        f"{bench.folds} of pairs.txt ({bench.describe()}).",
    )
    print(f"wrote {RULE_FILE}: max_blur {rule.max_blur}")


if __name__ == "__main__":
    main()
