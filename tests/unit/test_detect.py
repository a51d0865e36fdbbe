"""The vendored YuNet model: its hash is checked before OpenCV ever reads it."""

import hashlib

import pytest

from app.errors import ModelUnavailable
from app.pipeline.detect import YUNET_FILE, YUNET_SHA256, vendored_model


def test_the_vendored_yunet_file_matches_its_published_hash():
    path = vendored_model(YUNET_FILE, YUNET_SHA256)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == YUNET_SHA256
    assert path.stat().st_size == 232_589


def test_a_damaged_or_replaced_model_is_refused_with_both_hashes():
    with pytest.raises(ModelUnavailable) as err:
        vendored_model(YUNET_FILE, "0" * 64)
    message = err.value.message
    assert YUNET_SHA256 in message and "0" * 64 in message and "reinstall" in message


def test_a_missing_model_file_is_refused_clearly():
    with pytest.raises(ModelUnavailable, match="cannot be read"):
        vendored_model("no-such-model.onnx", YUNET_SHA256)
