"""Folders and files only the service's user may open: STATE_DIR holds camera credentials
(state.sqlite3), uploads in flight and the residents' photos, whatever the process's umask.
Those an older version left readable by everyone are tightened too."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE, FILE_MODE = 0o700, 0o600


def private_dir(path: Path) -> None:
    """Create `path` (and missing parents) if needed; `path` itself becomes 0700."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    path.chmod(FOLDER_MODE)


def private_file(path: Path) -> None:
    """Create `path` empty if needed (never readable by others, not even for a moment); it
    becomes 0600."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
