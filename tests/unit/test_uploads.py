"""Uploads: the file-part cap applies while the body is parsed; a full disk is a 507 that frees
the request's uploads and keeps its audit row."""

import errno
import io
import sqlite3
import tempfile
from types import SimpleNamespace

import pytest
from flask import request

from app.api import uploads
from app.api.errors import TooManyFiles
from app.api.runtime import runtime_of
from app.config import Settings
from app.pipeline.privacy import PrivacyLevel
from app.web import create_app

CHECK = "/check_directory/a.jpg/17/a1/NSSD/r1"


@pytest.fixture
def app(tmp_path):
    app = create_app(Settings(state_dir=tmp_path / "state", database_dir=tmp_path))
    # only what /check_directory touches before it reads the body
    runtime_of(app).ready(SimpleNamespace(privacy=lambda raw: PrivacyLevel.parse(raw, 51)))
    return app


def spooled(app) -> list[str]:
    return [p.name for p in app.config[uploads.UPLOAD_DIR_KEY].iterdir()]


def test_file_parts_are_capped_while_the_body_is_parsed(app):
    parts = {f"f{i}": (io.BytesIO(b"x"), "x.jpg") for i in range(999)}
    with app.test_request_context(CHECK, method="POST", data=parts):
        with pytest.raises(TooManyFiles):
            request.files  # noqa: B018 - parsing is the point
        assert len(spooled(app)) == uploads.MAX_FILE_PARTS
        request.close()
    assert spooled(app) == []


class _FullDisk:
    """A spooled upload on a full disk: writing fails as it does on a real one."""

    def __init__(self, real):
        self.real, self.name = real, real.name

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self) -> None:
        self.real.close()


def test_a_full_disk_is_a_507_that_deletes_the_uploads_and_keeps_the_audit_row(app, monkeypatch):
    seen, real = [], tempfile.NamedTemporaryFile

    def full_disk(**kwargs):
        seen.append(_FullDisk(real(**kwargs)))
        return seen[-1]

    monkeypatch.setattr(uploads.tempfile, "NamedTemporaryFile", full_disk)
    reply = app.test_client().post(CHECK, data={"file": (io.BytesIO(b"x" * 100_000), "a.jpg")})
    assert reply.status_code == 507
    assert reply.json["error"]["code"] == "insufficient_storage"
    assert len(seen) == 1 and spooled(app) == []
    with sqlite3.connect(runtime_of(app).settings.state_db) as conn:
        rows = conn.execute("SELECT request_id, status, outcome FROM audit").fetchall()
    assert rows == [("r1", 507, "insufficient_storage")]
