"""README's demo camera, end to end: `python -m app demo-camera` and the real `serve` on the
sample residents of database/; the camera is added as README shows, and the event stream
README follows names Alice `recognized` and the stranger `unknown`."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator

import pytest
import requests

from tests.bus.wait import until
from tests.e2e.server import (
    ROOT,
    Server,
    child_env,
    free_port,
    listening,
    spawn_app,
    start_server,
    stop_server,
)

PRINTED = re.compile(r"^demo camera: (\S+)", re.M)
README_URL = "http://127.0.0.1:8091/demo.mjpg"
WITHIN_S = 90  # models warm, the scene shows Alice within 2.5 s of every 6 s loop


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> Iterator[str]:
    """The URL the demo camera prints, on a free port."""
    base, port = tmp_path_factory.mktemp("demo-camera"), free_port()
    log = base / "camera.log"
    process = spawn_app("demo-camera", base, log, child_env(), "--port", str(port))
    try:
        listening(process, port, log, timeout=60)
        until(lambda: PRINTED.search(log.read_text()), "the demo camera's URL printed", 10)
        printed = PRINTED.search(log.read_text())
        assert printed is not None, "the demo camera's URL is no longer in its log"
        yield printed.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def samples_server(tmp_path_factory) -> Iterator[Server]:
    """`serve` on a copy of the repository's sample residents (database/)."""
    base = tmp_path_factory.mktemp("demo-serve")
    samples = shutil.copytree(ROOT / "database", base / "samples")
    running = start_server(base, DATABASE_DIR=str(samples))
    yield running
    stop_server(running)


def readme_camera_body() -> dict:
    """The JSON body README's "try it" posts to /cameras."""
    readme = (ROOT / "README.md").read_text()
    body = re.search(r"/cameras \\\n  -d '(\{.*?\})'", readme)
    assert body is not None, "README shows no body posted to /cameras"
    return json.loads(body.group(1))


def stream_until(url: str, wanted: set[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    """(type, resident) of the streamed events, read until all of `wanted` came."""
    seen: set[tuple[str, str | None]] = set()
    deadline = time.monotonic() + WITHIN_S
    with requests.get(url, stream=True, timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith(b"data: "):
                event = json.loads(line[len(b"data: ") :])
                seen.add((event["type"], event["resident"]))
            if wanted <= seen or time.monotonic() > deadline:
                return seen
    return seen


def test_serve_prints_the_ui_address(samples_server):
    assert f"ready: web UI at {samples_server.url}/ui/" in samples_server.log.read_text()


def test_the_demo_camera_watched_as_readme_shows_gives_alice_and_a_stranger(
    demo_url, samples_server
):
    assert demo_url.endswith("/demo.mjpg")
    body = readme_camera_body()
    assert body["url"] == README_URL and body["watch"] is True
    body["url"] = demo_url  # the free port of this test
    added = requests.post(f"{samples_server.url}/cameras", json=body, timeout=10)
    assert added.status_code == 201, added.text
    wanted = {("recognized", "Alice"), ("unknown", None)}
    seen = stream_until(f"{samples_server.url}/events/stream", wanted)
    assert wanted <= seen, (seen, samples_server.log.read_text()[-2000:])
    assert {name for kind, name in seen if kind == "recognized"} <= {"Alice", "Bob"}
