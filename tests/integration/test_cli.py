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


def test_the_default_recognizer_never_loads_tensorflow(settings, faces, tmp_path):
    """TensorFlow (DeepFace's model zoo) is loaded only when a DeepFace model is selected."""
    script = (
        "import runpy, sys\n"
        "sys.argv = ['app', 'recognize', sys.argv[1], '--db', sys.argv[2], '--privacy', '9']\n"
        "try:\n"
        "    runpy.run_module('app', run_name='__main__')\n"
        "finally:\n"
        "    print('TF', sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'tf_keras')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(faces / "img4.jpg"), str(settings.database_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "STATE_DIR": str(settings.state_dir)},
        timeout=300,
        check=False,
    )
    assert "Alice" in out.stdout, out.stderr[-2000:]
    assert "TF []" in out.stdout
