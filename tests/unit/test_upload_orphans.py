"""A worker's start-up discards the uploads of killed workers of its host, never a live one's."""

from __future__ import annotations

import os
import socket
import subprocess

from app.queue.uploads import discard_orphans


def test_only_dead_owners_uploads_and_this_pids_are_discarded(tmp_path):
    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()
    live = subprocess.Popen(["sleep", "30"])
    try:
        names = {
            "dead": f"upload-{dead.pid}@{host}-abc123",
            "mine": f"upload-{os.getpid()}@{host}-x_9",  # a restarted container reuses the pid
            "live": f"upload-{live.pid}@{host}-def456",
            "other_host": f"upload-{dead.pid}@elsewhere.example-ghi789",
            "unnamed": "upload-tmp1234",
            "not_an_upload": "notes.txt",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"x")
        gone = discard_orphans(tmp_path)
    finally:
        live.kill()
        live.wait()
    assert sorted(p.name for p in gone) == sorted([names["dead"], names["mine"]])
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(names[k] for k in ("live", "other_host", "unnamed", "not_an_upload"))
