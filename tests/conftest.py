"""Shared fixtures. Model-backed fixtures are session-scoped: models load once per test run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
FACES = DATA / "faces"

# person01 -> Alice, person05 -> Bob, person10 -> Carol; other people are strangers.
GALLERY = {"Alice": ["img1.jpg", "img2.jpg"], "Bob": ["img17.jpg"], "Carol": ["img26.jpg"]}


@pytest.fixture(scope="session")
def faces() -> Path:
    return FACES


def make_gallery(root: Path) -> Path:
    """A resident directory in both layouts: a folder of photos and a single `<Name>.jpg`."""
    root.mkdir(parents=True, exist_ok=True)
    for name, files in GALLERY.items():
        if len(files) == 1:
            shutil.copy(FACES / files[0], root / f"{name}.jpg")
        else:
            (root / name).mkdir(exist_ok=True)
            for f in files:
                shutil.copy(FACES / f, root / name / f)
    return root


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from app.config import Settings

    base = tmp_path_factory.mktemp("service")
    return Settings(state_dir=base / "state", database_dir=make_gallery(base / "database"))


@pytest.fixture(scope="session")
def recognition(settings):
    from app.services import Services

    return Services.build(settings).recognition


@pytest.fixture(scope="session")
def gallery(recognition, settings):
    return recognition.gallery(settings.database_dir)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A real Mosquitto on loopback shared by one test module (tests/bus/ has its own, per test)."""
    from tests.bus.broker import Mosquitto

    running = Mosquitto(tmp_path_factory.mktemp("mqtt")).start()
    yield running
    running.stop()
