import cv2
import numpy as np
import pytest

from app.errors import InvalidPrivacyParameter
from app.pipeline.privacy import BlurredFrame, PrivacyLevel, require_blurred


@pytest.mark.parametrize("raw, kernel", [("0", 0), ("1", 1), ("3", 3), (17, 17), ("51", 51)])
def test_valid_privacy_parameters(raw, kernel):
    assert PrivacyLevel.parse(raw, maximum=51).kernel == kernel


@pytest.mark.parametrize(
    "raw",
    [
        *("2", "16", "-3", "abc", "3.0", "1e3", "", " ", "017", "53", "99999999999999999999"),
        *(
            "\u00b2",
            "\uff11\uff17",
            "\u0661\u0667",
            "\U0001d7cf\U0001d7d5",
            " 17",
            "17 ",
            "17\n",
            "+17",
            "1_7",
            "9" * 5000,
        ),
    ],
)
def test_invalid_privacy_parameters_are_refused_not_changed(raw):
    with pytest.raises(InvalidPrivacyParameter):
        PrivacyLevel.parse(raw, maximum=51)


def _frame() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 255, (60, 80, 3), dtype=np.uint8)


def test_blur_overwrites_the_decoded_buffer_in_place():
    raw = _frame()
    expected = cv2.GaussianBlur(raw.copy(), (17, 17), 0)
    blurred = PrivacyLevel(17).blur(raw)
    assert np.array_equal(blurred.pixels, expected)
    assert np.shares_memory(blurred.pixels, raw)  # no unblurred copy left behind
    assert np.array_equal(raw, expected)
    assert not blurred.pixels.flags.writeable


@pytest.mark.parametrize("kernel", [0, 1])
def test_zero_and_one_mean_no_blur(kernel):
    raw = _frame()
    before = raw.copy()
    assert np.array_equal(PrivacyLevel(kernel).blur(raw).pixels, before)


def test_blurred_frames_cannot_be_forged():
    with pytest.raises(TypeError):
        BlurredFrame(_frame(), 17, object())


def test_stages_refuse_bare_arrays():
    with pytest.raises(TypeError):
        require_blurred(_frame())
    assert isinstance(require_blurred(PrivacyLevel(3).blur(_frame())), BlurredFrame)
