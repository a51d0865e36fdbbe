"""The resident directory on disk, the source of truth for who the residents are.

Layout (as the gallery reads it): `<root>/<Name>.jpg` (one photo) or `<root>/<Name>/<any>.jpg`.
A resident's metadata is a JSON object in `<root>/<Name>/.meta.json`: hidden, so the gallery scan
ignores it, and it moves with the folder on rename. Adding images to, or setting metadata of, a
resident stored as `<Name>.jpg` first moves that photo to `<Name>/<Name>.jpg` (same bytes, so its
cached embeddings stay valid). New residents are always folders, built under a hidden name and
renamed into place, so the gallery never sees half of one. Stored images get random names.

An image's ID is the first 16 hex digits of its content SHA-256 (the gallery cache's key): it
names the image without exposing file names. Hand edits are fine: everything is read from disk
on each call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import (
    ImageNotFound,
    InvalidMetadata,
    InvalidResidentName,
    MetadataTooLarge,
    ResidentExists,
    ResidentIsLink,
    ResidentNotFound,
)
from app.pipeline.gallery import IMAGE_SUFFIXES, GalleryFile, is_utf8, read_no_link, scan

log = logging.getLogger(__name__)

META_FILE = ".meta.json"
MAX_METADATA_BYTES = 4096
MAX_METADATA_DEPTH = 16  # objects and lists nested in metadata; deeper JSON costs recursion
MAX_NAME = 64
MAX_NAME_BYTES = 200  # as UTF-8: `<Name>.jpeg` must stay within a file name's 255 bytes
IMAGE_ID_LENGTH = 16
# Letters (any script), digits, and inner spaces, `_`, `.`, `'`, `-`; starts and ends with a
# letter or digit. So never `.`/`..`, a hidden name, a separator or a control character.
_NEW_NAME = re.compile(r"[^\W_](?:[\w .'-]*[^\W_])?")


@dataclass(frozen=True)
class ResidentImage:
    id: str
    sha256: str
    path: Path  # never leaves the process


@dataclass(frozen=True)
class Resident:
    name: str
    images: tuple[ResidentImage, ...]
    metadata: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        """Changes whenever the resident's images or metadata change (for the change log)."""
        text = json.dumps([sorted(i.sha256 for i in self.images), self.metadata], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Removal:
    images: int
    metadata: bool


def new_name(text: object) -> str:
    """A name for a new resident (enroll, rename target): it becomes a folder name."""
    if not isinstance(text, str) or len(text) > MAX_NAME or not _NEW_NAME.fullmatch(text):
        raise InvalidResidentName(
            f"a resident name is 1-{MAX_NAME} letters or digits, with inner spaces, `_`, `.`, `'` "
            "or `-` allowed"
        )
    if len(text.encode()) > MAX_NAME_BYTES:
        raise InvalidResidentName(
            f"a resident name is at most {MAX_NAME_BYTES} bytes as UTF-8 (this one is "
            f"{len(text.encode())}): fewer letters, or letters of shorter encodings"
        )
    return text


def metadata(raw: object) -> dict[str, Any]:
    """Resident metadata: a JSON object (or its text) of at most MAX_METADATA_BYTES as UTF-8."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidMetadata("metadata is not valid JSON (or is nested too deeply)") from exc
    if not isinstance(raw, dict):
        raise InvalidMetadata("metadata must be a JSON object")
    if _nesting(raw) > MAX_METADATA_DEPTH:
        raise InvalidMetadata(f"metadata nests objects and lists deeper than {MAX_METADATA_DEPTH}")
    try:
        size = len(_encode(raw))
    except UnicodeEncodeError as exc:  # a lone surrogate, escaped in the JSON text
        raise InvalidMetadata("metadata is not valid Unicode text") from exc
    if size > MAX_METADATA_BYTES:
        raise MetadataTooLarge(f"metadata is larger than {MAX_METADATA_BYTES} bytes")
    return raw


def image_id(sha256: str) -> str:
    return sha256[:IMAGE_ID_LENGTH]


def _nesting(value: object) -> int:
    """How deep objects and lists nest in `value`, measured without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


_said: set[tuple[Path, str]] = set()  # names already logged as skipped, once per process
_said_lock = threading.Lock()


def _utf8(root: Path, name: str) -> bool:
    """Whether a name is valid UTF-8 (app/pipeline/gallery.py's scan skips photos of others);
    the first time one is not, that is logged."""
    if is_utf8(name):
        return True
    with _said_lock:
        first = (root, name) not in _said
        _said.add((root, name))
    if first:
        log.warning(
            "resident directory %s: skipped %a: its name is not valid UTF-8; rename it",
            root.name,
            name,
        )
    return False


def _encode(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()


class ResidentDirectory:
    """Reads and changes one resident directory. Callers serialise changes (one lock)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def residents(self) -> dict[str, Resident]:
        """Every resident: a name with photos, or a folder (perhaps with only metadata). Symbolic
        links are not residents (the scan skips them)."""
        photos: dict[str, list[GalleryFile]] = defaultdict(list)
        for f in scan(self.root):
            photos[f.resident].append(f)
        folders = {
            e.name
            for e in self.root.iterdir()
            if not e.name.startswith(".") and not e.is_symlink() and e.is_dir()
        }
        return {
            name: Resident(
                name,
                tuple(ResidentImage(image_id(f.sha256), f.sha256, f.path) for f in photos[name]),
                self._read_metadata(name),
            )
            for name in sorted(photos.keys() | folders)
            if _utf8(self.root, name)
        }

    def get(self, name: str) -> Resident:
        if not name or name.startswith(".") or any(c in "/\\" or ord(c) < 32 for c in name):
            raise InvalidResidentName("not a resident name (no `/`, `\\`, leading `.` or controls)")
        self._refuse_links(name)
        resident = self.residents().get(name)
        if resident is None:
            raise ResidentNotFound(f"no resident named {name[:MAX_NAME]!r}")
        return resident

    def create(self, name: str, images: list[bytes], meta: dict[str, Any] | None) -> None:
        self.require_free(name)
        building = self.root / f".new-{secrets.token_hex(8)}"
        building.mkdir()
        try:
            for data in images:
                self._write_image(building, data)
            if meta:
                _write_atomically(building / META_FILE, _encode(meta))
            building.rename(self.root / name)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise

    def add_images(self, name: str, images: list[bytes]) -> None:
        folder = self._folder_of(self.get(name))
        for data in images:
            self._write_image(folder, data)

    def read_image(self, name: str, image: str) -> bytes:
        """The stored bytes of one of the resident's images (never through a symbolic link)."""
        try:
            return read_no_link(self._images(name, image)[0].path)
        except FileNotFoundError as exc:  # removed since the scan
            raise ImageNotFound(
                f"resident {name!r} has no image {image[:IMAGE_ID_LENGTH]!r}"
            ) from exc

    def remove_image(self, name: str, image: str) -> None:
        for i in self._images(name, image):  # the same bytes stored twice are one image
            i.path.unlink()

    def _images(self, name: str, image: str) -> list[ResidentImage]:
        found = [i for i in self.get(name).images if i.id == image]
        if not found:
            raise ImageNotFound(f"resident {name!r} has no image {image[:IMAGE_ID_LENGTH]!r}")
        return found

    def set_metadata(self, name: str, meta: dict[str, Any]) -> None:
        folder = self._folder_of(self.get(name))
        _write_atomically(folder / META_FILE, _encode(meta))

    def rename(self, name: str, new: str) -> None:
        resident = self.get(name)
        if new == name:
            return
        self.require_free(new)
        for entry in self._entries(resident):
            entry.rename(self.root / (new + ("" if entry.is_dir() else entry.suffix)))

    def delete(self, name: str) -> Removal:
        resident = self.get(name)
        had_metadata = (self.root / name / META_FILE).is_file()
        for entry in self._entries(resident):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        return Removal(len(resident.images), had_metadata)

    def _entries(self, resident: Resident) -> list[Path]:
        """The resident's folder and its single photos `<Name>.<ext>` in the root."""
        folder = self.root / resident.name
        singles = [i.path for i in resident.images if i.path.parent == self.root]
        return [folder, *singles] if folder.is_dir() else singles

    def require_free(self, name: str) -> None:
        self._refuse_links(name)
        if name in self.residents() or os.path.lexists(self.root / name):
            raise ResidentExists(f"a resident named {name!r} already exists")

    def _folder_of(self, resident: Resident) -> Path:
        """The resident's folder, moving a `<Name>.jpg` photo into it first if need be."""
        folder = self.root / resident.name
        folder.mkdir(exist_ok=True)
        for entry in self._entries(resident):
            if entry.is_file():
                entry.rename(folder / entry.name)
        return folder

    def _refuse_links(self, name: str) -> None:
        """ResidentIsLink when a symbolic link in the root would be resident `name` (`<name>` or
        `<name>.jpg`): the scan skips it, and nothing may read or write through it."""
        if any(
            e.is_symlink()
            and (e.name == name or (e.stem == name and e.suffix.lower() in IMAGE_SUFFIXES))
            for e in self.root.iterdir()
        ):
            raise ResidentIsLink(
                f"resident {name[:MAX_NAME]!r} is a symbolic link, which this service never "
                "follows nor changes; replace it by a folder or remove it on the host"
            )

    def _read_metadata(self, name: str) -> dict[str, Any]:
        """Metadata of a resident; a hand-edited file that is not a JSON object, or a symbolic
        link, reads as {}."""
        folder = self.root / name
        if folder.is_symlink():
            return {}
        try:
            meta = json.loads(read_no_link(folder / META_FILE))
        except (OSError, ValueError, RecursionError):
            return {}
        return meta if isinstance(meta, dict) else {}

    @staticmethod
    def _write_image(folder: Path, data: bytes) -> None:
        _write_atomically(folder / f"{secrets.token_hex(8)}.jpg", data)


def seed(directory: Path, samples: Path) -> None:
    """Create `directory` as a copy of `samples` (when that exists), unless it already exists."""
    if directory.exists():
        return
    building = directory.with_name(f".{directory.name}-{secrets.token_hex(8)}")
    if samples.is_dir():
        shutil.copytree(samples, building, ignore=shutil.ignore_patterns("README*", ".*"))
    else:
        building.mkdir(parents=True)
    building.rename(directory)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write under a hidden temporary name (ignored by the scan), then rename into place."""
    temporary = path.with_name(f".tmp-{secrets.token_hex(8)}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
