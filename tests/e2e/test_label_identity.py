"""Faces labelled for a resident ("not X", "this is X") belong to that resident, not to its name:
a resident deleted by hand on disk takes them along, and a new person enrolled under the same
name starts with none (issue 18, item 7). The real server and its resident directory."""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator

import numpy as np
import pytest
import requests

from tests.conftest import FACES
from tests.e2e.server import Server, start_server, stop_server

TABLES = ("negatives", "positives")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("labels"))
    yield running
    stop_server(running)


def label(server: Server, table: str, name: str) -> None:
    """A face labelled for `name`, as feedback on a camera event leaves one."""
    gallery = str(server.database_dir.resolve())
    vector = np.random.default_rng().standard_normal(128).astype(np.float32)
    with sqlite3.connect(server.state_dir / "state.sqlite3") as db:
        model_id = db.execute("SELECT model_id FROM embeddings LIMIT 1").fetchone()[0]
        db.execute(
            f"INSERT INTO {table} (gallery, name, model_id, vector, event_id, created)"
            " VALUES (?, ?, ?, ?, NULL, ?)",
            (gallery, name, model_id, vector.tobytes(), time.time()),
        )


def labels(server: Server, table: str, name: str) -> list[dict]:
    reply = requests.get(f"{server.url}/residents/{name}/{table}", timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()[table]


def test_a_new_person_under_a_deleted_residents_name_inherits_no_labels(server):
    requests.get(f"{server.url}/residents", timeout=10).raise_for_status()
    for table in TABLES:
        label(server, table, "Bob")
        assert len(labels(server, table, "Bob")) == 1
    (server.database_dir / "Bob.jpg").unlink()  # deleted by hand, not through the API
    shutil.copy(FACES / "img29.jpg", server.database_dir / "Bob.jpg")  # someone else, same name
    for table in TABLES:
        assert labels(server, table, "Bob") == []


def test_a_resident_renamed_by_hand_keeps_its_labels(server):
    requests.get(f"{server.url}/residents", timeout=10).raise_for_status()
    label(server, "negatives", "Carol")
    assert len(labels(server, "negatives", "Carol")) == 1
    (server.database_dir / "Carol.jpg").rename(server.database_dir / "Caroline.jpg")
    assert len(labels(server, "negatives", "Caroline")) == 1
