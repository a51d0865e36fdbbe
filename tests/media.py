"""Small media files written at test time (no models needed)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np


def write_video(path: Path, frames: int, fps: float = 25.0, size=(160, 120)) -> Path:
    """A video whose frame i is filled with grey level i (so frame identity is checkable)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
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
    }
    out = {}
    for name, (blob, code) in cases.items():
        (tmp / name).write_bytes(blob)
        out[code + ":" + name] = tmp / name
    return out
