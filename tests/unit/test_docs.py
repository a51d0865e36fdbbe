"""The docs stay true: the configuration table is generated from Settings, and README gives the
test command CI runs."""

import re
from pathlib import Path

from app.config import Settings, markdown

ROOT = Path(__file__).resolve().parents[2]


def test_docs_configuration_is_generated_from_the_settings():
    """On failure: `python -m app config --markdown > docs/configuration.md`."""
    assert (ROOT / "docs" / "configuration.md").read_text() == markdown()


def test_the_configuration_page_describes_every_variable_the_service_reads(monkeypatch):
    """Read from the page itself: a setting without a description, or a documented name the
    environment does not set, fails here whatever `markdown()` renders."""
    page = (ROOT / "docs" / "configuration.md").read_text()
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| (.+?) \| (.*) \|$", page, re.MULTILINE)
    assert sorted(name for name, _, _ in rows) == sorted(n.upper() for n in Settings.model_fields)
    assert [name for name, _, meaning in rows if meaning.strip() in ("", "None")] == []
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("CONFIRM_FRAMES", "7")
    read = Settings(_env_file=None)
    assert (read.port, read.confirm_frames) == (8123, 7)


def test_the_readme_test_command_is_what_ci_runs():
    assert "```sh\nbash .ci/run\n```" in (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install" in ci and ".venv/bin/python -m pytest" in ci


def test_the_readme_is_short_and_links_every_doc():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    docs = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert docs and [d for d in docs if f"(docs/{d})" not in readme] == []


# commands the docs run -> the Debian package that has them
DEBIAN_COMMANDS = {"mosquitto_sub": "mosquitto-clients", "mosquitto_pub": "mosquitto-clients"}


def test_every_doc_that_runs_a_debian_command_says_to_install_its_package():
    missing = [
        (doc.name, command, package)
        for doc in sorted((ROOT / "docs").glob("*.md"))
        for command, package in DEBIAN_COMMANDS.items()
        if command in (text := doc.read_text())
        and not any(package in line for line in text.splitlines() if "apt-get install" in line)
    ]
    assert missing == []
