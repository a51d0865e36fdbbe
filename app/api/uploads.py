"""Uploads: streamed to private temporary files that disappear when the request ends.

Every file part of a multipart body is written to a NamedTemporaryFile with a random name in the
private upload folder (mode 0700; the file itself is 0600). The client's file name is never used.
At most MAX_FILE_PARTS are accepted, counted while the body is parsed: a body of 999 file parts
is refused at its 17th, not after opening 999 files.
`UploadRequest.close()`, which Flask calls when the request ends whatever happened, closes and so
deletes every file it made, including those of a body whose parsing failed half way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Any

from flask import Request, current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest

from app.api.errors import MissingFile, TooManyFiles
from app.errors import GalleryNotFound
from app.private_files import private_dir

UPLOAD_DIR_KEY = "PAFR_UPLOAD_DIR"
MAX_PATH_PART = 1024  # bytes read from a `path` file part
MAX_FILE_PARTS = 16  # more than any route takes: 10 enrollment images, or `file` and `path`


class UploadRequest(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        spooled = self.__dict__.setdefault("_spooled", [])
        if len(spooled) >= MAX_FILE_PARTS:
            raise TooManyFiles(f"a request may hold at most {MAX_FILE_PARTS} file parts")
        stream = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by close() below
            dir=current_app.config[UPLOAD_DIR_KEY], prefix="upload-"
        )
        spooled.append(stream)
        return stream

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """As Flask's, with JSON nested too deeply for the parser (a RecursionError, not a
        ValueError) treated like any malformed JSON body."""
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            if silent:
                return None
            raise BadRequest("the JSON body is nested too deeply") from exc

    def discard_uploads(self) -> None:
        """Close, and so delete, every file spooled for this request so far."""
        for stream in self.__dict__.get("_spooled", ()):
            stream.close()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.discard_uploads()


def prepare_upload_dir(path: Path) -> None:
    """Create the private upload folder and delete leftovers of a process that was killed."""
    private_dir(path)
    for leftover in path.glob("upload-*"):
        leftover.unlink(missing_ok=True)


def media_upload() -> Path:
    """The path of the request's single `file` part (a video or an image)."""
    files = request.files.getlist("file")
    others = [key for key in request.files if key not in ("file", "path")]
    if not files:
        raise MissingFile("multipart part `file` (a video or an image) is missing")
    if len(files) + len(others) > 1:
        raise TooManyFiles("send exactly one media file, in part `file`")
    return Path(_spooled_name(files[0]))


def gallery_name() -> str:
    """The `path` part, sent as a form field (curl) or as a file part (analytics_api)."""
    if "path" in request.form:
        return request.form["path"]
    part = request.files.get("path")
    if part is None:
        return ""
    raw = part.stream.read(MAX_PATH_PART + 1)
    try:
        if len(raw) > MAX_PATH_PART:
            raise UnicodeError
        return raw.decode("utf-8")
    except UnicodeError as exc:
        raise GalleryNotFound("the `path` part is not a resident directory name") from exc


def _spooled_name(part: FileStorage) -> str:
    stream = part.stream
    stream.flush()
    return stream.name
