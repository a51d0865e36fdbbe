"""The resident directory on disk and the change log (no models)."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest

from app.errors import (
    ImageNotFound,
    InvalidMetadata,
    InvalidResidentName,
    MetadataTooLarge,
    ResidentExists,
    ResidentNotFound,
)
from app.pipeline.gallery import scan
from app.residents.changes import ResidentLog
from app.residents.directory import (
    MAX_METADATA_BYTES,
    META_FILE,
    ResidentDirectory,
    metadata,
    new_name,
    seed,
)
from app.residents.manager import GalleryReadOnly, Residents
from app.store.db import Database
from tests.conftest import FACES, make_gallery

JPEG_A = (FACES / "img1.jpg").read_bytes()
JPEG_B = (FACES / "img2.jpg").read_bytes()


@pytest.mark.parametrize("name", ["Alice", "Jean-Luc", "O'Brien", "Mary Ann", "José", "A", "R2.D2"])
def test_plain_names_are_accepted(name):
    assert new_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "../x", "..", ".", ".hidden", "a/b", "a\\b", " Alice", "Alice ", "x\n", "_x", "a" * 65, 5],
)
def test_names_that_are_not_plain_folder_names_are_refused(name):
    with pytest.raises(InvalidResidentName):
        new_name(name)


def test_metadata_must_be_a_small_json_object():
    assert metadata('{"role": "mum"}') == {"role": "mum"}
    assert metadata({"a": [1]}) == {"a": [1]}
    for bad in ("[1]", "not json", 3, None, '"text"'):
        with pytest.raises(InvalidMetadata):
            metadata(bad)
    with pytest.raises(MetadataTooLarge):
        metadata({"x": "y" * MAX_METADATA_BYTES})


@pytest.fixture
def directory(tmp_path) -> ResidentDirectory:
    return ResidentDirectory(make_gallery(tmp_path / "db"))  # Alice/ (2 photos), Bob.jpg, Carol.jpg


def test_residents_are_read_from_both_layouts(directory):
    found = directory.residents()
    assert sorted(found) == ["Alice", "Bob", "Carol"]
    assert len(found["Alice"].images) == 2 and len(found["Bob"].images) == 1
    assert all(len(i.id) == 16 for i in found["Alice"].images)


def test_create_writes_a_folder_with_images_and_hidden_metadata(directory):
    directory.create("Dana", [JPEG_A, JPEG_B], {"room": "attic"})
    dana = directory.get("Dana")
    assert len(dana.images) == 2 and dana.metadata == {"room": "attic"}
    assert (directory.root / "Dana" / META_FILE).is_file()
    assert {f.resident for f in scan(directory.root)} == {"Alice", "Bob", "Carol", "Dana"}
    assert not [p for p in directory.root.iterdir() if p.name.startswith(".")]
    with pytest.raises(ResidentExists):
        directory.create("Bob", [JPEG_A], None)


def test_adding_to_a_single_photo_resident_converts_it_to_a_folder(directory):
    before = directory.get("Bob").images[0].sha256
    directory.add_images("Bob", [JPEG_A])
    assert not (directory.root / "Bob.jpg").exists()
    assert (directory.root / "Bob" / "Bob.jpg").is_file()
    assert {i.sha256 for i in directory.get("Bob").images} >= {before}
    directory.set_metadata("Carol", {"x": 1})
    assert directory.get("Carol").metadata == {"x": 1}
    assert (directory.root / "Carol" / "Carol.jpg").is_file()


def test_rename_moves_folder_single_photo_and_metadata(directory):
    directory.set_metadata("Alice", {"k": "v"})
    directory.rename("Alice", "Alicia")
    directory.rename("Bob", "Robert")
    assert sorted(directory.residents()) == ["Alicia", "Carol", "Robert"]
    assert directory.get("Alicia").metadata == {"k": "v"}
    assert (directory.root / "Robert.jpg").is_file()
    with pytest.raises(ResidentExists):
        directory.rename("Alicia", "Carol")


def test_delete_and_remove_image_say_what_went(directory):
    alice = directory.get("Alice")
    directory.remove_image("Alice", alice.images[0].id)
    assert [i.id for i in directory.get("Alice").images] == [alice.images[1].id]
    with pytest.raises(ImageNotFound):
        directory.remove_image("Alice", "0" * 16)
    removal = directory.delete("Bob")
    assert (removal.images, removal.metadata) == (1, False)
    assert "Bob" not in directory.residents()
    with pytest.raises(ResidentNotFound):
        directory.get("Bob")
    with pytest.raises(InvalidResidentName):
        directory.get("../Alice")


def test_hand_edited_metadata_that_is_not_an_object_reads_as_empty(directory):
    (directory.root / "Alice" / META_FILE).write_text("[broken")
    assert directory.get("Alice").metadata == {}


def test_the_change_log_reports_exactly_the_changes_since_a_time(tmp_path, directory):
    clock = iter([100.0, 100.0, 100.0, 200.0, 300.0]).__next__
    log = ResidentLog(Database(tmp_path / "state.sqlite3"), clock)

    def current() -> dict[str, str]:
        return {n: r.fingerprint for n, r in directory.residents().items()}

    first = log.reconcile("g", current())
    assert {(c.name, c.kind) for c in first.changes} == {
        ("Alice", "updated"),
        ("Bob", "updated"),
        ("Carol", "updated"),
    }
    assert first.cursor == 100.0
    assert log.reconcile("g", current(), first.cursor).changes == ()  # nothing changed
    directory.rename("Bob", "Robert")  # by hand, as far as the log knows
    directory.set_metadata("Carol", {"a": 1})
    second = log.reconcile("g", current(), first.cursor)
    assert [(c.name, c.kind) for c in second.changes] == [
        ("Bob", "deleted"),
        ("Carol", "updated"),
        ("Robert", "updated"),
    ]
    assert second.cursor > first.cursor and set(second.updated) == {"Alice", "Carol", "Robert"}
    shutil.rmtree(directory.root / "Carol")
    third = log.reconcile("g", current(), second.cursor)
    assert [(c.name, c.kind) for c in third.changes] == [("Carol", "deleted")]
    assert log.reconcile("other", {}, 0).changes == ()  # galleries are separate


def test_change_times_increase_even_when_the_clock_does_not(tmp_path):
    log = ResidentLog(Database(tmp_path / "state.sqlite3"), lambda: 5.0)
    a = log.reconcile("g", {"A": "1"})
    b = log.reconcile("g", {"A": "2"}, a.cursor)
    assert [c.name for c in b.changes] == ["A"] and b.cursor > a.cursor


def test_metadata_sidecar_is_plain_json(directory):
    directory.set_metadata("Alice", {"é": 1})
    assert json.loads((directory.root / "Alice" / META_FILE).read_text()) == {"é": 1}


def test_the_samples_are_copied_once_into_the_state_dir(tmp_path):
    samples = make_gallery(tmp_path / "database")
    (samples / "README.md").write_text("sample notes")
    target = tmp_path / "state" / "database"
    seed(target, samples)
    assert sorted(ResidentDirectory(target).residents()) == ["Alice", "Bob", "Carol"]
    assert not (target / "README.md").exists()
    ResidentDirectory(target).delete("Bob")
    seed(target, samples)  # a later start keeps what the household changed
    assert sorted(ResidentDirectory(target).residents()) == ["Alice", "Carol"]
    assert sorted(ResidentDirectory(samples).residents()) == ["Alice", "Bob", "Carol"]


def test_without_samples_the_directory_starts_empty(tmp_path):
    seed(tmp_path / "db", tmp_path / "missing")
    assert ResidentDirectory(tmp_path / "db").residents() == {}


def test_a_read_only_directory_is_a_typed_error(tmp_path, monkeypatch):
    root = make_gallery(tmp_path / "g")
    manager = Residents(recognition=None, log=ResidentLog(Database(tmp_path / "s.sqlite3")))

    def refuse(self, target):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(GalleryReadOnly) as err:
        manager.of(root).update("Bob", "Robert", None)
    assert err.value.code == "gallery_read_only" and str(root) not in err.value.message
