"""A resident folder or photo whose name is not valid UTF-8 (written by hand, or by a tool with
another locale) is skipped with a logged reason; every page and route keeps working, and
analyses too."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import FACES

BAD_FOLDER, BAD_PHOTO = b"J\xfcrgen", b"Zo\xe9.jpg"  # Latin-1, as an old tool would write them
PAGES = ["/ui/", "/ui/residents", "/ui/analyse", "/ui/cameras", "/ui/events", "/ui/review"]
ROUTES = ["/residents", "/residents/Alice", "/resident-changes", "/residents?path=database"]
WAIT_S = 30


@pytest.fixture
def badly_named(server) -> Iterator[None]:
    """A folder holding a stranger's photo and a single photo, both with Latin-1 names, in the
    shared server's default gallery for the time of one test."""
    root = os.fsencode(server.database_dir)
    folder, photo = os.path.join(root, BAD_FOLDER), os.path.join(root, BAD_PHOTO)
    os.mkdir(folder)
    shutil.copyfile(FACES / "img38.jpg", os.path.join(folder, b"a.jpg"))
    shutil.copyfile(FACES / "img47.jpg", photo)
    try:
        yield
    finally:
        shutil.rmtree(folder)
        os.unlink(photo)


def logged(server, text: str) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if text in server.log.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.usefixtures("badly_named")
def test_names_that_are_not_utf8_are_skipped_and_everything_else_works(server):
    for path in PAGES + ROUTES:
        response = requests.get(f"{server.url}{path}", timeout=60)
        assert response.status_code == 200, (path, response.text[:300])
    names = [
        r["name"] for r in requests.get(f"{server.url}/residents", timeout=60).json()["residents"]
    ]
    assert names == ["Alice", "Bob", "Carol"]
    with open(FACES / "img38.jpg", "rb") as stranger:
        identified = requests.post(
            f"{server.url}/faces/identify/0", files={"file": stranger}, timeout=120
        )
    assert identified.status_code == 200, identified.text
    assert [f["name"] for f in identified.json()["faces"]] == [None]
    assert logged(server, "not valid UTF-8")
