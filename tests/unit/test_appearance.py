import math
from dataclasses import replace

import numpy as np
import pytest

from app.pipeline.matching import FUSIONS, AcceptRule, GalleryIndex, TailCurve, curve_mode

RATES = (-1.0, -3.0, -6.0)
FACE = TailCurve((0.0,), RATES, ((0.6, 0.4, 0.2),))
WIDE = TailCurve((0.0,), RATES, ((0.9, 0.7, 0.5),))
RULE = AcceptRule(
    {"gallery": FACE, curve_mode("mean"): WIDE, curve_mode("min"): FACE},
    stranger_rate=1e-3,
    max_blur=0.04,
    min_face_px=40,
)
INDEX = GalleryIndex(
    ("Ann", "Ann", "Ben"), np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], np.float32)
)


def test_each_observation_is_compared_with_each_residents_nearest_row():
    probes = np.array([[1.0, 0.0], [0.0, 1.0]])
    residents, d, compared = INDEX.resident_distances(probes, [0.0, 0.0], "euclidean")
    assert residents == ["Ann", "Ben"]
    assert compared == 3
    assert d == pytest.approx(np.array([[0.0, math.sqrt(2)], [math.hypot(0.9, 0.9), 0.0]]))


def test_fusions_turn_observations_into_one_score_per_resident():
    d = np.array([[0.1, 0.9], [0.5, 0.3]])
    assert FUSIONS["mean"](d) == pytest.approx([0.3, 0.6])
    assert FUSIONS["min"](d) == pytest.approx([0.1, 0.3])


def test_an_appearance_is_named_by_its_fused_score_against_its_own_curve():
    # three views of Ann, each 0.45 from her photo: too far for one face (0.38 at 1e-3 / 2),
    # near enough for the mean of an appearance, whose curve says strangers' appearances come
    # less close; the min of the three is judged by a curve as strict as a face's
    index = GalleryIndex(("Ann", "Ben"), np.array([[1.0, 0.0], [0.0, 1.0]], np.float32))
    probes = np.array([[1.45, 0.0], [0.55, 0.0], [1.0, 0.45]], np.float32)
    widths = [100.0] * 3
    assert [m.name for m in index.match(probes, widths, 0, "euclidean", RULE)] == [None] * 3
    match = index.judge_appearance(probes, widths, 0, "euclidean", RULE, "mean")
    assert match.name == "Ann"
    assert match.threshold == pytest.approx(RULE.threshold(0, 2, curve_mode("mean")))
    assert index.judge_appearance(probes, widths, 0, "euclidean", RULE, "min").name is None


def test_an_appearance_mostly_too_small_for_its_blur_is_unrecognisable():
    probes = np.array([[1.0, 0.0]] * 3, np.float32)
    match = INDEX.judge_appearance(probes, [100, 20, 20], 0, "euclidean", RULE, "mean")
    assert match.unrecognisable and match.name is None
    assert (
        INDEX.judge_appearance(probes, [100, 100, 20], 0, "euclidean", RULE, "mean").name == "Ann"
    )


def test_an_appearance_between_two_residents_names_nobody():
    probes = np.array([[0.5, 0.5]] * 2, np.float32)
    loose = replace(RULE, fixed=2.0, runner_up=1.5)
    assert INDEX.judge_appearance(probes, [100, 100], 0, "euclidean", loose, "mean").name is None
    empty = GalleryIndex((), np.zeros((0, 2)))
    assert empty.judge_appearance(probes, [100, 100], 0, "euclidean", loose, "mean").name is None
