"""Install this checkout with TensorFlow's CPU-only build: what the image runs (Dockerfile), and a
lighter venv (docs/install.md). Run it with the Python of the environment to install into:

    .venv/bin/python docker/install_cpu.py [--editable]

TensorFlow is there for DeepFace's model zoo (VGG-Face, Facenet, ...) and is loaded only when a
DeepFace model is selected. pyproject.toml names `tensorflow`, which on Linux x86-64 is the build
with GPU (CUDA) kernels, 1.97 GB installed; `tensorflow-cpu` is the same TensorFlow without them,
1.35 GB (on aarch64 `tensorflow` is CPU-only already, and there is no `tensorflow-cpu`).
pyproject.toml cannot name `tensorflow-cpu`: tf-keras, which DeepFace needs with TensorFlow
>= 2.16, requires `tensorflow` by name, so pip would install both builds into the same folder.
So: the project's other requirements and the CPU build go through pip's resolver, then tf-keras
(the same minor version) and the project without dependencies. `pip check` may report only that
`tensorflow` is not installed under that name (for tf-keras and this project); TensorFlow and
tf-keras must import.

Run `pip install .` in that environment afterwards and pip adds `tensorflow` again: run this
instead.
"""

from __future__ import annotations

import argparse
import platform
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editable", action="store_true", help="as `pip install -e .`")
    args = parser.parse_args()
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    tensorflow = next(r for r in requirements if name(r) == "tensorflow")
    others = [r for r in requirements if name(r) not in {"tensorflow", "tf-keras"}]
    build = "tensorflow-cpu" if platform.machine() == "x86_64" else "tensorflow"
    pip("install", build + tensorflow.removeprefix("tensorflow"), *others)
    major, minor = version(build).split(".")[:2]
    editable = ["-e"] if args.editable else []
    pip("install", "--no-deps", f"tf-keras=={major}.{minor}.*", *editable, str(ROOT))
    check = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    unmet = [
        line
        for line in check.stdout.splitlines()
        if not line.endswith(" requires tensorflow, which is not installed.")
    ]
    if unmet:
        sys.exit("pip check: " + "; ".join(unmet))
    subprocess.run([sys.executable, "-c", "import tensorflow, tf_keras"], check=True)
    print(f"installed with {build} {version(build)}, tf-keras {version('tf-keras')}")


if __name__ == "__main__":
    main()
