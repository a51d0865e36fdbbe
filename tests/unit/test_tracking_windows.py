"""A track's windows of distinct observations (app/pipeline/tracking.py), on real embeddings of
the test photos with the shipped rule: near-duplicate frames add no evidence, distinct photos of
one person do; a window of a resident's photos names her, a stranger's names nobody.

The test photos of one person are much alike (most pairs closer than LFW's `distinct`, ~0.026):
the orders below put first two photos of each person that are farther apart than that, and the
tests that judge windows of them judge from the 2nd counted observation (`early`) instead of
the 5th."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from app.domain import Box, Match
from app.pipeline import tracking
from app.pipeline.matching import AcceptRule, BlurCurve, GalleryIndex, TailCurve, curve_mode
from app.pipeline.privacy import PrivacyLevel
from app.pipeline.tracking import Observation, Track
from tests.media import read_image

# not in the gallery (tests/conftest.py): Alice enrolls img1 and img2
ALICE = ["img11.jpg", "img5.jpg", "img4.jpg", "img6.jpg", "img7.jpg", "img10.jpg"]
STRANGER = ["img8.jpg", "img9.jpg", "img47.jpg", "img48.jpg", "img49.jpg", "img50.jpg"]  # person03


@pytest.fixture(scope="module")
def see(recognition, faces):
    """photo, k, shift -> an Observation of its face as a frame sees it: the photo moved by
    `shift` px and blurred with k (a consecutive video frame is the same face moved a little)."""
    analyzer = recognition.analyzer

    def observe(photo: str, kernel: int = 0, shift: int = 0) -> Observation:
        raw = read_image(faces / photo)
        moved = cv2.warpAffine(
            raw, np.array([[1, 0, shift], [0, 1, shift]], np.float32), raw.shape[1::-1]
        )
        privacy = PrivacyLevel(kernel)
        (face,) = analyzer.faces(privacy.blur(moved), analyzer.profile(privacy))
        vector = analyzer.embed([face])[0]
        return Observation(0, face.box, Match(None, 1.0, 0.1, 0), vector)

    return observe


@pytest.fixture
def early(monkeypatch) -> int:
    monkeypatch.setattr(tracking, "FIRST_WINDOW", 2)
    return 2


@pytest.fixture(scope="module")
def rule(recognition) -> AcceptRule:
    rule = recognition.analyzer.rule
    assert rule.windows, "acceptance.json holds no window calibration"
    return rule


@pytest.fixture(scope="module")
def index(recognition, gallery) -> GalleryIndex:
    return gallery.index_for(recognition.analyzer.profile(PrivacyLevel(0)).model_id)


def walk(track: Track, observations: list[Observation], index, rule, kernel: int = 0) -> Track:
    for o in observations:
        track.observations.append(o)
        track.count(o, index, rule, kernel, "cosine")
    return track


def test_a_moved_frame_of_the_same_photo_is_not_distinct_another_photo_is(see, index, rule):
    frames = [see("img11.jpg", shift=s) for s in (0, 3, 6)]
    track = walk(Track(0), frames, index, rule)
    assert len(track.distinct) == 1
    walk(track, [see("img5.jpg")], index, rule)
    assert len(track.distinct) == 2
    walk(track, [see("img4.jpg")], index, rule)  # another photo, but as close as a re-take
    assert len(track.distinct) == 2


def test_near_duplicate_frames_never_close_a_window(see, index, rule):
    frames = [see("img4.jpg", shift=s) for s in range(0, 20, 2)]
    track = walk(Track(0), frames, index, rule)
    assert len(track.observations) == 10
    assert len(track.distinct) == 1 and track.windows == []


@pytest.mark.parametrize("kernel", [0, 9])
def test_windows_of_a_residents_photos_name_her(see, index, rule, kernel, early):
    track = walk(Track(0), [see(p, kernel) for p in ALICE], index, rule, kernel)
    assert len(track.distinct) >= early
    assert len(track.windows) == len(track.distinct) - early + 1
    assert track.window_identity() == "Alice"
    assert track.identity(2) == "Alice"  # no observation voted (their matches name nobody)
    named = [w.confidence for w in track.windows if w.name == "Alice"]
    assert track.confidences("Alice") == named and min(named) >= 50
    assert track.face_of("Alice") is track.distinct[-1]


@pytest.mark.parametrize("kernel", [0, 9, 17])
def test_windows_of_a_strangers_photos_name_nobody(see, index, rule, kernel, early):
    track = walk(Track(0), [see(p, kernel) for p in STRANGER], index, rule, kernel)
    assert len(track.windows) == len(track.distinct) - early + 1 >= 1
    assert track.identity(2) is None


def test_once_a_window_is_judged_it_decides_not_the_votes(see, index, rule, early):
    # every observation votes Bob; the first two are one photo (one counted observation)
    bob = Match("Bob", 0.01, 0.05, 90)
    frames = [replace(see("img11.jpg", shift=s), match=bob) for s in (0, 2)]
    track = walk(Track(0), frames, index, rule)
    assert track.windows == [] and track.identity(2) == "Bob"  # the votes, while no window
    walk(track, [replace(see("img5.jpg"), match=bob)], index, rule)  # another photo of Alice
    assert len(track.windows) == 1 and track.identity(2) == "Alice"


def test_windows_naming_two_residents_name_nobody():
    track = Track(0, windows=[Match("Ann", 0.01, 0.05, 90), Match("Ben", 0.01, 0.05, 90)])
    assert track.identity(2) is None
    track.windows[1] = Match(None, 0.09, 0.05, 0)
    assert track.identity(2) == "Ann"


def test_without_window_calibration_only_votes_count(see, index, rule):
    votes_only = replace(rule, window=0)
    track = walk(Track(0), [see(p) for p in ALICE], index, votes_only)
    assert track.distinct == [] and track.windows == []


def test_trim_bounds_a_long_lived_track(see):
    o = see("img4.jpg")
    track = Track(0, [o] * 10, distinct=[o] * 10, windows=[Match(None, 1, 1, 0)] * 10)
    track.trim(3)
    assert (len(track.observations), len(track.distinct), len(track.windows)) == (3, 3, 3)


def test_an_unrecognisable_or_unembedded_observation_is_not_counted(see, index, rule):
    o = see("img4.jpg")
    blurred = replace(o, match=Match(None, 1.0, 0.1, 0, unrecognisable=True))
    unembedded = [replace(o, embedding=None), Observation(0, Box(0, 0, 9, 9), None)]
    track = walk(Track(0), [blurred, *unembedded], index, rule)
    assert track.distinct == []


class Recording(GalleryIndex):
    """An index that records the size of every window judged, and names nobody."""

    sizes: list[int]

    def judge_appearance(self, probes, face_px, kernel, metric, rule, fusion="min") -> Match:
        self.sizes.append(len(probes))
        return Match(None, 1.0, 0.1, 0)


def test_votes_decide_until_five_observations_are_counted(see, index, rule):
    # Alice's two distinct test photos, each voting Bob: two counted, no window yet
    bob = Match("Bob", 0.01, 0.05, 90)
    track = walk(Track(0), [replace(see(p), match=bob) for p in ALICE[:2]], index, rule)
    assert len(track.distinct) == 2 and track.windows == []
    assert track.identity(2) == "Bob"


def test_from_the_fifth_counted_observation_each_closes_a_window_of_the_latest_five():
    curve = TailCurve((0.0,), (-1.0, -8.0), ((0.5, 0.1),))
    rule = AcceptRule(
        {"gallery": curve, curve_mode("min"): curve}, 5e-5, 0.04, 40, window=5,
        distinct=BlurCurve((0.0,), (0.5,)),
    )  # fmt: skip
    index = Recording(("Ann",), np.eye(8, dtype=np.float32)[:1])
    object.__setattr__(index, "sizes", [])
    track = Track(0)
    for i, vector in enumerate(np.eye(8, dtype=np.float32)):  # 8 orthogonal: all distinct
        o = Observation(i, Box(0, 0, 100, 100), Match(None, 1.0, 0.1, 0), vector)
        track.observations.append(o)
        track.count(o, index, rule, 0, "cosine")
    assert len(track.distinct) == 8
    assert index.sizes == [5, 5, 5, 5]
