import numpy as np
import pytest

from app.pipeline.matching import TailCurve
from bench.calibrate import LOG_RATES, max_useful_blur
from bench.samples import Samples

CURVE = TailCurve((0.0, 0.0225, 0.034), LOG_RATES, ((0.05,) * len(LOG_RATES),) * 3)


def residents(blur: float, distance: float, n: int = 40) -> Samples:
    return Samples(np.full(n, blur), np.full(n, distance), np.ones(n, bool))


def test_max_blur_is_the_upper_edge_of_the_last_useful_band():
    # residents are named in the 0.0225 band and never in the 0.034 one
    data = Samples.concat([residents(0.0, 0.01), residents(0.024, 0.01), residents(0.034, 0.5)])
    edge = round((0.0225 * 0.034) ** 0.5, 4)  # between the 0.0225 and 0.034 grid points
    assert max_useful_blur(CURVE, data) == edge


def test_no_useful_band_leaves_every_blurred_face_unrecognisable():
    data = Samples.concat([residents(0.0, 0.5), residents(0.024, 0.5)])
    assert max_useful_blur(CURVE, data) == 0.0


def test_runner_up_ratio_is_a_low_quantile_of_named_residents_rival_ratios():
    from bench.calibrate import fit_runner_up
    from bench.samples import Rivals

    own = np.full(200, 0.02)
    other = np.linspace(0.03, 0.2, 200)  # ratios 1.5 ... 10
    far = Rivals(np.zeros(3), np.full(3, 0.5), np.full(3, 0.6))  # not named: no say
    ratio = fit_runner_up(CURVE, Rivals.concat([Rivals(np.zeros(200), own, other), far]))
    assert ratio == pytest.approx(np.quantile(other / own, 0.01), abs=1e-3)
