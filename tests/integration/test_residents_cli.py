"""`python -m app residents list|add|remove|rename` as a user runs it: real subprocesses."""

from __future__ import annotations

from tests.conftest import FACES, make_gallery
from tests.integration.test_cli import run


def test_add_list_rename_remove(tmp_path):
    db, state = make_gallery(tmp_path / "db"), tmp_path / "state"

    def residents(*args: str):
        return run(["residents", *args, "--db", str(db)], state)

    added = residents("add", "Dana", str(FACES / "img38.jpg"), str(FACES / "couple.jpg"))
    assert added.returncode == 1, added.stderr  # one image was rejected
    assert "img38.jpg: accepted as image" in added.stdout
    assert "couple.jpg: rejected [several_faces]" in added.stdout

    refused = residents("add", "Eve", str(FACES / "img38.jpg"))
    assert refused.returncode == 2 and "rejected [duplicate]" in refused.stdout
    assert "enrollment_rejected" in refused.stderr

    assert residents("rename", "Dana", "Daniela").returncode == 0
    listed = residents("list")
    assert listed.stdout.splitlines() == [
        "Alice: 2 image(s)",
        "Bob: 1 image(s)",
        "Carol: 1 image(s)",
        "Daniela: 1 image(s)",
    ]
    removed = residents("remove", "Daniela")
    assert "Daniela: removed 1 image(s), 6 embedding(s)" in removed.stdout  # clean + 5 blurred
    assert not (db / "Daniela").exists()
    bad = residents("rename", "Bob", "../x")
    assert bad.returncode == 2 and "invalid_resident_name" in bad.stderr
