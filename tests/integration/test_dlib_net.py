"""dlib's ResNet rebuilt as an ONNX graph gives dlib's own vectors (acceptance.json stays valid)."""

import cv2
import numpy as np
import pytest

from app.errors import ModelUnavailable
from app.pipeline import dlib_net, models
from app.pipeline.embed import DlibEmbedder
from app.pipeline.privacy import PrivacyLevel


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return models.provision(tmp_path_factory.mktemp("models"))


def _chips(faces, weights, kernel):
    import dlib

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(weights / models.SHAPE_PREDICTOR_5))
    chips = []
    for path in sorted(faces.glob("*.jpg")):
        blurred = PrivacyLevel(kernel).blur(cv2.imread(str(path)))
        rgb = cv2.cvtColor(blurred.pixels, cv2.COLOR_BGR2RGB)
        for box in detector(rgb, 0)[:1]:
            shape = predictor(rgb, box)
            chips.append(np.asarray(dlib.get_face_chip(rgb, shape, size=150, padding=0.15)))
    return chips


@pytest.mark.models
@pytest.mark.parametrize("kernel", [0, 17, 35])
def test_onnx_graph_gives_dlibs_vectors_within_1e4(faces, weights, kernel):
    import dlib

    chips = _chips(faces, weights, kernel)
    assert len(chips) >= 40
    reference = dlib.face_recognition_model_v1(str(weights / models.DLIB_RESNET))
    expected = np.asarray(reference.compute_face_descriptor(chips), np.float32)
    got = DlibEmbedder(weights / models.DLIB_RESNET, threads=1).embed(chips)
    assert got.shape == expected.shape == (len(chips), 128)
    assert np.abs(got - expected).max() < 1e-4


def test_a_damaged_model_file_is_refused_clearly(tmp_path, weights):
    damaged = tmp_path / models.DLIB_RESNET
    damaged.write_bytes((weights / models.DLIB_RESNET).read_bytes()[:5_000_000])
    with pytest.raises(ModelUnavailable, match=r"cannot be read|not the 128-d"):
        DlibEmbedder(damaged)
    with pytest.raises(ModelUnavailable, match="cannot be read"):
        DlibEmbedder(tmp_path / "missing.dat")


def test_the_graph_is_built_once_beside_its_source_and_rebuilt_when_the_source_changes(
    tmp_path, weights
):
    source = tmp_path / models.DLIB_RESNET
    source.write_bytes((weights / models.DLIB_RESNET).read_bytes())
    first = dlib_net.converted(source, tmp_path)
    built_at = first.stat().st_mtime_ns
    assert dlib_net.converted(source, tmp_path) == first
    assert first.stat().st_mtime_ns == built_at  # not rebuilt
    with source.open("ab") as f:
        f.write(b"\0")  # another file: another graph
    assert dlib_net.converted(source, tmp_path) != first


def test_a_models_folder_that_cannot_be_written_still_gives_the_graph(tmp_path, weights):
    folder = tmp_path / "not-a-folder"
    folder.write_text("")  # writing into it fails, even as root
    graph = dlib_net.converted(weights / models.DLIB_RESNET, folder)
    assert isinstance(graph, bytes) and len(graph) > 20_000_000
