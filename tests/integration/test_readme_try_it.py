"""README's "try it in one minute" works as printed: its commands, in a copy of the repo's
samples, print the residents and unknown faces its expected output shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def try_it_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Try it in one minute")[1].split("\n## ")[0]


def shown(text: str) -> list[tuple[str, str, str]]:
    """The residents of a `recognize` summary, with their first and last frames."""
    return re.findall(r"^  (\w+): frames (\d+)-(\d+)", text, re.M)


def test_the_try_it_commands_print_the_expected_output(tmp_path):
    section = try_it_section()
    commands = re.search(r"```sh\n(.*?)```", section, re.S).group(1).strip().splitlines()
    expected = re.search(r"Expected output.*?```\n(.*?)```", section, re.S).group(1)
    shutil.copytree(ROOT / "database", tmp_path / "database")  # the repo's samples, untouched
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STATE_DIR": str(tmp_path / "state")}
    env.pop("DATABASE_DIR", None)
    out = ""
    for command in commands:
        args = command.split()
        assert args[0] == ".venv/bin/python"
        done = subprocess.run(
            [sys.executable, *args[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        out = done.stdout
    assert shown(out) == shown(expected) and shown(expected)
    assert out.splitlines()[0] == expected.splitlines()[0]
    assert out.splitlines()[-1] == expected.splitlines()[-1] == "  unknown faces: 1"
    assert (tmp_path / "state" / "database" / "Bob.jpg").is_file()  # the state copy was used
