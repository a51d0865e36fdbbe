"""Resident directory -> GalleryIndex, with embeddings cached by file content hash and model id.

Layout: `<root>/<Name>.jpg` (one photo) and `<root>/<Name>/<any>.jpg` (several photos). Each
enrollment photo is embedded clean and, for matching blurred faces like with like, blurred to each
relative blur level of `matching.BLUR_LEVELS` (its "views"). A photo with no face or several faces
is skipped with a reason. `refresh()`
rescans: unchanged files are answered from the cache, new or changed ones are embedded, and cache
rows of files that are gone are deleted, so a removed resident leaves no embedding behind.

A gallery keeps one index per chip profile (`model_id`) of the embedder, since probes at different
privacy levels are cut differently and must be compared with enrollment chips cut the same way.
Each view of each profile is cached under its own id (`view_id`).

A gallery may also read, on each refresh, the faces marked "not this resident" per profile
(negatives, app/residents/negatives.py): matching refuses a face closer to one of those than to
the resident's photos (`GalleryIndex.refuted`); and the faces confirmed as a resident (positives,
app/residents/positives.py), which count as more views of that resident at the blur they were
seen at (`GalleryIndex.with_faces`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, cast

import numpy as np

from app.errors import GalleryUnreadable
from app.pipeline.matching import BLUR_LEVELS, GalleryIndex, SeenFaces

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
LINK_SKIPPED = "symbolic link, not followed"
NOT_UTF8 = "name is not valid UTF-8"


@dataclass(frozen=True)
class Enrollment:
    """Outcome for one enrollment photo: a vector, or the reason it was skipped."""

    vector: np.ndarray | None
    reason: str | None = None


class EmbeddingCache(Protocol):
    def load(self, gallery: str, model_id: str) -> dict[str, Enrollment]: ...
    def save(self, gallery: str, model_id: str, sha256: str, enrollment: Enrollment) -> None: ...
    def prune(self, gallery: str, model_id: str, keep: set[str]) -> int: ...


@dataclass(frozen=True)
class GalleryFile:
    resident: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class Skipped:
    resident: str
    file: str  # relative to the gallery root
    reason: str


@dataclass(frozen=True)
class RefreshReport:
    embedded: int  # new or changed photos embedded now
    cached: int  # answered from the cache
    removed: int  # cache rows deleted because their photo is gone
    skipped: tuple[Skipped, ...]


def scan(root: Path, skipped: list[Skipped] | None = None) -> list[GalleryFile]:
    """Photos of the directory, sorted; hidden files are ignored.

    A file or folder that disappears while it is being read (a resident renamed or deleted
    meanwhile) is simply not part of this scan. One that cannot be read (permissions, I/O error)
    is left out too, and so is every symbolic link (a resident folder or a photo): links are never
    followed, wherever they point; and so is a resident whose name is not valid UTF-8. All are
    reported in `skipped` when a list is given, so one bad entry never stops a gallery. Only an
    unreadable root raises (GalleryUnreadable).
    """
    root = root.resolve()
    report = skipped if skipped is not None else []
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise GalleryUnreadable(
            f"resident directory {root.name!r} cannot be read: {exc.strerror or exc}"
        ) from exc
    found: list[tuple[str, Path]] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if not is_utf8(entry.name):
            report.append(Skipped(entry.name, entry.name, NOT_UTF8))
            continue
        if entry.is_symlink():
            resident = entry.stem if entry.suffix.lower() in IMAGE_SUFFIXES else entry.name
            report.append(Skipped(resident, entry.name, LINK_SKIPPED))
            continue
        try:
            if not entry.is_dir():
                found.append((entry.stem, entry))
                continue
            photos = sorted(entry.iterdir())
        except FileNotFoundError:
            continue
        except OSError as exc:
            report.append(Skipped(entry.name, entry.name, _unreadable("folder", exc)))
            continue
        found += [(entry.name, p) for p in photos if not p.name.startswith(".")]
    files = []
    for resident, path in found:
        try:
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if path.is_symlink():
                report.append(Skipped(resident, str(path.relative_to(root)), LINK_SKIPPED))
                continue
            if not path.is_file():
                continue
            digest = hashlib.sha256(read_no_link(path)).hexdigest()
        except FileNotFoundError:
            continue
        except OSError as exc:
            report.append(Skipped(resident, str(path.relative_to(root)), _unreadable("photo", exc)))
            continue
        files.append(GalleryFile(resident, path, digest))
    return files


def is_utf8(name: str) -> bool:
    """Whether a file name read from disk was valid UTF-8: other bytes come back as lone
    surrogates (os.fsdecode), which no answer, message or SQLite row can hold as a name."""
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def read_no_link(path: Path) -> bytes:
    """The bytes of a regular file; OSError (ELOOP) if `path` has become a symbolic link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with open(fd, "rb") as file:
        return file.read()


def _unreadable(what: str, exc: OSError) -> str:
    return f"unreadable {what}: {exc.strerror or type(exc).__name__}"


def view_id(model_id: str, level: float | None) -> str:
    """Cache id of a profile's enrollment embeddings, clean (`level` None) or blurred."""
    return model_id if level is None else f"{model_id}@blur{level:g}"


def view_ids(model_id: str) -> tuple[str, ...]:
    return tuple(view_id(model_id, level) for level in (None, *BLUR_LEVELS))


Enroll = Callable[[Path], dict[str, Enrollment]]  # photo -> outcome per view id
# Labelled faces, by (gallery, model id) -> name -> (k, d): app/store/face_labels.py
LabelledFaces = Callable[[str, str], dict[str, np.ndarray]]
# Faces confirmed as residents, by (gallery, model id) -> name -> embeddings and their blur
ConfirmedFaces = Callable[[str, str], dict[str, SeenFaces]]


class Gallery:
    """One resident directory and its current indexes, one per chip profile. Thread-safe."""

    def __init__(
        self,
        root: Path,
        enroll: Enroll,
        profile_ids: tuple[str, ...],
        cache: EmbeddingCache,
        negatives: LabelledFaces | None = None,
        positives: ConfirmedFaces | None = None,
    ) -> None:
        self.root = root.resolve()
        self.key = str(self.root)
        self._enroll, self._profile_ids, self._cache = enroll, profile_ids, cache
        self._negatives, self._positives = negatives, positives
        self._model_ids = tuple(v for p in profile_ids for v in view_ids(p))
        self._lock = threading.Lock()
        empty = GalleryIndex((), np.zeros((0, 0), np.float32))
        self._indexes = dict.fromkeys(profile_ids, empty)
        self.report = RefreshReport(0, 0, 0, ())

    @property
    def index(self) -> GalleryIndex:
        """The first profile's index (every profile holds the same residents)."""
        return self._indexes[self._profile_ids[0]]

    def index_for(self, model_id: str) -> GalleryIndex:
        return self._indexes[model_id]

    def refresh(self) -> RefreshReport:
        with self._lock:
            unreadable: list[Skipped] = []
            files = scan(self.root, unreadable)
            known = {m: self._cache.load(self.key, m) for m in self._model_ids}
            embedded = 0
            for f in files:
                if all(f.sha256 in known[m] for m in self._model_ids):
                    continue
                for model_id, enrollment in self._enroll(f.path).items():
                    self._cache.save(self.key, model_id, f.sha256, enrollment)
                    known[model_id][f.sha256] = enrollment
                embedded += 1
            for profile in self._profile_ids:
                index = _index(files, [known[v] for v in view_ids(profile)])
                if self._positives is not None:
                    enrolled = set(index.names)
                    positives = self._positives(self.key, profile)
                    index = index.with_faces(
                        {n: rows for n, rows in positives.items() if n in enrolled}
                    )
                if self._negatives is not None:
                    index = replace(index, negatives=self._negatives(self.key, profile))
                self._indexes[profile] = index
            skipped = tuple(unreadable) + tuple(
                Skipped(f.resident, str(f.path.relative_to(self.root)), e.reason or "unusable")
                for f in files
                if (e := known[self._model_ids[0]][f.sha256]).vector is None
            )
            keep = {f.sha256 for f in files}
            removed = sum(self._cache.prune(self.key, m, keep) for m in self._model_ids)
            self.report = RefreshReport(embedded, len(files) - embedded, removed, skipped)
            return self.report


def _index(files: list[GalleryFile], views: list[dict[str, Enrollment]]) -> GalleryIndex:
    """The index of one profile from its views (clean first, then BLUR_LEVELS): a photo counts
    only when every view of it is usable."""
    usable = [f for f in files if all(v[f.sha256].vector is not None for v in views)]
    if not usable:
        return GalleryIndex((), np.zeros((0, 0), np.float32))

    def stack(view: dict[str, Enrollment]) -> np.ndarray:
        vectors = [cast(np.ndarray, view[f.sha256].vector) for f in usable]  # set: usable
        return np.stack(vectors).astype(np.float32)

    clean, *blurred = views
    return GalleryIndex(
        tuple(f.resident for f in usable),
        stack(clean),
        {level: stack(v) for level, v in zip(BLUR_LEVELS, blurred, strict=True)},
    )
