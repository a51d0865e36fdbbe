import numpy as np
import pytest

from app.pipeline.matching import GalleryIndex, ThresholdTable, confidence, distances

TABLE = ThresholdTable.load(
    '{"models": {"Dlib": {"gallery": {"0": 0.6, "10": 0.7}, "pair": {"0": 0.6, "20": 0.5}}}}'
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


@pytest.mark.parametrize(
    "kernel, mode, expected",
    [
        (0, "gallery", 0.6),
        (5, "gallery", 0.65),
        (10, "gallery", 0.7),
        (51, "gallery", 0.7),
        (10, "pair", 0.55),
        (35, "pair", 0.5),
    ],
)
def test_thresholds_interpolate_between_calibrated_kernels_and_hold_beyond(kernel, mode, expected):
    assert TABLE.threshold("Dlib", "euclidean", kernel, mode) == pytest.approx(expected)


def test_uncalibrated_model_uses_deepface_default():
    assert TABLE.threshold("VGG-Face", "cosine", 17) == pytest.approx(0.68)


def test_shipped_table_covers_the_default_model():
    table = ThresholdTable.load()
    for mode in ("gallery", "pair"):
        assert 0.3 < table.threshold("Dlib", "euclidean", 17, mode) < 0.9


def test_confidence_scale():
    assert confidence(0.0, 0.6) == 100
    assert confidence(0.6, 0.6) == 50
    assert confidence(0.3, 0.6) == 75
    assert confidence(5.0, 0.6) == 0


def test_gallery_match_names_the_nearest_resident_within_threshold():
    index = GalleryIndex(("Ann", "Ann", "Ben"), np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    probes = np.array([[0.9, 0.1], [0.1, 0.8], [5.0, 5.0]])
    m = index.match(probes, "euclidean", 0.5)
    assert [x.name for x in m] == ["Ann", "Ben", None]
    assert m[0].distance == pytest.approx(np.hypot(0.1, 0.1))
    assert m[2].confidence == 0


def test_empty_gallery_names_nobody():
    empty = GalleryIndex((), np.zeros((0, 0)))
    assert [m.name for m in empty.match(np.ones((2, 3)), "euclidean", 0.6)] == [None, None]
