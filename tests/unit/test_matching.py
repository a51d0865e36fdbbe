import math
from dataclasses import replace

import numpy as np
import pytest

from app.pipeline.matching import (
    BLUR_LEVELS,
    AcceptRule,
    GalleryIndex,
    SeenFaces,
    TailCurve,
    blur_level,
    blur_sigma,
    confidence,
    distances,
    kernel_for_sigma,
    relative_blur,
)


def test_euclidean_distances_match_a_naive_loop():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 8)), rng.normal(size=(5, 8))
    naive = np.array([[np.linalg.norm(x - y) for y in b] for x in a])
    assert np.allclose(distances(a, b, "euclidean"), naive, atol=1e-6)


def test_cosine_distance():
    a = np.array([[1.0, 0.0], [0.0, 2.0]])
    d = distances(a, np.array([[3.0, 0.0]]), "cosine")
    assert d[:, 0] == pytest.approx([0.0, 1.0])


def test_confidence_scale():
    assert confidence(0.0, 0.6) == 100
    assert confidence(0.6, 0.6) == 50
    assert confidence(0.3, 0.6) == 75
    assert confidence(5.0, 0.6) == 0


RATES = (-1.0, -2.0, -3.0, -4.0, -5.0, -6.0)
SHARP = (0.20, 0.15, 0.12, 0.10, 0.08, 0.07)
BLURRED = (0.18, 0.13, 0.10, 0.08, 0.06, 0.05)
RULE = AcceptRule(
    {
        "gallery": TailCurve((0.0, 0.04), RATES, (SHARP, BLURRED)),
        "pair": TailCurve((0.0,), RATES, (BLURRED,)),
    },
    stranger_rate=1e-3,
    max_blur=0.04,
    min_face_px=40,
)


def test_threshold_is_where_one_comparison_undercuts_with_the_designed_rate():
    assert RULE.threshold(0.0, 1) == pytest.approx(0.12)  # 1e-3 against one photo
    assert RULE.threshold(0.0, 1, "pair") == pytest.approx(0.10)
    # between calibrated rates and blur levels, the curve is interpolated
    assert RULE.threshold(0.0, 3) == pytest.approx(0.12 - 0.02 * math.log10(3))
    assert RULE.threshold(0.02, 1) == pytest.approx((0.12 + 0.10) / 2)


def test_a_larger_gallery_tightens_the_threshold_open_set():
    one, ten, hundred = (RULE.threshold(0.0, n) for n in (1, 10, 100))
    assert one > ten > hundred
    # ten photos: each comparison may only carry a tenth of the designed rate
    assert ten == pytest.approx(0.10) and hundred == pytest.approx(0.08)


def test_more_blur_relative_to_the_face_tightens_the_threshold():
    assert RULE.threshold(0.0, 5) > RULE.threshold(0.02, 5) > RULE.threshold(0.04, 5)


def test_relative_blur_is_sigma_over_face_width():
    assert blur_sigma(0) == blur_sigma(1) == 0.0
    assert blur_sigma(17) == pytest.approx(2.9)  # OpenCV: 0.3 * ((k - 1) / 2 - 1) + 0.8
    assert relative_blur(17, 100) == pytest.approx(0.029)
    # the same kernel hurts a small face more
    assert relative_blur(17, 50) == pytest.approx(2 * relative_blur(17, 100))


@pytest.mark.parametrize("sigma", [0.8, 1.7, 2.9, 4.1, 7.7])
def test_kernel_for_sigma_inverts_blur_sigma(sigma):
    assert blur_sigma(kernel_for_sigma(sigma)) == pytest.approx(sigma, abs=0.16)
    assert kernel_for_sigma(sigma) % 2 == 1


def test_blur_level_is_the_nearest_enrollment_level_and_none_when_sharp():
    assert blur_level(0.0) is None
    assert blur_level(0.005) is None
    assert blur_level(0.024) == 0.0225
    assert blur_level(0.2) == BLUR_LEVELS[-1]


@pytest.mark.parametrize(
    ("relative", "face_px", "expected"),
    [(0.039, 100, False), (0.041, 100, True), (0.0, 39, True), (0.0, 40, False)],
)
def test_faces_too_blurred_or_too_small_are_unrecognisable(relative, face_px, expected):
    match = RULE.judge(0.1, "Ann", relative, face_px, 1)
    assert match.unrecognisable is expected
    assert (match.name is None) is expected


def test_judge_names_only_within_the_threshold():
    t = RULE.threshold(0.0, 3)
    assert RULE.judge(t - 0.01, "Ann", 0.0, 100, 3).name == "Ann"
    beyond = RULE.judge(t + 0.01, "Ann", 0.0, 100, 3)
    assert beyond.name is None and not beyond.unrecognisable
    assert beyond.confidence == 0


def test_a_fixed_threshold_overrides_the_rule():
    fixed = AcceptRule(RULE.curves, 1e-3, 0.04, 40, fixed=0.6)
    assert fixed.threshold(0.0, 1) == fixed.threshold(0.03, 100) == 0.6


def test_shipped_rule_covers_the_default_model_and_tightens_with_gallery_size():
    rule = AcceptRule.load("Dlib")
    assert 0.02 < rule.threshold(0.0, 1) < 0.2  # cosine distances
    assert rule.threshold(0.0, 20) < rule.threshold(0.0, 1)
    assert 0 < rule.max_blur < 0.2


def test_uncalibrated_models_get_deepfaces_threshold():
    rule = AcceptRule.load("VGG-Face")
    assert rule.threshold(0.03, 50) == pytest.approx(0.68)


def _index() -> GalleryIndex:
    clean = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    return GalleryIndex(("Ann", "Ann", "Ben"), clean, {level: clean + 0.2 for level in BLUR_LEVELS})


def test_gallery_match_names_the_nearest_resident_within_the_rule():
    probes = np.array([[0.96, 0.03], [0.03, 0.95], [5.0, 5.0]])
    m = _index().match(probes, [100, 100, 100], 0, "euclidean", RULE)
    assert [x.name for x in m] == ["Ann", "Ben", None]
    assert m[0].distance == pytest.approx(np.hypot(0.04, 0.03))
    assert m[2].confidence == 0


def test_a_blurred_probe_is_compared_with_clean_and_blurred_photos_averaged():
    probe = np.array([1.0, 0.0])
    index = _index()
    relative = relative_blur(17, 100)
    fused = index.fused(probe, relative, "euclidean")
    clean = np.linalg.norm(index.vectors - probe, axis=1)
    blurred = np.linalg.norm(index.blurred[blur_level(relative)] - probe, axis=1)
    assert fused == pytest.approx((clean + blurred) / 2)
    assert index.fused(probe, 0.0, "euclidean") == pytest.approx(clean)


def test_empty_gallery_names_nobody():
    empty = GalleryIndex((), np.zeros((0, 0)))
    assert [m.name for m in empty.match(np.ones((2, 3)), [100, 100], 0, "euclidean", RULE)] == [
        None,
        None,
    ]


def test_a_probe_closer_to_a_residents_negative_than_to_the_resident_is_not_named():
    """ "That was not me": Ann's negative at (0.92, 0.06) refuses the face next to it, while a face
    nearer Ann's photo than to the negative, and Ben's faces, are named as before."""
    index = replace(_index(), negatives={"Ann": np.array([[0.92, 0.06]])})
    probes = np.array([[0.93, 0.05], [0.99, 0.0], [0.03, 0.95]])
    m = index.match(probes, [100, 100, 100], 0, "euclidean", RULE)
    assert [x.name for x in m] == [None, "Ann", "Ben"]
    assert not m[0].unrecognisable  # refused as nobody, not as too blurred
    assert [x.name for x in _index().match(probes, [100] * 3, 0, "euclidean", RULE)] == [
        "Ann",
        "Ann",
        "Ben",
    ]


def test_a_negative_of_another_resident_does_not_refuse():
    index = replace(_index(), negatives={"Ben": np.array([[0.93, 0.05]])})
    m = index.match(np.array([[0.93, 0.05]]), [100], 0, "euclidean", RULE)
    assert m[0].name == "Ann"


def test_negatives_are_compared_like_with_like():
    rule = AcceptRule.load("Dlib")
    sharp, blurred = rule.pair_to_gallery(0.0), rule.pair_to_gallery(relative_blur(25, 110))
    assert 0.95 < sharp < 1.05 and blurred > 1.2  # faces blurred alike look alike
    assert AcceptRule({}, 0.0, math.inf, 0.0, 0.4).pair_to_gallery(0.03) == 1.0  # uncalibrated
    index = GalleryIndex(
        ("Ann",), np.array([[1.0, 0.0]], np.float32), negatives={"Ann": np.array([[0.0, 1.0]])}
    )
    probe = np.array([0.6, 0.8])  # 0.4 from Ann's photo, 0.2 from the face marked "not Ann"
    assert index.refuted(probe, "Ann", 0.4, "cosine")
    assert not index.refuted(probe, "Ann", 0.4, "cosine", scale=2.5)
    assert not index.refuted(probe, "Bob", 0.4, "cosine")  # no negatives of Bob


def test_a_face_seen_sharp_is_one_more_row_of_its_resident_in_every_view():
    clean = np.array([[1.0, 0.0]], np.float32)
    index = GalleryIndex(("Ann",), clean, {0.01: clean * 0.9})
    seen = np.array([[0.0, 1.0]], np.float32)  # a face confirmed as Bob's, seen unblurred
    grown = index.with_faces({"Bob": SeenFaces(seen, np.array([0.0]))})
    assert grown.names == ("Ann", "Bob") and index.with_faces({}) is index
    assert np.array_equal(grown.vectors[1], seen[0])
    assert np.array_equal(grown.blurred[0.01][1], seen[0])  # it has no other view
    (match,) = grown.match(seen, [200.0], 0, "cosine", AcceptRule({}, 0.0, math.inf, 0.0, 0.1))
    assert match.name == "Bob"


def test_a_face_seen_blurred_is_its_residents_view_at_that_blur_only_and_counts_there():
    """Bob confirmed from a camera at privacy 17, his face 85 px wide (relative blur 3.4 %): a
    face blurred like it is compared with it, and the gallery counts one more row for it; a
    sharp or less blurred face is not compared with it at all."""
    clean = np.array([[1.0, 0.0]], np.float32)
    index = GalleryIndex(("Ann",), clean, {level: clean for level in BLUR_LEVELS})
    seen = np.array([[0.0, 1.0]], np.float32)
    relative = relative_blur(17, 85)
    assert blur_level(relative) == 0.034
    grown = index.with_faces({"Bob": SeenFaces(seen, np.array([relative]))})
    assert grown.names == ("Ann",) and len(grown.vectors) == 1  # not a clean photo of Bob
    assert grown.seen[0.034][0] == ("Bob",)
    rule = AcceptRule.load("Dlib")
    (alike,) = grown.match(seen, [85.0], 17, "cosine", rule)
    assert alike.name == "Bob"
    assert alike.threshold == pytest.approx(rule.threshold(relative, 2))  # N = Ann + Bob's view
    (sharper,) = grown.match(seen, [290.0], 17, "cosine", rule)  # relative blur 1 %
    assert sharper.name is None
    assert sharper.threshold == pytest.approx(rule.threshold(relative_blur(17, 290), 1))
    names, views = grown.views(relative)
    assert names == ("Ann", "Bob") and np.array_equal(views, np.concatenate([clean, seen]))
    assert grown.views(0.0)[0] == ("Ann",)


def test_a_cosine_distance_is_never_below_zero():
    """float32 rounding made cosine self-distances -3.6e-7: "distance -0.000" in a
    near-duplicate rejection."""
    vectors = np.random.default_rng(0).normal(size=(50, 128)).astype(np.float32)
    own = np.diag(distances(vectors, vectors, "cosine"))
    assert own.min() >= 0.0 and {f"{d:.3f}" for d in own} == {"0.000"}


def test_a_face_nearly_as_close_to_another_resident_is_not_named():
    """Look-alikes: Ann is nearest, but Ben is less than `runner_up` times as far."""
    guarded = replace(RULE, runner_up=1.5)
    index = GalleryIndex(("Ann", "Ben"), np.array([[1.0, 0.0], [0.0, 1.0]]))
    between = np.array([[0.52, 0.48]])  # 0.68 from Ann, 0.71 from Ben: ambiguous
    near_ann = np.array([[0.96, 0.03]])
    loose = replace(guarded, fixed=1.0)
    assert [m.name for m in index.match(between, [100], 0, "euclidean", loose)] == [None]
    assert [m.name for m in index.match(near_ann, [100], 0, "euclidean", loose)] == ["Ann"]
    assert not index.match(between, [100], 0, "euclidean", loose)[0].unrecognisable
    # one resident's own photos are no rivals
    (alone,) = GalleryIndex(("Ann", "Ann"), np.array([[1.0, 0.0], [0.96, 0.28]])).match(
        between, [100], 0, "euclidean", loose
    )
    assert alone.name == "Ann"


def test_rules_without_a_runner_up_ratio_load_without_the_guard():
    assert RULE.runner_up == 1.0
    assert AcceptRule.load("Dlib").runner_up >= 1.0


def test_faces_a_camera_saw_are_judged_in_the_pair_currency():
    """A confirmed camera face was blurred like the probe: its distance is a pair distance,
    scaled up by the pair/gallery ratio before the gallery's accept distance judges it."""
    rule = AcceptRule.load("Dlib")
    relative = relative_blur(25, 110)
    assert rule.pair_to_gallery(relative, 60) > 1.2
    clean = np.array([[1.0, 0.0]], np.float32)
    index = GalleryIndex(("Ann",), clean, {level: clean for level in BLUR_LEVELS})
    bob = np.array([[0.0, 1.0]], np.float32)
    grown = index.with_faces({"Bob": SeenFaces(bob, np.array([relative]))})
    threshold = rule.threshold(relative, 2)
    # a probe whose raw distance to Bob's view is just under the accept distance: scaled, over
    angle = np.arccos(1 - 0.95 * threshold)
    probe = np.array([[np.sin(angle), np.cos(angle)]], np.float32)
    (match,) = grown.match(probe, [110.0], 25, "cosine", rule)
    assert match.name is None
    assert match.distance == pytest.approx(
        0.95 * threshold * rule.pair_to_gallery(relative, 2), rel=1e-3
    )
