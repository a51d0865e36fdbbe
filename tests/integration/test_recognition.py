"""The real models on real photos: recognition, blur, strangers, hostile input."""

import shutil

import cv2
import numpy as np
import pytest

from app.errors import AppError
from app.pipeline.detect import HaarDetector
from app.pipeline.matching import distances, relative_blur
from app.pipeline.privacy import PrivacyLevel
from bench.synth_video import Appearance, write_video
from tests.media import hostile_files

STRANGERS = ["img29.jpg", "img30.jpg", "img34.jpg", "img35.jpg", "img38.jpg", "img3.jpg"]


def recognize(recognition, gallery, path, kernel):
    return recognition.recognize_file(path, recognition.privacy(kernel), gallery)


@pytest.mark.parametrize("kernel", [0, 17])
@pytest.mark.parametrize(
    "photo, resident", [("img4.jpg", "Alice"), ("img16.jpg", "Bob"), ("img28.jpg", "Carol")]
)
def test_residents_are_recognised_in_other_photos(
    recognition, gallery, faces, photo, resident, kernel
):
    result = recognize(recognition, gallery, faces / photo, kernel)
    assert [r.name for r in result.residents] == [resident]
    assert result.residents[0].confidence >= 50
    assert result.count_frames == result.analysed_frames == 1


@pytest.mark.parametrize("kernel", [0, 17, 35, 51])
def test_strangers_are_never_reported_as_residents(recognition, gallery, faces, kernel):
    for photo in STRANGERS:
        result = recognize(recognition, gallery, faces / photo, kernel)
        assert result.residents == (), photo
        assert result.unknown_faces + result.unrecognisable_faces == 1, photo


@pytest.mark.parametrize("kernel", [17, 25])
def test_a_small_face_under_strong_blur_is_unrecognisable_not_a_guess(
    recognition, gallery, faces, tmp_path, kernel
):
    # Alice's photo shrunk so that her face is ~45 px wide: at these kernels the blur is a
    # large fraction of the face, so the analyser must say so rather than name or count her.
    photo = cv2.imread(str(faces / "img4.jpg"))
    small = cv2.resize(photo, None, fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA)
    canvas = np.full((360, 640, 3), 90, np.uint8)
    canvas[40 : 40 + small.shape[0], 60 : 60 + small.shape[1]] = small
    path = tmp_path / "far-away.png"
    cv2.imwrite(str(path), canvas)
    result = recognize(recognition, gallery, path, kernel)
    assert result.residents == ()
    assert (result.unrecognisable_faces, result.unknown_faces) == (1, 0)
    # the same small face without blur is still Alice
    assert [r.name for r in recognize(recognition, gallery, path, 0).residents] == ["Alice"]


def test_same_and_different_people_by_distance(recognition, faces):
    analyzer = recognition.analyzer
    privacy = PrivacyLevel(9)

    def embed(photo):
        frame = privacy.blur(cv2.imread(str(faces / photo)))
        return analyzer.embed(analyzer.faces(frame, analyzer.profile(privacy)))[0]

    def distance(a, b):
        return distances(embed(a)[None], embed(b)[None], analyzer.embedder.metric)[0, 0]

    threshold = analyzer.rule.threshold(relative_blur(9, 200), 1, "pair")
    same, different = distance("img1.jpg", "img5.jpg"), distance("img1.jpg", "img29.jpg")
    assert same < threshold < different


def test_image_with_two_faces(recognition, gallery, faces):
    result = recognize(recognition, gallery, faces / "couple.jpg", 9)
    frame = PrivacyLevel(9).blur(cv2.imread(str(faces / "couple.jpg")))
    profile = recognition.analyzer.profile(PrivacyLevel(9))
    assert len(recognition.analyzer.faces(frame, profile)) == 2
    assert [r.name for r in result.residents] == ["Alice"]
    assert result.unknown_faces == 1
    assert result.labels == {0: "Alice"}


def test_video_reports_the_resident_only_in_their_span(recognition, gallery, faces, tmp_path):
    # Alice (a photo not in the gallery) is on screen for frames 30-69 of 100; a stranger
    # stays for the whole video.
    path = write_video(
        tmp_path / "visit.mp4",
        [
            Appearance(faces / "img5.jpg", 30, 70, 230, (20, 40), (60, 60)),
            Appearance(faces / "img35.jpg", 0, 100, 230, (380, 60), (400, 40)),
        ],
        frames=100,
    )
    result = recognize(recognition, gallery, path, 9)
    assert result.count_frames == 100 and result.analysed_frames == 20  # 5 of 25 fps
    (alice,) = result.residents
    assert alice.name == "Alice"
    assert 30 <= alice.first_frame <= 35 and 65 <= alice.last_frame <= 69
    assert alice.first_seen_s == pytest.approx(alice.first_frame / 25)
    assert alice.frames == len(range(alice.first_frame, alice.last_frame + 1, 5))
    assert result.unknown_faces == 1
    assert set(result.labels.values()) == {"Alice"}
    assert all(30 <= f <= 69 for f in result.labels)


def test_faces_too_small_for_their_blur_are_never_embedded(
    recognition, gallery, faces, tmp_path, monkeypatch
):
    # k = 25 leaves identity in faces wider than ~100 px: a large face is embedded, a small one
    # is unrecognisable without being embedded
    path = write_video(
        tmp_path / "two.mp4",
        [
            Appearance(faces / "img5.jpg", 0, 50, 330, (20, 10), (40, 10)),
            Appearance(faces / "img35.jpg", 0, 50, 130, (450, 60), (460, 60)),
        ],
        frames=50,
    )
    chips = []
    embed = recognition.analyzer.embedder.embed
    monkeypatch.setattr(
        recognition.analyzer.embedder, "embed", lambda c: chips.append(len(c)) or embed(c)
    )
    result = recognize(recognition, gallery, path, 25)
    assert result.unrecognisable_faces == 1
    assert chips and max(chips) == 1  # the large face alone, in each frame it was matched
    assert [r.name for r in result.residents] == ["Alice"]


def test_hostile_files_are_refused_cleanly(recognition, gallery, faces, tmp_path):
    for expected, path in hostile_files(tmp_path, faces).items():
        with pytest.raises(AppError) as err:
            recognize(recognition, gallery, path, 17)
        assert f"{err.value.code}:{path.name}" == expected
    # and the service still works afterwards
    assert recognize(recognition, gallery, faces / "img4.jpg", 17).residents[0].name == "Alice"


def test_no_stage_accepts_an_unblurred_frame(recognition, faces):
    raw = cv2.imread(str(faces / "img1.jpg"))
    analyzer = recognition.analyzer
    profile = analyzer.profile(PrivacyLevel(0))
    box = HaarDetector(36).detect(PrivacyLevel(0).blur(raw.copy()))[0]
    for call in (
        lambda: analyzer.detector.detect(raw),
        lambda: analyzer.faces(raw, profile),
        lambda: analyzer.aligner.align(raw, [box], profile.padding),
        lambda: analyzer.verifier.is_face(raw, box),
        lambda: analyzer.enroll(raw),
    ):
        with pytest.raises(TypeError, match="BlurredFrame"):
            call()


def test_enrollment_skips_photos_without_exactly_one_face(recognition, faces, tmp_path):
    root = tmp_path / "db"
    root.mkdir()
    shutil.copy(faces / "img4.jpg", root / "Alice.jpg")
    shutil.copy(faces / "couple.jpg", root / "Pair.jpg")
    blank = np.full((200, 200, 3), 128, np.uint8)
    cv2.imwrite(str(root / "Nobody.png"), blank)
    gallery = recognition.gallery(root)
    reasons = {s.resident: s.reason for s in gallery.report.skipped}
    assert reasons == {
        "Nobody": "no face found",
        "Pair": "2 faces found; an enrollment photo needs one",
    }
    assert gallery.index.names == ("Alice",)
    # a second refresh answers from the cache
    assert recognition.gallery(root).report.embedded == 0
