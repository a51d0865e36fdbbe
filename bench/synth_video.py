"""Synthetic test videos made from the face photos: faces moving over a plain background.

Used by the tests (a resident visible in a known span of frames) and by the throughput benchmark
(30 s of 640x360 with 1-3 moving faces and some empty stretches). Deterministic for a given seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import cv2

from app.scene import HEIGHT, WIDTH, Appearance, Scene, sample_scene


def write_video(
    path: Path,
    appearances: list[Appearance],
    frames: int,
    fps: float = 25.0,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Path:
    """Render the scene of `appearances` (app/scene.py) and write an MP4 (mp4v)."""
    scene = Scene(appearances, size)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise RuntimeError("cv2.VideoWriter cannot write mp4v here")
    try:
        for i in range(frames):
            writer.write(scene.frame(i))
    finally:
        writer.release()
    return path


def open_video(stream: BinaryIO) -> cv2.VideoCapture:
    """FFmpeg reading a video from a file the caller opened (and keeps open while reading), so
    that FFmpeg opens no file by name in this process."""
    # OpenCV >= 4.9 reads any object with read/seek (IStreamReader); its stubs want that class
    return cv2.VideoCapture(stream, cv2.CAP_FFMPEG, [])  # type: ignore[call-overload]


def throughput_scene(faces: Path, seconds: int = 30, fps: float = 25.0) -> list[Appearance]:
    """1-3 faces moving across the frame, with face-free gaps, cycling through the photos:
    residents Alice (img4), Bob (img59) and Carol (img28) of tests/conftest.py's gallery, in other
    photos than their enrollment ones, and six strangers."""
    photos = [faces / f"img{n}.jpg" for n in (4, 29, 59, 3, 28, 8, 13, 34, 38)]
    total = int(seconds * fps)
    scene: list[Appearance] = []
    slot = int(4 * fps)  # a new group every 4 s; the last second of each slot is empty
    for k, start in enumerate(range(0, total, slot)):
        count = 1 + k % 3
        for j in range(count):
            photo = photos[len(scene) % len(photos)]  # every photo in turn
            x0 = 10 + j * 200
            scene.append(
                Appearance(
                    photo,
                    start,
                    min(total, start + slot - int(fps)),
                    220,
                    (x0, 10 + 20 * j),
                    (x0 + 40, 120 - 20 * j),
                )
            )
    return scene


CROWD_SIZE = (WIDTH, HEIGHT)
CROWD_RESIDENTS = (4, 59, 28)  # Alice, Bob, Carol in photos that are not enrolled
CROWD_STRANGERS = (3, 8, 13, 18, 20, 22, 24, 29, 34, 38)  # ten other people
CROWD_FACE_WIDTHS = (40, 45, 50, 60, 70, 90, 130, 200)  # one lane each, far to near
CROWD_MARGIN = 0.25  # face widths of head around each face
CROP_PER_FACE_WIDTH = 1 + 2 * CROWD_MARGIN  # a head crop is about this many face widths tall


def crowd_scene(faces: Path, seconds: int = 30, fps: float = 25.0) -> list[Appearance]:
    """A busy room (640x360, as many home cameras stream): eight lanes, one per face width from
    40 to 200 px, far and small at the top, near and large at the bottom (cut by the frame). In
    each lane people walk across one after the other, 1 s apart (4 s in the two nearest lanes),
    lanes starting 0.9 s apart and half-way across at the start; a walk takes (frame width /
    face width) seconds, between 6 and 16 s, so that near faces move more pixels than far ones.
    Usually 4-8 faces are in view, some entering and some leaving, near ones hiding far ones.
    The 13 people (residents Alice, Bob, Carol in photos that are not enrolled, and ten
    strangers) take turns, so each is seen at several sizes."""
    photos = [faces / f"img{n}.jpg" for n in (*CROWD_RESIDENTS, *CROWD_STRANGERS)]
    width, height = CROWD_SIZE
    total = int(seconds * fps)
    scene: list[Appearance] = []
    for lane, face_width in enumerate(CROWD_FACE_WIDTHS):
        size = int(face_width * CROP_PER_FACE_WIDTH)
        y = (height - size) * lane // (len(CROWD_FACE_WIDTHS) - 1)
        walk = int(min(16.0, max(6.0, width / face_width)) * fps)
        gap = int((4 if face_width > 100 else 1) * fps)
        first = int(lane * 0.9 * fps) - walk // 2
        for turn, start in enumerate(range(first, total, walk + gap)):
            photo = photos[(lane * 5 + turn) % len(photos)]
            left_to_right = (lane + turn) % 2 == 0
            xs = (-size, width) if left_to_right else (width, -size)
            end = min(total, start + walk)
            scene.append(
                Appearance(photo, start, end, size, (xs[0], y), (xs[1], y), True, CROWD_MARGIN)
            )
    return scene


def main() -> None:
    """`python -m bench.synth_video [OUT.mp4]`: write the sample video (default `sample.mp4`)."""
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "sample.mp4")
    faces = Path(__file__).resolve().parents[1] / "tests" / "data" / "faces"
    print(write_video(out, sample_scene(faces), 60, 10.0))


if __name__ == "__main__":
    main()
