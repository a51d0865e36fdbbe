"""What a new user meets first: start-up refusals with a one-line reason and exit status 2, and a
malformed route answered with the route's expected shape. Real `python -m app` processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from app.errors import InvalidPrivacyParameter
from app.pipeline.privacy import PrivacyLevel
from app.privacy_choices import DEFAULT_PRIVACY_PARAMETER
from app.store.lock import lock_state_dir
from tests.e2e.server import ROOT, free_port

SHAPE = "POST /check_directory/<file_name>/<privacy_parameter>/<requestor_id>/<requestor_type>"


def serve(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "serve"],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "STATE_DIR": str(tmp_path / "state"),
            "DATABASE_DIR": str(tmp_path),
            "PORT": str(free_port()),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_busy_port_is_one_line_and_status_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = serve(tmp_path, PORT=str(port), HOST="127.0.0.1")
    assert out.returncode == 2
    assert out.stderr.splitlines()[-1].startswith("error [port_unavailable]: cannot listen on")
    assert f"127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr


def test_a_second_serve_on_the_same_state_dir_leaves_the_uploads_alone(tmp_path):
    uploads = tmp_path / "state" / "uploads"
    uploads.mkdir(parents=True)
    in_flight = uploads / "upload-abc123"
    in_flight.write_bytes(b"the first instance's upload")
    fd = lock_state_dir(tmp_path / "state")  # the first instance
    try:
        out = serve(tmp_path)
    finally:
        os.close(fd)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error [state_dir_busy]: another `serve` process")
    assert len(out.stderr.strip().splitlines()) == 1
    assert in_flight.read_bytes() == b"the first instance's upload"


def test_contradicting_settings_refuse_to_start(tmp_path):
    out = serve(tmp_path, DHT_SUBSCRIBE="true")
    assert out.returncode == 2
    assert out.stderr == (
        "error [invalid_settings]: DHT_SUBSCRIBE needs DHT_URL, the DHT websocket to take "
        "requests from\n"
    )


def test_a_missing_segment_answers_the_route_shape_in_json(server):
    reply = server.raw("POST", "/check_directory/x.mp4/17/a1/NSSD")
    assert reply.status == 404
    assert reply.body["error"]["code"] == "not_found"
    assert f"{SHAPE}/<request_id>" in reply.body["error"]["message"]
    nowhere = server.raw("GET", "/no/such/thing")
    assert nowhere.status == 404 and "expected" not in nowhere.body["error"]["message"]


def test_cli_names_a_missing_resident_directory_by_its_full_path(tmp_path):
    missing = tmp_path / "no" / "residents"
    for args in (["recognize", "x.jpg", "--db", str(missing)], ["residents", "list"]):
        out = subprocess.run(
            [sys.executable, "-m", "app", *args],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_DIR": str(missing)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert out.returncode == 2
        assert (
            out.stderr
            == f"error [gallery_not_found]: resident directory {missing} does not exist\n"
        )


def test_cli_help_states_the_privacy_default():
    out = subprocess.run(
        [sys.executable, "-m", "app", "recognize", "--help"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    help_text = " ".join(out.stdout.split())
    assert f"(default: {DEFAULT_PRIVACY_PARAMETER}; docs/recognition.md says why)" in help_text


def test_leading_zeros_are_named_as_the_problem():
    with pytest.raises(InvalidPrivacyParameter, match="without leading zeros, got '017'"):
        PrivacyLevel.parse("017", 51)
