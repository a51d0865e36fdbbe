"""`python -m app recognize` as a user runs it: a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(args, state_dir, **env):
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "STATE_DIR": str(state_dir), **env},
        timeout=300,
        check=False,
    )


def test_json_lines_in_input_order_with_errors_in_place(settings, faces, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    files = [faces / "img4.jpg", bad, faces / "img29.jpg"]
    out = run(
        [
            "recognize",
            *map(str, files),
            "--db",
            str(settings.database_dir),
            "--privacy",
            "9",
            "--json",
        ],
        settings.state_dir,
    )
    assert out.returncode == 1  # one input failed
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [v["file_name"] for v in lines] == ["img4.jpg", "notes.mp4", "img29.jpg"]
    first, error, stranger = lines
    assert [r["name"] for r in first["residents"]] == ["Alice"]
    assert first["Privacy_Parameter"] == 9 and first["Type"] == "Image_file"
    assert first["Labels"] == {"0": "Alice"} and first["model"]["recognizer"] == "Dlib"
    assert error["error"]["code"] == "unsupported_media"
    assert stranger["residents"] == [] and stranger["unknown_faces"] == 1
    assert str(faces) not in out.stdout  # names only, never paths


def test_readable_summary_and_clear_errors(settings, faces):
    out = run(
        ["recognize", str(faces / "img4.jpg"), "--db", str(settings.database_dir)],
        settings.state_dir,
    )
    assert out.returncode == 0
    assert "Alice" in out.stdout and "confidence" in out.stdout
    bad = run(["recognize", str(faces / "img4.jpg"), "--privacy", "4"], settings.state_dir)
    assert bad.returncode == 2 and "invalid_privacy_parameter" in bad.stderr
    vgg = run(["models", "setup"], settings.state_dir, RECOGNIZER="VGG-Face")
    assert vgg.returncode == 2 and "vgg_face_weights.h5" in vgg.stderr


def test_progress_bar_only_on_a_terminal(settings, faces, tmp_path):
    from bench.synth_video import Appearance, write_video

    video = write_video(
        tmp_path / "walk.mp4", [Appearance(faces / "img4.jpg", 0, 60, 200, (20, 40), (200, 40))], 60
    )
    args = ["recognize", str(video), "--db", str(settings.database_dir)]
    piped = run(args, settings.state_dir)
    assert piped.returncode == 0 and "frame/s" not in piped.stderr
    # `script` gives the command a pseudo-terminal (util-linux, on every Debian machine)
    command = " ".join([sys.executable, "-m", "app", *args])
    log = tmp_path / "typescript"
    subprocess.run(
        ["script", "-qec", f"stty cols 100 rows 30; {command}", str(log)],
        cwd=ROOT,
        env={**os.environ, "STATE_DIR": str(settings.state_dir)},
        capture_output=True,
        timeout=300,
        check=True,
    )
    screen = log.read_text(errors="replace")
    assert "walk.mp4:" in screen and "frame/s" in screen and "/60 [" in screen


def test_serve_start_up_failures_exit_2_with_one_line(settings, tmp_path):
    """An unwritable STATE_DIR (here a file) stops `serve` before it binds its port."""
    state = tmp_path / "state-is-a-file"
    state.write_text("")
    out = run(["serve"], state, PORT="0", DATABASE_DIR=str(settings.database_dir))
    assert out.returncode == 2
    assert out.stderr.startswith("error [startup]: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


# DeepFace and its model zoo's framework: none is imported unless a DeepFace model is selected
MODEL_ZOO = ("deepface", "tensorflow", "keras", "tf_keras")
QUEUE_CLIENTS = ("celery", "kombu", "redis")  # likewise, unless QUEUE_URL is set

RECOGNIZE = """
import runpy, sys
image, database, zoo = sys.argv[1], sys.argv[2], set(sys.argv[3:])
sys.argv = ["app", "recognize", image, "--db", database, "--privacy", "9"]
try:
    runpy.run_module("app", run_name="__main__")
finally:
    print("loaded", sorted({m.split(".")[0] for m in sys.modules} & zoo))
"""

# `python -m app serve` until /health says ready, then the loaded packages, then SIGTERM (which
# `serve` answers by stopping with status 0)
SERVE = """
import os, runpy, signal, sys, threading, time, urllib.request
health, zoo = sys.argv[1], set(sys.argv[2:])

def report_when_ready():
    while True:
        try:
            with urllib.request.urlopen(health, timeout=2) as reply:
                if b'"ready"' in reply.read():
                    break
        except OSError:  # not listening yet, or 503 while the models load
            time.sleep(0.2)
    print("loaded", sorted({m.split(".")[0] for m in sys.modules} & zoo), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=report_when_ready, daemon=True).start()
sys.argv = ["app", "serve"]
runpy.run_module("app", run_name="__main__")
"""


def run_script(script, args, state_dir, **env):
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "STATE_DIR": str(state_dir), **env},
        timeout=300,
        check=False,
    )


def test_the_default_recognizer_never_loads_deepface_or_tensorflow(settings, faces):
    """DeepFace's model zoo (TensorFlow) loads only when a DeepFace model is selected."""
    args = [faces / "img4.jpg", settings.database_dir, *MODEL_ZOO]
    out = run_script(RECOGNIZE, args, settings.state_dir)
    assert "Alice" in out.stdout, out.stderr[-2000:]
    assert "loaded []" in out.stdout


def test_serve_on_defaults_loads_neither_the_model_zoo_nor_the_queue_clients(settings, tmp_path):
    from tests.e2e.server import free_port

    port = free_port()
    out = run_script(
        SERVE,
        [f"http://127.0.0.1:{port}/health", *MODEL_ZOO, *QUEUE_CLIENTS],
        tmp_path / "state",
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_DIR=str(settings.database_dir),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ready: web UI at" in out.stdout
    assert "loaded []" in out.stdout, out.stdout
