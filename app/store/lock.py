"""One serving process per STATE_DIR: an exclusive lock on `<STATE_DIR>/serve.lock`, taken before
anything in the folder is touched (a second `serve` must not clear the first one's uploads)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from app.errors import AppError
from app.private_files import private_dir


class StateDirBusy(AppError):
    code = "state_dir_busy"


def lock_state_dir(state_dir: Path) -> int:
    """Take the lock and return its file descriptor (held until the process ends)."""
    private_dir(state_dir)
    fd = os.open(state_dir / "serve.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateDirBusy(
            f"another `serve` process uses STATE_DIR {state_dir.resolve()}; stop it or set "
            "another STATE_DIR"
        ) from None
    return fd
