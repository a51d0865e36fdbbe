"""Resident directory -> GalleryIndex, with embeddings cached by file content hash and model id.

Layout: `<root>/<Name>.jpg` (one photo) and `<root>/<Name>/<any>.jpg` (several photos). Enrollment
photos are not blurred (blurring the gallery to match probes made matching worse, DESIGN §2). A
photo with no face or several faces is skipped with a reason. `refresh()` rescans: unchanged files
are answered from the cache, new or changed ones are embedded, and cache rows of files that are gone
are deleted, so a removed resident leaves no embedding behind.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from app.pipeline.matching import GalleryIndex

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


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


def scan(root: Path) -> list[GalleryFile]:
    """Photos of the directory, sorted; hidden files and links leaving the root are ignored."""
    root = root.resolve()
    found: list[tuple[str, Path]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found += [
                (entry.name, p) for p in sorted(entry.iterdir()) if not p.name.startswith(".")
            ]
        else:
            found.append((entry.stem, entry))
    files = []
    for resident, path in found:
        if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            continue
        if not path.resolve().is_relative_to(root):
            continue
        files.append(GalleryFile(resident, path, hashlib.sha256(path.read_bytes()).hexdigest()))
    return files


class Gallery:
    """One resident directory and its current index. Thread-safe refresh."""

    def __init__(
        self,
        root: Path,
        enroll: Callable[[Path], Enrollment],
        model_id: str,
        cache: EmbeddingCache,
    ) -> None:
        self.root = root.resolve()
        self.key = str(self.root)
        self._enroll, self._model_id, self._cache = enroll, model_id, cache
        self._lock = threading.Lock()
        self.index = GalleryIndex((), np.zeros((0, 0), np.float32))
        self.report = RefreshReport(0, 0, 0, ())

    def refresh(self) -> RefreshReport:
        with self._lock:
            files = scan(self.root)
            known = self._cache.load(self.key, self._model_id)
            names: list[str] = []
            vectors: list[np.ndarray] = []
            skipped: list[Skipped] = []
            embedded = 0
            for f in files:
                enrollment = known.get(f.sha256)
                if enrollment is None:
                    enrollment = self._enroll(f.path)
                    self._cache.save(self.key, self._model_id, f.sha256, enrollment)
                    known[f.sha256] = enrollment
                    embedded += 1
                if enrollment.vector is None:
                    rel = str(f.path.relative_to(self.root))
                    skipped.append(Skipped(f.resident, rel, enrollment.reason or "unusable"))
                else:
                    names.append(f.resident)
                    vectors.append(enrollment.vector)
            removed = self._cache.prune(self.key, self._model_id, {f.sha256 for f in files})
            matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 0))
            self.index = GalleryIndex(tuple(names), matrix)
            self.report = RefreshReport(embedded, len(files) - embedded, removed, tuple(skipped))
            return self.report
