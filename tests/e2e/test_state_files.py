"""STATE_DIR holds camera credentials (state.sqlite3), uploads in flight and the residents' copy:
the folder is private to the service's user (0700) and the database file and its journals are
0600, whether `serve` creates them or finds them from an older version."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import Server, start_server, stop_server

DATABASE = "state.sqlite3"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def database_files(state: Path) -> list[Path]:
    """The database and its WAL and shared-memory files (SQLite creates them when used)."""
    return sorted(state.glob(f"{DATABASE}*"))


@pytest.fixture(scope="module")
def older(tmp_path_factory) -> Iterator[Server]:
    """A server started on a STATE_DIR an older version left readable by everyone."""
    base = tmp_path_factory.mktemp("older")
    state = base / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / DATABASE).touch(mode=0o644)  # an empty file is an empty SQLite database
    (state / DATABASE).chmod(0o644)
    running = start_server(base)
    yield running
    stop_server(running)


@pytest.mark.parametrize("which", ["new", "older"])
def test_the_state_folder_and_database_are_private(request, which):
    server = request.getfixturevalue("server" if which == "new" else "older")
    assert server.raw("GET", "/residents").status == 200  # the database has been used
    assert mode(server.state_dir) == 0o700
    files = database_files(server.state_dir)
    assert DATABASE in [f.name for f in files]
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
