"""Models come from registry packages only; a model without weights fails at start-up, clearly."""

import socket

import pytest

from app.config import Settings
from app.errors import ModelUnavailable
from app.pipeline import models
from app.services import Services


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a non-loopback connection fails the test."""
    real = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"network access attempted: {address}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def test_default_models_are_provisioned_from_packages(tmp_path, no_network):
    weights = models.provision(tmp_path / "models")
    for name in (models.DLIB_RESNET, models.SHAPE_PREDICTOR_5, models.MMOD_DETECTOR):
        assert (weights / name).is_file()
    assert models.recognizer_status("Dlib", tmp_path / "models").usable


def test_vgg_face_without_weights_fails_at_start_up_with_instructions(tmp_path, no_network):
    with pytest.raises(ModelUnavailable) as err:
        Services.build(Settings(state_dir=tmp_path, recognizer="VGG-Face"))
    message = err.value.message
    assert "vgg_face_weights.h5" in message
    assert str(models.weights_dir((tmp_path / "models").resolve())) in message
    assert "python -m app models fetch" in message
    status = models.recognizer_status("VGG-Face", (tmp_path / "models").resolve())
    assert not status.usable and "vgg_face_weights.h5" in status.detail


def test_unknown_model_names_are_refused(tmp_path):
    with pytest.raises(ModelUnavailable, match="unknown recognizer"):
        Services.build(Settings(state_dir=tmp_path, recognizer="NoSuchNet"))
    with pytest.raises(ModelUnavailable, match="unknown detector"):
        Services.build(Settings(state_dir=tmp_path, detector="nope"))


def test_yunet_loads_offline_from_the_vendored_file_and_finds_blurred_faces(faces, no_network):
    import cv2

    from app.pipeline.detect import YuNetDetector
    from app.pipeline.privacy import PrivacyLevel

    detector = YuNetDetector(min_face_px=20)
    for kernel in (0, 17, 35):
        frame = PrivacyLevel(kernel).blur(cv2.imread(str(faces / "couple.jpg")))
        assert len(detector.detect(frame)) == 2, kernel
