"""Uploads carried to the worker through Redis, so front and workers share no disk.

The front pushes the file as a list of CHUNK_BYTES values with a TTL (the request's deadline),
the worker reads it chunk by chunk into a private temporary file, and the front deletes it when
the request ends. MAX_CONTENT_LENGTH already bounds one upload; Redis holds at most the uploads
of the requests in flight (WORKERS + ANALYSIS_QUEUE on each front).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from pathlib import Path

import redis

from app.private_files import private_dir
from app.queue.broker import UPLOAD, key

CHUNK_BYTES = 1024 * 1024
OWNED = re.compile(r"upload-(\d+)@(.+)-[^-]+")


def put(r: redis.Redis, analysis_id: str, path: Path, ttl_s: int) -> None:
    name = key(UPLOAD, analysis_id)
    r.delete(name)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            r.rpush(name, chunk)
    r.expire(name, ttl_s)


def fetch(r: redis.Redis, analysis_id: str, folder: Path) -> Path:
    """The upload in a new private file in `folder` (the caller deletes it), named after this
    process (`upload-<pid>@<host>-<random>`) so that `discard_orphans` knows whose it is."""
    name = key(UPLOAD, analysis_id)
    private_dir(folder)
    prefix = f"upload-{os.getpid()}@{socket.gethostname()}-"
    with tempfile.NamedTemporaryFile(dir=folder, prefix=prefix, delete=False) as f:
        for i in range(r.llen(name)):
            chunk = r.lindex(name, i)
            if isinstance(chunk, bytes):  # the clients never decode
                f.write(chunk)
    return Path(f.name)


def discard_orphans(folder: Path) -> list[Path]:
    """At a worker's start: delete the uploads left by killed workers of this host (a dead pid,
    or this process's own pid, reused by a restarted container), never a live worker's; a folder
    shared by several workers stays safe. Returns what was deleted."""
    found = []
    for path in folder.glob("upload-*"):
        owner = OWNED.fullmatch(path.name)
        if owner is None or owner[2] != socket.gethostname():
            continue
        pid = int(owner[1])
        if pid == os.getpid() or not _alive(pid):
            path.unlink(missing_ok=True)
            found.append(path)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
