"""Small media files written at test time (no models needed), and the test photos read."""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from app.config import Settings
from app.pipeline.media import MediaLimits
from app.services import media_limits


def read_image(path: Path) -> np.ndarray:
    """The photo at `path` as BGR pixels (`cv2.imread`), or an error naming it: OpenCV itself
    answers None for a file that is missing or not an image."""
    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return image


def write_video(path: Path, frames: int, fps: float = 25.0, size=(160, 120)) -> Path:
    """A video whose frame i is filled with grey level i (so frame identity is checkable)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), (i * 5) % 250, np.uint8)
        frame[10:40, 10:40] = 255  # some structure for the blur to act on
        writer.write(frame)
    writer.release()
    return path


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` (the pixel data is a stub)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


HLS_PLAYLIST = (
    b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
)


def hostile_files(tmp: Path, faces: Path) -> dict[str, Path]:
    """Each file that must be refused, by the error code it must be refused with."""
    video = write_video(tmp / "ok.mp4", 30)
    data = video.read_bytes()
    cases = {
        "text.mp4": (b"this is not a video\n" * 20, "unsupported_media"),
        "empty.mp4": (b"", "undecodable_media"),
        "truncated.mp4": (data[: len(data) // 3], "undecodable_media"),
        "playlist.mp4": (HLS_PLAYLIST, "unsupported_media"),
        "huge.png": (png_header(100_000, 100_000), "media_too_large"),
        "corrupt.jpg": ((faces / "img1.jpg").read_bytes()[:300], "undecodable_media"),
        "many-scans.jpg": (many_scan_jpeg(2_000), "media_too_large"),
        "many-frames.gif": (many_frame_gif(20_000), "media_too_large"),
    }
    out = {}
    for name, (blob, code) in cases.items():
        (tmp / name).write_bytes(blob)
        out[code + ":" + name] = tmp / name
    return out


def many_scan_jpeg(scans: int, size: tuple[int, int] = (1920, 1080)) -> bytes:
    """A progressive JPEG whose smallest scan is repeated `scans` times: libjpeg decodes every
    repeat over the whole canvas (about 1.4 ms each at 4K), in one call nothing interrupts."""
    noise = np.random.default_rng(0).integers(0, 255, (size[1] // 8, size[0] // 8, 3), np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).resize(size).save(out, "JPEG", progressive=True, quality=30)
    data = out.getvalue()
    scans_at = [m.start() for m in re.finditer(rb"\xff\xda", data)]
    ends = [_next_marker(data, s + 2) for s in scans_at]
    start, end = min(zip(scans_at[1:], ends[1:], strict=True), key=lambda se: se[1] - se[0])
    return data[: ends[-1]] + data[start:end] * scans + data[ends[-1] :]


def _next_marker(jpeg: bytes, at: int) -> int:
    """Where the first JPEG marker at or after `at` starts (a scan ends at the next marker)."""
    found = re.compile(rb"\xff[^\x00\xd0-\xd7]").search(jpeg, at)
    assert found is not None, f"no JPEG marker after byte {at}"
    return found.start()


def many_frame_gif(frames: int, size: tuple[int, int] = (3840, 2160), delay_cs: int = 2) -> bytes:
    """A GIF of `frames` one-pixel frames on a `size` canvas: 23 bytes a frame, each decoded as a
    whole canvas."""
    header = b"GIF89a" + struct.pack("<HHBBB", *size, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    control = b"\x21\xf9\x04\x00" + struct.pack("<H", delay_cs) + b"\0\0"
    pixel = b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\0\x02\x02\x44\x01\0"
    return header + (control + pixel) * frames + b"\x3b"


def limits(**overrides: int | float) -> MediaLimits:
    """The default settings' media limits, with `overrides`."""
    return replace(media_limits(Settings(_env_file=None)), **overrides)  # type: ignore[arg-type]
