"""End-to-end fixtures: one shared server for the session and a loopback MJPEG camera.

Modules that need other settings start their own server (tests/e2e/test_limits.py).
Nothing leaves the loopback interface.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import FACES, make_gallery
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server


@pytest.fixture(scope="session")
def camera() -> Iterator[MjpegCamera]:
    """A loopback camera showing Alice (person01; img5.jpg is not one of her gallery photos)."""
    with MjpegCamera(FACES / "img5.jpg") as cam:
        yield cam


@pytest.fixture(scope="session")
def server(tmp_path_factory, camera) -> Iterator[Server]:
    """The shared service: no API key, a second gallery `family`, a named camera `porch` and a
    camera host allowlist of loopback names."""
    base = tmp_path_factory.mktemp("e2e")
    galleries = base / "galleries"
    make_gallery(galleries / "family")
    (galleries / "notes.txt").write_text("not a gallery")
    running = start_server(
        base,
        GALLERIES_DIR=str(galleries),
        CAMERA_HOSTS='["127.0.0.1", "localhost"]',
        CAMERAS=json.dumps({"porch": f"{camera.url}/live.mjpg"}),
    )
    yield running
    stop_server(running)
