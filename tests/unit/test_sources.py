import cv2
import numpy as np
import pytest
from PIL import Image

from app.domain import MediaType
from app.errors import AnalysisTimeout, AppError, CameraNotFound, MediaTooLarge, UnsupportedMedia
from app.pipeline import jpeg
from app.pipeline.cam_links import CameraPolicy, resolve_cam_link
from app.pipeline.file_sources import open_media
from app.pipeline.media import sniff_media_type
from app.pipeline.privacy import BlurredFrame, PrivacyLevel
from tests.media import hostile_files, limits, many_frame_gif, many_scan_jpeg, write_video

LIMITS = limits()


@pytest.mark.parametrize(
    "head, kind",
    [
        (b"\xff\xd8\xff\xe0" + bytes(20), MediaType.IMAGE),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), MediaType.IMAGE),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", MediaType.IMAGE),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(20), MediaType.VIDEO),
        (b"RIFF\x00\x00\x00\x00AVI LIST", MediaType.VIDEO),
        (b"\x1a\x45\xdf\xa3" + bytes(20), MediaType.VIDEO),
    ],
)
def test_known_signatures(head, kind):
    assert sniff_media_type(head) is kind


@pytest.mark.parametrize("head", [b"#EXTM3U\n", b"<html>", b"hello", b"ffconcat version 1.0"])
def test_playlists_and_text_are_refused_before_ffmpeg(head):
    with pytest.raises(UnsupportedMedia):
        sniff_media_type(head)


def test_hostile_and_corrupt_files_raise_typed_errors(tmp_path, faces):
    for expected, path in hostile_files(tmp_path, faces).items():
        with pytest.raises(AppError) as err:
            list(open_media(path, PrivacyLevel(0), LIMITS, 5.0))
        assert f"{err.value.code}:{path.name}" == expected


def test_video_yields_only_blurred_frames_equal_to_the_blurred_decode(tmp_path):
    path = write_video(tmp_path / "v.mp4", 20)
    source = open_media(path, PrivacyLevel(9), LIMITS, 0)
    with open(path, "rb") as fh:  # FFmpeg may open no file by name in this process
        raw = cv2.VideoCapture(fh, cv2.CAP_FFMPEG, [])
        for _, frame in source:
            assert isinstance(frame, BlurredFrame)
            ok, decoded = raw.read()
            assert ok and np.array_equal(frame.pixels, cv2.GaussianBlur(decoded, (9, 9), 0))
    assert source.count_frames == 20


@pytest.mark.parametrize("fps, expected", [(5.0, list(range(0, 50, 5))), (0, list(range(50)))])
def test_analysis_rate(tmp_path, fps, expected):
    source = open_media(write_video(tmp_path / "v.mp4", 50), PrivacyLevel(0), LIMITS, fps)
    assert [i for i, _ in source] == expected
    assert source.count_frames == 50 and source.fps == 25.0


def test_video_limits(tmp_path):
    path = write_video(tmp_path / "v.mp4", 50)
    with pytest.raises(MediaTooLarge):
        open_media(path, PrivacyLevel(0), limits(max_video_seconds=1.0), 5.0)
    with pytest.raises(MediaTooLarge):
        list(open_media(path, PrivacyLevel(0), limits(max_video_frames=10), 5.0))
    with pytest.raises(MediaTooLarge):
        open_media(path, PrivacyLevel(0), limits(max_frame_pixels=100 * 100), 5.0)


def test_image_source_is_one_blurred_frame(faces):
    source = open_media(faces / "img1.jpg", PrivacyLevel(17), LIMITS, 5.0)
    frames = list(source)
    assert [i for i, _ in frames] == [0] and source.media_type is MediaType.IMAGE
    original = cv2.imread(str(faces / "img1.jpg"))
    assert np.array_equal(frames[0][1].pixels, cv2.GaussianBlur(original, (17, 17), 0))


def test_a_normal_progressive_jpeg_is_decoded(tmp_path, faces):
    path = tmp_path / "progressive.jpg"
    Image.open(faces / "img1.jpg").save(path, "JPEG", progressive=True)
    assert len(list(open_media(path, PrivacyLevel(0), LIMITS, 5.0))) == 1


def test_a_progressive_jpeg_of_many_scans_is_refused_before_decoding(tmp_path):
    path = tmp_path / "scans.jpg"
    path.write_bytes(many_scan_jpeg(jpeg.MAX_SCANS))  # plus the 10 scans of the original
    with pytest.raises(MediaTooLarge, match="progressive scans"):
        list(open_media(path, PrivacyLevel(0), LIMITS, 5.0))


def test_a_video_announcing_more_pixels_than_the_budget_is_refused_up_front(tmp_path):
    path = write_video(tmp_path / "v.mp4", 50)
    budget = limits(max_decoded_pixels=160 * 120 * 50 - 1)
    with pytest.raises(MediaTooLarge, match="decoding budget"):
        open_media(path, PrivacyLevel(0), budget, 5.0)
    (tmp_path / "frames.gif").write_bytes(many_frame_gif(20_000))
    with pytest.raises(MediaTooLarge, match="decoding budget"):
        open_media(tmp_path / "frames.gif", PrivacyLevel(0), LIMITS, 5.0)


def test_decoding_stops_at_the_first_frame_after_progress_raises(tmp_path):
    """The deadline is checked after every decoded frame, not only after analysed ones."""
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if done == 7:
            raise AnalysisTimeout("deadline")

    source = open_media(write_video(tmp_path / "v.mp4", 50), PrivacyLevel(0), LIMITS, 1.0, progress)
    with pytest.raises(AnalysisTimeout):
        list(source)
    assert calls == list(range(1, 8)) and source.count_frames == 7


@pytest.mark.parametrize(
    "link", ["\u00b2", "\uff11", "\u0661", "\U0001d7cf", " 1", "1 ", "+1", "01"]
)
def test_a_device_index_is_plain_ascii_digits(link):
    with pytest.raises(CameraNotFound):
        resolve_cam_link(link, CameraPolicy())


def test_device_indexes_and_their_range():
    assert resolve_cam_link("0", CameraPolicy()).device == 0
    assert resolve_cam_link("63", CameraPolicy()).device == 63
    with pytest.raises(CameraNotFound):
        resolve_cam_link("64", CameraPolicy())
