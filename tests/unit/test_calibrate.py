import numpy as np

from app.pipeline.matching import TailCurve
from bench.calibrate import LOG_RATES, Samples, max_useful_blur

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
