"""README must document every setting and give the test command CI runs."""

from pathlib import Path

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme_configuration_table():
    readme = (ROOT / "README.md").read_text()
    missing = [n.upper() for n in Settings.model_fields if f"| `{n.upper()}` |" not in readme]
    assert missing == []


def test_the_readme_test_command_is_what_ci_runs():
    assert "```sh\nbash .ci/run\n```" in (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install" in ci and ".venv/bin/python -m pytest" in ci
