"""Uploads carried to the worker through Redis, so front and workers share no disk.

The front pushes the file as a list of CHUNK_BYTES values with a TTL (the request's deadline),
the worker reads it chunk by chunk into a private temporary file, and the front deletes it when
the request ends. MAX_CONTENT_LENGTH already bounds one upload; Redis holds at most the uploads
of the requests in flight (WORKERS + ANALYSIS_QUEUE on each front).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import redis

from app.queue.broker import UPLOAD, key

CHUNK_BYTES = 1024 * 1024


def put(r: redis.Redis, analysis_id: str, path: Path, ttl_s: int) -> None:
    name = key(UPLOAD, analysis_id)
    r.delete(name)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            r.rpush(name, chunk)
    r.expire(name, ttl_s)


def fetch(r: redis.Redis, analysis_id: str, folder: Path) -> Path:
    """The upload in a new private file in `folder` (the caller deletes it)."""
    name = key(UPLOAD, analysis_id)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", delete=False) as f:
        for i in range(r.llen(name)):
            f.write(r.lindex(name, i) or b"")
    return Path(f.name)
