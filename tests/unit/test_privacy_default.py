"""One default privacy parameter: chosen from the shipped accept rule, offered by the web UI's
forms (tests/browser/test_ui_pages.py), used by `recognize` and by a camera given without one,
and stated as that number wherever the docs state a default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.cameras.registry import CameraRegistry
from app.cli import _parser
from app.config import Settings
from app.pipeline.matching import AcceptRule
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.privacy_advice import smallest_face
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER, PRIVACY_CHOICES
from app.store.cameras import CameraStore
from app.store.db import Database

ROOT = Path(__file__).resolve().parents[2]
RULE = AcceptRule.load("Dlib")
TYPICAL_FACE_PX = 110  # a home camera's face, as LFW's (docs/recognition.md)
# every document that states the default, and how it says it
STATED = re.compile(r"default privacy parameter\W+(?:is\W+)?(\d+)")
DOCS = [
    "README.md",
    *(
        f"docs/{d}.md"
        for d in ("recognition", "home-assistant", "cameras", "ui", "configuration", "http")
    ),
]


def test_the_default_names_a_typical_face_with_a_third_of_its_width_to_spare():
    """The largest offered level at which a face a third narrower than a home camera's typical
    one (the same resident a step farther away) can still be named."""
    spare = [k for k in PRIVACY_CHOICES if smallest_face(k, RULE) <= TYPICAL_FACE_PX * 2 / 3]
    assert max(spare) == DEFAULT_PRIVACY_PARAMETER
    PrivacyLevel.parse(DEFAULT_PRIVACY_PARAMETER, Settings().max_privacy_parameter)


def test_recognize_blurs_by_the_default_unless_told():
    args = _parser().parse_args(["recognize", "visit.mp4"])
    assert int(args.privacy) == DEFAULT_PRIVACY_PARAMETER
    assert _parser().parse_args(["recognize", "visit.mp4", "--privacy", "0"]).privacy == "0"


def test_a_camera_given_without_a_privacy_parameter_gets_the_default(tmp_path):
    cameras = {"porch": {"url": "rtsp://10.0.0.5/stream1", "watch": True}, "desk": "0"}
    settings = Settings(state_dir=tmp_path, cameras=cameras, camera_hosts=["10.0.0.7"])
    registry = CameraRegistry(settings, CameraStore(Database(tmp_path / "state.sqlite3")))
    hall = registry.add({"name": "hall", "url": "http://10.0.0.7/video.mjpg"})
    shed = registry.add(
        {"name": "shed", "url": "http://10.0.0.7/shed.mjpg", "privacy_parameter": 0}
    )
    assert {c.name: c.privacy_parameter for c in registry.all()} == {
        "desk": DEFAULT_PRIVACY_PARAMETER,
        "hall": DEFAULT_PRIVACY_PARAMETER,
        "porch": DEFAULT_PRIVACY_PARAMETER,
        "shed": 0,  # one that is given is kept as given
    }
    assert hall.privacy_parameter == DEFAULT_PRIVACY_PARAMETER and shed.privacy_parameter == 0


@pytest.mark.parametrize("doc", DOCS)
def test_the_docs_state_the_one_default(doc):
    stated = STATED.findall(" ".join((ROOT / doc).read_text().split()))
    assert stated and set(stated) == {str(DEFAULT_PRIVACY_PARAMETER)}, stated
