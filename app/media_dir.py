"""Where a DHT request's `file_name` may lead: a regular file inside MEDIA_DIR, nothing else.

The name is refused outright when it is absolute or has a `..` part, and the resolved path (links
followed) must still lie inside MEDIA_DIR, so a link cannot lead out either. Nothing is opened
before these checks pass.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from app.errors import AppError, InvalidParameter

MAX_NAME = 1024


class MediaNotFound(AppError):
    code = "media_not_found"


def media_file(media_dir: Path | None, name: object) -> Path:
    if media_dir is None:
        raise InvalidParameter("this analyzer takes no file requests from the bus (no MEDIA_DIR)")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME or "\x00" in name:
        raise InvalidParameter("file_name must be a non-empty relative path inside MEDIA_DIR")
    relative = PurePosixPath(name)
    if relative.is_absolute() or "\\" in name or ".." in relative.parts:
        raise InvalidParameter("file_name must be a relative path inside MEDIA_DIR, without `..`")
    root = media_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise InvalidParameter("file_name leads outside MEDIA_DIR")
    if not path.is_file():
        raise MediaNotFound("no such file in MEDIA_DIR")
    return path
