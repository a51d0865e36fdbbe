import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from app.errors import GalleryUnreadable
from app.pipeline import gallery as gallery_module
from app.pipeline.gallery import Enrollment, Gallery, view_ids
from app.store.db import Database
from app.store.embeddings import SqliteEmbeddingCache

MODELS = ("model-x", "model-x-loose")  # chip profiles
VIEWS = tuple(v for m in MODELS for v in view_ids(m))  # each profile clean and blurred


class CountingEnroller:
    """Stands in for the face models: a vector derived from the file bytes, counted calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, path):
        self.calls.append(path.name)
        data = path.read_bytes()
        if data.startswith(b"noface"):
            return {v: Enrollment(None, "no face found") for v in VIEWS}
        return {
            v: Enrollment(np.array([len(data), data[0], i], np.float32))
            for i, v in enumerate(VIEWS)
        }


def setup(tmp_path):
    root = tmp_path / "db"
    (root / "Ann").mkdir(parents=True)
    (root / "Ann" / "a.jpg").write_bytes(b"aaaa")
    (root / "Ann" / "b.jpg").write_bytes(b"bbbbbb")
    (root / "Ben.jpg").write_bytes(b"cc")
    (root / "notes.txt").write_bytes(b"ignored")
    (root / ".hidden.jpg").write_bytes(b"ignored")
    cache = SqliteEmbeddingCache(Database(tmp_path / "state" / "cache.sqlite3"))
    enroll = CountingEnroller()
    return root, cache, enroll, Gallery(root, enroll, MODELS, cache)


def test_refresh_is_incremental_and_prunes_removed_photos(tmp_path):
    root, cache, enroll, gallery = setup(tmp_path)
    report = gallery.refresh()
    assert (report.embedded, report.cached) == (3, 0)
    assert gallery.index.names == ("Ann", "Ann", "Ben")

    # a fresh Gallery on the same cache (a restart) embeds nothing
    again = Gallery(root, enroll, MODELS, cache)
    assert again.refresh().embedded == 0 and len(enroll.calls) == 3

    (root / "Ann" / "b.jpg").write_bytes(b"changed!")  # changed content -> re-embedded
    (root / "Cat.png").write_bytes(b"ddd")  # added
    (root / "Ann" / "a.jpg").unlink()  # removed
    report = again.refresh()
    # old b.jpg and a.jpg: the rows of every view of both profiles
    assert (report.embedded, report.removed) == (2, 2 * len(VIEWS))
    assert sorted(again.index.names) == ["Ann", "Ben", "Cat"]
    assert set(cache.load(again.key, "model-x")) == {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in [root / "Ann" / "b.jpg", root / "Ben.jpg", root / "Cat.png"]
    }


def test_deleting_a_resident_leaves_no_embedding(tmp_path):
    root, cache, _, gallery = setup(tmp_path)
    gallery.refresh()
    shutil.rmtree(root / "Ann")
    gallery.refresh()
    assert gallery.index.names == ("Ben",)
    assert len(cache.load(gallery.key, "model-x")) == 1


def test_unusable_photos_are_skipped_with_a_reason_and_cached(tmp_path):
    root, _, enroll, gallery = setup(tmp_path)
    (root / "Dan.jpg").write_bytes(b"noface...")
    report = gallery.refresh()
    assert [(s.resident, s.file, s.reason) for s in report.skipped] == [
        ("Dan", "Dan.jpg", "no face found")
    ]
    assert "Dan" not in gallery.index.names
    calls = len(enroll.calls)
    assert gallery.refresh().skipped == report.skipped and len(enroll.calls) == calls


def test_one_index_per_model_id(tmp_path):
    _, cache, _, gallery = setup(tmp_path)
    gallery.refresh()
    assert cache.load(gallery.key, "another-model") == {}
    assert gallery.index_for("model-x").names == gallery.index_for("model-x-loose").names
    assert gallery.index_for("model-x").vectors[0, 2] == 0
    assert gallery.index_for("model-x-loose").vectors[0, 2] == VIEWS.index("model-x-loose")
    # and each blurred view of a profile is its index's view at that level
    blurred = gallery.index_for("model-x").blurred
    assert [v[0, 2] for v in blurred.values()] == [1, 2, 3, 4, 5]
    assert gallery.index is gallery.index_for("model-x")


def test_unreadable_photos_and_folders_are_skipped_with_a_reason(tmp_path, monkeypatch):
    """Tests run as root, for whom chmod 000 changes nothing: the OS's refusal is simulated."""
    root, _cache, _enroll, gallery = setup(tmp_path)
    (root / "Cid").mkdir()
    (root / "Cid" / "c.jpg").write_bytes(b"cccc")
    read, iterdir = gallery_module.read_no_link, Path.iterdir

    def refuse(path, real):
        if path.name in {"a.jpg", "Cid"}:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(gallery_module, "read_no_link", lambda p: refuse(p, read))
    monkeypatch.setattr(Path, "iterdir", lambda p: refuse(p, iterdir))
    report = gallery.refresh()
    assert gallery.index.names == ("Ann", "Ben")
    assert {(s.resident, s.file, s.reason) for s in report.skipped} == {
        ("Ann", "Ann/a.jpg", "unreadable photo: Permission denied"),
        ("Cid", "Cid", "unreadable folder: Permission denied"),
    }


def test_an_unreadable_gallery_root_is_a_typed_error(tmp_path, monkeypatch):
    root, _cache, _enroll, gallery = setup(tmp_path)
    iterdir = Path.iterdir

    def refuse(path):
        if path == root:
            raise PermissionError(13, "Permission denied", str(path))
        return iterdir(path)

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(GalleryUnreadable, match="cannot be read: Permission denied"):
        gallery.refresh()


def test_symbolic_links_are_skipped_with_a_reason_wherever_they_point(tmp_path):
    root, _cache, enroll, gallery = setup(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.jpg").write_bytes(b"xxxx")
    (root / "Eve").symlink_to(outside)  # a resident folder leading out of the gallery
    (root / "Dan").symlink_to(root / "Ann")  # and one leading to another resident
    (root / "Fay.jpg").symlink_to(outside / "x.jpg")  # a single-photo resident
    (root / "Ann" / "c.jpg").symlink_to(outside / "x.jpg")  # a photo in a real folder
    report = gallery.refresh()
    assert gallery.index.names == ("Ann", "Ann", "Ben")
    assert {(s.resident, s.file, s.reason) for s in report.skipped} == {
        ("Eve", "Eve", "symbolic link, not followed"),
        ("Dan", "Dan", "symbolic link, not followed"),
        ("Fay", "Fay.jpg", "symbolic link, not followed"),
        ("Ann", "Ann/c.jpg", "symbolic link, not followed"),
    }
    assert "x.jpg" not in enroll.calls
