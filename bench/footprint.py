"""What an install weighs and what `serve` holds in memory once ready:

    python -m bench.footprint [--python VENV/bin/python]

- the disk usage of the environment of `--python` (its `sys.prefix`; default: this one), and its
  TensorFlow;
- `python -m app serve` of this checkout, run by `--python` on the default settings with the
  tests' sample residents: RSS when /health first says ready, and whether TensorFlow is mapped,
  twice on one new STATE_DIR (the first start also writes the ONNX graph, the second finds it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.watch import rss_mb
from tests.conftest import make_gallery
from tests.e2e.server import ROOT, START_TIMEOUT_S, child_env, free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the environment to measure")
    args = parser.parse_args()
    prefix, tensorflow = subprocess.run(
        [
            args.python,
            "-c",
            "import importlib.util as u, sys; s = u.find_spec('tensorflow'); "
            "print(sys.prefix); print(s.submodule_search_locations[0] if s else '')",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    print(f"environment {prefix}: {gigabytes(Path(prefix)):.2f} GB on disk")
    if tensorflow:
        print(f"  of which TensorFlow ({tensorflow}): {gigabytes(Path(tensorflow)):.2f} GB")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        database = make_gallery(base / "database")
        for start in ("first start", "ONNX graph cached"):
            rss, seconds, mapped = ready_rss(args.python, base / "state", database)
            print(
                f"serve at ready ({start}): RSS {rss:.0f} MB after {seconds:.1f} s; "
                f"TensorFlow {'mapped' if mapped else 'not loaded'}"
            )


def gigabytes(folder: Path) -> float:
    """Disk usage of `folder` (as `du -s`), in GB (10^9 bytes, as `docker image ls`)."""
    out = subprocess.run(["du", "-sB1", str(folder)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1e9


def ready_rss(python: str, state: Path, database: Path) -> tuple[float, float, bool]:
    port = free_port()
    environment = child_env(
        HOST="127.0.0.1", PORT=str(port), STATE_DIR=str(state), DATABASE_DIR=str(database)
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [python, "-m", "app", "serve"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < START_TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}")
            try:
                health = requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                if health.status_code == 200:
                    seconds = time.perf_counter() - started
                    maps = Path(f"/proc/{process.pid}/maps").read_text()
                    return rss_mb(process.pid), seconds, "libtensorflow" in maps
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"serve not ready after {START_TIMEOUT_S} s")
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
