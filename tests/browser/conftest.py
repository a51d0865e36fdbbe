"""Real-browser fixtures: Debian's Chromium (never a downloaded browser) driven by Playwright,
against the real server, with a loopback MJPEG camera. Screenshots go to tests/artifacts/
(git-ignored); with DOCS_SCREENSHOTS=1, those the docs show also replace theirs in docs/."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FACES
from tests.e2e.mjpeg import MjpegCamera
from tests.e2e.server import Server, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DOCS = Path(__file__).resolve().parents[2] / "docs"
IN_DOCS = {"residents-thumbnails": "ui-residents.png"}  # screenshot -> its copy in docs/
API_KEY = "browser-test-key-7f3a"
PRIVACY = 9  # the hall camera's privacy parameter, and the one the Analyse page uses


@pytest.fixture(scope="session")
def hall() -> Iterator[MjpegCamera]:
    """A loopback camera showing Alice (person01's img5.jpg, not one of her gallery photos)."""
    with MjpegCamera(FACES / "img5.jpg", fps=10) as cam:
        yield cam


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory, hall) -> Iterator[Server]:
    camera = {"url": f"{hall.url}/live.mjpg", "privacy_parameter": PRIVACY, "watch": True}
    running = start_server(
        tmp_path_factory.mktemp("ui"),
        API_KEY=API_KEY,
        CAMERAS=json.dumps({"hall": camera}),
        CAMERA_HOSTS='["127.0.0.1"]',
        UI_SNAPSHOTS="true",
    )
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh browser context; console errors and page errors are collected in `page.errors`."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    context.close()


def shot(page, name: str) -> None:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("DOCS_SCREENSHOTS") == "1" and name in IN_DOCS:
        shutil.copyfile(path, DOCS / IN_DOCS[name])
