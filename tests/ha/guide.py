"""The YAML of docs/home-assistant.md, put where its first line says (`# configuration.yaml` or
`# automations.yaml`) as a reader would paste it, so that a real Home Assistant loads every block
of the guide."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.server import ROOT

GUIDE = ROOT / "docs" / "home-assistant.md"
FILES = ("configuration.yaml", "automations.yaml")


def blocks() -> list[tuple[str, str]]:
    """Each ```yaml block of the guide as (the file it goes in, its text)."""
    found = []
    for body in re.findall(r"^```yaml\n(.*?)^```$", GUIDE.read_text(), re.M | re.S):
        first = body.splitlines()[0].removeprefix("#").strip()
        if first not in FILES:
            raise AssertionError(f"a YAML block of {GUIDE.name} names no file {FILES}: {body}")
        found.append((first, body))
    return found


def install(folder: Path) -> None:
    """Append the guide's configuration.yaml blocks to Home Assistant's; its automations make
    automations.yaml (a fresh install's holds `[]`, which a first automation replaces)."""
    pasted = {name: [body for file, body in blocks() if file == name] for name in FILES}
    with open(folder / "configuration.yaml", "a") as out:
        out.write("".join("\n" + body for body in pasted["configuration.yaml"]))
    if pasted["automations.yaml"]:
        (folder / "automations.yaml").write_text("\n".join(pasted["automations.yaml"]))


def entries(name: str) -> list[dict[str, Any]]:
    """The guide's entries of one kind: `automation` (from automations.yaml) or `person`."""
    found: list[dict[str, Any]] = []
    for file, body in blocks():
        parsed = yaml.safe_load(body)
        if name == "automation" and file == "automations.yaml":
            found += parsed
        elif file == "configuration.yaml":
            found += parsed.get(name) or []
    return found
