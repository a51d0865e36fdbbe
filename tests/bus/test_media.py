"""MEDIA_DIR confinement of DHT requests' `file_name`: nothing outside it is ever opened."""

from __future__ import annotations

import pytest

from app.errors import InvalidParameter
from app.media_dir import MediaNotFound, media_file


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "clip.mp4").write_bytes(b"x")
    (tmp_path / "secret.jpg").write_bytes(b"outside")
    (root / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    (root / "dirlink").symlink_to(tmp_path)
    return root


def test_a_file_inside_is_found(media):
    assert media_file(media, "sub/clip.mp4") == (media / "sub" / "clip.mp4").resolve()


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "../secret.jpg",
        "sub/../../secret.jpg",
        "/etc/passwd",
        "..\\secret.jpg",
        "link.jpg",  # a link leading out
        "dirlink/secret.jpg",
        "",
        "a\x00b",
        None,
        17,
    ],
)
def test_names_leading_outside_are_refused(media, name):
    with pytest.raises(InvalidParameter):
        media_file(media, name)


def test_no_media_dir_refuses_every_file(media):
    with pytest.raises(InvalidParameter):
        media_file(None, "sub/clip.mp4")


def test_missing_file_and_folder_are_not_found(media):
    for name in ("nothing.mp4", "sub"):
        with pytest.raises(MediaNotFound):
            media_file(media, name)
